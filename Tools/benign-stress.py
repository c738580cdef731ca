#!/usr/bin/env python3
"""Benign traffic that looks busy: many distinct names per domain, odd endpoint ids, search-list
expansion, polling. Writes one pcap per scenario, replays each with `airlock replay --summary` and
prints what was flagged. Exits 1 when a scenario that must stay quiet was flagged.

    python3 Tools/benign-stress.py [--airlock .build/release/airlock] [--keep DIR]

The names follow the shapes real services use (Akamai `e1234.dscb`, Google video caches
`rr3---sn-…`, CloudFront `d<13>`, EC2 `ec2-1-2-3-4.compute-1`, S3 buckets, numbered shards, search
suffixes, Kubernetes `ndots`); they are generated, not captured, so they measure the general shape,
not any one site. Scenarios marked `known limit` are printed but do not fail the run: they are the
cases README.md lists as what the engine still convicts (odd endpoint ids asked for with type A only;
hundreds of distinct readable hosts of one domain from one client within minutes).
Every address is in 198.18.0.0/15; nothing is sent anywhere.
"""
import argparse
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapframes import PCAP_HEADER, record, udp_frame, wire_name  # noqa: E402

WORDS = """www mail api static cdn img login auth account accounts app apps portal admin dev stage test
docs help support status shop store blog news media video images assets files download uploads m mobile
search maps cloud data edge gateway proxy vpn remote secure sso id payments billing checkout cart
analytics metrics events logs tracking ads pixel tags beacon push notify chat calendar drive photos
music tv live stream play games community forum wiki dashboard console manage config update updates
sync backup archive storage share public private internal corp office intranet hr jobs careers
partners developer developers sandbox demo beta alpha preview staging prod production east west north
south eu us asia global""".split()
B36 = "abcdefghijklmnopqrstuvwxyz0123456789"


class Capture:
    """Queries and answers, in time order, from clients 198.18.1.x to a resolver at 198.18.0.53."""

    def __init__(self, rng):
        self.rng = rng
        self.packets = []

    def exchange(self, time, client, name, qtype, rcode=0, answer=None):
        qid = self.rng.randrange(65536)
        sport = self.rng.randrange(1024, 65535)
        question = wire_name(name) + struct.pack("!HH", qtype, 1)
        query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + question
        records = b""
        if answer is not None and rcode == 0:
            rtype, rdata = answer
            records = b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, 60, len(rdata)) + rdata
        reply = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, 1 if records else 0, 0, 0) + question + records
        address = [198, 18, 1, client]
        self.packets.append((time, udp_frame(address, [198, 18, 0, 53], sport, 53, query)))
        self.packets.append((time + 0.005, udp_frame([198, 18, 0, 53], address, 53, sport, reply)))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(PCAP_HEADER)
            for time, frame in sorted(self.packets, key=lambda p: p[0]):
                f.write(record(int(time), int((time - int(time)) * 1e6), frame))


A, AAAA, TXT = 1, 28, 16
ADDRESS = (A, bytes([198, 18, 9, 9]))


def spread(capture, names, seconds, clients, types=(A, AAAA), rcode=0, answer=ADDRESS):
    """Each name resolved by one of `clients` clients, for each type in turn, over `seconds`."""
    start = 1_700_000_000.0
    for i, name in enumerate(names):
        for j, qtype in enumerate(types):
            t = start + seconds * i / max(1, len(names)) + 0.01 * j
            capture.exchange(t, 1 + i % clients, name, qtype, rcode, answer if qtype == A else None)


