#!/usr/bin/env bash
# Cost of fleet mode (issue #14): queries per server CPU-second through `airlock serve` with fleet mode
# off and on (a real redis-server on loopback, sync every 200 ms), in one run, same query mix, same
# duration; and the Redis commands per second the instance sends (Redis's own count,
# total_commands_processed, before and after), set against the query rate it served.
#
#   bash Benchmarks/fleet.sh --smoke              (CI: 2 s, one round, proves it runs)
#   bash Benchmarks/fleet.sh [SECONDS [ROUNDS]]   (default 10 s per run, 3 rounds; needs dnsperf:
#                                                 AIRLOCK_BENCH=1 bash Deploy/install-deps.sh)
#
# The configurations alternate for ROUNDS rounds (a shared machine's load drifts; alternating spreads
# the drift over both); medians are printed last.
#
# Query mix (dnsperf loops over it): 9 of 10 queries are ordinary names (host0-499 under 50 registered
# domains, mostly answered from the proxy's cache; a name asked again costs no budget), 1 of 10 a fresh
# 24-character label under one of 20 registered domains: the names a leak budget charges, so every
# round carries budget counts for the 20 domains. Redis's load
# follows the distinct domains charged per sync interval, not the query rate: one XREAD a round, and
# per domain charged in the round one INCRBY (plus a SET NX and a GET once per budget window).
# Loopback only; every process is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--smoke" ]]; then
  seconds=2 rounds=1
else
  seconds=${1:-10} rounds=${2:-3}
fi
[[ "$seconds" =~ ^[0-9]+$ && "$rounds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [--smoke | SECONDS [ROUNDS]]" >&2; exit 2; }
command -v dnsperf >/dev/null || { echo "dnsperf not installed (AIRLOCK_BENCH=1 bash Deploy/install-deps.sh)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server not installed (bash Deploy/install-deps.sh)" >&2; exit 1; }
source Benchmarks/lib.sh
bin=$(airlock_binary release 2>/dev/null)
bench_setup fleet
upstream=$(free_port)
python3 Benchmarks/dns-responder.py --port "$upstream" --lifetime $((seconds * rounds * 3 + 120)) & pids+=($!)
redis=$(free_port)
redis-server --port "$redis" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >"$work/redis.log" 2>&1 & pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis" PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done

python3 - "$work/queries.txt" <<'PY'
import random, sys
random.seed(14)
alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
with open(sys.argv[1], "w") as f:
    for i in range(100_000):
        if i % 10 == 9:
            label = "".join(random.choice(alphabet) for _ in range(24))
            f.write(f"{label}.upload{random.randrange(20)}-example.net A\n")
        else:
            f.write(f"host{random.randrange(500)}.site{random.randrange(50)}-example.com A\n")
PY
cat >"$work/off.yaml" <<YAML
version: 1
dns:
  leak_budget: {bytes: 16000000, window_seconds: 300}
YAML
cat "$work/off.yaml" >"$work/on.yaml"
cat >>"$work/on.yaml" <<YAML
fleet:
  redis: 127.0.0.1:$redis
  instance: bench
  leak_budget: {bytes: 1000000000, window_seconds: 300}
  sync_interval_ms: 200
YAML

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
redis_commands() { redis-cli -p "$redis" INFO stats | awk -F: '/^total_commands_processed/ {print $2+0}'; }
hz=$(getconf CLK_TCK)

run() {
  local label=$1 policy=$2
  local port; port=$(free_port)
  "$bin" serve --policy "$policy" --listen "127.0.0.1:$port" --upstream "127.0.0.1:$upstream" \
    --threads 1 --log-level none 2>"$work/$label.err" & local pid=$!
  pids+=($pid)
  for _ in $(seq 50); do grep -qs listening "$work/$label.err" && break; sleep 0.1; done
  sleep 0.5
  local before after commands_before commands_after
  before=$(cpu_ticks "$pid")
  commands_before=$(redis_commands)
  dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -l "$seconds" -c 8 -q 200 >"$work/$label.dnsperf" 2>&1 || true
  after=$(cpu_ticks "$pid")
  commands_after=$(redis_commands)
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  local qps queries lost
  qps=$(awk '/Queries per second/ {print $4}' "$work/$label.dnsperf")
  queries=$(awk '/Queries completed/ {print $3}' "$work/$label.dnsperf")
  lost=$(awk '/Queries lost/ {print $3}' "$work/$label.dnsperf")
  local per_cpu ops
  per_cpu=$(awk -v q="${queries:-0}" -v t=$((after - before)) -v hz="$hz" 'BEGIN {print (t > 0) ? q / (t / hz) : 0}')
  ops=$(awk -v c=$((commands_after - commands_before)) -v s="$seconds" 'BEGIN {print c / s}')
  printf '%-16s %10.0f qps %12.0f queries per CPU-s %9.1f Redis commands/s   lost %s\n' \
    "$label" "${qps:-0}" "$per_cpu" "$ops" "${lost:-?}"
  echo "$per_cpu" >>"$work/$label.cpu"
  echo "${qps:-0}" >>"$work/$label.qps"
  echo "$ops" >>"$work/$label.ops"
}

median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "airlock serve, 1 worker thread, --log-level none, dnsperf -c 8 -q 200, ${seconds} s per run, ${rounds} rounds," \
  "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  run "fleet off" "$work/off.yaml"
  run "fleet on" "$work/on.yaml"
done
grep -q "fleet: instance bench" "$work/fleet on.err" || { echo "fleet.sh: fleet mode did not start" >&2; cat "$work/fleet on.err" >&2; exit 1; }
off=$(median "$work/fleet off.cpu")
on=$(median "$work/fleet on.cpu")
qps=$(median "$work/fleet on.qps")
ops=$(median "$work/fleet on.ops")
keys=$(redis-cli -p "$redis" --scan --pattern 'airlock:budget:*' | wc -l)
(( keys > 0 )) || { echo "fleet.sh: no budget counter reached Redis: the figures mean nothing" >&2; exit 1; }
printf 'median: %.0f queries per CPU-second with fleet mode off, %.0f on (%.1f%% of off); %.0f qps with %.1f Redis commands/s (%.4f per query); %d budget counters in Redis\n' \
  "$off" "$on" "$(awk -v a="$on" -v b="$off" 'BEGIN {print (b > 0) ? 100 * a / b : 0}')" "$qps" "$ops" \
  "$(awk -v o="$ops" -v q="$qps" 'BEGIN {print (q > 0) ? o / q : 0}')" "$keys"
awk -v o="$ops" -v k="$keys" 'BEGIN {
  printf "Redis commands follow the domains charged per round, not the query rate: 5 rounds/s x (1 XREAD + 1 INCRBY per domain charged in the round), here %.0f domains a round of the %d this mix charges; at 50,000 qps per instance the same mix gives at most 5 x (1 + %d) = %d commands/s (plus one SET NX and one GET per key and budget window)\n", o / 5 - 1, k, k, 5 * (1 + k)
}'
