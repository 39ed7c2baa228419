#!/usr/bin/env bash
# Sets up, builds and runs every test, then the parity harness, the
# compatibility-matrix check and the release check (scripts/release/release.sh);
# ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
node scripts/gen-schemas.mjs --check
mkdir -p build
status=0
npx vitest run --reporter=default --reporter=json --outputFile=build/vitest.json || status=$?
bash scripts/release/check-parity-harness.sh --report build/parity-report.json || status=1
node packages/compat-reports/dist/cli.js matrix --check || status=1
bash scripts/release/release.sh || status=1
node -e '
  const r = require("./build/vitest.json");
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
'
exit $status
