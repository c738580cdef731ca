#!/usr/bin/env python3
"""Bounded TCP transfer used to push real bytes through a tunnel under test.

server: accept ONE connection, read exactly --up bytes, answer --down random bytes, then exit.
client: connect, send --up random bytes, read --down bytes, then exit.
Both print one JSON line (bytes and SHA-256 each way) so generate.sh can check that
what went in one end came out of the other. Every socket call has a deadline.
"""
import argparse, hashlib, json, os, socket, sys, time


def recv_exact(sock, n, deadline):
    h = hashlib.sha256()
    got = 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(min(65536, n - got))
        except socket.timeout:
            break
        if not chunk:
            break
        h.update(chunk)
        got += len(chunk)
    return got, h.hexdigest()


def send_random(sock, n, deadline, chunk=4096):
    h = hashlib.sha256()
    sent = 0
    while sent < n:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        block = os.urandom(min(chunk, n - sent))
        try:
            sock.sendall(block)
        except (socket.timeout, OSError):
            break
        h.update(block)
        sent += len(block)
    return sent, h.hexdigest()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["server", "client"])
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--up", type=int, required=True, help="bytes client -> server")
    p.add_argument("--down", type=int, required=True, help="bytes server -> client")
    p.add_argument("--timeout", type=float, default=20.0, help="overall deadline, seconds")
    a = p.parse_args()
    deadline = time.monotonic() + a.timeout
    out = {"mode": a.mode}
    if a.mode == "server":
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((a.host, a.port))
        ls.listen(1)
        ls.settimeout(a.timeout)
        try:
            conn, peer = ls.accept()
        except socket.timeout:
            print(json.dumps({"mode": "server", "error": "no connection"}), flush=True)
            return 1
        out["peer"] = peer[0]
        out["received"], out["received_sha256"] = recv_exact(conn, a.up, deadline)
        out["sent"], out["sent_sha256"] = send_random(conn, a.down, deadline)
        out["seconds"] = round(a.timeout - (deadline - time.monotonic()), 2)
        print(json.dumps(out), flush=True)  # before the linger below, so a kill cannot lose it
        try:
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(max(0.1, min(3.0, deadline - time.monotonic())))
            conn.recv(1)
        except OSError:
            pass
        conn.close()
        ls.close()
        return 0
    else:
        s = socket.create_connection((a.host, a.port), timeout=min(a.timeout, 10))
        out["sent"], out["sent_sha256"] = send_random(s, a.up, deadline)
        out["received"], out["received_sha256"] = recv_exact(s, a.down, deadline)
        s.close()
    out["seconds"] = round(a.timeout - (deadline - time.monotonic()), 2)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
