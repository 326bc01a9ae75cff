#!/usr/bin/env bash
# Fuzz MQTTCore's frame reader, decoder and encoder with libFuzzer + AddressSanitizer.
#
# Usage: Scripts/fuzz.sh [runs] [extra libFuzzer flags...]     (runs defaults to 10000000)
#
# Builds the separate package in Fuzz/ (the root package never needs the fuzzer runtime), writes a
# seed corpus of valid packets of every type in both versions, then runs libFuzzer. The growing corpus
# lives in Fuzz/.build/corpus, crashing inputs in Fuzz/.build/artifacts (both ignored by git).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-10000000}"
shift || true

cd "$root/Fuzz"
swift build --scratch-path .build/seeds --product MQTTCoreFuzzSeeds
# --sanitize instruments this package; -Xswiftc instruments MQTTCore and NIOCore too, so libFuzzer
# sees coverage inside the codec and not only in the harness.
swift build -c release --scratch-path .build/fuzz --product MQTTCoreFuzz \
    --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address

seeds=.build/corpus-seeds
corpus=.build/corpus
artifacts=.build/artifacts
rm -rf "$seeds"
.build/seeds/debug/MQTTCoreFuzzSeeds "$seeds"
mkdir -p "$corpus" "$artifacts"

exec .build/fuzz/release/MQTTCoreFuzz -runs="$runs" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$@" "$corpus" "$seeds"
