#!/usr/bin/env bash
# Builds and runs the libFuzzer harnesses (Tools/fuzz/harnesses/), one after another.
#
#   Tools/fuzz/run.sh [HARNESS|all] [libFuzzer flags]   e.g. run.sh dns_wire -runs=10000000
#                                                         or  run.sh all -max_total_time=600
#   Tools/fuzz/run.sh --smoke                            every harness for AIRLOCK_FUZZ_SMOKE_RUNS
#                                                         executions (default 5000): the CI check
#   Tools/fuzz/run.sh --totals                           executions and crashes per harness so far
#
# Default flags: -runs=100000. Each harness starts from its grown corpus (.build/fuzz/corpus/NAME,
# kept between runs; the smoke uses a fresh one) plus the seeds make-seeds.py generates. Inputs that
# crash are written to .build/fuzz/crashes/NAME/; the output of each run is in .build/fuzz/logs/.
# Prints executions, executions per second and crashes per harness, appends them to
# .build/fuzz/runs.tsv (the running total the hardening report quotes), and exits 1 when a harness
# crashed. Runs under `nice`: the machines it runs on are shared.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ ${1:-} == --smoke ]]; then
    # A few thousand executions do not repay -O's compile time: -Onone, in a folder of its own.
    export AIRLOCK_FUZZ_OPT=${AIRLOCK_FUZZ_OPT:--Onone}
    OUT=${AIRLOCK_FUZZ_BUILD:-$PWD/.build/fuzz-smoke}
else
    OUT=${AIRLOCK_FUZZ_BUILD:-$PWD/.build/fuzz}
fi
export AIRLOCK_FUZZ_BUILD=$OUT

if [[ ${1:-} == --totals ]]; then
    # Executions and crashes per harness over every run recorded in runs.tsv.
    awk -F'\t' 'NR > 1 { runs[$2] += $3; secs[$2] += $4; crashes[$2] += $6 }
        END { printf "%-20s %14s %10s %8s\n", "harness", "executions", "seconds", "crashes"
              for (h in runs) printf "%-20s %14d %10.0f %8d\n", h, runs[h], secs[h], crashes[h] }' "$OUT/runs.tsv"
    exit 0
fi

smoke=0
if [[ ${1:-} == --smoke ]]; then
    smoke=1
    shift
fi
target=${1:-all}
(($# > 0)) && shift
flags=("$@")
if ((smoke)); then
    target=all
    flags=("-runs=${AIRLOCK_FUZZ_SMOKE_RUNS:-5000}")
elif ((${#flags[@]} == 0)); then
    flags=(-runs=100000)
fi

if [[ $target == all ]]; then
    mapfile -t harnesses < <(find Tools/fuzz/harnesses -maxdepth 1 -name '*.swift' -exec basename {} .swift \; | sort)
else
    harnesses=("$target")
fi

Tools/fuzz/build.sh "${harnesses[@]}"
# Seeds in a folder of this run's own, so two runs of different harnesses can go side by side.
mkdir -p "$OUT"
seeds=$(mktemp -d "$OUT/seeds.XXXXXX")
trap 'rm -rf "$seeds"' EXIT
python3 Tools/fuzz/make-seeds.py "$seeds" >&2

mkdir -p "$OUT/logs"
[[ -f $OUT/runs.tsv ]] || printf 'date\tharness\texecutions\tseconds\texec_per_s\tcrashes\tflags\n' >"$OUT/runs.tsv"
# Swift's crash backtracer would hold the fuzzer's output pipe open for 30 s per crash; libFuzzer and
# ASan print their own stack.
export SWIFT_BACKTRACE=enable=no
# No allocation stacks kept per malloc (a fifth of the engine harnesses' time went to unwinding and
# storing them). A finding is replayed with `ASAN_OPTIONS= .build/fuzz/bin/NAME FILE` for the stacks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0}
# libFuzzer's findings in a folder; slow-unit-* files (a unit over 10 s, e.g. while the machine paused
# the fuzzer) are left there for a look but not counted.
findings() { find "$1" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l; }
failed=0
printf '%-20s %12s %8s %10s %8s\n' harness executions seconds exec/s crashes
for harness in "${harnesses[@]}"; do
    corpus=$OUT/corpus/$harness
    ((smoke)) && corpus=$(mktemp -d "${TMPDIR:-/tmp}/airlock-fuzz-smoke.XXXXXX")
    crashes=$OUT/crashes/$harness
    mkdir -p "$corpus" "$crashes"
    log=$OUT/logs/$harness.log
    before=$(findings "$crashes")
    start=$(date +%s.%N)
    status=0
    # Inputs that once failed (Tools/fuzz/regressions/NAME) run first with the seeds, every time.
    inputs=("$corpus" "$seeds/$harness")
    [[ -d Tools/fuzz/regressions/$harness ]] && inputs+=("Tools/fuzz/regressions/$harness")
    nice -n 10 "$OUT/bin/$harness" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048 \
        -artifact_prefix="$crashes/" "${flags[@]}" "${inputs[@]}" >"$log" 2>&1 || status=$?
    seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    ((smoke)) && rm -rf "$corpus"
    executions=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
    # Over the whole run (seed loading included): libFuzzer's own figure rounds its seconds down.
    rate=$(awk -v n="${executions:-0}" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    new=$(($(findings "$crashes") - before))
    note=""
    # libFuzzer exits 72 when interrupted (SIGINT): the executions count, nothing crashed.
    if ((status == 72 && new == 0)); then
        note=" (interrupted)"
    elif ((status != 0 && new == 0)); then
        new=1  # died without writing an input (e.g. out of memory)
    fi
    printf '%-20s %12s %8s %10s %8s\n' "$harness" "${executions:-?}" "$seconds" "${rate:-?}" "$new"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$harness" "${executions:-0}" "$seconds" \
        "${rate:-0}" "$new" "${flags[*]}$note" >>"$OUT/runs.tsv"
    if ((new > 0)); then
        failed=1
        echo "  $harness crashed: see $log and $crashes/" >&2
        grep -m3 -E "invariant broken|Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer" "$log" | cut -c1-400 >&2 || true
    fi
done
exit $failed
