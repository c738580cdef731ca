#!/usr/bin/env bash
# Threat feeds at scale: a generated RPZ feed of N entries (default 1,000,000: 80 % names, 20 %
# wildcards) loaded by the policy. Prints the load time and peak RSS of `check-policy` with and
# without the feed, then runs `airlock serve` with and without it and times Q sequential UDP queries
# from one client on loopback (half the names in the feed, blocked inline; half not, forwarded to a
# closed loopback port, answered SERVFAIL): the per-query cost the feed adds. Quarantine and the
# leak budget are off so the generated names (which look like data) are judged by the feed alone.
#
#   bash Benchmarks/feeds.sh [--smoke] [ENTRIES] [QUERIES]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/lib.sh
smoke=0
[[ "${1:-}" == "--smoke" ]] && { smoke=1; shift; }
entries=${1:-1000000}
queries=${2:-20000}
config=release
if ((smoke)); then entries=20000; queries=2000; config=debug; fi
bench_setup feeds
bin=$(airlock_binary "$config")

python3 - "$work/threat.rpz" "$entries" <<'PY'
import sys, random
path, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
with open(path, "w") as f:
    f.write("$TTL 300\n$ORIGIN rpz.bench.\n@ SOA localhost. admin.localhost. 1 3600 600 86400 60\n  NS localhost.\n")
    for i in range(n):
        name = f"h{i}-{rng.getrandbits(32):08x}.zone{i % 5000}.example"
        f.write(("*." if i % 5 == 0 else "") + name + " CNAME .\n")
PY
printf 'version: 1\nmode: enforce\ndns:\n  default: allow\n  upstreams: ["127.0.0.1:9"]\n  timeout_ms: 200\n  attempts: 1\n  quarantine_seconds: 0\n  leak_budget: {bytes: 16777216}\n' > "$work/plain.yaml"
cp "$work/plain.yaml" "$work/feed.yaml"
printf '  feeds: [{name: bench, path: threat.rpz, format: rpz}]\n' >> "$work/feed.yaml"
echo "feed: $entries entries, $(du -h "$work/threat.rpz" | cut -f1) on disk"

for policy in plain feed; do
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" check-policy "$work/$policy.yaml" > "$work/check.out"
  read -r seconds rss < "$work/time"
  echo "check-policy $policy: ${seconds} s, peak RSS $((rss / 1024)) MiB; $(grep -o 'feeds .*' "$work/check.out" || echo 'no feeds')"
done

for policy in plain feed; do
  port=$(free_port)
  "$bin" serve --policy "$work/$policy.yaml" --listen "127.0.0.1:$port" --threads 1 --log-level none \
    2> "$work/$policy.err" & pids+=($!)
  for _ in $(seq 100); do grep -q "listening on" "$work/$policy.err" && break; sleep 0.2; done
  rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/${pids[-1]}/status")
  python3 - "$port" "$queries" "$entries" "$policy" "$rss" <<'PY'
import socket, struct, sys, time, random
port, n, entries, policy, rss = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
rng = random.Random(42)
generated = [f"h{i}-{rng.getrandbits(32):08x}.zone{i % 5000}.example" for i in range(min(entries, 50000))]
exact = [name for i, name in enumerate(generated) if i % 5 != 0]      # `name CNAME .`
below = ["x." + name for i, name in enumerate(generated) if i % 5 == 0]  # under `*.name CNAME .`
def query(name, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
rcodes = {}
start = time.perf_counter()
for i in range(n):
    name = (rng.choice(below) if i % 10 == 0 else rng.choice(exact)) if i % 2 == 0 else f"free{i}.other{i % 97}.example"
    s.sendto(query(name, i & 0xFFFF), ("127.0.0.1", port))
    data = s.recv(4096)
    rcodes[data[3] & 0xF] = rcodes.get(data[3] & 0xF, 0) + 1
elapsed = time.perf_counter() - start
names = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}
print(f"serve {policy}: {n} queries in {elapsed:.2f} s = {n / elapsed:,.0f} q/s ({elapsed / n * 1e6:.0f} us each, one "
      f"client, one at a time); RSS {rss} MiB; answers " + ", ".join(f"{names.get(k, k)} {v}" for k, v in sorted(rcodes.items())))
PY
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
done
