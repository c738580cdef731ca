#!/usr/bin/env bash
# Airlock's CONNECT relay beside tinyproxy: the same client, the same TLS server, the same load, in
# one run, alternating rounds; medians and the ratio Airlock / tinyproxy.
#
#   Benchmarks/http-proxy.sh [--smoke] [--rounds N] [--airlock BINARY] [--threads N]
#
# --threads: Airlock's worker threads (default: one per CPU, its default; tinyproxy runs a thread
# per connection).
#
# Everything runs on 127.0.0.1: nginx (TLS, keep-alive, sendfile) serves the files; curl is the client
# (one process, --parallel, the tunnel reused across requests as a browser or SDK does).
# Scenarios, each through both proxies:
#   rps      small requests (1 KiB responses) over 8 kept-alive tunnels: relay latency per message
#   tunnels  one new CONNECT tunnel (and TLS handshake) per request, 8 at a time: tunnel set-up cost
#   MB/s     4 parallel downloads of a large file through tunnels: relay throughput
# --smoke: tiny sizes and one round (seconds), for CI: checks every figure is non-zero.
# Airlock runs with its checks on (policy, private-destination and SNI checks, upload budget).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
AIRLOCK=$ROOT/.build/release/airlock
[[ -x $AIRLOCK ]] || AIRLOCK=$ROOT/.build/debug/airlock
SMOKE=0 ROUNDS=3 THREADS=$(nproc)
while (($#)); do
  case $1 in
    --smoke) SMOKE=1; shift ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --airlock) AIRLOCK=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    *) echo "usage: $0 [--smoke] [--rounds N] [--airlock BINARY] [--threads N]" >&2; exit 64 ;;
  esac
done
for tool in nginx tinyproxy curl openssl; do
  command -v $tool >/dev/null || { echo "SKIP: $tool missing (AIRLOCK_BENCH=1 Deploy/install-deps.sh)"; exit 77; }
done
if [[ ! -x $AIRLOCK ]]; then
  # A fresh clone (CI runs the smokes before the test build): build the debug binary.
  (cd "$ROOT" && swift build --product airlock >/dev/null) || { echo "FAIL: swift build"; exit 1; }
  AIRLOCK=$ROOT/.build/debug/airlock
fi

if ((SMOKE)); then
  ROUNDS=1 REQUESTS=200 TUNNELS=40 BIG_MB=16
else
  REQUESTS=20000 TUNNELS=2000 BIG_MB=512
fi
PARALLEL=8

source "$ROOT/Benchmarks/lib.sh"
bench_setup httpbench
DIR=$work
chmod 755 "$DIR"  # nginx's workers run unprivileged and must read the files
TLS_PORT=$(free_port) AIRLOCK_PORT=$(free_port) TINY_PORT=$(free_port)

# ---- TLS server
mkdir -p "$DIR/www" "$DIR/nginx"
head -c 1024 /dev/urandom >"$DIR/www/small.bin"
head -c $((BIG_MB * 1048576)) /dev/zero >"$DIR/www/big.bin"
chmod -R a+rX "$DIR/www"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$DIR/key.pem" -out "$DIR/cert.pem" 2>/dev/null
cat >"$DIR/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path $DIR/nginx;
  proxy_temp_path $DIR/nginx;
  fastcgi_temp_path $DIR/nginx;
  uwsgi_temp_path $DIR/nginx;
  scgi_temp_path $DIR/nginx;
  server {
    listen 127.0.0.1:$TLS_PORT ssl;
    ssl_certificate $DIR/cert.pem;
    ssl_certificate_key $DIR/key.pem;
    root $DIR/www;
  }
}
CONF
nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" &
pids+=($!)

# ---- the two proxies
cat >"$DIR/policy.yaml" <<POLICY
version: 1
mode: enforce
dns: {upstreams: ["127.0.0.1:9"]}
http:
  default: deny
  allow: [{host: 127.0.0.1, ports: [$TLS_PORT]}]
  allow_private_destinations: [127.0.0.0/8]
  upload_budget: {bytes: 1099511627776, window_seconds: 60}
POLICY
# --allow-own-host: nginx is on this host's loopback, which Airlock otherwise refuses as its own host.
"$AIRLOCK" http-proxy --policy "$DIR/policy.yaml" --listen "127.0.0.1:$AIRLOCK_PORT" --threads "$THREADS" \
  --http-rate-limit 0 --allow-own-host --http-log-level notable --log "$DIR/airlock.jsonl" 2>"$DIR/airlock.err" &
pids+=($!)
AIRLOCK_PID=$!
cat >"$DIR/tinyproxy.conf" <<CONF
Port $TINY_PORT
Listen 127.0.0.1
Timeout 600
MaxClients 256
Allow 127.0.0.1
ConnectPort $TLS_PORT
LogLevel Warning
LogFile "$DIR/tinyproxy.log"
PidFile "$DIR/tinyproxy.pid"
CONF
tinyproxy -d -c "$DIR/tinyproxy.conf" 2>"$DIR/tinyproxy.err" &
pids+=($!)
TINY_PID=$!

for _ in $(seq 1 50); do
  if curl -s -o /dev/null --cacert "$DIR/cert.pem" "https://127.0.0.1:$TLS_PORT/small.bin" \
    && (exec 3<>"/dev/tcp/127.0.0.1/$AIRLOCK_PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$TINY_PORT") 2>/dev/null; then
    break
  fi
  sleep 0.1
done

URL="https://127.0.0.1:$TLS_PORT"
# Every transfer's body goes to standard output, sent to /dev/null (-o would name the first URL only).
CURL=(curl -s --no-progress-meter --cacert "$DIR/cert.pem" -w '%{stderr}%{http_code} %{size_download}\n')

