#!/usr/bin/env bash
# The install script's other path, end to end: installs the packed
# mlx-capi-bridge into an empty project with MLXCOMPAT_BUILD_FROM_SOURCE=1, so
# that npm's install step compiles the engine from the sources the package
# ships (several minutes on 2 cores: not part of the test command), then
# evaluates a request with the engine it built. Needs scripts/release/release.sh
# to have packed build/release/dist first.
#   bash scripts/release/check-source-build.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(node -p 'require("./package.json").version')
tarball=$PWD/build/release/dist/mlx-capi-bridge-$version.tgz
[ -f "$tarball" ] || { echo "check-source-build: no $tarball: run scripts/release/release.sh first" >&2; exit 1; }
work=$(mktemp -d /tmp/mlxcompat-source-build-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo '{"name":"source-build-check","private":true,"type":"module"}' >package.json
start=$(date +%s)
MLXCOMPAT_BUILD_FROM_SOURCE=1 nice -n 10 npm install --no-audit --no-fund --foreground-scripts --loglevel=error "$tarball" >install.log 2>&1 \
  || { tail -30 install.log; echo "check-source-build: the install failed" >&2; exit 1; }
grep -q "MLXCOMPAT_BUILD_FROM_SOURCE=1: building the engine from source" install.log \
  || { cat install.log; echo "check-source-build: the install did not say it builds from source" >&2; exit 1; }
grep -q "built .*engine/linux-x64/libmlxcompat.so" install.log \
  || { tail -30 install.log; echo "check-source-build: the install did not report the engine it built" >&2; exit 1; }
cat >check.mjs <<'JS'
import { Session, version } from 'mlx-capi-bridge';
const s = new Session();
const r = s.evalJson({ schema_version: 1, inputs: [{ id: 'a', dtype: 'float32', shape: [2, 2], data: [1, 2, 3, 4] }],
  nodes: [{ id: 'y', op: 'matmul', inputs: ['a', 'a'] }, { id: 'z', op: 'exp', inputs: ['y'] }], outputs: [{ ref: 'y' }, { ref: 'z' }] });
const y = r.outputs[0].data, z = r.outputs[1].data;
const want = [7, 10, 15, 22];
if (y.join() !== want.join()) throw new Error(`matmul gave ${y}`);
z.forEach((v, i) => { if (Math.abs(v - Math.exp(want[i])) > 1e-6 * Math.exp(want[i])) throw new Error(`exp gave ${z}`); });
console.log(`engine ${version()} built from source: matmul and exp agree with the math`);
JS
node check.mjs
echo "check-source-build: ok in $(( $(date +%s) - start )) s ($(grep -o 'built .*' install.log | head -1))"
