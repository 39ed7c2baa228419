#!/usr/bin/env bash
# The long soak runs (the test command runs shorter ones): the facade's
# 100,000-step loop and the C ABI's 200,000-request loop, each within its
# stated memory bound (resident-set growth after warm-up: 128 MB and 64 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build >/dev/null
node --expose-gc scripts/soak-facade.mjs "${1:-100000}" 128
build/native/mlxcompat_soak_test "${2:-200000}" 64
