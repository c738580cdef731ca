#!/usr/bin/env bash
# The bypass matrix: a sandbox whose only way out is Airlock, and every way around it tried.
#
# Three network namespaces on 198.18.0.0/15 (nothing is routed off the machine):
#   sandbox  198.18.1.2   the agent runtime, made by Deploy/sandbox.sh (rules in the airlock namespace);
#            198.18.2.2   a second one in transparent mode; 198.18.3.2 and 2001:2:0:3::2 a third with
#                         IPv6 (2001:2::/48 is IPv6's benchmarking range, RFC 5180, like 198.18.0.0/15)
#   airlock  198.18.1.1   `airlock serve`: DNS :53, HTTP proxy :3128, metrics :9464 (alerts); routes
#            198.18.100.1 (ip_forward on, so without the rules the sandbox COULD reach the internet)
#   internet 198.18.100.x real servers: .10 web (python, :80) and TLS (openssl s_server, :443),
#                         .53 authoritative DNS (nsd), .99 a second resolver (nsd :53) and DoT
#                         (openssl :853), .20 a raw TCP service no DNS name points at
#
# Every allowed path must work; every bypass must fail AND leave a trace: a decision in Airlock's
# log (with the expected rule) or a packet in the expected nftables drop counter.
#
# Usage: Tests/Integration/http-bypass.sh [AIRLOCK_BINARY]     (root; prints the matrix)
# Exit: 0 all rows as expected, 1 some row not, 77 skipped (not root or tools missing).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AIRLOCK=${1:-${AIRLOCK:-$ROOT/.build/debug/airlock}}
SANDBOX_SH=${SANDBOX_SH:-$ROOT/Deploy/sandbox.sh}

