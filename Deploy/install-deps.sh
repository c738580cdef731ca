#!/usr/bin/env bash
# Installs every Debian package Airlock builds, tests and benchmarks with.
# Idempotent: packages already present are skipped by apt-get; services that
# Debian would auto-start (nsd, dnsdist, unbound, rsyslog, squid, tinyproxy, redis-server)
# are kept from starting so they never grab port 53, 3128 or 6379 on this machine (redis-server: the
# fleet tests start their own on a free loopback port). dnsdist is a test
# peer too: the tunnel tests route the test "internet" through it.
set -euo pipefail

BUILD_PKGS=(libpcap-dev libldns-dev libpsl-dev libyaml-dev libssl-dev zlib1g-dev pkg-config)
TEST_PKGS=(python3-pip iodine dns2tcp tcpdump nsd knot-dnsutils dnsutils nftables iproute2 rsyslog python3 openssl dnsdist socat
  curl iputils-ping util-linux python3-yaml systemd logrotate prometheus redis-server)
BENCH_PKGS=(tshark dnsperf tinyproxy bc time nginx-light valgrind)

# Optional: the report's browser test (AirlockReportTests) renders the page in headless Chromium and
# skips without it; installed when available, never a reason to fail (it is large and not needed to build).
OPTIONAL_PKGS=(chromium)

want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
[[ "${AIRLOCK_BENCH:-0}" == "1" ]] && want+=("${BENCH_PKGS[@]}")

# PyPI: what ../shared/schemas/validate.py needs to check Airlock's OCSF and EVE records against the
# real schemas (the schema tests skip without it). Installed for the python3 the tests run.
PYPI_PKGS=('jsonschema>=4.18' 'ocsf-json-schema==1.2.0')
install_pypi() {
  python3 -c 'import jsonschema, referencing, ocsf_json_schema' 2>/dev/null && return 0
  python3 -m pip --version >/dev/null 2>&1 || return 0
  echo "installing from PyPI: ${PYPI_PKGS[*]}" >&2
  python3 -m pip install -q "${PYPI_PKGS[@]}" 2>/dev/null ||
    python3 -m pip install -q --break-system-packages "${PYPI_PKGS[@]}" ||
    echo "warning: could not install ${PYPI_PKGS[*]}; the schema validation tests will skip" >&2
}
trap install_pypi EXIT

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
optional=()
for p in "${OPTIONAL_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || optional+=("$p")
done
if ((${#missing[@]} == 0 && ${#optional[@]} == 0)); then
  exit 0
fi

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
# Keep Debian from starting daemons we only use as test peers.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null
  $SUDO chmod +x $policy
  created_policy=1
fi
trap '[[ $created_policy == 1 ]] && $SUDO rm -f '"$policy"'; install_pypi' EXIT
echo "installing: ${missing[*]} ${optional[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq
if ((${#missing[@]} > 0)); then
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ((${#optional[@]} > 0)); then
  $SUDO apt-get install -y -qq --no-install-recommends "${optional[@]}" >/dev/null \
    || echo "optional packages not installed (${optional[*]}): the tests that need them skip" >&2
fi