def scenarios(rng):
    def rs(alphabet, n):
        return "".join(rng.choice(alphabet) for _ in range(n))

    out = []  # (name, description, must stay quiet, builder)
    out.append(("akamai", "800 Akamai edge names, 20 clients", True, lambda c: spread(
        c, [f"e{rng.randrange(1, 99999)}.{rng.choice(['dsca', 'dscb', 'dscx', 'a', 'b'])}.akamaiedge.net"
            for _ in range(800)], 300, 20)))
    out.append(("googlevideo", "400 video cache names, 20 clients, A+AAAA", True, lambda c: spread(
        c, [f"rr{rng.randrange(1, 20)}---sn-{rs(B36, 8)}.googlevideo.com" for _ in range(400)], 300, 20)))
    out.append(("googlevideo-a-only", "the same, type A only", False, lambda c: spread(
        c, [f"rr{rng.randrange(1, 20)}---sn-{rs(B36, 8)}.googlevideo.com" for _ in range(400)], 300, 20,
        types=(A,))))
    out.append(("cloudfront", "400 CloudFront distributions, 20 clients", True, lambda c: spread(
        c, [f"d{rs(B36, 13)}.cloudfront.net" for _ in range(400)], 300, 20)))
    out.append(("ec2", "400 EC2 public names, 20 clients", True, lambda c: spread(
        c, [f"ec2-{rng.randrange(3, 99)}-{rng.randrange(256)}-{rng.randrange(256)}-{rng.randrange(256)}"
            ".compute-1.amazonaws.com" for _ in range(400)], 300, 20)))
    out.append(("s3", "400 S3 buckets, one client", True, lambda c: spread(
        c, [f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{rng.randrange(100, 9999)}.s3.us-east-1.amazonaws.com"
            for _ in range(400)], 300, 1)))
    out.append(("shards", "600 numbered shards, one client", True, lambda c: spread(
        c, [f"host{i:04d}.cdn.example-shards.com" for i in range(600)], 300, 1)))
    out.append(("intranet", "600 readable intranet hosts from one client in 5 min (a scanner)", False, lambda c: spread(
        c, [f"{rng.choice(WORDS)}-{rng.randrange(1, 99)}.{rng.choice(WORDS)}.corp-intranet.com"
            for _ in range(600)], 300, 1)))
    out.append(("azurefd", "300 Front Door endpoints, 20 clients, A+AAAA", True, lambda c: spread(
        c, [f"{rng.choice(WORDS)}-{rs('abcdefgh0123456789', 16)}.z01.azurefd.net" for _ in range(300)], 300, 20)))
    out.append(("azurefd-a-only", "the same, type A only", False, lambda c: spread(
        c, [f"{rng.choice(WORDS)}-{rs('abcdefgh0123456789', 16)}.z01.azurefd.net" for _ in range(300)], 300, 20,
        types=(A,))))
    hosts = [f"{p}.{w}.com" for w in WORDS[:50] for p in ("www", "api", "static")]
    out.append(("search-suffix", "150 hosts with a corporate search suffix, NXDOMAIN, one client", True,
                lambda c: spread(c, [h + ".corp.example.com" for h in hosts], 300, 1, rcode=3)))
    out.append(("k8s-ndots", "100 hosts through Kubernetes search paths, NXDOMAIN, one client", True,
                lambda c: spread(c, [h + s for h in hosts[:100] for s in (
                    ".default.svc.cluster.local", ".svc.cluster.local", ".cluster.local")], 300, 1, rcode=3)))

    def spf(c):
        names = [f"{n}.mail-provider.example" for n in ("_spf", "_netblocks", "_netblocks2", "_netblocks3")]
        text = b"\xff" + b"v=spf1 ip4:198.18.0.0/15 " * 10
        spread(c, names * 50, 300, 1, types=(TXT,), answer=(TXT, text[:256]))

    out.append(("spf-polling", "a mail server without a cache: 4 SPF TXT names, 50 times each", True, spf))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--airlock", default=".build/release/airlock")
    parser.add_argument("--keep", help="write the pcaps here and keep them")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = args.keep or tempfile.mkdtemp(prefix="airlock-benign-stress.")
    os.makedirs(work, exist_ok=True)
    failed = 0
    print(f"{'scenario':20} {'queries':>8}  {'result':40} description")
    for name, description, must_be_quiet, build in scenarios(rng):
        capture = Capture(rng)
        build(capture)
        path = os.path.join(work, name + ".pcap")
        capture.write(path)
        out = subprocess.run([args.airlock, "replay", "--summary", path], capture_output=True, text=True, check=True)
        summary = json.loads(out.stdout)
        flagged = [f"{f['verdict']} {f['domain']} after {f['queries_before_alert']}" for f in summary["flagged"]]
        result = "; ".join(flagged) or "quiet"
        if flagged and must_be_quiet:
            failed += 1
            result += "  <- FALSE POSITIVE"
        elif flagged:
            result += "  (known limit)"
        print(f"{name:20} {summary['queries']:>8}  {result:40} {description}")
    if not args.keep:
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)
    print(f"{failed} scenario(s) that must stay quiet were flagged")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
