#!/usr/bin/env bash
# Containment for an agent runtime: a network namespace whose only way out is Airlock.
#
#   sandbox.sh up       --name NAME [options]   create the namespace, veth pair, resolver and rules
#   sandbox.sh exec     --name NAME [--user U] -- CMD...
#                                                run CMD inside: proxy variables set, Airlock's files
#                                                read-only or hidden, unprivileged, no new privileges
#   sandbox.sh counters --name NAME [--host-ns NS]   print the nftables counters (what was dropped)
#   sandbox.sh down     --name NAME [--host-ns NS]   remove everything `up` made
#
# Options for up (defaults in brackets):
#   --sandbox-addr CIDR   address of the sandbox end             [198.18.1.2/24]
#   --host-addr ADDR      address of the host end (the gateway)  [198.18.1.1]
#   --airlock ADDR        where Airlock's DNS and proxy listen   [the host address]
#   --sandbox-addr6 CIDR  an IPv6 address for the sandbox end    [none: IPv6 off and dropped]
#   --host-addr6 ADDR     the host end's IPv6 address (with --sandbox-addr6)
#   --airlock6 ADDR       where Airlock listens on IPv6          [the host's IPv6 address]
#   --dns-port N          Airlock's DNS port                     [53]
#   --proxy-ports LIST    Airlock's proxy ports, comma-separated [3128]
#   --host-ns NS          namespace of the host end (tests)      [the current one]
#   --keep-ipv6           leave IPv6 enabled inside the sandbox (the rules still drop it)
#   --transparent PORT    also redirect the sandbox's TCP 80 and 443 (any destination) to Airlock's
#                         transparent listener on PORT (airlock serve --http-transparent ADDR:PORT),
#                         for clients that ignore proxy settings
#   --fqdn-set            let the sandbox connect directly (any port but DNS/DoT) to the addresses
#                         Airlock's DNS gave it for allowed names, for the answers' TTL: a set
#                         fqdn_v4 fed by airlock serve --fqdn-set (printed by `up`)
#
# The rules live in the host's namespace (table inet airlock_NAME), outside the sandbox: a root
# process inside the sandbox can change its own interfaces and routes but not them. From the sandbox
# they accept exactly: UDP and TCP to Airlock's DNS port, TCP to Airlock's proxy ports. Everything
# else is dropped and counted by category: other resolvers (UDP/TCP 53), DoT (853), ICMP, IPv6,
# direct connections through the host, and Airlock's other ports (metrics, control).
#
# Anti-spoofing: Airlock knows a sandbox by its source address, and root in the sandbox can send
# from any address (add one to eth0, or write raw packets). Before anything else sees a packet
# (prerouting, raw priority: before conntrack and NAT) every packet from the sandbox's interface
# whose source is not the sandbox's own address is dropped and counted (dropped_spoofed): IPv4
# other than --sandbox-addr; IPv6 other than --sandbox-addr6 and the link-local fe80::2 `up` pins
# (without --sandbox-addr6 every IPv6 packet is dropped anyway, as dropped_ipv6); and any source
# with no route back through that interface (nft's fib reverse-path check, which covers IPv6 where
# the kernel has no rp_filter). The host end's net.ipv4.conf.IF.rp_filter is set to 1 (strict) as
# well. So one sandbox can neither pass as another sandbox nor as an address in no sandbox.
set -euo pipefail

die() { echo "sandbox.sh: $*" >&2; exit 1; }

cmd=${1:-}; shift || true
name="" sandbox_addr="198.18.1.2/24" host_addr="198.18.1.1" airlock="" dns_port=53 proxy_ports=3128
host_ns="" keep_ipv6=0 user="" transparent="" fqdn=0 ro_paths="/etc/airlock" hidden_paths="/var/lib/airlock"
sandbox_addr6="" host_addr6="" airlock6=""
while (($#)); do
  case $1 in
    --name) name=$2; shift 2 ;;
    --sandbox-addr) sandbox_addr=$2; shift 2 ;;
    --host-addr) host_addr=$2; shift 2 ;;
    --airlock) airlock=$2; shift 2 ;;
    --sandbox-addr6) sandbox_addr6=$2; shift 2 ;;
    --host-addr6) host_addr6=$2; shift 2 ;;
    --airlock6) airlock6=$2; shift 2 ;;
    --dns-port) dns_port=$2; shift 2 ;;
    --proxy-ports) proxy_ports=$2; shift 2 ;;
    --host-ns) host_ns=$2; shift 2 ;;
    --keep-ipv6) keep_ipv6=1; shift ;;
    --transparent) transparent=$2; shift 2 ;;
    --fqdn-set) fqdn=1; shift ;;
    --user) user=$2; shift 2 ;;
    --read-only) ro_paths="$ro_paths $2"; shift 2 ;;
    --hide) hidden_paths="$hidden_paths $2"; shift 2 ;;
    --) shift; break ;;
    *) die "unknown option $1" ;;
  esac
