#!/usr/bin/env python3
"""Builds the seed corpora of the libFuzzer harnesses (Tools/fuzz/harnesses/) into one folder per harness.

    python3 Tools/fuzz/make-seeds.py OUTDIR [CAPTURES-DIR...]

Everything comes from files the repository commits or the public captures beside it, so the corpora
are generated, never committed:
  - DNS messages: Tests/AirlockDNSWireTests/Fixtures/dns-corpus.hex (every message of the public
    captures, extracted by make-dns-corpus.py).
  - TLS ClientHellos: the hex hellos in Tests/AirlockTLSWireTests/*.swift (real ones from the captures and
    OpenSSL's, one of them split over two records).
  - Policies: Tests/AirlockPolicyTests/testdata/{good,broken}/ and Deploy/policy.example.yaml.
  - HTTP: request and response heads and chunked bodies written here (forms, framings, hop-by-hop
    fields, HTTP/1.0).
  - Packets: every pcap/pcapng under the capture folders (default ../shared/captures and Captures/),
    one seed per distinct packet and one per run of consecutive packets, prefixed by the harness's
    link-type selector; plus packets built here around the DNS corpus (Ethernet, SLL, SLL2, loopback,
    raw, UDP and TCP, IPv4 and IPv6, fragments), so the packet harnesses get seeds even where the
    captures are absent (CI).
The input formats are the harnesses' own; each is described at the top of its harness file.
"""
import hashlib
import os
import re
import struct
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# LinkType.supported in Sources/AirlockPackets/LinkLayer.swift: the selector byte indexes this list.
LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]
PACKETS_PER_CAPTURE = 150
RUNS_PER_CAPTURE = 30
RUN_LENGTH = 8


def write(outdir, harness, data):
    folder = os.path.join(outdir, harness)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def dns_corpus():
    """(capture, message) pairs in file order."""
    path = os.path.join(ROOT, "Tests", "AirlockDNSWireTests", "Fixtures", "dns-corpus.hex")
    out, source = [], "?"
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("#"):
                source = line[1:].split(":")[0].strip()
            elif line:
                out.append((source, bytes.fromhex(line)))
    return out


def tls_hellos():
    hellos = set()
    folder = os.path.join(ROOT, "Tests", "AirlockTLSWireTests")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".swift"):
            with open(os.path.join(folder, name)) as f:
                for match in re.finditer(r'"(16030[0-4][0-9a-f]{10,})"', f.read()):
                    hellos.add(bytes.fromhex(match.group(1)))
    return sorted(hellos)


def read_capture(path):
    """(link type, timestamp in ns, bytes) for every record of a pcap or pcapng file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = "<" if magic[0] in (0xD4, 0x4D) else ">"
        nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        link = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
        records, pos = [], 24
        while pos + 16 <= len(data):
            sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
            pos += 16
            if caplen > len(data) - pos:
                break
            records.append((link, sec * 10**9 + frac * (1 if nano else 1000), data[pos:pos + caplen]))
            pos += caplen
        return records
    if magic == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(data)
    return []


def read_pcapng(data):
    records, pos, endian, links = [], 0, "<", []
    while pos + 12 <= len(data):
        block_type = struct.unpack(endian + "I", data[pos:pos + 4])[0]
        if block_type == 0x0A0D0D0A:
            endian = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        length = struct.unpack(endian + "I", data[pos + 4:pos + 8])[0]
        if length < 12 or pos + length > len(data):
            break
        body = data[pos + 8:pos + length - 4]
        if block_type == 1 and len(body) >= 8:
            links.append(struct.unpack(endian + "H", body[:2])[0])
        elif block_type == 6 and len(body) >= 20:
            interface, high, low, caplen, _ = struct.unpack(endian + "IIIII", body[:20])
            if interface < len(links):
                records.append((links[interface], ((high << 32) | low) * 1000, body[20:20 + caplen]))
        elif block_type == 3 and len(body) >= 4 and links:
            records.append((links[0], 0, body[4:]))
        pos += length
    return records


def time_delta_byte(nanoseconds):
    """The harnesses' time step: byte v advances v ms below 128, (v - 127)^3 ms from 128 on."""
    ms = max(0, nanoseconds // 10**6)
    if ms < 128:
        return ms
    v = 128
    while v < 255 and (v - 127) ** 3 < ms:
        v += 1
    return v


def packet_run(link, records):
    """A packet_stream input: link selector, configuration byte, then [time step][length][packet]..."""
    out = bytearray([LINK_TYPES.index(link), 0])
    previous = records[0][1]
    for _, time, packet in records:
        out.append(time_delta_byte(time - previous))
        previous = time
        out += struct.pack(">H", min(len(packet), 0xFFFF)) + packet[:0xFFFF]
    return bytes(out)


# Packets built around DNS messages, for when no capture is at hand.

def ipv4(payload, protocol, source=b"\xc6\x12\x00\x02", destination=b"\xc6\x12\x00\x35", ident=0x1234,
         more=False, offset=0):
    header = struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(payload), ident, (0x2000 if more else 0) | offset // 8,
                         64, protocol, 0)
    return header + source + destination + payload


