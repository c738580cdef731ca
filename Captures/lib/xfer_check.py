#!/usr/bin/env python3
"""Compares the JSON lines of xfer.py client and server: did the bytes arrive intact both ways?

Prints {"client_to_server_bytes", "server_to_client_bytes", "verified"} for the manifest.
"""
import json, sys


def load(path):
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {}
    except OSError:
        return {}


c, s = load(sys.argv[1]), load(sys.argv[2])
up_ok = c.get("sent") is not None and c.get("sent") == s.get("received") and c.get("sent_sha256") == s.get("received_sha256")
down_ok = s.get("sent") is not None and s.get("sent") == c.get("received") and s.get("sent_sha256") == c.get("received_sha256")
print(json.dumps({
    "client_to_server_bytes": s.get("received", 0),
    "server_to_client_bytes": c.get("received", 0),
    "verified": bool(up_ok and down_ok),
    "transfer_seconds": c.get("seconds"),
}))
