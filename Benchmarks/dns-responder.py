#!/usr/bin/env python3
"""A tiny loopback DNS responder for benchmarks: answers every query with one A record (198.18.0.1,
TTL 300) or, for TXT, a short TXT record. Exits by itself after --lifetime seconds."""
import argparse
import os
import socket
import struct
import threading


def answer(query: bytes) -> bytes:
    if len(query) < 12:
        return b""
    qid, flags = struct.unpack("!HH", query[:4])
    i = 12
    while i < len(query) and query[i] != 0:
        i += query[i] + 1
    end = i + 5
    if end > len(query):
        return b""
    qtype = struct.unpack("!H", query[i + 1:i + 3])[0]
    question = query[12:end]
    header = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, 1, 0, 0)
    if qtype == 16:
        rdata = b"\x02ok"
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 300, len(rdata)) + rdata
    else:
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([198, 18, 0, 1])
    return header + question + rr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--lifetime", type=float, default=300)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", args.port))
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    while True:
        data, peer = sock.recvfrom(4096)
        reply = answer(data)
        if reply:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
