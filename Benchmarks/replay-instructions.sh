#!/usr/bin/env bash
# Replay's cost in instructions per packet, counted by callgrind: deterministic whatever else runs on
# the machine (wall-clock figures on this shared 2-core machine move with its load), so a speed change
# can be judged on its own. Counts the benchmark capture's packets (Benchmarks/make-big-capture.py) at
# 5 and 10 rounds and prints the steady state, (10 rounds - 5 rounds) / the packets in between, per
# thread: the engine thread (the caller's) and the reader thread (capture, packets, DNS, events).
#   bash Benchmarks/replay-instructions.sh [--bin PATH]   # ~1 min under callgrind
#   bash Benchmarks/replay-instructions.sh --smoke        # CI smoke: 1 and 2 rounds
#   bash Benchmarks/replay-instructions.sh --cache        # also data-cache misses per packet, simulated by
#                                                         # callgrind (L1, and a 1 MB last level = this
#                                                         # machine's per-core L2; ~1 min): where replay waits
#                                                         # on memory, which instruction counts do not show
# Run it on a quiet machine: under valgrind the two threads' interleaving follows real time, and with
# other jobs running the counts moved (engine thread 3,870 -> 3,930 instructions, 5.9 -> 8.9 misses a
# packet for one binary); quiet, repeat runs agree within ~0.1 % (instructions) and ~2 % (misses).
# valgrind 3.19 cannot read the DWARF 5 the Swift toolchain writes: a copy without debug info is run.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0; bin=""; cache=0
while (($#)); do
  case "$1" in
    --smoke) smoke=1 ;;
    --cache) cache=1 ;;
    --bin) bin=$2; shift ;;
    *) echo "usage: $0 [--smoke] [--cache] [--bin PATH]" >&2; exit 64 ;;
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
simulate=()
((cache)) && simulate=(--cache-sim=yes --LL=1048576,16,64)
for r in "${rounds[@]}"; do
  python3 Benchmarks/make-big-capture.py --packets $((r * per_round)) --out "$work/r$r.pcap" "${inputs[@]}" >/dev/null
  SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --separate-threads=yes "${simulate[@]}" \
    --callgrind-out-file="$work/cg$r" "$work/airlock" replay --summary "$work/r$r.pcap" >/dev/null 2>&1
done
echo "capture: $per_round packets a round; callgrind at ${rounds[0]} and ${rounds[1]} rounds"
# Per thread (-01 the engine, the caller's; -02 the reader), the steady state of each event callgrind
# counted: (count at the larger capture - count at the smaller) / the packets in between.
python3 - "$work/cg" "${rounds[0]}" "${rounds[1]}" "$per_round" "$cache" <<'PY'
import sys
base, a, b, per_round, cache = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
def totals(path):
    events = None
    for line in open(path):
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("summary:"):
            return dict(zip(events, map(int, line.split()[1:])))
    sys.exit(f"replay-instructions.sh: no summary in {path}")
packets = (b - a) * per_round
rows = {}
for thread, name in (("01", "engine thread"), ("02", "reader thread")):
    low, high = totals(f"{base}{a}-{thread}"), totals(f"{base}{b}-{thread}")
    rows[name] = {k: (high[k] - low[k]) / packets for k in high}
rows["both"] = {k: rows["engine thread"][k] + rows["reader thread"][k] for k in rows["engine thread"]}
if cache:
    print(f"{'steady state, per packet':28s} {'instructions':>12s} {'L1d misses':>11s} {'1 MB misses':>12s}")
    for name, r in rows.items():
        print(f"{name:28s} {r['Ir']:12.0f} {r['D1mr'] + r['D1mw']:11.1f} {r['DLmr'] + r['DLmw']:12.2f}")
else:
    print(f"{'steady state':28s} {'instr/packet':>12s}")
    for name, r in rows.items():
        print(f"{name:28s} {r['Ir']:12.0f}")
PY