done
[[ $name =~ ^[a-z0-9][a-z0-9-]{0,14}$ ]] || die "--name: 1-15 of a-z 0-9 - (it names the namespace and nft table)"
[[ -n $airlock ]] || airlock=$host_addr
if [[ -n $sandbox_addr6 ]]; then
  [[ -n $host_addr6 ]] || die "--sandbox-addr6 needs --host-addr6"
  [[ -n $airlock6 ]] || airlock6=$host_addr6
fi
# The sandbox's addresses without prefix: the only sources its interface may send from.
sandbox_ip=${sandbox_addr%/*}
sandbox_ip6=${sandbox_addr6%/*}
# The sandbox's IPv6 link-local address, pinned by `up` (addrgenmode none) so the rules can name it.
sandbox_ll6="fe80::2"
table="airlock_${name//-/_}"
# Interface names are at most 15 bytes: a short hash keeps them unique per sandbox.
tag=$(printf '%s' "$name" | cksum | cut -c1-6)
host_if="alk${tag}h"
inner_if="eth0"

host() { if [[ -n $host_ns ]]; then ip netns exec "$host_ns" "$@"; else "$@"; fi; }
inside() { ip netns exec "$name" "$@"; }

up() {
  [[ $(id -u) -eq 0 ]] || die "needs root"
  command -v nft >/dev/null || die "nft missing (Deploy/install-deps.sh installs nftables)"
  ip netns add "$name"
  inside ip link set lo up
  host ip link add "$host_if" type veth peer name "$inner_if" netns "$name"
  local prefix=${sandbox_addr#*/}
  host ip addr add "$host_addr/$prefix" dev "$host_if"
  host ip link set "$host_if" up
  # Strict reverse-path filtering on the host end (the nft rules below check the exact address too).
  host sysctl -qw "net.ipv4.conf.$host_if.rp_filter=1"
  inside ip addr add "$sandbox_addr" dev "$inner_if"
  if [[ -n $sandbox_addr6 ]]; then
    # A fixed link-local address instead of one made from the MAC, so the rules can name it.
    inside ip link set "$inner_if" addrgenmode none
    host ip -6 addr add "$host_addr6/${sandbox_addr6#*/}" dev "$host_if" nodad
  fi
  inside ip link set "$inner_if" up
  inside ip route add default via "$host_addr"
  if [[ -n $sandbox_addr6 ]]; then
    inside ip -6 addr add "$sandbox_ll6/64" dev "$inner_if" nodad
    inside ip -6 addr add "$sandbox_addr6" dev "$inner_if" nodad
    inside ip -6 route add default via "$host_addr6"
  elif ((keep_ipv6 == 0)); then
    inside sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  fi
  # `ip netns exec` bind-mounts /etc/netns/NAME/* over /etc: the sandbox's resolver is Airlock.
  mkdir -p "/etc/netns/$name"
  printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$airlock" >"/etc/netns/$name/resolv.conf"
  rules | host nft -f -
  if ((fqdn)); then
    echo "sandbox.sh: name-based set ready; run airlock serve with --fqdn-set ${sandbox_addr%/*}/32=inet/$table/fqdn_v4"
  fi
}

