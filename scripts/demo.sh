#!/usr/bin/env bash
# Sets up, builds and runs the demonstration: a graph of MLX-named ops sent to
# the native engine from TypeScript, from C and from Python.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
echo "== TypeScript (packages/mlx-capi-bridge/src/demo.ts)"
node packages/mlx-capi-bridge/dist/demo.js
echo "== C (native/capi/examples/eval_example.c)"
build/native/mlxcompat_example
echo "== Python ctypes (native/capi/examples/eval_example.py)"
python3 native/capi/examples/eval_example.py