def ipv6(payload, next_header, extension=b""):
    source = bytes.fromhex("20010db8000000000000000000000002")
    destination = bytes.fromhex("20010db8000000000000000000000053")
    first = 44 if extension else next_header
    return struct.pack(">IHBB", 0x60000000, len(extension) + len(payload), first, 64) + source + destination \
        + extension + payload


def udp(payload, sport=40000, dport=53):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(payload, seq, ack, flags, sport=40000, dport=53):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 65535, 0, 0) + payload


def link_frames(ip_packet, version):
    """The same IP packet under every link layer: (link type, frame)."""
    ether = 0x0800 if version == 4 else 0x86DD
    family = 2 if version == 4 else 10
    return [
        (1, b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b" + struct.pack(">H", ether) + ip_packet),
        (1, b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b" + struct.pack(">HHH", 0x8100, 100, ether) + ip_packet),
        (113, struct.pack(">HHH", 0, 1, 6) + b"\x00" * 8 + struct.pack(">H", ether) + ip_packet),
        (276, struct.pack(">HHIHBB", ether, 0, 2, 1, 0, 6) + b"\x00" * 8 + ip_packet),
        (0, struct.pack("<I", family) + ip_packet),
        (108, struct.pack(">I", family) + ip_packet),
        (12, ip_packet),
        (228 if version == 4 else 229, ip_packet),
    ]


def built_packets(messages):
    """Single packets and packet runs around DNS messages: UDP, TCP (split), fragments."""
    singles, runs = [], []
    for index, message in enumerate(messages):
        v4 = ipv4(udp(message), 17)
        v6 = ipv6(udp(message), 17)
        for link, frame in link_frames(v4, 4) + link_frames(v6, 6):
            singles.append((link, frame))
        framed = struct.pack(">H", len(message)) + message
        cut = max(1, len(framed) // 2)
        # A TCP DNS exchange with the query in two segments sent out of order.
        tcp_run = [
            ipv4(tcp(b"", 1000, 0, 0x02), 6),
            ipv4(tcp(b"", 5000, 1001, 0x12, 53, 40000), 6, b"\xc6\x12\x00\x35", b"\xc6\x12\x00\x02"),
            ipv4(tcp(framed[cut:], 1001 + cut, 5001, 0x18), 6),
            ipv4(tcp(framed[:cut], 1001, 5001, 0x18), 6),
            ipv4(tcp(b"", 1001 + len(framed), 5001, 0x11), 6),
        ]
        runs.append((12, [(12, i * 10**6, p) for i, p in enumerate(tcp_run)]))
        # The UDP datagram in IPv4 fragments, the last first.
        datagram = udp(message)
        if len(datagram) > 16:
            split = (len(datagram) // 2) // 8 * 8 or 8
            fragments = [ipv4(datagram[split:], 17, ident=index, offset=split),
                         ipv4(datagram[:split], 17, ident=index, more=True)]
            runs.append((1, [(1, i * 10**6, link_frames(p, 4)[0][1]) for i, p in enumerate(fragments)]))
            ext = lambda off, more: struct.pack(">BBHI", 17, 0, off | (1 if more else 0), index)
            v6fragments = [ipv6(datagram[:split], 17, ext(0, True)), ipv6(datagram[split:], 17, ext(split, False))]
            runs.append((229, [(229, i * 10**6, p) for i, p in enumerate(v6fragments)]))
    return singles, runs


def flow_ops(messages, hellos):
    """packet_flows inputs: conversations in the harness's operation encoding (see packet_flows.swift)."""
    def chunk(data):
        return struct.pack(">H", len(data)) + data

    def segment(op, flags, seq, ack, payload=b""):
        return bytes([op, flags]) + struct.pack(">HH", seq, ack) + chunk(payload)

    seeds = []
    for index, message in enumerate(messages):
        v6 = 0x20 if index % 2 else 0
        flow = (index % 4) << 3
        framed = struct.pack(">H", len(message)) + message
        cut = max(1, len(framed) // 3)
        handshake = segment(0 | v6 | flow, 0x02, 0, 0) + segment(1 | v6 | flow, 0x12, 0, 1) \
            + segment(0 | v6 | flow, 0x10, 1, 1)
        # DNS over TCP: in order, framed by the harness; then split and out of order, answered, closed.
        seeds.append(bytes([0]) + handshake + bytes([7 | v6 | flow, 0x18]) + struct.pack(">H", 1) + chunk(message))
        seeds.append(bytes([index % 64]) + handshake
                     + segment(0 | v6 | flow, 0x18, 1 + cut, 1, framed[cut:])
                     + segment(0 | v6 | flow, 0x18, 1, 1, framed[:cut])
                     + bytes([5, 20])
                     + segment(1 | v6 | flow, 0x18, 1, 1 + len(framed), framed)
                     + segment(0 | v6 | flow, 0x11, 1 + len(framed), 1 + len(framed))
                     + segment(1 | v6 | flow, 0x11, 1 + len(framed), 2 + len(framed)))
        # UDP query and answer, and the query in two fragments (last first).
        seeds.append(bytes([0]) + bytes([2 | v6 | flow]) + chunk(message) + bytes([3 | v6 | flow]) + chunk(message))
        datagram = struct.pack(">HHHH", 40000 + (index % 4), 53, 8 + len(message), 0) + message
        split = max(8, (len(datagram) // 2) // 8 * 8)
        seeds.append(bytes([0]) + bytes([4 | v6 | flow, index % 64]) + struct.pack(">H", split // 8)
                     + chunk(datagram[split:])
                     + bytes([4 | v6 | flow, 0x80 | (index % 64)]) + struct.pack(">H", 0) + chunk(datagram[:split]))
    for index, hello in enumerate(hellos):
        op = 0x40 | ((index % 4) << 3)
        cut = max(1, len(hello) // 2)
        seeds.append(bytes([0]) + segment(op, 0x02, 0, 0) + segment(op | 1, 0x12, 0, 1)
                     + segment(op, 0x18, 1 + cut, 1, hello[cut:]) + segment(op, 0x18, 1, 1, hello[:cut]))
    return seeds


def proxy_ops(corpus):
    """dns_proxy_core inputs (see dns_proxy_core.swift): a query from the corpus, then an answer the
    harness builds from the forwarded query, or a response of the corpus with the forwarded ID."""
    def chunk(data):
        return struct.pack(">H", len(data)) + data

    a_record = bytes.fromhex("c00c00010001000001000004c0000201")
    private = bytes.fromhex("c00c000100010000010000040a000001")
    queries = [m for _, m in corpus if len(m) > 12 and not m[2] & 0x80]
    responses = [m for _, m in corpus if len(m) > 12 and m[2] & 0x80]
    seeds = []
    for index, query in enumerate(queries[::3]):
        client = (index % 4) << 2 | (0x10 if index % 5 == 0 else 0) | (0x20 if index % 3 == 0 else 0)
        records = private if index % 7 == 0 else a_record
        seeds.append(bytes([index % 2, client]) + chunk(query) + bytes([0x05, 0, 1]) + chunk(records)
                     + bytes([client]) + chunk(query) + bytes([0x02, 140]))
        response = responses[index % len(responses)]
        seeds.append(bytes([0, client]) + chunk(query) + bytes([0x09]) + chunk(response) + bytes([0x02, 200, 0x03]))
    return seeds


HTTP_REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    b"GET http://pypi.org:8080/simple/?q=1 HTTP/1.1\r\nHost: pypi.org:8080\r\nUser-Agent: pip\r\n\r\n",
    b"CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\nProxy-Authorization: Bearer x\r\n\r\n",
    b"POST /upload HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /u HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive, x-drop\r\n"
    b"X-Drop: 1\r\nTE: trailers\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"GET /old HTTP/1.0\r\nHost: 198.18.0.10\r\nConnection: keep-alive\r\nProxy-Connection: keep-alive\r\n\r\n",
    b"\r\nOPTIONS * HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
]
HTTP_RESPONSES = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close, x-hop\r\nX-Hop: y\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
    b"HTTP/1.0 200\r\nServer: old\r\n\r\nbody until close",
    b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n",
]
HTTP_CHUNKED = [
    b"5\r\nhello\r\n0\r\n\r\n",
    b"a;name=value\r\n0123456789\r\n1\r\nx\r\n0\r\nTrailer-Field: t\r\n\r\nGET / HTTP/1.1\r\n",
    b"00000000000000F\r\n0123456789abcde\r\n0\r\n\r\n",
]


def http_seeds():
    """http_head inputs: [mode][bytes] (request), [1][method][bytes] (response), [2][split][bytes] (chunked)."""
    seeds = [bytes([0]) + r for r in HTTP_REQUESTS]
    seeds += [bytes([1, method]) + r for r in HTTP_RESPONSES for method in (0, 1)]
    seeds += [bytes([2, split]) + c for c in HTTP_CHUNKED for split in (3, 17)]
    return seeds


def connection_seeds(hellos):
    """http_proxy_connection inputs (see its harness): exchanges through one proxy connection."""
    def data(kind, payload):
        return bytes([kind]) + struct.pack(">H", len(payload)) + payload

    public, allowed = 0x01 | (1 << 3), 0x01
    get = b"GET http://api.example.com/v1/models?x=1 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: agent\r\n\r\n"
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    chunked_ok = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    post = b"POST http://api.example.com/upload HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 11\r\n\r\n"
    post_chunked = (b"POST http://198.18.50.5:8080/p HTTP/1.1\r\nHost: 198.18.50.5:8080\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n")
    seeds = [
        data(0, get) + bytes([public, 2]) + data(4, ok) + data(0, get) + bytes([public, 2]) + data(4, chunked_ok),
        data(0, get + get) + bytes([public, 2]) + data(4, ok + chunked_ok) + bytes([5]),
        data(0, post + b"hello") + bytes([public, 2]) + data(0, b" world") + data(4, ok),
        data(0, post_chunked) + bytes([allowed, 2]) + data(4, b"HTTP/1.1 100 Continue\r\n\r\n" + ok),
        data(0, b"GET http://evil.example.com/ HTTP/1.1\r\nHost: evil.example.com\r\n\r\n") + bytes([6]),
        data(0, get) + bytes([public, 3]) + bytes([7, 200]),
        data(0, b"HEAD http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\n\r\n") + bytes([public, 2])
        + data(4, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n") + bytes([7, 255]),
    ]
    def hello_for(sni):
        name = sni.encode()
        entry = b"\x00" + struct.pack(">H", len(name)) + name
        extensions = struct.pack(">HH", 0, len(entry) + 2) + struct.pack(">H", len(entry)) + entry
        extensions += struct.pack(">HH", 43, 3) + b"\x02\x03\x04"
        body = b"\x03\x03" + b"\x07" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
        body += struct.pack(">H", len(extensions)) + extensions
        handshake = b"\x01" + struct.pack(">I", len(body))[1:] + body
        return b"\x16\x03\x01" + struct.pack(">H", len(handshake)) + handshake

    for hello in [hello_for("files.example.org"), hello_for("cdn.files.example.org")] + hellos[:4]:
        connect = b"CONNECT files.example.org:443 HTTP/1.1\r\nHost: files.example.org:443\r\n\r\n"
        seeds.append(data(0, connect) + bytes([public]) + data(0, hello) + bytes([2]) + data(4, b"\x16\x03\x03\x00\x02ab"))
    return seeds


def token_seeds():
    """http_proxy_token inputs: [mode][text] (see its harness)."""
    tag = "00112233445566778899aabbccddeeff" * 2
    seeds = [b"\x00" + struct.pack(">I", 1700000100) + name for name in (b"agent-1", b"team.agent.v2", b"x")]
    for value in ("Bearer v1.agent-1.1700000100." + tag, "Basic " + "YWdlbnQtMTp2MS5hZ2VudC0xLjE3MDAwMDAxMDAu",
                  "bearer   v1.a.b.c.0." + tag, "Digest x"):
        seeds.append(b"\x01" + value.encode())
    return seeds


def alert_seeds():
    """alert_encoding inputs: [kind][action][score] then name, rule, sandbox and feature runs."""
    def run(data):
        return struct.pack(">H", len(data)) + data

    cases = [
        (b"data\x00tunnel\x00example", b"dns.tunnel", b"agent-1", b"name_entropy"),
        (b'q"uote\x00back\\slash\x00br]acket', b'rule "x"] [y', b"sand\nbox", b"feat\\ure"),
        (b"\xff\xfe\x80\x00\xe2\x80\xa8line\x00com", b"\x1b[31m", b"", b"\r\n"),
    ]
    return [bytes([i, i + 1, 90]) + b"".join(run(x) for x in case) for i, case in enumerate(cases)]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    capture_dirs = sys.argv[2:] or [os.path.join(ROOT, "..", "shared", "captures"), os.path.join(ROOT, "Captures")]

    corpus = dns_corpus()
    for _, message in corpus:
        write(outdir, "dns_wire", message)
        write(outdir, "dns_differential", message)
    # dns_pipeline: a configuration byte, then runs of consecutive messages of one capture (queries
    # then their responses), each as [control byte][length][message]. Control 0 sends from client to
    # server; 0x20 the other way, for responses; 0x40 also feeds back the proxy's own answer.
    for start in range(0, len(corpus), 4):
        group = [m for s, m in corpus[start:start + 6] if s == corpus[start][0]]
        for configuration, extra in ((0, 0), (1, 0x40)):
            records = b""
            for m in group:
                control = (0x20 if len(m) > 2 and m[2] & 0x80 else 0) | extra
                records += bytes([control]) + struct.pack(">H", len(m)) + m
            write(outdir, "dns_pipeline", bytes([configuration]) + records)

    for hello in tls_hellos():
        write(outdir, "tls_client_hello", hello)

    policy_files = [os.path.join(ROOT, "Deploy", "policy.example.yaml")]
    for sub in ("good", "broken"):
        folder = os.path.join(ROOT, "Tests", "AirlockPolicyTests", "testdata", sub)
        policy_files += [os.path.join(folder, n) for n in sorted(os.listdir(folder))]
    for path in policy_files:
        with open(path, "rb") as f:
            write(outdir, "policy_yaml", f.read())

    messages = [m for _, m in corpus[::7]]
    singles, runs = built_packets(messages)
    captured = 0
    for folder in capture_dirs:
        if not os.path.isdir(folder):
            continue
        for dirpath, _, names in sorted(os.walk(folder)):
            for name in sorted(names):
                if not name.endswith((".pcap", ".pcapng")):
                    continue
                records = [r for r in read_capture(os.path.join(dirpath, name)) if r[0] in LINK_TYPES]
                captured += len(records)
                seen = set()
                for link, _, packet in records:
                    if packet not in seen and len(seen) < PACKETS_PER_CAPTURE:
                        seen.add(packet)
                        singles.append((link, packet))
                for start in range(0, min(len(records), RUN_LENGTH * RUNS_PER_CAPTURE), RUN_LENGTH):
                    run = records[start:start + RUN_LENGTH]
                    if len({r[0] for r in run}) == 1:
                        runs.append((run[0][0], run))
    for link, packet in singles:
        write(outdir, "packet_decoder", bytes([LINK_TYPES.index(link)]) + packet)
    for link, run in runs:
        write(outdir, "packet_stream", packet_run(link, run))
    for seed in alert_seeds():
        write(outdir, "alert_encoding", seed)
    for seed in token_seeds():
        write(outdir, "http_proxy_token", seed)
    for seed in connection_seeds(tls_hellos()):
        write(outdir, "http_proxy_connection", seed)
    for seed in http_seeds():
        write(outdir, "http_head", seed)
    for seed in proxy_ops(corpus):
        write(outdir, "dns_proxy_core", seed)
    for seed in flow_ops([m for _, m in corpus[::11]], tls_hellos()):
        write(outdir, "packet_flows", seed)
    counts = {h: len(os.listdir(os.path.join(outdir, h))) for h in sorted(os.listdir(outdir))}
    print(f"seeds in {outdir}: {counts} ({captured} captured packets read)")


if __name__ == "__main__":
    main()
