#!/usr/bin/env bash
# The test command: starts the test mosquitto (Scripts/test-broker.sh), builds with warnings
# treated as failures, and runs every test suite, unit and integration, against that broker.
set -euo pipefail
cd "$(dirname "$0")/.."
# Stop the broker afterwards only if this script started it (a developer's may already run).
if Scripts/test-broker.sh status >/dev/null; then
  Scripts/test-broker.sh start
else
  Scripts/test-broker.sh start
  trap 'Scripts/test-broker.sh stop' EXIT
fi
swift build --build-tests 2>&1 | tee .test-broker/build.log
if grep -E '^/.*(warning|error):' .test-broker/build.log | grep -v '/.build/checkouts/'; then
  echo "the build printed warnings or errors (above)" >&2
  exit 1
fi
# XCTest only: the suites use no Swift Testing, whose empty "0 tests" line would close the log.
swift test --skip-build --disable-swift-testing "$@"
