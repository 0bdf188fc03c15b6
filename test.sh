#!/usr/bin/env bash
# Runs every test project (unit, device, storage, CLI, machine, and the conformance suites) in Release and ends with
# one summary line "tests: N passed, M failed". Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
dotnet build Emulator.sln -c Release -warnaserror 2>&1 | tail -n 3
build=${PIPESTATUS[0]}
if [ "$build" -ne 0 ]; then
  echo "build failed"
  exit 1
fi
dotnet test Emulator.sln -c Release --no-build --logger "trx;LogFilePrefix=r" --results-directory "$results"
status=$?
passed=0
failed=0
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  p=$(grep -o 'passed="[0-9]*"' "$f" | head -n 1 | grep -o '[0-9]*')
  q=$(grep -o 'failed="[0-9]*"' "$f" | head -n 1 | grep -o '[0-9]*')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${q:-0}))
done
echo
echo "tests: $passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  exit 1
fi
exit 0