# CPU time (user + system, all threads, exited ones included) of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

# Runs one scenario through one proxy; prints "SECONDS BYTES". Every transfer's status and size is
# written to stderr by curl (-w %{stderr}) and checked: a failed or short transfer fails the run.
run() {
  local proxy=$1 scenario=$2 start end stats=$DIR/stats.txt expected urls
  start=$(date +%s.%N)
  case $scenario in
    rps) expected=$REQUESTS
      "${CURL[@]}" -x "$proxy" -Z --parallel-max $PARALLEL --parallel-immediate "$URL/small.bin?[1-$REQUESTS]" ;;
    tunnels) expected=$TUNNELS
      # Connection: close makes nginx close after each response, so curl opens a new tunnel each time.
      "${CURL[@]}" -x "$proxy" -Z --parallel-max $PARALLEL --parallel-immediate -H 'Connection: close' \
        "$URL/small.bin?[1-$TUNNELS]" ;;
    mbps) expected=4
      "${CURL[@]}" -x "$proxy" -Z --parallel-max 4 "$URL/big.bin?[1-4]" ;;
  esac >/dev/null 2>"$stats"
  end=$(date +%s.%N)
  local good bytes
  good=$(grep -c '^200 ' "$stats" || true)
  bytes=$(awk '$1 == 200 {s += $2} END {printf "%d", s}' "$stats")
  if [[ $good != "$expected" ]]; then
    echo "$scenario: $good of $expected transfers succeeded: $(grep -v '^200 ' "$stats" | sort | uniq -c | head -3)" >&2
    return 1
  fi
  echo "$(echo "$end - $start" | bc -l) $bytes"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A TIMES BYTES CPU
for round in $(seq 1 "$ROUNDS"); do
  for scenario in rps tunnels mbps; do
    # Alternate which proxy goes first, so neither always meets a warmer cache.
    if ((round % 2)); then order="airlock tinyproxy"; else order="tinyproxy airlock"; fi
    for who in $order; do
      port=$AIRLOCK_PORT
      [[ $who == tinyproxy ]] && port=$TINY_PORT
      pid=$AIRLOCK_PID
      [[ $who == tinyproxy ]] && pid=$TINY_PID
      before=$(cpu_ticks $pid)
      result=$(run "http://127.0.0.1:$port" "$scenario") || { echo "FAIL: $scenario through $who"; tail -n 5 "$DIR/airlock.err" "$DIR/tinyproxy.err"; exit 1; }
      after=$(cpu_ticks $pid)
      TIMES[$who.$scenario]+="${result% *} "
      BYTES[$who.$scenario]=${result#* }
      CPU[$who.$scenario]=$((${CPU[$who.$scenario]:-0} + after - before))
    done
  done
done

# The same work per second of the proxy's own CPU (all rounds): what the machine's other load
# cannot move much, where wall-clock rates on a shared 2-core machine can.
per_cpu() {
  local seconds work
  seconds=$(echo "${CPU[$1.$2]} / $TICK" | bc -l)
  case $2 in
    rps) work=$((REQUESTS * ROUNDS)) ;;
    tunnels) work=$((TUNNELS * ROUNDS)) ;;
    mbps) work=$(echo "${BYTES[$1.$2]} * $ROUNDS / 1000000" | bc -l) ;;
  esac
  if [[ $(echo "$seconds > 0" | bc -l) == 1 ]]; then echo "$work / $seconds" | bc -l; else echo 0; fi
}

figure() {  # who scenario → the figure (requests/s, tunnels/s or MB/s) from the median time
  local t
  t=$(printf '%s\n' ${TIMES[$1.$2]} | median)
  case $2 in
    rps) echo "$REQUESTS / $t" | bc -l ;;
    tunnels) echo "$TUNNELS / $t" | bc -l ;;
    mbps) echo "${BYTES[$1.$2]} / 1000000 / $t" | bc -l ;;
  esac
}

echo "HTTP proxy benchmark: $ROUNDS round(s), loopback, nginx TLS server, curl client ($PARALLEL parallel)"
echo "airlock: $AIRLOCK (--threads $THREADS); tinyproxy: $(tinyproxy -v 2>&1 | head -1)"
printf '%-40s %12s %12s %7s   %s\n' scenario airlock tinyproxy ratio "(per proxy CPU-second: airlock / tinyproxy / ratio)"
status=0
for scenario in rps tunnels mbps; do
  a=$(figure airlock $scenario)
  b=$(figure tinyproxy $scenario)
  ratio=$(echo "$a / $b" | bc -l)
  ca=$(per_cpu airlock $scenario)
  cb=$(per_cpu tinyproxy $scenario)
  cratio=$(if [[ $(echo "$cb > 0" | bc -l) == 1 ]]; then echo "$ca / $cb" | bc -l; else echo 0; fi)
  case $scenario in
    rps) label="requests/s (8 kept-alive tunnels)" ;;
    tunnels) label="new tunnels/s (CONNECT + TLS)" ;;
    mbps) label="MB/s (4 downloads of $BIG_MB MiB)" ;;
  esac
  printf '%-40s %12.1f %12.1f %7.2f   %.0f / %.0f / %.2f\n' "$label" "$a" "$b" "$ratio" "$ca" "$cb" "$cratio"
  [[ $(echo "$a > 0 && $b > 0" | bc -l) == 1 ]] || status=1
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (2 CPUs; other work on the machine moves wall-clock rates)"
if ((SMOKE)) && ((status)); then echo "smoke: a figure is zero"; fi
exit $status
