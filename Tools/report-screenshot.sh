#!/usr/bin/env bash
# Regenerates the README's report screenshot (Docs/report-mixed-iodine.png): `airlock report` on a
# bundled capture with the example policy, rendered by headless Chromium (no network: a dead proxy).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product airlock >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
.build/debug/airlock report --policy Deploy/policy.example.yaml -o "$work/report.html" \
  Captures/mixed/mixed-iodine-txt-browsing.pcap
chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/profile" \
  --proxy-server=127.0.0.1:9 --hide-scrollbars --window-size=1100,1500 \
  --screenshot="$PWD/Docs/report-mixed-iodine.png" "file://$work/report.html" 2>/dev/null
echo "Docs/report-mixed-iodine.png"
