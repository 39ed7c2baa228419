#!/usr/bin/env bash
# Sets up, builds and runs every test, then the parity harness, the
# compatibility-matrix check, the engine's C tests (plain, sanitizer and
# fuzz runs: scripts/native-tests.sh) and the release check
# (scripts/release/release.sh); ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
node scripts/gen-schemas.mjs --check
node scripts/gen-mlx-symbols.mjs --check
mkdir -p build
status=0
npx vitest run --reporter=default --reporter=json --outputFile=build/vitest.json || status=$?
bash scripts/release/check-parity-harness.sh --report build/parity-report.json || status=1
node packages/compat-reports/dist/cli.js matrix --check || status=1
rm -f build/native-tests.json
bash scripts/native-tests.sh || status=1
bash scripts/release/release.sh || status=1
node -e '
  const r = require("./build/vitest.json");
  let native = { passed: 0, failed: 1 };
  try { native = require("./build/native-tests.json"); } catch {}
  console.log(`${r.numPassedTests + native.passed} passed, ${r.numFailedTests + native.failed} failed`);
'
exit $status
