#!/usr/bin/env bash
# Replay's cost in instructions per packet, counted by callgrind: deterministic whatever else runs on
# the machine (wall-clock figures on this shared 2-core machine move with its load), so a speed change
# can be judged on its own. Counts the benchmark capture's packets (Benchmarks/make-big-capture.py) at
# 5 and 10 rounds and prints the steady state, (10 rounds - 5 rounds) / the packets in between, per
# thread: the engine thread (the caller's) and the reader thread (capture, packets, DNS, events).
#   bash Benchmarks/replay-instructions.sh [--bin PATH]   # ~1 min under callgrind
#   bash Benchmarks/replay-instructions.sh --smoke        # CI smoke: 1 and 2 rounds
# valgrind 3.19 cannot read the DWARF 5 the Swift toolchain writes: a copy without debug info is run.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0; bin=""
while (($#)); do
  case "$1" in
    --smoke) smoke=1 ;;
    --bin) bin=$2; shift ;;
    *) echo "usage: $0 [--smoke] [--bin PATH]" >&2; exit 64 ;;
  esac
  shift
done
command -v valgrind >/dev/null || { echo "replay-instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
if [[ -z $bin ]]; then
  swift build -c release --product airlock >/dev/null
  bin=.build/release/airlock
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
strip --strip-debug -o "$work/airlock" "$bin"
inputs=()
for f in Captures/*/*.pcap ../shared/captures/*/*.pcap ../shared/captures/*/*.pcapng; do
  [[ -f $f ]] || continue
  out="$work/$(basename "$f").pcap"
  editcap -F pcap "$f" "$out" 2>/dev/null && inputs+=("$out")
done
rounds=(5 10); ((smoke)) && rounds=(1 2)
per_round=$(python3 Benchmarks/make-big-capture.py --packets 1 --out "$work/one.pcap" "${inputs[@]}" | sed -E 's/.*\(([0-9]+) per round.*/\1/')
declare -A engine reader
for r in "${rounds[@]}"; do
  python3 Benchmarks/make-big-capture.py --packets $((r * per_round)) --out "$work/r$r.pcap" "${inputs[@]}" >/dev/null
  SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --separate-threads=yes \
    --callgrind-out-file="$work/cg$r" "$work/airlock" replay --summary "$work/r$r.pcap" >/dev/null 2>&1
  engine[$r]=$(awk '/^summary:/ {print $2}' "$work/cg$r-01")
  reader[$r]=$(awk '/^summary:/ {print $2}' "$work/cg$r-02")
done
a=${rounds[0]}; b=${rounds[1]}; packets=$(((b - a) * per_round))
e=$(((engine[$b] - engine[$a]) / packets)); rd=$(((reader[$b] - reader[$a]) / packets))
echo "capture: $per_round packets a round; callgrind at $a and $b rounds"
printf "%-28s %12s\n" "steady state" "instr/packet"
printf "%-28s %12d\n" "engine thread" "$e" "reader thread" "$rd" "both" "$((e + rd))"
