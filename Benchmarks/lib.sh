# Shared by the benchmark scripts (source it from the repository root): a work folder and the
# processes a script starts, both gone on exit; a loopback port free for UDP and TCP; the airlock
# binary to run.
#
#   source Benchmarks/lib.sh
#   bench_setup NAME           # $work = /tmp/airlock-NAME.XXXXXX; append what you start to pids
#   bin=$(airlock_binary release|debug)   # $AIRLOCK_BIN when set, else a fresh swift build

bench_setup() {
  work=$(mktemp -d "/tmp/airlock-$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
}

# Stops every started process by its PID (then waits for it), and removes the work folder.
bench_cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}

# A 127.0.0.1 port free for both UDP and TCP: airlock serve binds both (checking UDP alone collided in CI).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    python3 - "$port" <<'PY' 2>/dev/null && { echo "$port"; return; }
import socket, sys
for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", int(sys.argv[1]))); s.close()
PY
  done
}

# The airlock binary: $AIRLOCK_BIN if set, else built in CONFIG (release or debug); build output to stderr.
airlock_binary() {
  if [[ -n "${AIRLOCK_BIN:-}" ]]; then echo "$AIRLOCK_BIN"; return; fi
  swift build -c "$1" --product airlock >&2
  echo "$(swift build -c "$1" --show-bin-path)/airlock"
}
