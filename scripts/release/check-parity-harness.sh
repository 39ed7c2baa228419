#!/usr/bin/env bash
# Runs the parity harness: a table per family, the JSON report (validated
# against docs/schemas/parity-report.v1.schema.json), and a non-zero exit on
# any fail or error, or when a family passes fewer cases than its baseline.
# Usage: scripts/release/check-parity-harness.sh [--only FAMILY ...] [--report FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
report=build/parity-report.json
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --report) report="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
node packages/compat-reports/dist/cli.js parity --report "$report" "${args[@]}"
