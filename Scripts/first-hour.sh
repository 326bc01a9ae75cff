#!/usr/bin/env bash
# The newcomer's first hour: runs the commands of README.md's first section ("Main job, on a fresh machine"),
# word for word and in order, in a fresh clone of this repository's HEAD, and stops at the first that fails
# (exit 1, naming it). The commands are read from the section's ```sh blocks, so the README cannot drift away
# from what is checked.
# Usage: Scripts/first-hour.sh [FLEET-BINARY]   (or FLEET=/path/to/fleet Scripts/first-hour.sh)
#   With a binary (the end-to-end test passes the debug build), `fleet` is that binary and the toolchain and
#   build lines are skipped, saying so. Without one, the toolchain lines run only when `swift` is missing, and
#   the release build runs (about 20 minutes on two cores).
#   `bash .ci/run` is never run from here: it is the test suite, which runs this script.
# Needs a broker on 127.0.0.1:1883 for the own-broker lines (Scripts/test-broker.sh start runs one).
# The clone is removed when every command passed, kept (and named) when one failed.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
FLEET=${1:-${FLEET:-}}
if [ -n "$FLEET" ]; then
  FLEET=$(cd "$(dirname "$FLEET")" && pwd)/$(basename "$FLEET")
  [ -x "$FLEET" ] || { echo "first-hour: $FLEET is not an executable" >&2; exit 2; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fleet-first-hour.XXXXXX")
git clone --quiet "$src" "$work/fleet"
cd "$work/fleet"

commands=$(awk '
  /^## Main job, on a fresh machine/ { inside = 1; next }
  /^## /                             { inside = 0 }
  inside && /^```sh/                 { code = 1; next }
  inside && /^```/                   { code = 0; next }
  inside && code
' README.md)
[ -n "$commands" ] || { echo "first-hour: no sh blocks in README.md's first section" >&2; exit 2; }

if [ -n "$FLEET" ]; then
  fleet() { "$FLEET" "$@"; }
fi

while IFS= read -r line; do
  # A README comment starts after two spaces or more: "command   # what it does".
  command=${line%%  #*}
  command=${command%"${command##*[![:space:]]}"}
  [ -n "$command" ] || continue
  case $command in
    "curl "*|"tar "*|"./swiftly "*|". "*)
      if [ -n "$FLEET" ] || command -v swift >/dev/null; then
        echo "- skipped (a toolchain is there): $command"
        continue
      fi ;;
    "swift build"*)
      if [ -n "$FLEET" ]; then
        echo "- skipped (using $FLEET): $command"
        continue
      fi ;;
    "bash .ci/run"*)
      echo "- skipped (the test suite): $command"
      continue ;;
  esac
  echo "+ $command"
  if ! eval "$command" </dev/null; then
    echo "first-hour: the README command failed: $command (clone kept in $work/fleet)" >&2
    exit 1
  fi
done <<< "$commands"

cd "$src"
rm -rf "$work"
echo "first-hour: every command of README.md's first section passed"
