#!/usr/bin/env bash
# Short smokes of every benchmark and fuzz script, so CI proves they still run (figures are printed,
# not judged, except where a script asserts its own bound — flood.sh checks the memory bound and that
# the tunnel is caught). The full runs are the scripts without --smoke.
set -euo pipefail
cd "$(dirname "$0")/.."
AIRLOCK_BENCH=1 bash Deploy/install-deps.sh
run() {
  local name=$1; shift
  echo "== smoke: $name"
  local start=$SECONDS
  "$@"
  echo "== smoke: $name ok in $((SECONDS - start)) s"
}
run replay bash Benchmarks/replay.sh --smoke
run replay-instructions bash Benchmarks/replay-instructions.sh --smoke
run replay-digests bash Benchmarks/replay-digests.sh --smoke
[[ -f Benchmarks/report.sh ]] && run report bash Benchmarks/report.sh --smoke
if [[ -d ../shared/captures ]]; then run flood bash Benchmarks/flood.sh 100000; fi
run benign-stress python3 Tools/benign-stress.py
run detection-report python3 Tools/detection-report.py --airlock .build/release/airlock
run techniques python3 Tools/techniques.py --smoke --airlock .build/release/airlock
run benign-day python3 Tools/benign-day.py --smoke --airlock .build/release/airlock
[[ -f Benchmarks/dns-proxy.sh ]] && run dns-proxy bash Benchmarks/dns-proxy.sh --smoke
[[ -f Benchmarks/http-proxy.sh ]] && run http-proxy bash Benchmarks/http-proxy.sh --smoke
[[ -f Benchmarks/alerting.sh ]] && run alerting bash Benchmarks/alerting.sh --smoke
[[ -f Benchmarks/feeds.sh ]] && run feeds bash Benchmarks/feeds.sh --smoke
[[ -f Benchmarks/fleet.sh ]] && run fleet bash Benchmarks/fleet.sh --smoke
[[ -f Benchmarks/live-flood.sh ]] && run live-flood bash Benchmarks/live-flood.sh --smoke
[[ -f Tools/fuzz/run.sh ]] && run fuzz bash Tools/fuzz/run.sh --smoke
echo "all smokes passed"
