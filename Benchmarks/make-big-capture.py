#!/usr/bin/env python3
"""Builds a large classic-pcap capture for the replay benchmark from existing captures.

Every Ethernet-framed input (pcap, or pcapng converted with editcap beforehand) is read, and its
packets are written again and again, each round shifted in time, until the output holds at least
--packets packets. Nothing is invented: every packet is a real one from the inputs.
Usage: make-big-capture.py --packets 1200000 --out big.pcap IN.pcap...
"""
import argparse
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None, []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return None, []
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    packets = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break
        usec = frac // 1000 if nano else frac
        packets.append((sec, usec, data[off:off + incl], orig))
        off += incl
    return linktype, packets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--packets", type=int, default=1_200_000)
    ap.add_argument("--out", required=True)
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args()
    pool = []
    for path in args.inputs:
        linktype, packets = read_pcap(path)
        if linktype == 1 and packets:
            pool.append(packets)
    if not pool:
        sys.exit("no Ethernet pcap input")
    per_round = sum(len(p) for p in pool)
    written = 0
    base = 1_700_000_000
    with open(args.out, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        round_no = 0
        while written < args.packets:
            # Each round starts an hour after the previous one, so the engine sees it as new traffic.
            shift = base + round_no * 3600
            for packets in pool:
                t0 = packets[0][0]
                for sec, usec, payload, orig in packets:
                    out.write(struct.pack("<IIII", shift + (sec - t0), usec, len(payload), orig))
                    out.write(payload)
                    written += 1
            round_no += 1
    print(f"{args.out}: {written} packets from {len(pool)} captures ({per_round} per round, {round_no} rounds)")


if __name__ == "__main__":
    main()
