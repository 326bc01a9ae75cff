#!/usr/bin/env bash
# The test command: starts the test mosquitto (Scripts/test-broker.sh), builds with warnings
# treated as failures, and runs every test suite, unit and integration, against that broker.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/test-broker.sh start
trap 'Scripts/test-broker.sh stop' EXIT
swift build --build-tests 2>&1 | tee .test-broker/build.log
if grep -E '^/.*(warning|error):' .test-broker/build.log | grep -v '/.build/checkouts/'; then
  echo "the build printed warnings or errors (above)" >&2
  exit 1
fi
swift test --skip-build "$@"
