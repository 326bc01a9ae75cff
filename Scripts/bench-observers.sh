#!/usr/bin/env bash
# Benchmark: can fleet's observers count ≥ 50,000 telemetry messages a second?
# Builds Benchmarks/ (a package of its own, never built by CI) in release and runs
# `observer-throughput`: its own mosquitto on a free loopback port, the product's
# `Observers` on one event loop, paced QoS 0 publishers on another; prints sent,
# received, lost, duplicates, the observer's msg/s, CPU per thread and the bottleneck.
# Not a test: numbers only. Options go to the benchmark, e.g.
#   Scripts/bench-observers.sh --devices 200 --rate 60000 --duration 10
#   Scripts/bench-observers.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || { echo "needs mosquitto (apt-get install mosquitto)" >&2; exit 1; }
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "== swift build -c release --package-path Benchmarks"
if ! swift build -c release --package-path Benchmarks --product observer-throughput >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
grep -E 'warning:|error:' "$log" || true
bin="$(swift build -c release --package-path Benchmarks --show-bin-path)/observer-throughput"
export MOSQUITTO="${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}"
"$bin" "$@"
