#!/usr/bin/env bash
# The long soak runs (the test command runs shorter ones): the facade's
# 100,000-step loop and the C ABI's 200,000-request loop, each within its
# stated memory bound (resident-set growth after warm-up: 128 MB and 64 MB).
# Each prints its resident set every tenth of its loop, then the peak and
# the duration (docs/PERFORMANCE.md has a run: about 4 minutes in all).
#   bash scripts/soak.sh [STEPS] [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build >/dev/null
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
node --expose-gc scripts/soak-facade.mjs "${1:-100000}" 128 || status=1
build/native/mlxcompat_soak_test "${2:-200000}" 64 || status=1
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
