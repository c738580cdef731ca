#!/usr/bin/env bash
# Cost of alerting on the DNS path: dnsperf queries per second through `airlock serve` with alerting
# off, then with alerting to a dead webhook (nothing listens; every alert is spooled and retried),
# in one run, same query mix, same duration. Loopback only; every process is stopped by its PID.
#
#   bash Benchmarks/alerting.sh --smoke              (CI: 2 s, one round, proves it runs)
#   bash Benchmarks/alerting.sh [SECONDS [ROUNDS]]   (default 10 s per run, 3 rounds; needs dnsperf:
#                                                     AIRLOCK_BENCH=1 bash Deploy/install-deps.sh)
#
# The two configurations alternate for ROUNDS rounds (a shared machine's load drifts; alternating
# spreads the drift over both) and the medians are printed last.
#
# Query mix (dnsperf loops over it): 9 of 10 queries are ordinary names from a set of 500 (answered
# by a loopback responder, then mostly from the proxy's cache); 1 of 10 is a fresh tunnel-shaped TXT
# name under pirate.sea, which the engine convicts within a few queries: from then on the domain is
# quarantined and every tunnel query is a decision that reaches the alert pipeline (folded into
# roll-ups), the worst steady case for alerting.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--smoke" ]]; then
  seconds=2 rounds=1
else
  seconds=${1:-10} rounds=${2:-3}
fi
[[ "$seconds" =~ ^[0-9]+$ && "$rounds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [--smoke | SECONDS [ROUNDS]]" >&2; exit 2; }
command -v dnsperf >/dev/null || { echo "dnsperf not installed (AIRLOCK_BENCH=1 bash Deploy/install-deps.sh)" >&2; exit 1; }
source Benchmarks/lib.sh
bin=$(airlock_binary release 2>/dev/null)
bench_setup alerting
upstream=$(free_port)
python3 Benchmarks/dns-responder.py --port "$upstream" --lifetime $((seconds * rounds * 3 + 120)) & pids+=($!)

python3 - "$work/queries.txt" <<'PY'
import random, sys
random.seed(7)
alphabet = "abcdefghijklmnopqrstuvwxyz234567"
with open(sys.argv[1], "w") as f:
    for i in range(50_000):
        if i % 10 == 9:
            label = "".join(random.choice(alphabet) for _ in range(40))
            f.write(f"{label}.pirate.sea TXT\n")
        else:
            f.write(f"host{random.randrange(500)}.example.com A\n")
PY
printf 'version: 1\n' >"$work/policy.yaml"
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')  # bound, then freed: nothing listens
cat >"$work/alerts.yaml" <<YAML
alerts:
  window_seconds: 60
  webhook: {url: "http://127.0.0.1:$dead/alerts", spool: "$work/spool", backoff_max_seconds: 5}
YAML

run() {
  local label=$1; shift
  local port; port=$(free_port)
  "$bin" serve --policy "$work/policy.yaml" --listen "127.0.0.1:$port" --upstream "127.0.0.1:$upstream" \
    --threads 1 "$@" 2>"$work/$label.err" & local pid=$!
  pids+=($pid)
  for _ in $(seq 50); do grep -qs listening "$work/$label.err" && break; sleep 0.1; done
  dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -l "$seconds" -c 8 -q 200 >"$work/$label.dnsperf" 2>&1 || true
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  local qps; qps=$(awk '/Queries per second/ {print $4}' "$work/$label.dnsperf")
  local lost; lost=$(awk '/Queries lost/ {print $3}' "$work/$label.dnsperf")
  printf '%-28s %12.0f qps   lost %s\n' "$label" "${qps:-0}" "${lost:-?}"
  echo "${qps:-0}" >>"$work/$label.qps"
}

median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "airlock serve, 1 worker thread, dnsperf -c 8 -q 200, ${seconds} s per run, ${rounds} rounds, $(nproc) CPUs"
for round in $(seq "$rounds"); do
  run "alerting off" --log-level none
  run "alerting to a dead webhook" --log-level none --alerts "$work/alerts.yaml"
done
off=$(median "$work/alerting off.qps")
dead=$(median "$work/alerting to a dead webhook.qps")
spooled=$(find "$work/spool" -name 'segment-*' -exec cat {} + 2>/dev/null | wc -c)
if ((spooled == 0)); then
  echo "alerting.sh: the dead-webhook runs spooled nothing: no alert reached the pipeline, the figures mean nothing" >&2
  exit 1
fi
printf 'median: alerting off %.0f qps, alerting to a dead webhook %.0f qps (%.1f%% of off); %s bytes spooled for the dead webhook\n' \
  "$off" "$dead" "$(awk -v a="$dead" -v b="$off" 'BEGIN {print (b > 0) ? 100 * a / b : 0}')" "$spooled"
