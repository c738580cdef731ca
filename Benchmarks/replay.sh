#!/usr/bin/env bash
# Replay benchmark: packets/s of `airlock replay` beside the raw libpcap read (`tcpdump -r F -w /dev/null`)
# and tshark extracting query names, on one capture of >= 1,000,000 real packets, in one run.
#   bash Benchmarks/replay.sh            # full run (1.2M packets, tshark included: a minute or two)
#   bash Benchmarks/replay.sh --smoke    # CI smoke: 50k packets, tshark skipped
#   bash Benchmarks/replay.sh --profile  # also `perf record -g` one replay and write where the time goes
#                                          to Benchmarks/out/replay-profile.txt (Benchmarks/perf-report.py)
# The machine's load average is printed before and after: on a shared 2-core machine read the ratios
# (both readers in the same run), not the absolute times. The host's speed drifts by up to 2x within
# minutes, so the raw read and airlock run in interleaved pairs and the ratio printed is the median of
# the pairs' ratios (each pair ran at the same speed), beside the ratio of the best times.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0; profile=0
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=1 ;;
    --profile) profile=1 ;;
    *) echo "usage: $0 [--smoke] [--profile]" >&2; exit 64 ;;
  esac
done
AIRLOCK_BENCH=1 bash Deploy/install-deps.sh
swift build -c release --product airlock >/dev/null
bin=.build/release/airlock
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
inputs=()
for f in Captures/*/*.pcap ../shared/captures/*/*.pcap ../shared/captures/*/*.pcapng; do
  [[ -f $f ]] || continue
  out="$work/$(basename "$f").pcap"
  editcap -F pcap "$f" "$out" 2>/dev/null && inputs+=("$out")
done
target=1200000; ((smoke)) && target=50000
python3 Benchmarks/make-big-capture.py --packets $target --out "$work/big.pcap" "${inputs[@]}"
size=$(stat -c %s "$work/big.pcap")
packets=$(capinfos -c -M "$work/big.pcap" | awk '/Number of packets/ {print $NF}')
echo "capture: $packets packets, $((size / 1048576)) MB"

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
pairs=5; ((smoke)) && pairs=2
raws=(); airs=(); ratios=()
for ((i = 0; i < pairs; i++)); do
  r=$(seconds tcpdump -r "$work/big.pcap" -w /dev/null)
  a=$(seconds "$bin" replay --summary "$work/big.pcap")
  raws+=("$r"); airs+=("$a"); ratios+=("$(echo "$a / $r" | bc -l)")
done
smallest() { printf "%s\n" "$@" | sort -g | head -1; }
median() { printf "%s\n" "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
raw=$(smallest "${raws[@]}")
air=$(smallest "${airs[@]}")
"$bin" replay --summary "$work/big.pcap" > "$work/summary.json"
if ((smoke)); then tsh=""; else tsh=$(seconds tshark -r "$work/big.pcap" -T fields -e dns.qry.name); fi
read -r rss cpu < <( { /usr/bin/time -f "%M %U %S" "$bin" replay --summary "$work/big.pcap" >/dev/null; } 2>&1 \
  | tail -1 | awk '{printf "%d %.3f\n", $1, $2 + $3}')

pps() { echo "$packets / $1" | bc -l | xargs printf "%.0f"; }
printf "%-34s %10s %14s\n" "reader (best of $pairs)" "seconds" "packets/s"
printf "%-34s %10.3f %14s\n" "tcpdump -r F -w /dev/null (raw)" "$raw" "$(pps "$raw")"
printf "%-34s %10.3f %14s\n" "airlock replay --summary F" "$air" "$(pps "$air")"
[[ -n "$tsh" ]] && printf "%-34s %10.3f %14s\n" "tshark -T fields -e dns.qry.name" "$tsh" "$(pps "$tsh")"
printf "airlock / raw read time: %.2fx (median of %d interleaved pairs: %s); best times' ratio %.2fx\n" \
  "$(median "${ratios[@]}")" "$pairs" "$(printf "%.2f " "${ratios[@]}" | sed 's/ $//')" "$(echo "$air / $raw" | bc -l)"
[[ -n "$tsh" ]] && printf "tshark / airlock time: %.1fx\n" "$(echo "$tsh / $air" | bc -l)"
echo "airlock peak RSS: $((rss / 1024)) MB, CPU (user+sys) $cpu s"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"airlock: {s['dns_messages']} DNS messages, {s['malformed']} malformed, {len(s['flagged'])} flagged domain entries")
PY
if ((profile)); then
  command -v perf >/dev/null || { echo "replay.sh: --profile needs perf (apt-get install linux-perf)" >&2; exit 1; }
  mkdir -p Benchmarks/out
  perf record -g -o "$work/perf.data" "$bin" replay --summary "$work/big.pcap" >/dev/null 2>"$work/perf.log"
  python3 Benchmarks/perf-report.py "$work/perf.data" --top 60 > Benchmarks/out/replay-profile.txt
  echo "profile: Benchmarks/out/replay-profile.txt"
  sed -n '1,25p' Benchmarks/out/replay-profile.txt
fi
