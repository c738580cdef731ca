#!/usr/bin/env python3
"""Replays every capture with a known verdict and prints the detection figures.

Expected verdicts come from Captures/manifest.json (captures this project generated with real tunnel
tools) and from ../shared/captures/README.md (public captures nobody here wrote), transcribed below.
Prints per capture the flagged domains and queries before alert, then: tunnel captures detected /
total, benign registered domains flagged, median queries before alert. Exit status 1 on any miss.
Usage: Tools/detection-report.py [--airlock PATH]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "captures")

# ../shared/captures/README.md: file → (expected verdict, domain or None)
SHARED_EXPECTED = {
    "tunnel/ndpi_dns-tunnel-iodine.pcap": ("tunnel", "pirate.sea"),
    "tunnel/ndpi_dns_exfiltration.pcap": ("tunnel", None),  # no registered domain: grouped by server
    "tunnel/ndpi_dns2tcp_tunnel.pcap": ("bypass", None),  # dns2tcp inside DoH to 1.1.1.1: no DNS names
    "tunnel/ndpi_dns-exf.pcap": ("suspicious-name", None),
    "tunnel/ndpi_dns_long_domainname.pcap": ("suspicious-name", None),
}


def replay(airlock, path):
    out = subprocess.run([airlock, "replay", "--summary", path], capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--airlock", default=os.path.join(ROOT, ".build", "release", "airlock"))
    args = ap.parse_args()
    cases = []
    manifest = os.path.join(ROOT, "Captures", "manifest.json")
    if os.path.exists(manifest):
        for e in json.load(open(manifest))["captures"]:
            cases.append((os.path.join(ROOT, "Captures", e["file"]), "Captures/" + e["file"], e["verdict"],
                          e.get("tunnel_domain")))
    if os.path.isdir(SHARED):
        for rel, (verdict, domain) in SHARED_EXPECTED.items():
            cases.append((os.path.join(SHARED, rel), "shared/" + rel, verdict, domain))
        for name in sorted(os.listdir(os.path.join(SHARED, "edge"))):
            cases.append((os.path.join(SHARED, "edge", name), "shared/edge/" + name, "benign", None))

    tunnels = detected = 0
    benign_flagged = []
    before = []
    misses = []
    print(f"{'capture':58} {'expected':16} {'flagged (verdict, queries before alert)'}")
    for path, label, verdict, domain in cases:
        s = replay(args.airlock, path)
        flagged = s["flagged"]
        shown = ", ".join(f"{f['domain']} ({f['verdict']}, {f['queries_before_alert']})" for f in flagged)
        if s["bypasses"]:
            shown += (", " if shown else "") + ", ".join(f"bypass {b['kind']} {b['destination']}" for b in s["bypasses"][:2])
        if verdict == "suspicious-name" and not flagged and s["suspicious_names"]:
            shown += ", ".join(f"suspicious name under {n['domain']} (score {n['score']}, no alert)" for n in s["suspicious_names"][:1])
        print(f"{label:58} {verdict:16} {shown or '-'}")
        if verdict == "tunnel":
            tunnels += 1
            hit = [f for f in flagged if f["verdict"] == "tunnel" and (domain is None or f["domain"] == domain)]
            if hit:
                detected += 1
                before.append(hit[0]["queries_before_alert"])
            else:
                misses.append(label)
            benign_flagged += [f"{label}: {f['domain']}" for f in flagged if f not in hit]
        elif verdict == "benign":
            benign_flagged += [f"{label}: {f['domain']}" for f in flagged]
        elif verdict == "suspicious-name":
            if not flagged and not s["suspicious_names"]:
                misses.append(label)
        elif verdict == "bypass":
            if not s["bypasses"]:
                misses.append(label)
    print()
    print(f"tunnel captures detected: {detected} / {tunnels}")
    print(f"benign registered domains flagged: {len(benign_flagged)}" + (f" ({'; '.join(benign_flagged)})" if benign_flagged else ""))
    if before:
        print(f"queries before alert: median {statistics.median(before)}, max {max(before)}")
    if misses:
        print("missed: " + "; ".join(misses))
    sys.exit(1 if misses or benign_flagged else 0)


if __name__ == "__main__":
    main()
