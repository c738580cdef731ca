#!/usr/bin/env bash
# The whole test suite: what a newcomer runs and what CI runs (.ci/run calls exactly this).
# Installs missing Debian packages first, since CI machines start bare. Short smokes of the benchmark
# and fuzz scripts run first (skip them with AIRLOCK_SKIP_SMOKE=1 when iterating), then every test;
# swift test's summary line is the last thing printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Deploy/install-deps.sh
if [[ "${AIRLOCK_SKIP_SMOKE:-0}" != "1" && $# -eq 0 ]]; then
  bash Tools/smoke.sh
fi
swift build --build-tests
swift test --skip-build "$@"
