#!/usr/bin/env bash
# Regenerates every capture in Captures/ and Captures/manifest.json.
#
# Real DNS-tunnel sessions (iodine, dns2tcp) and benign DNS from real clients (glibc via getent, dig,
# kdig) against a real authoritative server (nsd) and a real recursive resolver (unbound), captured
# with tcpdump inside two network namespaces joined by one veth pair. Every address is in
# 198.18.0.0/15; nothing routes off the machine. Run as root:   Captures/generate.sh
#
# Environment: ALK_CAP_SEED=N   fixes the seed (tunnel domains, benign names); random otherwise.
#              ALK_CAP_KEEP=1   keeps the work directory (raw captures, logs) for inspection.
#              ALK_CAP_ONLY=re  only runs captures whose name matches the regex (manifest is then
#                               written to the work directory, Captures/ is left alone).
set -euo pipefail

# Debian packages this script uses (installed if missing; daemons kept from auto-starting).
PACKAGES=(iodine dns2tcp tcpdump tshark nsd unbound knot-dnsutils dnsutils iproute2 iputils-ping
          dnsrecon publicsuffix python3 libc-bin coreutils procps)
# PyPI package for real registered domains (Chromium's HSTS preload list).
PYPI_PACKAGES=(hstspreload)

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIB="$HERE/lib"
CLIENT_NS=alk-cap-client
SERVER_NS=alk-cap-server
CLIENT_IF=alkcap-c
SERVER_IF=alkcap-s
CLIENT_IP=198.18.10.1     # every client
SERVER_IP=198.18.10.2     # iodined / dns2tcpd (direct runs) and unbound (resolver runs)
AUTH_IP=198.18.10.3       # nsd, for the benign capture that queries the authoritative server directly
# Emulated network distance (lib/delay_relay.py; this kernel has no netem): one-way delay + jitter, ms.
TUNNEL_DELAY=(15 10)      # client or resolver -> remote tunnel server: RTT ~30-50 ms
AUTH_DELAY=(10 30)        # resolver or client -> authoritative servers: RTT ~20-80 ms
TUNNEL_CAP=$((1024 * 1024))

log() { printf '[generate %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces, tun devices, port 53)"

# ---------------------------------------------------------------------------- packages
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if [[ ! -e $POLICY ]]; then
      printf '#!/bin/sh\nexit 101\n' >"$POLICY"; chmod +x "$POLICY"; CREATED_POLICY=1
    fi
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if ((CREATED_POLICY)); then rm -f "$POLICY"; CREATED_POLICY=0; fi
  fi
  if ! python3 -c 'import hstspreload' 2>/dev/null; then
    if ! python3 -m pip --version >/dev/null 2>&1; then
      apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
    fi
    python3 -m pip install -q "${PYPI_PACKAGES[@]}" 2>/dev/null ||
      python3 -m pip install -q --break-system-packages "${PYPI_PACKAGES[@]}"
  fi
}

