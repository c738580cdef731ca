#!/usr/bin/env python3
"""Test webhook receiver for Airlock's alert delivery tests (loopback only).

Accepts POSTs of a JSON array of alert records, appends one line per record to --out
(`<alert id> <kind> <phase> <sha256 of the record>`), flushed and fsynced before answering 200, so a record written there was
accepted. Exits by itself after --lifetime seconds so a forgotten receiver cannot linger.
With --tls-cert/--tls-key it speaks only HTTPS (a client that refuses the certificate is dropped
during the handshake, before any request reaches the handler).
"""
import argparse
import hashlib
import json
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


def record_id(record):
    if "finding_info" in record:
        return record["finding_info"]["uid"]
    if "alert" in record:  # Suricata EVE: the id is in the rule metadata
        return record["alert"].get("metadata", {}).get("airlock_alert_id", ["?"])[0]
    return record.get("unmapped", {}).get("airlock", {}).get("alert_id", "?")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--lifetime", type=float, default=120)
    parser.add_argument(
        "--ack-loss", type=int, default=0,
        help="record the first N batches but close the connection without answering (a lost acknowledgement)")
    parser.add_argument("--tls-cert", help="PEM certificate chain: serve HTTPS instead of HTTP")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    args = parser.parse_args()
    out = open(args.out, "a", buffering=1)
    unanswered = [args.ack_loss]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            try:
                records = json.loads(body)
                assert isinstance(records, list)
            except Exception:
                self.send_response(400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            for record in records:
                airlock = record.get("unmapped", {}).get("airlock", record.get("airlock", {}))
                digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
                out.write(f"{record_id(record)} {airlock.get('kind', '?')} {airlock.get('phase', '?')} {digest}\n")
            out.flush()
            os.fsync(out.fileno())
            if unanswered[0] > 0:
                unanswered[0] -= 1
                self.close_connection = True
                return
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
