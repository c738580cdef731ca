#!/usr/bin/env python3
"""The "internet" web server of the bypass lab: GET serves files from a directory, POST reports
how many bytes it received. Threaded so a slow client does not block the others."""
import http.server
import os
import socketserver
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                break
            remaining -= len(chunk)
        body = f"received {length - remaining}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    address, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.chdir(root)
    Server((address, port), Handler).serve_forever()
