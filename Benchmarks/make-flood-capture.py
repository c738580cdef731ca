#!/usr/bin/env python3
"""Writes a pcap with a flood of DNS queries to distinct random registered domains, with the
queries of a real tunnel capture interleaved, to measure the engine's memory bound under attack.

Usage: make-flood-capture.py --domains 1000000 --tunnel T.pcap --out flood.pcap
Flood packets are Ethernet/IPv4/UDP queries from 198.18.1.2 to 198.18.0.53 (addresses of the
benchmark's own range), one new registered domain each, 100,000 per second of capture time.
The tunnel's queries (and only its queries, UDP to port 53) are spread evenly through the flood.
"""
import argparse
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tools"))
from pcapframes import PCAP_HEADER, udp_frame, wire_name  # noqa: E402


def read_pcap(path):
    data = open(path, "rb").read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return linktype, out


def dns_query(qid, name):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire_name(name) + struct.pack("!HH", 1, 1)


def frame(payload, sport):
    return udp_frame([198, 18, 1, 2], [198, 18, 0, 53], sport, 53, payload)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--domains", type=int, default=1_000_000)
    ap.add_argument("--tunnel", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(20261124)
    linktype, tunnel = read_pcap(args.tunnel)
    assert linktype == 1, "tunnel capture must be Ethernet"
    # Keep the tunnel's client queries: IPv4, UDP, destination port 53, QR bit clear.
    queries = [p for p in tunnel if len(p) > 44 and p[12:14] == b"\x08\x00" and p[23] == 17
               and p[36:38] == b"\x00\x35" and not (p[44] & 0x80)]
    every = max(1, args.domains // max(1, len(queries)))
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    tlds = ["com", "net", "org", "io", "de", "co.uk", "info", "xyz"]
    t0 = 1_700_000_000
    with open(args.out, "wb") as out:
        out.write(PCAP_HEADER)
        ti = 0
        for i in range(args.domains):
            name = "www." + "".join(rng.choice(letters) for _ in range(rng.randint(6, 14))) + "." + rng.choice(tlds)
            pkt = frame(dns_query(i & 0xFFFF, name), 1024 + (i % 60000))
            usec = i * 10
            out.write(struct.pack("<IIII", t0 + usec // 1_000_000, usec % 1_000_000, len(pkt), len(pkt)) + pkt)
            if i % every == 0 and ti < len(queries):
                p = queries[ti]
                ti += 1
                out.write(struct.pack("<IIII", t0 + usec // 1_000_000, usec % 1_000_000, len(p), len(p)) + p)
    print(f"{args.out}: {args.domains} flood queries, {ti} tunnel queries interleaved (one per {every})")


if __name__ == "__main__":
    main()
