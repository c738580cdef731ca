#!/usr/bin/env bash
# The whole test suite: what a newcomer runs and what CI runs (.ci/run calls exactly this).
# Installs missing Debian packages first, since CI machines start bare.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Deploy/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"
