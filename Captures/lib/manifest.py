#!/usr/bin/env python3
"""Builds Captures/manifest.json (schema in Captures/README.md).

  manifest.py entry --out META.json [--set key=value]... [--json key=JSON]... [--cmd "command line"]...
      Writes the description of one capture as generate.sh knows it (tool, commands, domain, ...).
  manifest.py write --meta-dir DIR --captures DIR --out manifest.json --json key=JSON...
      Adds what the file itself shows (counts via tshark, size, SHA-256) and writes the manifest.
  manifest.py refresh --captures DIR --out manifest.json
      Recomputes those measured fields in an existing manifest.
"""
import argparse, datetime, glob, hashlib, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inspect_pcap  # noqa: E402
import names  # noqa: E402

FIELD_ORDER = ["file", "verdict", "tunnel_domain", "tunnel_zone", "tool", "tool_version", "record_type",
               "downstream_codec", "upstream_codec", "path", "client", "server", "tunnel_up", "data",
               "queries", "responses", "stats", "commands", "notes", "bytes", "sha256", "generated"]


def parse_kv(items, as_json):
    out = {}
    for it in items or []:
        k, _, v = it.partition("=")
        out[k] = json.loads(v) if as_json else v
    return out


def entry(a):
    e = {}
    e.update(parse_kv(a.set, False))
    e.update(parse_kv(a.json, True))
    e["commands"] = a.cmd or []
    with open(a.out, "w") as f:
        json.dump(e, f, indent=1)


def measured(e, captures_dir):
    """Adds what the file itself shows to entry e (counts, stats, size, hash) and checks it."""
    pcap = os.path.join(captures_dir, e["file"])
    st = inspect_pcap.stats(pcap, e.get("tunnel_zone"))
    e["queries"] = st["queries"]
    e["responses"] = st["responses"]
    e["stats"] = st
    e["bytes"] = os.path.getsize(pcap)
    with open(pcap, "rb") as f:
        e["sha256"] = hashlib.sha256(f.read()).hexdigest()
    e.pop("registered_domains", None)  # schema 1 drafts carried the zone count here
    if e["verdict"] == "tunnel":
        # The tunnel domain must be what a PSL lookup of the tunnel zone gives.
        assert names.registered_domain(e["tunnel_zone"]) == e["tunnel_domain"], e
        assert st["queries_under_tunnel_zone"] > 0, e["file"]
    ordered = {k: e[k] for k in FIELD_ORDER if k in e}
    ordered.update({k: v for k, v in e.items() if k not in ordered})
    return ordered


def refresh(a):
    """Recomputes the measured fields of an existing manifest (after a change to the stats code)."""
    with open(a.out) as f:
        doc = json.load(f)
    doc["captures"] = [measured(e, a.captures) for e in doc["captures"]]
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"manifest refreshed: {len(doc['captures'])} captures")


def write(a):
    entries = []
    for path in sorted(glob.glob(os.path.join(a.meta_dir, "*.json"))):
        with open(path) as f:
            entries.append(measured(json.load(f), a.captures))
    doc = {
        "schema_version": 1,
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generator": "Captures/generate.sh",
    }
    doc.update(parse_kv(a.json, True))
    doc["captures"] = entries
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"manifest: {len(entries)} captures")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="action", required=True)
    e = sub.add_parser("entry")
    e.add_argument("--out", required=True)
    e.add_argument("--set", action="append")
    e.add_argument("--json", action="append")
    e.add_argument("--cmd", action="append")
    w = sub.add_parser("write")
    w.add_argument("--meta-dir", required=True)
    w.add_argument("--captures", required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--json", action="append")
    r = sub.add_parser("refresh")
    r.add_argument("--captures", required=True)
    r.add_argument("--out", required=True)
    a = ap.parse_args()
    {"entry": entry, "write": write, "refresh": refresh}[a.action](a)


if __name__ == "__main__":
    main()