rules() {
  local ports=${proxy_ports//,/, }
  [[ -n $transparent ]] && ports="$ports, $transparent"
  local redirect=""
  if [[ -n $transparent ]]; then
    redirect="
  counter redirected_web {}
  # Clients that ignore proxy settings: their web connections go to Airlock's transparent
  # listener (TLS routed by SNI, HTTP by Host); the original destination stays in conntrack.
  chain redirect_web {
    type nat hook prerouting priority dstnat; policy accept;
    iifname \"$host_if\" tcp dport { 80, 443 } counter name redirected_web redirect to :$transparent
  }"
  fi
  local spoof6="" accept6=""
  if [[ -n $sandbox_addr6 ]]; then
    spoof6="iifname \"$host_if\" ip6 saddr != { $sandbox_ip6, $sandbox_ll6 } counter name dropped_spoofed drop"
    accept6="ip6 daddr $airlock6 udp dport $dns_port counter name accepted_dns accept
    ip6 daddr $airlock6 tcp dport $dns_port counter name accepted_dns accept
    ip6 daddr $airlock6 tcp dport { $ports } counter name accepted_proxy accept
    # Neighbour discovery with the host end (hop limit 255: from the link itself, RFC 4861).
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255 accept"
  fi
  local fqdn_set="" fqdn_rule=""
  if ((fqdn)); then
    fqdn_set="
  counter accepted_fqdn {}
  # Addresses Airlock's DNS returned to this sandbox for allowed names, each for its answer's TTL.
  set fqdn_v4 { type ipv4_addr; flags timeout; }"
    fqdn_rule="ip daddr @fqdn_v4 counter name accepted_fqdn accept"
  fi
  cat <<NFT
table inet $table {
  counter accepted_dns {}
  counter accepted_proxy {}
  counter dropped_other_resolver_udp {}
  counter dropped_other_resolver_tcp {}
  counter dropped_dot {}
  counter dropped_icmp {}
  counter dropped_ipv6 {}
  counter dropped_airlock_other_ports {}
  counter dropped_direct {}
  counter dropped_inbound {}
  counter dropped_spoofed {}
$redirect
$fqdn_set

  # Anti-spoofing, before conntrack and NAT see a packet: the sandbox's interface carries only the
  # sandbox's own source addresses, and only sources that route back through that interface.
  chain antispoof {
    type filter hook prerouting priority raw; policy accept;
    iifname "$host_if" ip saddr != $sandbox_ip counter name dropped_spoofed drop
    $spoof6
    iifname "$host_if" fib saddr . iif oif missing counter name dropped_spoofed drop
  }
  # Packets from the sandbox to the host itself (where Airlock listens).
  chain input {
    type filter hook input priority -10; policy accept;
    iifname "$host_if" jump from_sandbox_to_host
  }
  # Packets from the sandbox routed through the host: never allowed.
  chain forward {
    type filter hook forward priority -10; policy accept;
    iifname "$host_if" jump from_sandbox_routed
    oifname "$host_if" ct state established,related accept
    oifname "$host_if" counter name dropped_inbound drop
  }
  chain from_sandbox_to_host {
    $accept6
    meta nfproto ipv6 counter name dropped_ipv6 drop
    ip daddr $airlock udp dport $dns_port counter name accepted_dns accept
    ip daddr $airlock tcp dport $dns_port counter name accepted_dns accept
    ip daddr $airlock tcp dport { $ports } counter name accepted_proxy accept
    meta l4proto icmp counter name dropped_icmp drop
    counter name dropped_airlock_other_ports drop
  }
  chain from_sandbox_routed {
    meta nfproto ipv6 counter name dropped_ipv6 drop
    udp dport 53 counter name dropped_other_resolver_udp drop
    tcp dport 53 counter name dropped_other_resolver_tcp drop
    tcp dport 853 counter name dropped_dot drop
    udp dport 853 counter name dropped_dot drop
    meta l4proto icmp counter name dropped_icmp drop
    $fqdn_rule
    counter name dropped_direct drop
  }
}
NFT
}

counters() {
  host nft list counters table inet "$table" | awk '/counter /{name=$2} /packets/{printf "%-30s packets %s bytes %s\n", name, $2, $4}'

}

down() {
  host nft delete table inet "$table" 2>/dev/null || true
  host ip link delete "$host_if" 2>/dev/null || true
  ip netns delete "$name" 2>/dev/null || true
  rm -rf "/etc/netns/$name"
}

run_inside() {
  (($# > 0)) || die "exec: nothing to run (sandbox.sh exec --name N -- CMD...)"
  local proxy="http://$airlock:${proxy_ports%%,*}"
  local setup=""
  # A private mount namespace: Airlock's configuration read-only, its state hidden, then drop to
  # the agent's user with no way to regain privileges (setpriv --no-new-privs).
  for p in $ro_paths; do [[ -e $p ]] && setup+="mount --bind $p $p && mount -o remount,bind,ro $p && "; done
  for p in $hidden_paths; do [[ -e $p ]] && setup+="mount -t tmpfs -o size=1m,mode=0755 none $p && "; done
  local drop=""
  if [[ -n $user ]]; then
    drop="setpriv --reuid=$(id -u "$user") --regid=$(id -g "$user") --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all"
  fi
  inside env HTTP_PROXY="$proxy" HTTPS_PROXY="$proxy" http_proxy="$proxy" https_proxy="$proxy" NO_PROXY="" \
    unshare --mount --propagation private sh -c "$setup exec $drop \"\$@\"" sandbox "$@"
}

case $cmd in
  up) up ;;
  down) down ;;
  counters) counters ;;
  rules) rules ;;
  exec) run_inside "$@" ;;
  *) sed -n '2,22p' "$0"; exit 64 ;;
esac