if [[ $(id -u) -ne 0 ]]; then echo "SKIP: the bypass lab needs root (network namespaces, nftables)"; exit 77; fi
missing=()
PY=/usr/bin/python3
for tool in ip nft nsd openssl $PY curl dig setpriv unshare ping; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[[ -x $AIRLOCK ]] || missing+=("$AIRLOCK (swift build)")
if ((${#missing[@]})); then echo "SKIP: missing ${missing[*]} (Deploy/install-deps.sh)"; exit 77; fi

tag=$(printf '%05d' $(($$ % 100000)))
NS_AIR="alk-air-$tag"
NS_NET="alk-net-$tag"
SB="alksb$tag"
SBT="alkst$tag"   # a second sandbox whose web traffic is redirected to Airlock (transparent mode)
SB6="alks6$tag"   # a third sandbox with an IPv6 address too (spoofing over IPv6)
LAB=$(mktemp -d /tmp/airlock-bypass.XXXXXX)
chmod 755 "$LAB"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 0.3
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  "$SANDBOX_SH" down --name "$SB" --host-ns "$NS_AIR" >/dev/null 2>&1
  "$SANDBOX_SH" down --name "$SBT" --host-ns "$NS_AIR" >/dev/null 2>&1
  "$SANDBOX_SH" down --name "$SB6" --host-ns "$NS_AIR" >/dev/null 2>&1
  ip netns delete "$NS_NET" 2>/dev/null
  ip netns delete "$NS_AIR" 2>/dev/null
  [[ -n ${KEEP_LAB:-} ]] || rm -rf "$LAB"
}
trap cleanup EXIT

air() { ip netns exec "$NS_AIR" "$@"; }
net() { ip netns exec "$NS_NET" "$@"; }
# As the agent: inside the sandbox, unprivileged, Airlock's files read-only / hidden.
agent() {
  "$SANDBOX_SH" exec --name "$SB" --airlock 198.18.1.1 --proxy-ports 3128 --user nobody \
    --read-only "$LAB/etc" --hide "$LAB/state" -- "$@"
}
# An agent in the transparent sandbox, whose tools ignore proxy settings.
agent_t() {
  "$SANDBOX_SH" exec --name "$SBT" --airlock 198.18.2.1 --proxy-ports 3128 --user nobody \
    --read-only "$LAB/etc" --hide "$LAB/state" -- "$@"
}
# As a compromised runtime: root inside the sandbox (still no way to touch the host's rules).
rootkit() { ip netns exec "$SB" "$@"; }

# ---------------------------------------------------------------- servers and data
mkdir -p "$LAB/etc" "$LAB/state" "$LAB/www" "$LAB/nsd"
echo ok >"$LAB/www/ok.txt"
head -c 102400 /dev/urandom >"$LAB/small.bin"
head -c 2097152 /dev/urandom >"$LAB/big.bin"
chmod 644 "$LAB"/*.bin

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Airlock lab CA" \
  -keyout "$LAB/etc/ca.key" -out "$LAB/etc/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=api.allowed.test" -keyout "$LAB/server.key" -out "$LAB/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:api.allowed.test,DNS:pkg.allowed.test,DNS:db.internal.test,DNS:evil.test\n' >"$LAB/san.ext"
openssl x509 -req -in "$LAB/server.csr" -CA "$LAB/etc/ca.pem" -CAkey "$LAB/etc/ca.key" -CAcreateserial -days 2 \
  -extfile "$LAB/san.ext" -out "$LAB/server.pem" 2>/dev/null
rm -f "$LAB/etc/ca.key"
chmod 644 "$LAB/etc/ca.pem"

cat >"$LAB/nsd/test.zone" <<'ZONE'
$ORIGIN test.
$TTL 60
@                 SOA ns.test. admin.test. 1 3600 600 86400 60
@                 NS  ns.test.
ns                A   198.18.100.53
api.allowed       A   198.18.100.10
pkg.allowed       A   198.18.100.10
forbidden         A   198.18.100.10
forbidden-dns     A   198.18.100.10
doh.evil          A   198.18.100.99
meta.evil         A   169.254.169.254
db.internal       A   10.0.0.7
rebind            A   10.0.0.5
raw.allowed       A   198.18.100.20
self.allowed      A   198.18.100.1
ZONE
cat >"$LAB/nsd/nsd.conf" <<CONF
server:
  ip-address: 198.18.100.53
  ip-address: 198.18.100.99
  port: 53
  username: ""
  chroot: ""
  zonesdir: "$LAB/nsd"
  pidfile: "$LAB/nsd/nsd.pid"
  xfrdfile: "$LAB/nsd/xfrd.state"
  zonelistfile: "$LAB/nsd/zone.list"
  database: ""
  logfile: "$LAB/nsd/nsd.log"
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: test
  zonefile: test.zone
CONF

# The policy: one API (HTTP and HTTPS), DNS open but watched, the lab "internet" as the only
# private range the sandbox may reach (the lab runs on 198.18.0.0/15, a non-global range).
cat >"$LAB/etc/policy.yaml" <<'POLICY'
version: 1
mode: enforce
dns:
  default: allow
  deny: [forbidden-dns.test]
  upstreams: ["198.18.100.53"]
  rebinding:
    allow_private_answers_for: [.allowed.test, .evil.test, .internal.test, forbidden.test, forbidden-dns.test, ns.test]
http:
  default: deny
  allow:
    - {host: api.allowed.test, ports: [80, 443]}
    - db.internal.test
    - meta.evil.test
    - doh.evil.test
    - forbidden-dns.test
    - self.allowed.test      # resolves to Airlock's own internet-side address (inside the range below)
    - 169.254.169.254        # a careless allow: the destination check still refuses metadata
  deny: [forbidden.test]
  doh_endpoints: [doh.evil.test]
  allow_private_destinations: [198.18.100.0/24]
  upload_budget: {bytes: 1048576, window_seconds: 60}
  information_budget: {bytes: 8192, window_seconds: 60}
POLICY
cat >"$LAB/etc/alerts.yaml" <<ALERTS
alerts:
  file: {path: "$LAB/state/alerts.jsonl"}
  metrics: {listen: "198.18.1.1:9464"}
ALERTS
head -c 32 /dev/urandom >"$LAB/etc/token.key"
chmod 600 "$LAB/etc/token.key"
chmod 644 "$LAB/etc/policy.yaml" "$LAB/etc/alerts.yaml"

# ---------------------------------------------------------------- namespaces
ip netns add "$NS_AIR"
ip netns add "$NS_NET"
air ip link set lo up
net ip link set lo up
air ip link add "alkup$tag" type veth peer name eth0 netns "$NS_NET"
air ip addr add 198.18.100.1/24 dev "alkup$tag"
air ip link set "alkup$tag" up
for a in 10 20 53 99; do net ip addr add "198.18.100.$a/24" dev eth0; done
net ip link set eth0 up
net ip route add default via 198.18.100.1
air sysctl -qw net.ipv4.ip_forward=1
"$SANDBOX_SH" up --name "$SB" --host-ns "$NS_AIR" --sandbox-addr 198.18.1.2/24 --host-addr 198.18.1.1 \
  --airlock 198.18.1.1 --dns-port 53 --proxy-ports 3128 || { echo "sandbox.sh up failed"; exit 1; }
"$SANDBOX_SH" up --name "$SBT" --host-ns "$NS_AIR" --sandbox-addr 198.18.2.2/24 --host-addr 198.18.2.1 \
  --airlock 198.18.2.1 --dns-port 53 --proxy-ports 3128 --transparent 3129 --fqdn-set >/dev/null \
  || { echo "sandbox.sh up (transparent) failed"; exit 1; }
"$SANDBOX_SH" up --name "$SB6" --host-ns "$NS_AIR" --sandbox-addr 198.18.3.2/24 --host-addr 198.18.3.1 \
  --sandbox-addr6 2001:2:0:3::2/64 --host-addr6 2001:2:0:3::1 --dns-port 53 --proxy-ports 3128 >/dev/null \
  || { echo "sandbox.sh up (IPv6) failed"; exit 1; }

# Started with `ip netns exec` directly (no shell function) so $! is the server's own PID.
ip netns exec "$NS_NET" nsd -d -c "$LAB/nsd/nsd.conf" >"$LAB/nsd.out" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_NET" $PY "$ROOT/Tests/Integration/lab-web.py" 198.18.100.10 80 "$LAB/www" >"$LAB/web.out" 2>&1 &
PIDS+=($!)
(cd "$LAB/www" && exec ip netns exec "$NS_NET" openssl s_server -quiet -accept 198.18.100.10:443 \
  -cert "$LAB/server.pem" -key "$LAB/server.key" -WWW) >"$LAB/tls.out" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_NET" openssl s_server -quiet -accept 198.18.100.99:853 -cert "$LAB/server.pem" -key "$LAB/server.key" \
  -www >"$LAB/dot.out" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_NET" $PY "$ROOT/Tests/Integration/lab-tcp.py" 198.18.100.20 5555 >"$LAB/tcp.out" 2>&1 &
PIDS+=($!)

ip netns exec "$NS_AIR" "$AIRLOCK" serve --policy "$LAB/etc/policy.yaml" --listen 198.18.1.1:53 --listen 198.18.2.1:53 \
  --listen 198.18.3.1:53 --listen '[2001:2:0:3::1]:53' --threads 1 \
  --http-transparent 198.18.2.1:3129 --fqdn-set "198.18.2.2/32=inet/airlock_${SBT//-/_}/fqdn_v4" \
  --log "$LAB/state/dns.jsonl" --alerts "$LAB/etc/alerts.yaml" \
  --http-listen 198.18.1.1:3128 --http-threads 1 --http-log "$LAB/state/http.jsonl" \
  --token-key "$LAB/etc/token.key" --user nobody >"$LAB/airlock.out" 2>"$LAB/airlock.err" &
AIRLOCK_PID=$!
PIDS+=($AIRLOCK_PID)

ready=0
for _ in $(seq 1 50); do
  if air bash -c "exec 3<>/dev/tcp/198.18.1.1/3128" 2>/dev/null && net bash -c "exec 3<>/dev/tcp/198.18.100.10/443" 2>/dev/null \
    && [[ -n $(air dig +short +time=1 +tries=1 @198.18.100.53 ns.test 2>/dev/null) ]]; then
    ready=1
    break
  fi
  sleep 0.2
done
if ((ready == 0)); then
  echo "lab did not come up:"; cat "$LAB/airlock.err" "$LAB/nsd.out" "$LAB/tls.out" 2>/dev/null | tail -20
  exit 1
fi

# ---------------------------------------------------------------- helpers
TABLE="airlock_${SB//-/_}"
counter() { air nft list counter inet "$TABLE" "$1" 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
http_log_count() { grep -c "\"rule\":\"$1\"" "$LAB/state/http.jsonl" 2>/dev/null || true; }

ROWS=()
FAILED=0
# row KIND ATTEMPT EXPECTED OBSERVED OK
row() {
  local verdict=PASS
  [[ ${5:-0} == 1 ]] || { verdict=FAIL; FAILED=$((FAILED + 1)); }
  ROWS+=("| $1 | $2 | $3 | $4 | $verdict |")
}

# Runs "$@" and checks that it failed and that nft counter $1 moved.
expect_dropped() {
  local what=$1 expected=$2 name=$3; shift 3
  local before after out status
  before=$(counter "$name")
  out=$("$@" 2>&1); status=$?
  after=$(counter "$name")
  local ok=0
  ((status != 0 && after > before)) && ok=1
  row bypass "$what" "$expected" "exit $status; nft $name +$((after - before)) packets" $ok
}

# Runs "$@" (a curl printing the HTTP code) and checks the status and a log record with the rule.
expect_refused() {
  local what=$1 code=$2 rule=$3; shift 3
  local before after out
  before=$(http_log_count "$rule")
  out=$("$@" 2>/dev/null | tail -c 200)
  sleep 0.3
  after=$(http_log_count "$rule")
  local ok=0
  [[ $out == *"$code"* && $after -gt $before ]] && ok=1
  row bypass "$what" "$code, logged $rule" "got '${out//$'\n'/ }'; log +$((after - before)) $rule" $ok
}

PROXY=http://198.18.1.1:3128
CURL=(curl -s -m 8 --cacert "$LAB/etc/ca.pem")

# ---------------------------------------------------------------- allowed paths
out=$(agent dig +short +time=2 +tries=1 api.allowed.test 2>&1)
row allowed "DNS lookup through Airlock (sandbox resolv.conf)" "198.18.100.10" "$out" $([[ $out == 198.18.100.10 ]] && echo 1)
out=$(agent "${CURL[@]}" http://api.allowed.test/ok.txt)
row allowed "HTTP GET through the proxy (HTTP_PROXY)" "ok" "$out" $([[ $out == ok ]] && echo 1)
out=$(agent "${CURL[@]}" https://api.allowed.test/ok.txt)
row allowed "HTTPS through CONNECT, SNI = host" "ok" "$out" $([[ $out == ok ]] && echo 1)
out=$(agent "${CURL[@]}" --data-binary @"$LAB/small.bin" http://api.allowed.test/upload)
row allowed "Upload of 100 KiB (budget 1 MiB)" "received 102400" "$out" $([[ $out == "received 102400" ]] && echo 1)
token=$("$AIRLOCK" token --sandbox default-session --ttl 300 --key-file "$LAB/etc/token.key" 2>&1)
out=$(agent "${CURL[@]}" -x "http://agent:${token}@198.18.1.1:3128" http://api.allowed.test/ok.txt)
# No sandbox in this policy is named default-session: the token is refused (407) for an unknown sandbox,
# while a client without a token keeps its address identity (tokens are accepted, not required).
row bypass "Proxy token naming a sandbox the policy does not define" "407" \
  "$(agent curl -s -m 8 -o /dev/null -w '%{http_code}' -x "http://agent:${token}@198.18.1.1:3128" http://api.allowed.test/ok.txt)" \
  $([[ $(http_log_count http.proxy_token) -ge 1 ]] && echo 1)
out=$(air curl -s -m 3 -o /dev/null -w '%{http_code}' http://198.18.1.1:9464/metrics)
row control "Metrics endpoint from Airlock's own namespace" "200" "$out" $([[ $out == 200 ]] && echo 1)
out=$(air curl -s -m 3 http://198.18.100.10/ok.txt)
row control "Internet web server from the host (the route the rules close)" "ok" "$out" $([[ $out == ok ]] && echo 1)

# ---------------------------------------------------------------- network bypasses (dropped by the rules)
expect_dropped "Direct IP: HTTP to 198.18.100.10 without the proxy" "dropped" dropped_direct \
  agent curl -s -m 3 --noproxy '*' http://198.18.100.10/ok.txt
expect_dropped "Raw TCP to 198.18.100.20:5555 (no allowed DNS answer returned it)" "dropped" dropped_direct \
  agent $PY -c 'import socket; s=socket.create_connection(("198.18.100.20",5555),3); print(s.recv(64))'
expect_dropped "Other resolver, UDP 53 (198.18.100.99)" "dropped" dropped_other_resolver_udp \
  agent dig +time=2 +tries=1 @198.18.100.99 api.allowed.test
expect_dropped "Other resolver, TCP 53 (198.18.100.99)" "dropped" dropped_other_resolver_tcp \
  agent dig +tcp +time=2 +tries=1 @198.18.100.99 api.allowed.test
expect_dropped "DNS-over-TLS direct (198.18.100.99:853)" "dropped" dropped_dot \
  agent timeout 5 openssl s_client -connect 198.18.100.99:853 -servername dns.example </dev/null
expect_dropped "ICMP echo to the internet (root in the sandbox)" "dropped" dropped_icmp \
  rootkit ping -c 1 -W 2 198.18.100.10
expect_dropped "ICMP echo to the host (root in the sandbox)" "dropped" dropped_icmp \
  rootkit ping -c 1 -W 2 198.18.1.1
expect_dropped "Airlock metrics endpoint 198.18.1.1:9464 from the sandbox" "dropped" dropped_airlock_other_ports \
  agent curl -s -m 3 --noproxy '*' http://198.18.1.1:9464/metrics
# IPv6 around the proxy: a root process re-enables IPv6 and dials the host's link-local address
# (the kernel's own fe80:: address on the lab veth: nothing leaves the namespaces).
rootkit sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.eth0.disable_ipv6=0
for _ in $(seq 1 50); do
  rootkit ip -6 -o addr show dev eth0 scope link | grep -qv tentative && break
  sleep 0.1
done
host_if=$(air ip -o link show | sed -n "s/^[0-9]*: \(alk[0-9a-f]*h\)@.*/\1/p" | head -1)
host_ll=$(air ip -6 -o addr show dev "$host_if" scope link | awk '{print $4}' | cut -d/ -f1)
expect_dropped "IPv6 around the proxy: [${host_ll:-none}%eth0]:3128 (root re-enabled IPv6)" "dropped" dropped_ipv6 \
  rootkit $PY -c "
import socket, sys
a = socket.getaddrinfo('${host_ll}%eth0', 3128, socket.AF_INET6, socket.SOCK_STREAM)[0][4]
for attempt in range(2):
    s = socket.socket(socket.AF_INET6)
    s.settimeout(3)
    try:
        s.connect(a)
        sys.exit(0)
    except OSError as e:
        print(attempt, e, file=sys.stderr)
sys.exit(1)"
before=$(counter dropped_direct)
rootkit nft flush ruleset 2>/dev/null
out=$(agent curl -s -m 3 --noproxy '*' http://198.18.100.10/ok.txt); status=$?
after=$(counter dropped_direct)
row bypass "Root in the sandbox flushes nftables, then direct IP" "still dropped (rules are outside)" \
  "exit $status; dropped_direct +$((after - before))" $([[ $status -ne 0 && $after -gt $before ]] && echo 1)

# ---------------------------------------------------------------- spoofed source addresses (root in the sandbox)
# Airlock knows a sandbox by its source address. Root in the sandbox adds another address to its own
# interface and sends from it: as a neighbour in its subnet, as another sandbox (whose policy may be
# looser), as an address in no sandbox at all (a tunnel spread over many). Each must be dropped by the
# host's rules before Airlock sees it: no answer, dropped_spoofed moves, and Airlock's DNS log has no
# decision for the query's name (a spoofed query Airlock answered or forwarded would be there).
T6="airlock_${SB6//-/_}"
counter_of() { air nft list counter inet "$1" "$2" 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
dns_log_count() { grep -c "\"name\":\"$1\"" "$LAB/state/dns.jsonl" 2>/dev/null || true; }
# spoofed_dns WHAT SANDBOX TABLE SOURCE SERVER NAME: root in SANDBOX asks SERVER for NAME from SOURCE.
spoofed_dns() {
  local what=$1 sandbox=$2 table=$3 source=$4 server=$5 name=$6
  if [[ $source == *:* ]]; then
    ip netns exec "$sandbox" ip -6 addr add "$source/128" dev eth0 nodad 2>/dev/null
  else
    ip netns exec "$sandbox" ip addr add "$source/32" dev eth0 2>/dev/null
  fi
  local before after out status
  before=$(counter_of "$table" dropped_spoofed)
  out=$(ip netns exec "$sandbox" dig -b "$source" +time=2 +tries=1 @"$server" "$name" 2>&1); status=$?
  sleep 0.3
  after=$(counter_of "$table" dropped_spoofed)
  local logged
  logged=$(dns_log_count "$name")
  local answer
  answer=$(grep -o 'status: [A-Z]*' <<<"$out" | head -1)
  row bypass "$what" "dropped, not in Airlock's log" \
    "${answer:-no answer} (exit $status); nft dropped_spoofed +$((${after:-0} - ${before:-0})); DNS log $logged" \
    $([[ -z $answer && $after -gt $before && $logged == 0 ]] && echo 1)
}
spoofed_dns "Spoofed IPv4 source: DNS from a neighbour address 198.18.1.77" "$SB" "$TABLE" 198.18.1.77 198.18.1.1 \
  spoof-neighbour.allowed.test
spoofed_dns "Spoofed IPv4 source: DNS as the other sandbox (198.18.2.2)" "$SB" "$TABLE" 198.18.2.2 198.18.1.1 \
  spoof-sandbox.allowed.test
spoofed_dns "Spoofed IPv4 source: DNS from 10.77.3.9, in no sandbox" "$SB" "$TABLE" 10.77.3.9 198.18.1.1 \
  spoof-nosandbox.allowed.test
before=$(counter dropped_spoofed)
rootkit ip addr add 198.18.1.78/32 dev eth0 2>/dev/null
out=$(rootkit curl -s -m 3 --interface 198.18.1.78 -x http://198.18.1.1:3128 -o /dev/null -w '%{http_code}' \
  http://api.allowed.test/ok.txt); status=$?
after=$(counter dropped_spoofed)
spoofed_http=$(grep -c '"client":"198.18.1.78:' "$LAB/state/http.jsonl" 2>/dev/null || true)
row bypass "Spoofed IPv4 source: HTTP proxy from 198.18.1.78" "dropped, not in Airlock's log" \
  "code '$out' (exit $status); nft dropped_spoofed +$((after - before)); HTTP log $spoofed_http" \
  $([[ $out == 000 && $after -gt $before && $spoofed_http == 0 ]] && echo 1)
out=$(ip netns exec "$SB6" dig +short +time=2 +tries=1 @198.18.3.1 api.allowed.test 2>&1)
row allowed "IPv6 sandbox: DNS over IPv4 through Airlock (198.18.3.1:53)" "198.18.100.10" "$out" \
  $([[ $out == 198.18.100.10 ]] && echo 1)
out=$(ip netns exec "$SB6" dig +short +time=2 +tries=1 @2001:2:0:3::1 api.allowed.test 2>&1)
row allowed "IPv6 sandbox: DNS over IPv6 through Airlock ([2001:2:0:3::1]:53)" "198.18.100.10" "$out" \
  $([[ $out == 198.18.100.10 ]] && echo 1)
spoofed_dns "Spoofed IPv6 source: DNS from a neighbour address 2001:2:0:3::77" "$SB6" "$T6" 2001:2:0:3::77 \
  2001:2:0:3::1 spoof6-neighbour.allowed.test
spoofed_dns "Spoofed IPv6 source: DNS from 2001:2:0:9::9, outside the sandbox's prefix" "$SB6" "$T6" 2001:2:0:9::9 \
  2001:2:0:3::1 spoof6-outside.allowed.test
spoofed_dns "Spoofed IPv4 source from the IPv6 sandbox: DNS as sandbox 198.18.1.2" "$SB6" "$T6" 198.18.1.2 198.18.3.1 \
  spoof6-v4.allowed.test

# ---------------------------------------------------------------- through the proxy (refused by Airlock)
code() { agent curl -s -m 8 --cacert "$LAB/etc/ca.pem" -o /dev/null -w '%{http_code} %{http_connect}' "$@"; }
expect_refused "DoT through the proxy: CONNECT 198.18.100.99:853" 403 bypass.dns-over-tls code https://198.18.100.99:853/
expect_refused "DoH to a built-in resolver: CONNECT dns.google:443" 403 bypass.dns-over-https code https://dns.google/dns-query
expect_refused "DoH to the policy's list: CONNECT doh.evil.test:443" 403 'http.doh_endpoints\[0\]' code https://doh.evil.test/dns-query
expect_refused "CONNECT to a private IP literal 10.0.0.1:443" 403 http.default code https://10.0.0.1/
expect_refused "CONNECT to an allowed name that resolves to 10.0.0.7" 403 http.allow_private_destinations code https://db.internal.test/
expect_refused "CONNECT to Airlock's metrics 198.18.1.1:9464" 403 http.default code https://198.18.1.1:9464/
expect_refused "Airlock's own host through an allowed range: self.allowed.test:9464 (198.18.100.1)" 403 http.own_host \
  code http://self.allowed.test:9464/metrics
expect_refused "Metadata IP 169.254.169.254 (even though listed in http.allow)" 403 http.metadata code http://169.254.169.254/latest/meta-data/
expect_refused "Metadata through a name (meta.evil.test → 169.254.169.254)" 403 http.metadata code http://meta.evil.test/
expect_refused "Forbidden host forbidden.test" 403 'http.deny\[0\]' code http://forbidden.test/
expect_refused "Name the DNS policy refuses (forbidden-dns.test)" 403 'dns.deny\[0\]' code http://forbidden-dns.test/
expect_refused "Upload over budget: 2 MiB POST (budget 1 MiB)" 403 http.upload_budget \
  code --data-binary @"$LAB/big.bin" http://api.allowed.test/upload
expect_refused "Forged proxy token" 407 http.proxy_token \
  code -x "http://agent:v1.x.9999999999.$(printf '0%.0s' $(seq 64))@198.18.1.1:3128" http://api.allowed.test/ok.txt
before=$(http_log_count http.sni_mismatch)
out=$(agent timeout 8 openssl s_client -proxy 198.18.1.1:3128 -connect api.allowed.test:443 -servername evil.test \
  -CAfile "$LAB/etc/ca.pem" </dev/null 2>&1 | grep -o 'alert access denied' | head -1)
sleep 0.3
after=$(http_log_count http.sni_mismatch)
row bypass "SNI mismatch: CONNECT api.allowed.test, ClientHello SNI evil.test" "TLS alert, logged http.sni_mismatch" \
  "'$out'; log +$((after - before))" $([[ $out == "alert access denied" && $after -gt $before ]] && echo 1)
before=$(http_log_count http.parse.content_length_with_transfer_encoding)
out=$(agent $PY -c '
import socket
s = socket.create_connection(("198.18.1.1", 3128), 5)
s.sendall(b"POST http://api.allowed.test/upload HTTP/1.1\r\nHost: api.allowed.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET http://forbidden.test/ HTTP/1.1\r\nHost: forbidden.test\r\n\r\n")
print(s.recv(100).split(b"\r\n")[0].decode())')
sleep 0.3
after=$(http_log_count http.parse.content_length_with_transfer_encoding)
row bypass "Request smuggling: Content-Length + Transfer-Encoding" "400, logged" "'$out'; log +$((after - before))" \
  $([[ $out == "HTTP/1.1 400 Bad Request" && $after -gt $before ]] && echo 1)
out=$(agent dig +time=2 +tries=1 forbidden-dns.test 2>&1 | grep -o 'status: [A-Z]*')
row bypass "DNS for a denied name (forbidden-dns.test)" "NXDOMAIN" "$out" $([[ $out == "status: NXDOMAIN" ]] && echo 1)
out=$(agent dig +time=2 +tries=1 rebind.test 2>&1 | grep -o 'status: [A-Z]*')
row bypass "DNS rebinding: rebind.test answers 10.0.0.5" "NXDOMAIN (answer refused)" "$out" $([[ $out == "status: NXDOMAIN" ]] && echo 1)

# ---------------------------------------------------------------- transparent mode (clients that ignore proxy settings)
TTABLE="airlock_${SBT//-/_}"
tcounter() { air nft list counter inet "$TTABLE" "$1" 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
direct=(curl -s -m 8 --noproxy '*' --cacert "$LAB/etc/ca.pem")
before=$(tcounter redirected_web)
out=$(agent_t "${direct[@]}" https://api.allowed.test/ok.txt)
after=$(tcounter redirected_web)
row allowed "Transparent: HTTPS, proxy settings ignored (routed by SNI)" "ok" "$out; redirected +$((after - before)) packets" \
  $([[ $out == ok && $after -gt $before ]] && echo 1)
out=$(agent_t "${direct[@]}" http://api.allowed.test/ok.txt)
row allowed "Transparent: plain HTTP, proxy settings ignored (routed by Host)" "ok" "$out" $([[ $out == ok ]] && echo 1)
before=$(http_log_count 'http.deny\[0\]')
out=$(agent_t "${direct[@]}" -o /dev/null -w '%{http_code}' https://forbidden.test/ 2>&1); status=$?
sleep 0.3
after=$(http_log_count 'http.deny\[0\]')
row bypass "Transparent: HTTPS to forbidden.test" "TLS alert, logged http.deny[0]" "exit $status; log +$((after - before))" \
  $([[ $status -ne 0 && $after -gt $before ]] && echo 1)
before=$(http_log_count 'http.deny\[0\]')
out=$(agent_t "${direct[@]}" -o /dev/null -w '%{http_code}' --resolve forbidden.test:443:198.18.100.10 https://forbidden.test/ 2>&1); status=$?
sleep 0.3
after=$(http_log_count 'http.deny\[0\]')
row bypass "Transparent: forbidden SNI sent to an allowed host's address" "TLS alert, logged http.deny[0]" \
  "exit $status; log +$((after - before))" $([[ $status -ne 0 && $after -gt $before ]] && echo 1)
before=$(http_log_count http.default)
out=$(agent_t "${direct[@]}" -o /dev/null -w '%{http_code}' http://198.18.100.10/ok.txt)
sleep 0.3
after=$(http_log_count http.default)
row bypass "Transparent: direct IP HTTP (Host 198.18.100.10)" "403, logged http.default" "$out; log +$((after - before))" \
  $([[ $out == 403 && $after -gt $before ]] && echo 1)
before=$(tcounter dropped_direct)
out=$(agent_t $PY -c 'import socket; socket.create_connection(("198.18.100.20",5555),3)' 2>&1); status=$?
after=$(tcounter dropped_direct)
row bypass "Transparent: raw TCP 198.18.100.20:5555 before any DNS answer named it (only 80/443 are redirected)" "dropped" \
  "exit $status; nft dropped_direct +$((after - before))" $([[ $status -ne 0 && $after -gt $before ]] && echo 1)
# Name-based policy for non-HTTP clients: an allowed answer opens its address for its TTL.
agent_t dig +short +time=2 +tries=1 raw.allowed.test >/dev/null 2>&1
sleep 0.5
before=$(tcounter accepted_fqdn)
out=$(agent_t $PY -c 'import socket; print(socket.create_connection(("198.18.100.20",5555),3).recv(64).decode().strip())' 2>&1)
after=$(tcounter accepted_fqdn)
row allowed "Name-based set: raw TCP to 198.18.100.20:5555 after Airlock answered raw.allowed.test" "connects" \
  "'$out'; nft accepted_fqdn +$((after - before))" $([[ $out == "hello from the raw service" && $after -gt $before ]] && echo 1)
set_entries=$(air nft list set inet "$TTABLE" fqdn_v4 2>/dev/null | grep -o '198\.18\.[0-9.]* timeout [0-9a-z]*' | paste -sd ',' -)
before=$(tcounter dropped_direct)
out=$(agent_t $PY -c 'import socket; socket.create_connection(("198.18.100.53",5555),3)' 2>&1); status=$?
after=$(tcounter dropped_direct)
row bypass "Name-based set: raw TCP to 198.18.100.53 (no answer to this sandbox returned it)" "dropped" \
  "exit $status; nft dropped_direct +$((after - before)); set: $set_entries" $([[ $status -ne 0 && $after -gt $before ]] && echo 1)
agent_t dig +short +time=2 +tries=1 doh.evil.test >/dev/null 2>&1
sleep 0.5
before=$(tcounter dropped_other_resolver_udp)
out=$(agent_t dig +time=2 +tries=1 @198.18.100.99 api.allowed.test 2>&1); status=$?
after=$(tcounter dropped_other_resolver_udp)
row bypass "Name-based set: DNS to 198.18.100.99 after an answer put it in the set" "dropped (DNS/DoT rules come first)" \
  "exit $status; nft dropped_other_resolver_udp +$((after - before))" $([[ $status -ne 0 && $after -gt $before ]] && echo 1)

# ---------------------------------------------------------------- data spelled in URLs (after the rows above:
# it spends the plain-HTTP information budget of allowed.test for clients in no sandbox)
before=$(http_log_count http.information_budget)
out=$(agent $PY "$ROOT/Tests/Integration/red-team.py" syllables 198.18.1.1:3128 1000 http://api.allowed.test/w/ 2>&1 | tail -1)
sleep 0.3
after=$(http_log_count http.information_budget)
leaked=$($PY -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["data_bytes_sent_ok"] if d["rule"] == "http.information_budget" else -1)' "$out" 2>/dev/null)
row bypass "Data as syllables in plain-HTTP paths (30 bytes a request; budget 8192 novel bytes)" \
  "403 within the budget, logged http.information_budget" "$out; log +$((after - before))" \
  $([[ -n $leaked && $leaked -ge 0 && $leaked -le 8192 && $after -gt $before ]] && echo 1)

# ---------------------------------------------------------------- Airlock's own surfaces
out=$(agent sh -c "echo '# x' >> '$LAB/etc/policy.yaml'" 2>&1); status=$?
row bypass "Write Airlock's policy file from the sandbox" "refused" "exit $status: ${out##*: }" $([[ $status -ne 0 ]] && echo 1)
out=$(agent cat "$LAB/etc/token.key" 2>&1 | head -c 80); status=$?
row bypass "Read Airlock's token key from the sandbox" "refused" "${out##*: }" $([[ $out == *"denied"* ]] && echo 1)
out=$(agent ls "$LAB/state" 2>&1 | wc -l)
row bypass "See Airlock's logs and spool (state dir) from the sandbox" "hidden (empty)" "$out entries" $([[ $out == 0 ]] && echo 1)
user=$(ps -o user= -p "$AIRLOCK_PID" 2>/dev/null | tr -d ' ')
row control "Airlock runs unprivileged after binding :53 and :3128" "nobody" "${user:-?}" $([[ $user == nobody ]] && echo 1)

# ---------------------------------------------------------------- fail closed: Airlock stopped
# With `airlock serve` stopped (SIGTERM, as systemd stops it) the rules stay in the host's namespace:
# every way out still fails, and not one IPv4 packet reaches the internet namespace (a counter there).
net nft -f - <<'NFT'
table inet failclosed {
  counter arrived { }
  chain pre { type filter hook prerouting priority -300; policy accept; iifname != "lo" meta nfproto ipv4 counter name arrived; }
}
NFT
kill -TERM "$AIRLOCK_PID" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "$AIRLOCK_PID" 2>/dev/null || break; sleep 0.1; done
stopped=$(kill -0 "$AIRLOCK_PID" 2>/dev/null && echo running || echo stopped)
row control "Airlock stopped with SIGTERM" "stopped" "$stopped" $([[ $stopped == stopped ]] && echo 1)
arrived() { net nft list counter inet failclosed arrived 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
arrived_before=$(arrived)
out=$(agent dig +time=2 +tries=1 api.allowed.test 2>&1 | grep -c 'status: NOERROR')
row fail-closed "DNS through the stopped Airlock (sandbox resolv.conf)" "no answer" "$out NOERROR answers" $([[ $out == 0 ]] && echo 1)
out=$(agent curl -s -m 3 -o /dev/null -w '%{http_code}' http://api.allowed.test/ok.txt 2>&1)
row fail-closed "HTTP through the stopped proxy (HTTP_PROXY)" "no response" "code '$out'" $([[ $out == 000 ]] && echo 1)
expect_dropped "Airlock stopped: direct HTTP to 198.18.100.10 (root in the sandbox)" "dropped" dropped_direct \
  rootkit curl -s -m 3 --noproxy '*' http://198.18.100.10/ok.txt
expect_dropped "Airlock stopped: other resolver UDP 53 (root in the sandbox)" "dropped" dropped_other_resolver_udp \
  rootkit dig +time=2 +tries=1 @198.18.100.99 api.allowed.test
expect_dropped "Airlock stopped: ICMP echo to the internet (root in the sandbox)" "dropped" dropped_icmp \
  rootkit ping -c 1 -W 2 198.18.100.10
arrived_after=$(arrived)
row fail-closed "IPv4 packets reaching the internet namespace while Airlock is stopped" "0" \
  "$((arrived_after - arrived_before))" $([[ -n $arrived_after && $arrived_after == "$arrived_before" ]] && echo 1)
out=$(air curl -s -m 3 http://198.18.100.10/ok.txt)
arrived_control=$(arrived)
row control "The internet counter sees the host's own request (the counter works)" "ok, counter moves" \
  "$out, +$((arrived_control - arrived_after)) packets" $([[ $out == ok && $arrived_control -gt $arrived_after ]] && echo 1)

# ---------------------------------------------------------------- the matrix
{
  echo
  echo "Bypass matrix (sandbox $SB, Airlock $(basename "$AIRLOCK"), $(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo
  echo "| kind | attempt | expected | observed | result |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "nftables counters (table inet $TABLE in the airlock namespace):"
  "$SANDBOX_SH" counters --name "$SB" --host-ns "$NS_AIR" | sed 's/^/  /'
  echo "transparent sandbox (table inet $TTABLE):"
  "$SANDBOX_SH" counters --name "$SBT" --host-ns "$NS_AIR" | grep -v ' packets 0 ' | sed 's/^/  /'
  echo "IPv6 sandbox (table inet $T6):"
  "$SANDBOX_SH" counters --name "$SB6" --host-ns "$NS_AIR" | grep -v ' packets 0 ' | sed 's/^/  /'
  echo
  echo "HTTP decisions logged: $(wc -l <"$LAB/state/http.jsonl") ($(grep -c '"action":"block"' "$LAB/state/http.jsonl") blocks);" \
    "DNS decisions: $(wc -l <"$LAB/state/dns.jsonl"); alert records: $(wc -l <"$LAB/state/alerts.jsonl" 2>/dev/null || echo 0)"
  echo "alerts by kind (OCSF finding titles): $(grep -o '"title":"[^"]*"' "$LAB/state/alerts.jsonl" 2>/dev/null | sort | uniq -c | tr -s ' ' | paste -sd ',' -)"
  echo "rows: ${#ROWS[@]}, not as expected: $FAILED"
} | tee "$LAB/matrix.md"
[[ -n ${MATRIX_OUT:-} ]] && cp "$LAB/matrix.md" "$MATRIX_OUT"
if ((FAILED > 0)); then
  echo "--- airlock stderr"; tail -20 "$LAB/airlock.err"
  echo "--- last HTTP decisions"; tail -5 "$LAB/state/http.jsonl" | cut -c1-400
fi
((FAILED == 0))
