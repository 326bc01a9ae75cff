#!/usr/bin/env bash
# Measures how fast `fleet certs issue` makes device identities: a release build, then 10,000 P-256 and
# 1,000 RSA-2048 identities into a temporary directory. Prints identities per second for each.
# Usage: Scripts/bench-certs.sh [p256-count] [rsa-count]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
scratch="${FLEET_SCRATCH:-$src/.build-bench}"
p256_count="${1:-10000}"
rsa_count="${2:-1000}"

swift build -c release --package-path "$src" --scratch-path "$scratch" --product fleet >&2
fleet="$scratch/release/fleet"

work=$(mktemp -d "${TMPDIR:-/tmp}/fleet-bench-certs.XXXXXX")
trap 'rm -rf "$work"' EXIT

bench() { # key-type count
  local dir="$work/$1"
  "$fleet" certs init --dir "$dir" --key-type "$1" >/dev/null
  local start end
  start=$(date +%s.%N)
  "$fleet" certs issue --dir "$dir" --key-type "$1" --id-pattern "bench-$1-{index:05}" --count "$2" | tail -n 1
  end=$(date +%s.%N)
  awk -v n="$2" -v s="$start" -v e="$end" -v k="$1" \
    'BEGIN { printf "%s: %d identities, %.2f s wall including start-up: %.0f identities/s\n", k, n, e - s, n / (e - s) }'
}

echo "cores: $(nproc)"
bench p256 "$p256_count"
bench rsa2048 "$rsa_count"
