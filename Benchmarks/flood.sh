#!/usr/bin/env bash
# Memory bound under a flood: 1,000,000 queries to distinct random registered domains with a real
# iodine tunnel interleaved; prints the replay's peak RSS and whether the tunnel was still caught.
#   bash Benchmarks/flood.sh [DOMAINS]     (default 1000000; CI smoke uses 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
domains=${1:-1000000}
tunnel=../shared/captures/tunnel/ndpi_dns-tunnel-iodine.pcap
[[ -f $tunnel ]] || { echo "flood.sh needs $tunnel" >&2; exit 1; }
swift build -c release --product airlock >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 Benchmarks/make-flood-capture.py --domains "$domains" --tunnel "$tunnel" --out "$work/flood.pcap"
/usr/bin/time -f "%M %e" -o "$work/time" .build/release/airlock replay --summary "$work/flood.pcap" > "$work/summary.json"
read -r rss secs < "$work/time"
python3 - "$work/summary.json" "$rss" "$secs" "$domains" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); rss_mb = int(sys.argv[2]) / 1024
tunnel = [f for f in s["flagged"] if f["domain"] == "pirate.sea" and f["verdict"] == "tunnel"]
print(f"flood: {sys.argv[4]} distinct registered domains, {s['queries']} queries in {sys.argv[3]} s")
print(f"peak RSS: {rss_mb:.0f} MB (documented bound: 256 MB)")
print(f"tunnel pirate.sea caught during the flood: {'yes, after %d queries' % tunnel[0]['queries_before_alert'] if tunnel else 'NO'}")
print(f"other flagged entries: {len(s['flagged']) - len(tunnel)}")
sys.exit(0 if tunnel and rss_mb < 256 else 1)
PY
