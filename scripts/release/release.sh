#!/usr/bin/env bash
# The release: builds the portable engine (build-engine.sh, in a Debian 11 root),
# packs the npm packages and the C archive (pack.mjs, into build/release/dist)
# and checks them as a user would install them (check.mjs). The README's test
# command runs it; it exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run --silent build:ts
bash scripts/release/build-engine.sh
node scripts/release/pack.mjs
node scripts/release/check.mjs