# ---------------------------------------------------------------------------- processes and cleanup
PIDS=()
WORK=""
cleanup() {
  local rc=$? i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  ip netns del "$CLIENT_NS" 2>/dev/null || true
  ip netns del "$SERVER_NS" 2>/dev/null || true
  rm -rf "/etc/netns/$CLIENT_NS"
  if ((CREATED_POLICY)); then rm -f "$POLICY"; fi
  if [[ -n $WORK && ${ALK_CAP_KEEP:-0} != 1 ]]; then rm -rf "$WORK"; elif [[ -n $WORK ]]; then log "work directory kept: $WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  for i in {1..40}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# start_bg VAR NAMESPACE LOGFILE command...  (ip netns exec execs the command: $! is its PID)
start_bg() {
  local __var=$1 ns=$2 logf=$3
  shift 3
  ip netns exec "$ns" "$@" >"$logf" 2>&1 &
  PIDS+=("$!")
  printf -v "$__var" '%s' "$!"
}

wait_exit() { # wait_exit PID SECONDS: give a process time to finish on its own, then stop it
  local i
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  stop_pid "$1"
}

wait_for() { # wait_for SECONDS command...   (polls every 0.2 s)
  local limit=$1 i
  shift
  for ((i = 0; i < limit * 5; i++)); do "$@" && return 0; sleep 0.2; done
  return 1
}

# ---------------------------------------------------------------------------- topology
setup_topology() {
  ip netns del "$CLIENT_NS" 2>/dev/null || true
  ip netns del "$SERVER_NS" 2>/dev/null || true
  ip netns add "$CLIENT_NS"
  ip netns add "$SERVER_NS"
  ip link add "$CLIENT_IF" type veth peer name "$SERVER_IF"
  ip link set "$CLIENT_IF" netns "$CLIENT_NS"
  ip link set "$SERVER_IF" netns "$SERVER_NS"
  # The capture link carries IPv4 only (no IPv6 neighbour discovery noise).
  ip netns exec "$SERVER_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$CLIENT_NS" sysctl -qw "net.ipv6.conf.$CLIENT_IF.disable_ipv6=1"
  ip -n "$CLIENT_NS" link set lo up
  ip -n "$SERVER_NS" link set lo up
  ip -n "$CLIENT_NS" addr add "$CLIENT_IP/24" dev "$CLIENT_IF"
  ip -n "$SERVER_NS" addr add "$SERVER_IP/24" dev "$SERVER_IF"
  ip -n "$SERVER_NS" addr add "$AUTH_IP/24" dev "$SERVER_IF"
  ip -n "$CLIENT_NS" link set "$CLIENT_IF" up
  ip -n "$SERVER_NS" link set "$SERVER_IF" up
  # A global IPv6 address on a second, namespace-internal veth pair makes glibc's getaddrinfo
  # (AI_ADDRCONFIG) ask for AAAA as well as A, as on a dual-stack desktop. Nothing is sent on it.
  ip -n "$CLIENT_NS" link add alkcap-6a type veth peer name alkcap-6b
  ip -n "$CLIENT_NS" addr add 2001:db8:10::1/64 dev alkcap-6a nodad
  ip -n "$CLIENT_NS" link set alkcap-6a up
  ip -n "$CLIENT_NS" link set alkcap-6b up
  mkdir -p "/etc/netns/$CLIENT_NS"
  set_resolver "$SERVER_IP"
  ip netns exec "$CLIENT_NS" ping -c 1 -W 2 "$SERVER_IP" >/dev/null || die "veth link down"
}

set_resolver() { # what glibc, dig and kdig in the client namespace use
  printf 'nameserver %s\nsearch home.arpa\noptions timeout:2 attempts:2\n' "$1" >"/etc/netns/$CLIENT_NS/resolv.conf"
}

# ---------------------------------------------------------------------------- capture
CAP_PID=""
capture_start() { # NAME
  : >"$WORK/logs/$1.tcpdump.log"
  start_bg CAP_PID "$CLIENT_NS" "$WORK/logs/$1.tcpdump.log" \
    tcpdump -i "$CLIENT_IF" -s 0 -U -n -Z root -w "$WORK/raw/$1.pcap"
  wait_for 5 grep -qs "listening on" "$WORK/logs/$1.tcpdump.log" || die "tcpdump did not start for $1"
  sleep 0.3
}
capture_stop() {
  sleep 0.5
  stop_pid "$CAP_PID"
}

# finalize NAME RELPATH MAXBYTES: prove the raw capture stayed in 198.18/15, keep DNS (and IP
# fragments, which carry no port), and check the size.
finalize() {
  local name=$1 rel=$2 max=$3 out="$WORK/out/$2" size
  python3 "$LIB/inspect_pcap.py" check "$WORK/raw/$name.pcap" >"$WORK/logs/$name.check.json" ||
    die "$name: traffic outside 198.18.0.0/15 (see above)"
  mkdir -p "$(dirname "$out")"
  tcpdump -r "$WORK/raw/$name.pcap" -w "$out" 'port 53 or (ip[6:2] & 0x1fff != 0)' 2>/dev/null
  size=$(stat -c %s "$out")
  if ((size > max)); then
    log "$name: $size bytes > $max, keeping the first packets only"
    local keep=$(( $(tcpdump -r "$out" 2>/dev/null | wc -l) * max / size ))
    tcpdump -r "$WORK/raw/$name.pcap" -w "$out" -c "$keep" 'port 53 or (ip[6:2] & 0x1fff != 0)' 2>/dev/null
    TRUNCATED=true
  fi
  log "$name: $(stat -c %s "$out") bytes -> $rel"
}

pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
now_utc() { date -u +%Y-%m-%dT%H:%M:%SZ; }
rand_secret() { head -c 64 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c "$1"; }
want() { [[ -z ${ALK_CAP_ONLY:-} || $1 =~ $ALK_CAP_ONLY ]]; }

# ---------------------------------------------------------------------------- tunnel domains
# Test-only registered domains under real public suffixes (never resolved outside the namespaces);
# each tunnel run takes a different one, with a varying tunnel label, so no test can key on a name.
TUNNEL_BASES=(airlock-test.net airlock-lab.org alk-tunnel-test.com airlockqa.io airlock-canary.net
              test-airlock.org airlock-sandbox.com alk-lab.net airlocktest.co.uk airlock-e2e.de
              airlock-demo.com.au alkcheck.info airlock-probe.xyz airlock-staging.eu)
TUNNEL_LABELS=(t1 t x d ns tun z9 dn a v2 io c2 up s)
ZONE_I=0
next_zone() { # sets ZONE and BASE
  BASE=${TUNNEL_BASES[ZONE_I % ${#TUNNEL_BASES[@]}]}
  ZONE="${TUNNEL_LABELS[(ZONE_I * 5 + SEED) % ${#TUNNEL_LABELS[@]}]}.$BASE"  # 5 is coprime to 14: all labels come round
  ZONE_I=$((ZONE_I + 1))
}
shuffle_bases() {
  local i j t n=${#TUNNEL_BASES[@]}
  RANDOM=$SEED
  for ((i = n - 1; i > 0; i--)); do
    j=$((RANDOM % (i + 1)))
    t=${TUNNEL_BASES[i]}; TUNNEL_BASES[i]=${TUNNEL_BASES[j]}; TUNNEL_BASES[j]=$t
  done
}

# start_relay VAR LISTEN BACKEND DELAY_MS JITTER_MS [--tcp]: emulated network path to a server
start_relay() {
  local __v=$1 listen=$2 backend=$3 d=$4 j=$5 pid
  shift 5
  start_bg pid "$SERVER_NS" "$WORK/logs/relay-${listen//[:.]/_}.log" \
    python3 "$LIB/delay_relay.py" --listen "$listen" --backend "$backend" --delay-ms "$d" --jitter-ms "$j" \
    --seconds 900 --seed "$SEED" "$@"
  wait_for 10 grep -qs "^relay" "$WORK/logs/relay-${listen//[:.]/_}.log" || die "relay $listen did not start"
  printf -v "$__v" '%s' "$pid"
}

# unbound as the recursive resolver at $SERVER_IP; args: stub-zone lines "ZONE ADDR@PORT"
UB_PID=""
start_unbound() {
  local conf="$WORK/unbound.conf" z
  {
    printf 'server:\n\tinterface: %s\n\tport: 53\n\tdo-ip6: no\n\taccess-control: 198.18.0.0/15 allow\n' "$SERVER_IP"
    printf '\tdo-not-query-localhost: no\n\tmodule-config: "iterator"\n\tqname-minimisation: no\n'
    printf '\tusername: ""\n\tchroot: ""\n\tdirectory: "%s"\n\tpidfile: "%s/unbound.pid"\n' "$WORK" "$WORK"
    printf '\tuse-syslog: no\n\tlogfile: "%s/logs/unbound.log"\n\tverbosity: 1\n\tnum-threads: 1\n' "$WORK"
    printf '\thide-version: yes\n\tedns-buffer-size: 1232\n'
    for z in "$@"; do
      printf 'stub-zone:\n\tname: "%s"\n\tstub-addr: %s\n' "${z%% *}" "${z#* }"
    done
    printf 'remote-control:\n\tcontrol-enable: no\n'
  } >"$conf"
  unbound-checkconf "$conf" >/dev/null
  : >"$WORK/logs/unbound.log"
  start_bg UB_PID "$SERVER_NS" "$WORK/logs/unbound.out" unbound -d -c "$conf"
  wait_for 10 grep -qs "start of service" "$WORK/logs/unbound.log" || die "unbound did not start"
}

# ---------------------------------------------------------------------------- iodine
# run_iodine NAME RTYPE CODEC(or -) PATH(direct|resolver) UP_BYTES DOWN_BYTES
run_iodine() {
  local name=$1 rtype=$2 codec=$3 path=$4 up=$5 down=$6
  want "$name" || return 0
  next_zone
  local pw net tunsrv srvcmd clicmd ipid ip_cli up_ok=false ping_rx=0 xfer="{}" upc dnc started
  pw=$(rand_secret 16)
  NET_I=$((NET_I + 1))
  tunsrv="198.19.$NET_I.1"
  net="$tunsrv/27"
  TRUNCATED=false
  started=$(now_utc)
  log "$name: iodine -T $rtype ${codec/-/auto} via $path, zone $ZONE"
  local rpid
  srvcmd=(iodined -f -l 127.0.0.1 -p 5300 -P "$pw" "$net" "$ZONE")
  start_bg ipid "$SERVER_NS" "$WORK/logs/$name.iodined.log" "${srvcmd[@]}"
  wait_for 10 grep -qs "Listening to dns" "$WORK/logs/$name.iodined.log" || die "iodined did not start"
  if [[ $path == direct ]]; then
    start_relay rpid "$SERVER_IP:53" 127.0.0.1:5300 "${TUNNEL_DELAY[@]}"
  else
    start_relay rpid 127.0.0.1:5400 127.0.0.1:5300 "${TUNNEL_DELAY[@]}"
    start_unbound "$ZONE 127.0.0.1@5400"
  fi
  clicmd=(iodine -f -r -P "$pw" -T "$rtype")
  [[ $codec != - ]] && clicmd+=(-O "$codec")
  clicmd+=("$SERVER_IP" "$ZONE")
  capture_start "$name"
  start_bg ip_cli "$CLIENT_NS" "$WORK/logs/$name.iodine.log" timeout 90 "${clicmd[@]}"
  if wait_for 30 grep -qs "Connection setup complete" "$WORK/logs/$name.iodine.log"; then
    ping_rx=$(ip netns exec "$CLIENT_NS" ping -n -c 5 -i 0.3 -W 3 "$tunsrv" 2>/dev/null |
      sed -n 's/.* \([0-9]*\) received.*/\1/p')
    ping_rx=${ping_rx:-0}
    local xs xc
    start_bg xs "$SERVER_NS" "$WORK/logs/$name.xfer-server.json" \
      timeout 40 python3 "$LIB/xfer.py" server --host "$tunsrv" --port 8080 --up "$up" --down "$down" --timeout 30
    sleep 0.5
    ip netns exec "$CLIENT_NS" timeout 40 python3 "$LIB/xfer.py" client --host "$tunsrv" --port 8080 \
      --up "$up" --down "$down" --timeout 30 >"$WORK/logs/$name.xfer-client.json" 2>&1 || true
    wait_exit "$xs" 10
    xfer=$(python3 "$LIB/xfer_check.py" "$WORK/logs/$name.xfer-client.json" "$WORK/logs/$name.xfer-server.json")
    sleep 3 # idle: lazy-mode polling continues while nothing is sent
    ((ping_rx > 0)) && up_ok=true
  else
    log "$name: tunnel did not come up"; tail -5 "$WORK/logs/$name.iodine.log" >&2
  fi
  stop_pid "$ip_cli"
  capture_stop
  [[ $path == resolver ]] && stop_pid "$UB_PID"
  stop_pid "$rpid"
  stop_pid "$ipid"
  upc=$(sed -n 's/^Server switched upstream to codec \(.*\)$/\1/p' "$WORK/logs/$name.iodine.log" | tail -1)
  dnc=$(sed -n 's/^Server switched downstream to codec \(.*\)$/\1/p' "$WORK/logs/$name.iodine.log" | tail -1)
  [[ $rtype == NULL || $rtype == PRIVATE ]] && [[ -z $dnc ]] && dnc="raw (binary RDATA)"
  finalize "$name" "tunnel/$name.pcap" "$TUNNEL_CAP"
  local server_where="iodined on 127.0.0.1:5300 in $SERVER_NS, reached at $SERVER_IP:53 through lib/delay_relay.py (one-way ${TUNNEL_DELAY[0]}+${TUNNEL_DELAY[1]} ms)"
  [[ $path == resolver ]] && server_where="unbound on $SERVER_IP:53 (stub-zone $ZONE -> 127.0.0.1:5400) -> lib/delay_relay.py (one-way ${TUNNEL_DELAY[0]}+${TUNNEL_DELAY[1]} ms) -> iodined on 127.0.0.1:5300"
  python3 "$LIB/manifest.py" entry --out "$WORK/meta/$name.json" \
    --set "file=tunnel/$name.pcap" --set verdict=tunnel --set "tunnel_domain=$BASE" --set "tunnel_zone=$ZONE" \
    --set tool=iodine --set "tool_version=$(pkgver iodine)" --set "record_type=$rtype" \
    --set "downstream_codec=${dnc:-unknown}" --set "upstream_codec=${upc:-unknown}" \
    --set "requested_downstream_codec=${codec/-/auto}" --set "path=$path" \
    --set "client=$CLIENT_IP" --set "server=$SERVER_IP" --set "server_process=$server_where" \
    --json "tunnel_up=$up_ok" --json "ping_replies=${ping_rx}" --json "data=$xfer" --json "truncated=$TRUNCATED" \
    --set "started=$started" --set "generated=$(now_utc)" \
    --cmd "[$SERVER_NS] ${srvcmd[*]}" --cmd "[$CLIENT_NS] ${clicmd[*]}" \
    --cmd "[$CLIENT_NS] ping -n -c 5 -i 0.3 -W 3 $tunsrv" \
    --cmd "[$SERVER_NS] python3 lib/xfer.py server --host $tunsrv --port 8080 --up $up --down $down" \
    --cmd "[$CLIENT_NS] python3 lib/xfer.py client --host $tunsrv --port 8080 --up $up --down $down"
}

# ---------------------------------------------------------------------------- dns2tcp
# run_dns2tcp NAME QTYPE(TXT|KEY) COMPRESS(0|1) PATH(direct|resolver) UP DOWN
run_dns2tcp() {
  local name=$1 qtype=$2 comp=$3 path=$4 up=$5 down=$6
  want "$name" || return 0
  next_zone
  local key conf listen port dpid cpid xs xfer up_ok=false started clicmd listcmd
  key=$(rand_secret 12)
  TRUNCATED=false
  started=$(now_utc)
  local rpid
  listen=127.0.0.1; port=5300
  log "$name: dns2tcp -T $qtype compression=$comp via $path, zone $ZONE"
  conf="$WORK/$name.dns2tcpd.conf"
  printf 'listen = %s\nport = %s\nuser = nobody\nchroot = /var/empty\ndomain = %s\nkey = %s\nresources = web:127.0.0.1:8080\n' \
    "$listen" "$port" "$ZONE" "$key" >"$conf"
  mkdir -p /var/empty
  start_bg dpid "$SERVER_NS" "$WORK/logs/$name.dns2tcpd.log" dns2tcpd -F -f "$conf"
  sleep 1
  kill -0 "$dpid" 2>/dev/null || { cat "$WORK/logs/$name.dns2tcpd.log" >&2; die "dns2tcpd did not start"; }
  if [[ $path == direct ]]; then
    start_relay rpid "$SERVER_IP:53" "127.0.0.1:$port" "${TUNNEL_DELAY[@]}"
  else
    start_relay rpid 127.0.0.1:5400 "127.0.0.1:$port" "${TUNNEL_DELAY[@]}"
    start_unbound "$ZONE 127.0.0.1@5400"
  fi
  start_bg xs "$SERVER_NS" "$WORK/logs/$name.xfer-server.json" \
    timeout 60 python3 "$LIB/xfer.py" server --host 127.0.0.1 --port 8080 --up "$up" --down "$down" --timeout 50
  capture_start "$name"
  # First what a user does: ask the server which resources it offers.
  listcmd=(dns2tcpc -z "$ZONE" -k "$key" -T "$qtype" "$SERVER_IP")
  ip netns exec "$CLIENT_NS" timeout 15 "${listcmd[@]}" >"$WORK/logs/$name.list.log" 2>&1 || true
  clicmd=(dns2tcpc -z "$ZONE" -k "$key" -r web -l 8081 -T "$qtype")
  ((comp)) && clicmd+=(-c)
  clicmd+=("$SERVER_IP")
  start_bg cpid "$CLIENT_NS" "$WORK/logs/$name.dns2tcpc.log" timeout 90 "${clicmd[@]}"
  wait_for 10 grep -qs "Listening on port" "$WORK/logs/$name.dns2tcpc.log" || log "$name: dns2tcpc not listening"
  ip netns exec "$CLIENT_NS" timeout 55 python3 "$LIB/xfer.py" client --host 127.0.0.1 --port 8081 \
    --up "$up" --down "$down" --timeout 45 >"$WORK/logs/$name.xfer-client.json" 2>&1 || true
  wait_exit "$xs" 10
  xfer=$(python3 "$LIB/xfer_check.py" "$WORK/logs/$name.xfer-client.json" "$WORK/logs/$name.xfer-server.json")
  sleep 2
  stop_pid "$cpid"
  capture_stop
  [[ $path == resolver ]] && stop_pid "$UB_PID"
  stop_pid "$rpid"
  stop_pid "$dpid"
  python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]).get("verified") else 1)' "$xfer" && up_ok=true
  finalize "$name" "tunnel/$name.pcap" "$TUNNEL_CAP"
  local server_where="dns2tcpd on 127.0.0.1:$port in $SERVER_NS, reached at $SERVER_IP:53 through lib/delay_relay.py (one-way ${TUNNEL_DELAY[0]}+${TUNNEL_DELAY[1]} ms)"
  [[ $path == resolver ]] && server_where="unbound on $SERVER_IP:53 (stub-zone $ZONE -> 127.0.0.1:5400) -> lib/delay_relay.py (one-way ${TUNNEL_DELAY[0]}+${TUNNEL_DELAY[1]} ms) -> dns2tcpd on 127.0.0.1:$port"
  python3 "$LIB/manifest.py" entry --out "$WORK/meta/$name.json" \
    --set "file=tunnel/$name.pcap" --set verdict=tunnel --set "tunnel_domain=$BASE" --set "tunnel_zone=$ZONE" \
    --set tool=dns2tcp --set "tool_version=$(pkgver dns2tcp)" --set "record_type=$qtype" \
    --set "downstream_codec=base64 in $qtype RDATA" --set "upstream_codec=base64 labels" \
    --set "compression=$([[ $comp == 1 ]] && echo zlib || echo none)" --set "path=$path" \
    --set "client=$CLIENT_IP" --set "server=$SERVER_IP" --set "server_process=$server_where" \
    --json "tunnel_up=$up_ok" --json "data=$xfer" --json "truncated=$TRUNCATED" \
    --set "started=$started" --set "generated=$(now_utc)" \
    --cmd "[$SERVER_NS] dns2tcpd -F -f dns2tcpd.conf  # $(tr '\n' ';' <"$conf")" \
    --cmd "[$SERVER_NS] python3 lib/xfer.py server --host 127.0.0.1 --port 8080 --up $up --down $down" \
    --cmd "[$CLIENT_NS] ${listcmd[*]}" --cmd "[$CLIENT_NS] ${clicmd[*]}" \
    --cmd "[$CLIENT_NS] python3 lib/xfer.py client --host 127.0.0.1 --port 8081 --up $up --down $down"
}

# ---------------------------------------------------------------------------- benign
NSD_PID=""
start_nsd() {
  mkdir -p "$WORK/nsd"
  cat >"$WORK/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@5354
	database: ""
	zonelistfile: "$WORK/nsd/zone.list"
	xfrdfile: "$WORK/nsd/xfrd.state"
	pidfile: "$WORK/nsd/nsd.pid"
	logfile: "$WORK/logs/nsd.log"
	username: ""
	chroot: ""
	server-count: 1
	verbosity: 1
	hide-version: yes
	do-ip6: no
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
include: "$WORK/benign/nsd-zones.conf"
EOF
  nsd-checkconf "$WORK/nsd.conf"
  start_bg NSD_PID "$SERVER_NS" "$WORK/logs/nsd.out" nsd -d -c "$WORK/nsd.conf"
  wait_for 20 grep -qs "nsd started" "$WORK/logs/nsd.log" || die "nsd did not start"
  if grep -q "error:" "$WORK/logs/nsd.log"; then grep "error:" "$WORK/logs/nsd.log" >&2; die "nsd zone errors"; fi
}

# run_benign NAME PLAN RESOLVER_IP PATH DESCRIPTION
run_benign() {
  local name=$1 plan=$2 rip=$3 path=$4 desc=$5 started stats
  want "$name" || return 0
  set_resolver "$rip"
  # warm-up check outside the capture
  ip netns exec "$CLIENT_NS" dig +short +tries=1 +time=2 "@$rip" "www.${POPULAR0}" A >/dev/null || die "resolver $rip not answering"
  started=$(now_utc)
  log "$name: $(python3 "$LIB/benign.py" count --plan "$WORK/benign/plan-$plan.json") client invocations against $rip"
  capture_start "$name"
  stats=$(ip netns exec "$CLIENT_NS" timeout 600 python3 "$LIB/benign.py" run --plan "$WORK/benign/plan-$plan.json" \
    --log "$WORK/logs/$name.clients.log" --max-seconds 500)
  capture_stop
  TRUNCATED=false
  finalize "$name" "benign/$name.pcap" $((4 * 1024 * 1024))
  python3 "$LIB/manifest.py" entry --out "$WORK/meta/$name.json" \
    --set "file=benign/$name.pcap" --set verdict=benign --json tunnel_domain=null --json tunnel_zone=null \
    --set "tool=glibc getent, dig, kdig" \
    --set "tool_version=libc6 $(pkgver libc6); dnsutils $(pkgver dnsutils); knot-dnsutils $(pkgver knot-dnsutils)" \
    --json record_type=null --set "path=$path" --set "client=$CLIENT_IP" --set "server=$rip" \
    --set "server_process=$desc" --json "client_run=$stats" --json "truncated=$TRUNCATED" \
    --set "started=$started" --set "generated=$(now_utc)" \
    --cmd "[$CLIENT_NS] python3 lib/benign.py run --plan plan-$plan.json  # runs getent ahosts/hosts, dig, dig -f, kdig" \
    --cmd "[$SERVER_NS] nsd -d -c nsd.conf  # 127.0.0.1@5354, rrl off, zones from lib/benign.py build" \
    --cmd "$([[ $path == resolver ]] && echo "[$SERVER_NS] unbound -d -c unbound.conf  # stub-zone . -> 127.0.0.1@5353 (relay to nsd)" || echo "(no resolver: clients query nsd on $AUTH_IP directly)")"
}

# run_mixed NAME RTYPE CODEC UP DOWN: an iodine tunnel through the resolver while the same client
# browses (plan "mixed" of lib/benign.py, replayed against unbound). Needs nsd and its relay running.
run_mixed() {
  local name=$1 rtype=$2 codec=$3 up=$4 down=$5
  want "$name" || return 0
  next_zone
  local pw net tunsrv ipid rpid ip_cli bpid xs up_ok=false ping_rx=0 xfer="{}" started srvcmd clicmd upc dnc
  pw=$(rand_secret 16)
  NET_I=$((NET_I + 1))
  tunsrv="198.19.$NET_I.1"
  net="$tunsrv/27"
  TRUNCATED=false
  started=$(now_utc)
  log "$name: iodine -T $rtype ${codec/-/auto} via resolver with benign browsing, zone $ZONE"
  srvcmd=(iodined -f -l 127.0.0.1 -p 5300 -P "$pw" "$net" "$ZONE")
  start_bg ipid "$SERVER_NS" "$WORK/logs/$name.iodined.log" "${srvcmd[@]}"
  wait_for 10 grep -qs "Listening to dns" "$WORK/logs/$name.iodined.log" || die "iodined did not start"
  start_relay rpid 127.0.0.1:5400 127.0.0.1:5300 "${TUNNEL_DELAY[@]}"
  stop_pid "$UB_PID"
  start_unbound ". 127.0.0.1@5353" "$ZONE 127.0.0.1@5400"
  set_resolver "$SERVER_IP"
  clicmd=(iodine -f -r -P "$pw" -T "$rtype")
  [[ $codec != - ]] && clicmd+=(-O "$codec")
  clicmd+=("$SERVER_IP" "$ZONE")
  capture_start "$name"
  start_bg bpid "$CLIENT_NS" "$WORK/logs/$name.benign-run.json" timeout 300 python3 "$LIB/benign.py" run \
    --plan "$WORK/benign/plan-mixed.json" --log "$WORK/logs/$name.clients.log" --max-seconds 240
  sleep 2
  start_bg ip_cli "$CLIENT_NS" "$WORK/logs/$name.iodine.log" timeout 200 "${clicmd[@]}"
  if wait_for 30 grep -qs "Connection setup complete" "$WORK/logs/$name.iodine.log"; then
    ping_rx=$(ip netns exec "$CLIENT_NS" ping -n -c 5 -i 0.3 -W 3 "$tunsrv" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p')
    ping_rx=${ping_rx:-0}
    start_bg xs "$SERVER_NS" "$WORK/logs/$name.xfer-server.json" \
      timeout 40 python3 "$LIB/xfer.py" server --host "$tunsrv" --port 8080 --up "$up" --down "$down" --timeout 30
    sleep 0.5
    ip netns exec "$CLIENT_NS" timeout 40 python3 "$LIB/xfer.py" client --host "$tunsrv" --port 8080 \
      --up "$up" --down "$down" --timeout 30 >"$WORK/logs/$name.xfer-client.json" 2>&1 || true
    wait_exit "$xs" 10
    xfer=$(python3 "$LIB/xfer_check.py" "$WORK/logs/$name.xfer-client.json" "$WORK/logs/$name.xfer-server.json")
    ((ping_rx > 0)) && up_ok=true
  else
    log "$name: tunnel did not come up"
  fi
  wait_exit "$bpid" 260 # the browsing goes on; the idle tunnel keeps polling until it ends
  stop_pid "$ip_cli"
  capture_stop
  stop_pid "$rpid"
  stop_pid "$ipid"
  upc=$(sed -n 's/^Server switched upstream to codec \(.*\)$/\1/p' "$WORK/logs/$name.iodine.log" | tail -1)
  dnc=$(sed -n 's/^Server switched downstream to codec \(.*\)$/\1/p' "$WORK/logs/$name.iodine.log" | tail -1)
  [[ $rtype == NULL || $rtype == PRIVATE ]] && [[ -z $dnc ]] && dnc="raw (binary RDATA)"
  finalize "$name" "mixed/$name.pcap" $((2 * TUNNEL_CAP))
  python3 "$LIB/manifest.py" entry --out "$WORK/meta/$name.json" \
    --set "file=mixed/$name.pcap" --set verdict=tunnel --set "tunnel_domain=$BASE" --set "tunnel_zone=$ZONE" \
    --set tool=iodine --set "tool_version=$(pkgver iodine)" --set "record_type=$rtype" \
    --set "downstream_codec=${dnc:-unknown}" --set "upstream_codec=${upc:-unknown}" \
    --set "requested_downstream_codec=${codec/-/auto}" --set path=resolver \
    --set "client=$CLIENT_IP" --set "server=$SERVER_IP" \
    --set "server_process=unbound on $SERVER_IP:53 (stub-zone . -> nsd relay, stub-zone $ZONE -> 127.0.0.1:5400) -> lib/delay_relay.py -> iodined on 127.0.0.1:5300" \
    --json "tunnel_up=$up_ok" --json "ping_replies=${ping_rx}" --json "data=$xfer" --json "truncated=$TRUNCATED" \
    --json mixed=true --set "other_domains_verdict=benign" \
    --json "client_run=$(tail -1 "$WORK/logs/$name.benign-run.json" 2>/dev/null || echo null)" \
    --set "started=$started" --set "generated=$(now_utc)" \
    --cmd "[$SERVER_NS] ${srvcmd[*]}" --cmd "[$CLIENT_NS] ${clicmd[*]}" \
    --cmd "[$CLIENT_NS] python3 lib/benign.py run --plan plan-mixed.json  # concurrently, against unbound" \
    --cmd "[$CLIENT_NS] ping -n -c 5 -i 0.3 -W 3 $tunsrv" \
    --cmd "[$SERVER_NS] python3 lib/xfer.py server --host $tunsrv --port 8080 --up $up --down $down" \
    --cmd "[$CLIENT_NS] python3 lib/xfer.py client --host $tunsrv --port 8080 --up $up --down $down"
}

# ---------------------------------------------------------------------------- main
main() {
  ensure_packages
  SEED=${ALK_CAP_SEED:-$((RANDOM * 32768 + RANDOM))}
  WORK=$(mktemp -d /tmp/alk-captures.XXXXXX)
  mkdir -p "$WORK"/{raw,out,logs,meta,benign}
  log "seed $SEED, work directory $WORK"
  shuffle_bases
  NET_I=0
  setup_topology

  # iodine: one run per record type, with the downstream codecs the brief asks for.
  #          NAME                        TYPE     CODEC    PATH      UP     DOWN
  run_iodine iodine-null-base32          NULL     base32   direct    32768  131072
  run_iodine iodine-txt-base64           TXT      base64   direct    24576  98304
  run_iodine iodine-txt-raw              TXT      raw      direct    24576  98304
  run_iodine iodine-cname-base32         CNAME    base32   direct    16384  24576
  run_iodine iodine-mx-base64u           MX       base64u  direct    16384  24576
  run_iodine iodine-a-base128            A        base128  direct    16384  24576
  run_iodine iodine-srv-base64           SRV      base64   direct    16384  24576
  run_iodine iodine-private-auto         PRIVATE  -        direct    32768  131072
  run_iodine iodine-null-via-resolver    NULL     -        resolver  24576  98304

  # dns2tcp: TXT (default), KEY with compression, and TXT through the recursive resolver.
  run_dns2tcp dns2tcp-txt                TXT 0 direct    24576 98304
  run_dns2tcp dns2tcp-key-compressed     KEY 1 direct    24576 98304
  run_dns2tcp dns2tcp-txt-via-resolver   TXT 0 resolver  16384 65536

  # Benign: nsd serves the zones, unbound resolves for the clients.
  python3 "$LIB/benign.py" build --out "$WORK/benign" --seed "$SEED" >"$WORK/logs/benign-build.json"
  POPULAR0=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import names; print(names.POPULAR[0])' "$LIB")
  start_nsd
  local r1 r2
  start_relay r1 127.0.0.1:5353 127.0.0.1:5354 "${AUTH_DELAY[@]}"
  start_relay r2 "$AUTH_IP:53" 127.0.0.1:5354 "${AUTH_DELAY[@]}" --tcp
  start_unbound ". 127.0.0.1@5353"
  local via="lib/delay_relay.py (one-way ${AUTH_DELAY[0]}+${AUTH_DELAY[1]} ms) -> nsd on 127.0.0.1:5354"
  run_benign benign-stub-resolver   resolver "$SERVER_IP" resolver "unbound on $SERVER_IP:53 (recursive; stub-zone . -> 127.0.0.1:5353) -> $via"
  run_benign benign-tcp             tcp      "$SERVER_IP" resolver "unbound on $SERVER_IP:53 over TCP (dig +tcp +keepopen, kdig +tcp) -> $via"
  run_benign benign-authoritative   direct   "$AUTH_IP"   direct   "authoritative answers: $AUTH_IP:53 UDP+TCP -> $via"
  # A tunnel hidden in ordinary browsing, both through the same resolver.
  run_mixed mixed-iodine-txt-browsing TXT base64u 16384 65536
  stop_pid "$UB_PID"
  stop_pid "$r2"
  stop_pid "$r1"
  stop_pid "$NSD_PID"

  local dest="$HERE" top
  [[ -n ${ALK_CAP_ONLY:-} ]] && dest="$WORK/result"
  mkdir -p "$dest"
  if [[ -z ${ALK_CAP_ONLY:-} ]]; then
    rm -rf "$HERE/tunnel" "$HERE/benign" "$HERE/mixed"
  fi
  cp -r "$WORK/out/." "$dest/"
  top=$(python3 - "$SEED" "$WORK/benign/benign-meta.json" <<'EOF'
import json, subprocess, sys
def ver(p):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True, text=True)
    return r.stdout or "unknown"
meta = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {}
print(json.dumps({
  "seed": int(sys.argv[1]),
  "topology": {"client": "198.18.10.1 (netns alk-cap-client)", "server": "198.18.10.2 (netns alk-cap-server)",
               "authoritative": "198.18.10.3 (nsd, same netns as server)", "link": "veth, captured on the client side",
               "tunnel_networks": "198.19.N.0/27 (iodine tun)", "answer_addresses": "198.18.32.0-198.18.255.255 and 2001:db8::/32"},
  "packages": {p: ver(p) for p in ["iodine", "dns2tcp", "nsd", "unbound", "dnsutils", "knot-dnsutils", "libc6", "tcpdump", "tshark", "dnsrecon", "publicsuffix"]},
  "benign_name_sources": {"hstspreload": meta.get("hstspreload_version"),
                          "subdomain_labels": "/usr/share/dnsrecon/subdomains-top1mil-5000.txt",
                          "popular_and_third_party": "Captures/lib/names.py (hand-written list of well-known registered domains)",
                          "registered_domains": len(meta.get("registered_domains", []))},
}))
EOF
)
  local args=()
  while IFS= read -r kv; do args+=(--json "$kv"); done < <(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); [print(k+"="+json.dumps(v)) for k,v in d.items()]' "$top")
  python3 "$LIB/manifest.py" write --meta-dir "$WORK/meta" --captures "$dest" --out "$dest/manifest.json" "${args[@]}"
  log "done: $(du -sh "$dest" | cut -f1) in $dest"
}

main "$@"
