#!/usr/bin/env python3
"""The measured side of Benchmarks/live-flood.sh, run while dnsperf floods the proxy with random
subdomains. Over --seconds, against `airlock serve` on 127.0.0.1 only:

- a legitimate client: one A query every 20 ms for a small set of ordinary names (siteN.com), each
  matched to its answer by ID; counts answered (NOERROR with an answer) and latencies;
- a tunnel: one TXT query every 100 ms with a fresh 40-character base32 label under pirate.sea; counts
  the queries sent before the first refusal (NXDOMAIN/REFUSED: the domain is quarantined);
- slow drip: --drip TCP connections (half to the DNS TCP listener, half to the HTTP proxy listener),
  each sent one byte of a request at a time, round robin, held open for the whole run;
- huge headers: --header-conns connections to the HTTP proxy that send an endless request head
  (8 KiB header lines, up to --header-bytes each) as fast as the proxy takes it.

Prints one JSON object with the figures. Every loop is bounded by --seconds."""
import argparse
import errno
import json
import os
import random
import selectors
import socket
import struct
import time

ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def query(name: str, qid: int, qtype: int) -> bytes:
    out = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00" + struct.pack("!HH", qtype, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--drip", type=int, default=2000)
    p.add_argument("--header-conns", type=int, default=50)
    p.add_argument("--header-bytes", type=int, default=4 << 20)
    args = p.parse_args()
    rng = random.Random(11)

    legit = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    legit.setblocking(False)
    tunnel = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tunnel.setblocking(False)
    target = ("127.0.0.1", args.port)
    names = [f"{h}.site{d}.com" for d in range(20) for h in ("www", "api", "mail")]

    # Slow-drip connections: non-blocking connects, one byte each per round.
    drip = []
    dns_query = query("www.site0.com", 7, 1)
    dns_request = struct.pack("!H", len(dns_query)) + dns_query
    http_request = b"GET http://www.site0.com/ HTTP/1.1\r\nHost: www.site0.com\r\n\r\n"
    refused_connects = 0
    for i in range(args.drip):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        port = args.port if i % 2 == 0 else args.http_port
        try:
            s.connect_ex(("127.0.0.1", port))
        except OSError:
            refused_connects += 1
            s.close()
            continue
        drip.append([s, dns_request if port == args.port else http_request, 0])

    heads = []
    for _ in range(args.header_conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", args.http_port))
        heads.append([s, b"GET http://www.site1.com/ HTTP/1.1\r\nHost: www.site1.com\r\n", 0, False])
    pad = b"X-Pad: " + b"a" * 8185 + b"\r\n"

    sent, answered, latencies = {}, 0, []
    legit_sent = 0
    tunnel_sent, tunnel_blocked_after, tunnel_answers = 0, None, 0
    start = time.monotonic()
    end = start + args.seconds
    next_legit = next_tunnel = next_drip = start
    qid = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if now >= next_legit:
            qid = (qid + 1) & 0xFFFF
            try:
                legit.sendto(query(names[legit_sent % len(names)], qid, 1), target)
                sent[qid] = now
            except OSError:
                pass
            legit_sent += 1
            next_legit += 0.02
        if now >= next_tunnel and tunnel_blocked_after is None:
            label = "".join(rng.choice(ALPHABET) for _ in range(40))
            try:
                tunnel.sendto(query(f"{label}.pirate.sea", tunnel_sent & 0xFFFF, 16), target)
            except OSError:
                pass
            tunnel_sent += 1
            next_tunnel += 0.1
        if now >= next_drip:
            next_drip += 1.0
            for c in drip:
                if c[2] < len(c[1]) - 1:  # never the last byte: the request stays incomplete
                    try:
                        c[2] += c[0].send(c[1][c[2]:c[2] + 1])
                    except OSError:
                        pass
        for h in heads:
            if h[3]:
                continue
            if h[2] >= args.header_bytes:
                continue
            try:
                n = h[0].send(pad if h[2] else h[1])
                h[2] += n
            except BlockingIOError:
                pass
            except OSError:
                h[3] = True  # the proxy closed it
        # Answers.
        for _ in range(200):
            try:
                data = legit.recv(4096)
            except BlockingIOError:
                break
            if len(data) < 12:
                continue
            rid, flags, _, ancount = struct.unpack("!HHHH", data[:8])
            t = sent.pop(rid, None)
            if t is not None and flags & 0x0F == 0 and ancount > 0:
                answered += 1
                latencies.append(time.monotonic() - t)
        for _ in range(50):
            try:
                data = tunnel.recv(4096)
            except BlockingIOError:
                break
            tunnel_answers += 1
            if len(data) >= 4 and data[3] & 0x0F in (3, 5) and tunnel_blocked_after is None:
                tunnel_blocked_after = tunnel_sent
        time.sleep(0.002)

    # What became of the drip connections: still held open, answered (an error status), or closed (an
    # idle limit, a connection cap).
    drip_open = {"dns": 0, "http": 0}
    drip_answered = {"dns": 0, "http": 0}
    drip_closed = {"dns": 0, "http": 0}
    for c in drip:
        kind = "dns" if c[1] is dns_request else "http"
        try:
            data = c[0].recv(64, socket.MSG_PEEK)
            if data:
                drip_answered[kind] += 1  # the proxy answered (an error, a timeout status) before the request was whole
            else:
                drip_closed[kind] += 1
        except BlockingIOError:
            drip_open[kind] += 1
        except OSError:
            drip_closed[kind] += 1
    heads_closed = 0
    max_head = 0
    for h in heads:
        max_head = max(max_head, h[2])
        if h[3]:
            heads_closed += 1
            continue
        try:
            data = h[0].recv(64)
            if data == b"" or data.startswith(b"HTTP/1.1 4"):
                heads_closed += 1
        except BlockingIOError:
            pass
        except OSError:
            heads_closed += 1
    latencies.sort()

    def pct(q):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000, 2) if latencies else None

    print(json.dumps({
        "legit_sent": legit_sent, "legit_answered": answered,
        "legit_share": round(answered / legit_sent, 4) if legit_sent else 0,
        "legit_p50_ms": pct(0.5), "legit_p99_ms": pct(0.99),
        "tunnel_sent": tunnel_sent, "tunnel_answers": tunnel_answers, "tunnel_blocked_after": tunnel_blocked_after,
        "drip_connections": len(drip), "drip_still_open": sum(drip_open.values()), "drip_open": drip_open,
        "drip_answered": drip_answered, "drip_closed": drip_closed, "drip_connect_errors": refused_connects,
        "header_conns": len(heads), "header_conns_refused": heads_closed, "header_max_bytes_sent": max_head,
    }))
    for c in drip:
        c[0].close()
    for h in heads:
        h[0].close()


if __name__ == "__main__":
    main()
