#!/usr/bin/env bash
# HTML report benchmark: `airlock report` on a capture of >= 1,000,000 real packets (a tunnel inside
# browsing, repeated and shifted in time). Prints the time, the page's size and its element count,
# and fails if the page grows with the capture (elements per query would): the same capture at
# 1/20 of the size must give the same number of elements, give or take the rows of bounded tables.
#   bash Benchmarks/report.sh           # 1.2M packets, release build
#   bash Benchmarks/report.sh --smoke   # CI: 60k packets
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0; [[ "${1:-}" == "--smoke" ]] && smoke=1
swift build -c release --product airlock >/dev/null
bin=.build/release/airlock
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
target=1200000; ((smoke)) && target=60000
inputs=(Captures/mixed/mixed-iodine-txt-browsing.pcap Captures/benign/benign-stub-resolver.pcap)
python3 Benchmarks/make-big-capture.py --packets $target --out "$work/big.pcap" "${inputs[@]}" >/dev/null
python3 Benchmarks/make-big-capture.py --packets $((target / 20)) --out "$work/small.pcap" "${inputs[@]}" >/dev/null
elements() { grep -o '<[a-zA-Z]' "$1" | wc -l; }
start=$(date +%s.%N)
"$bin" report -o "$work/big.html" "$work/big.pcap" 2>/dev/null
end=$(date +%s.%N)
"$bin" report -o "$work/small.html" "$work/small.pcap" 2>/dev/null
packets=$("$bin" replay --summary "$work/big.pcap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])')
big=$(elements "$work/big.html"); small=$(elements "$work/small.html")
printf "report of %s packets: %.2f s, %s KB, %s elements (%s for 1/20 of the capture)\n" \
  "$packets" "$(echo "$end - $start" | bc -l)" "$(( $(stat -c %s "$work/big.html") / 1024 ))" "$big" "$small"
# Bounded tables (clients, domains) may fill up a little more with more traffic; queries add nothing.
if (( big > small + 200 )); then echo "FAIL: the page grows with the capture" >&2; exit 1; fi
