#!/usr/bin/env bash
# One digest per capture and output of `airlock replay` (--summary, --jsonl, the table; --dns-log,
# --alerts, --policy and --continuous over all captures), timings removed: run it before and after a
# change that should only make replay faster, and diff the two outputs (they must be identical).
#   bash Benchmarks/replay-digests.sh [--bin PATH] [--big] > before.txt   # --big: also the 1.2M-packet capture
#   bash Benchmarks/replay-digests.sh --smoke                             # CI smoke: the bundled captures
set -euo pipefail
cd "$(dirname "$0")/.."
big=0; smoke=0; bin=""
while (($#)); do
  case "$1" in
    --big) big=1 ;;
    --smoke) smoke=1 ;;
    --bin) bin=$2; shift ;;
    *) echo "usage: $0 [--smoke] [--big] [--bin PATH]" >&2; exit 64 ;;
  esac
  shift
done
if [[ -z $bin ]]; then
  swift build -c release --product airlock >/dev/null
  bin=.build/release/airlock
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
files=(Captures/*/*.pcap)
((smoke)) || for f in ../shared/captures/*/*.pcap ../shared/captures/*/*.pcapng; do [[ -f $f ]] && files+=("$f"); done
# The run's elapsed time (the table's footer, the summary's rate) is the only thing allowed to differ.
run() {
  "$@" 2>/dev/null | sed -E 's/ in [0-9.]+ s$//; s/"elapsed_seconds":[0-9.e+-]+,"packets_per_second":[0-9.e+-]+//g' \
    | sha256sum | cut -c1-16
}
for f in "${files[@]}"; do
  echo "$f summary $(run "$bin" replay --summary "$f")"
  echo "$f jsonl $(run "$bin" replay --jsonl "$f")"
  echo "$f table $(run "$bin" replay "$f")"
done
echo "continuous summary $(run "$bin" replay --continuous --summary "${files[@]}")"
echo "continuous jsonl $(run "$bin" replay --continuous --jsonl "${files[@]}")"
echo "policy jsonl $(run "$bin" replay --policy Deploy/policy.example.yaml --jsonl "${files[@]}")"
echo "dns-log $(run "$bin" replay --dns-log - "${files[@]}")"
"$bin" replay --summary --alerts "$work/alerts.jsonl" "${files[@]}" >/dev/null 2>&1 || true
echo "alerts $(sha256sum < "$work/alerts.jsonl" | cut -c1-16)"
if ((big)); then
  inputs=()
  for f in Captures/*/*.pcap ../shared/captures/*/*.pcap ../shared/captures/*/*.pcapng; do
    [[ -f $f ]] || continue
    out="$work/$(basename "$f").pcap"
    editcap -F pcap "$f" "$out" 2>/dev/null && inputs+=("$out")
  done
  python3 Benchmarks/make-big-capture.py --packets 1200000 --out "$work/big.pcap" "${inputs[@]}" >/dev/null
  for mode in --summary --jsonl; do echo "big ${mode#--} $(run "$bin" replay $mode "$work/big.pcap")"; done
  echo "big table $(run "$bin" replay "$work/big.pcap")"
fi
