#!/usr/bin/env python3
"""Extracts every DNS message from the public captures into dns-corpus.hex (one hex message a line).

Why: the differential test (fast path vs libldns) needs real, varied messages, and the captures live
outside the repository, so a small extract is committed. Run from anywhere:

    python3 Tests/AirlockDNSWireTests/Fixtures/make-dns-corpus.py [captures-dir]

UDP: every payload tshark dissects as DNS (any port: Avast's resolver listens on 443) or that is on
port 53 / 5353 (mDNS) / 5355 (LLMNR); IP fragments are reassembled by tshark.
TCP (port 53): each direction's payload is put back in sequence order (retransmissions dropped) and cut
at the two-byte length prefixes (RFC 1035 §4.2.2); a last message the stream ends inside is kept as the
bytes that are there, because truncated messages are exactly what the parsers must reject alike.
Duplicate messages are written once, and at most MAX_PER_CAPTURE per capture. Lines starting with `#` name the capture that follows.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CAPTURES = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "captures"))
# Tunnel captures are long runs of look-alike messages: the first ones show every shape, and the
# corpus stays small enough to commit (< 300 KB).
MAX_PER_CAPTURE = 120


def tshark_fields(path, display_filter, fields):
    cmd = ["tshark", "-r", path, "-Y", display_filter, "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def udp_messages(path):
    rows = tshark_fields(path, "udp && (dns || mdns || llmnr || udp.port in {53, 5353, 5355})",
                         ["udp.payload"])
    for (payload,) in rows:
        if payload:
            yield bytes.fromhex(payload)


def tcp_messages(path):
    rows = tshark_fields(path, "tcp.port==53 && tcp.len > 0",
                         ["tcp.stream", "tcp.srcport", "tcp.seq_raw", "tcp.payload"])
    streams = {}
    for stream, src, seq, payload in rows:
        if not payload:
            continue
        segments = streams.setdefault((int(stream), int(src)), {})
        segments.setdefault(int(seq), bytes.fromhex(payload))
    for key in sorted(streams):
        segments = streams[key]
        data = bytearray()
        first = min(segments)
        for seq in sorted(segments):
            offset = (seq - first) % (1 << 32)
            if offset > len(data):
                break  # a gap: the rest of the stream is not in the capture
            data += segments[seq][len(data) - offset:]
        i = 0
        while i + 2 <= len(data):
            n = data[i] << 8 | data[i + 1]
            yield bytes(data[i + 2:i + 2 + n])
            i += 2 + n


def main():
    captures = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_CAPTURES
    seen = set()
    lines = []
    for folder in ("tunnel", "edge"):
        for name in sorted(os.listdir(os.path.join(captures, folder))):
            path = os.path.join(captures, folder, name)
            found = []
            for message in list(udp_messages(path)) + list(tcp_messages(path)):
                if message and message not in seen and len(found) < MAX_PER_CAPTURE:
                    seen.add(message)
                    found.append(message.hex())
            if found:
                lines.append(f"# {folder}/{name}: {len(found)}")
                lines.extend(found)
    with open(os.path.join(HERE, "dns-corpus.hex"), "w") as out:
        out.write("\n".join(lines) + "\n")
    print(f"{len(seen)} messages", file=sys.stderr)


if __name__ == "__main__":
    main()
