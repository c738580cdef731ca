#!/usr/bin/env bash
# The newcomer's first command: install what is missing, build Airlock, and replay the bundled
# captures (Captures/, plus ../shared/captures when it is there), printing each capture's verdicts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Deploy/install-deps.sh
swift build -c release --product airlock
bin=.build/release/airlock
shopt -s nullglob
captures=(Captures/*/*.pcap Captures/*/*.pcapng)
[[ -d ../shared/captures ]] && captures+=(../shared/captures/tunnel/*.pcap* ../shared/captures/edge/*.pcap*)
if ((${#captures[@]} == 0)); then
  echo "no captures found under Captures/" >&2
  exit 1
fi
"$bin" replay "${captures[@]}"
