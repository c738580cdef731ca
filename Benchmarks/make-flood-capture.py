#!/usr/bin/env python3
"""Writes a pcap with a flood of DNS queries to distinct random registered domains, with the
queries of a real tunnel capture interleaved, to measure the engine's memory bound under attack.

Usage: make-flood-capture.py --domains 1000000 --tunnel T.pcap --out flood.pcap
Flood packets are Ethernet/IPv4/UDP queries from 198.18.1.2 to 198.18.0.53 (addresses of the
benchmark's own range), one new registered domain each, 100,000 per second of capture time.
The tunnel's queries (and only its queries, UDP to port 53) are spread evenly through the flood.
"""
import argparse
import random
import struct


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


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def dns_query(qid, name):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def frame(payload, sport):
    udp = struct.pack("!HHHH", sport, 53, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([198, 18, 1, 2]), bytes([198, 18, 0, 53]))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + udp


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
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
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
