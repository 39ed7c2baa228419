#!/usr/bin/env bash
# The vector-math benchmark (native/vecmath_bench.cpp): the engine through its
# C ABI against real MLX v0.31.2 through mlx-c (../shared/mlx-runtime, when
# present, timed in a process of its own) and the machine's copy bandwidth, at
# 1 thread and at every count up to the machine's cores, each count twice.
# Builds the engine first. Extra arguments go to the program (--repeat N,
# --only exp,tanh,...).
#   bash packages/mlx-bench/scripts/vecmath-bench.sh [--repeat 5]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
npm run build:native >/dev/null
mkdir -p build/bench
g++ -std=c++17 -O2 -Wall -Wextra -o build/bench/vecmath_bench packages/mlx-bench/native/vecmath_bench.cpp \
  -Inative/capi/include -Lbuild/native -lmlxcompat -Wl,-rpath,"$root/build/native" -ldl -lpthread
mlxc="$root/../shared/mlx-runtime/lib/libmlxc.so"
if [ ! -f "$mlxc" ]; then
  echo "real MLX not measured: $mlxc is absent"
  mlxc=-
fi
threads=$(seq -s, 1 "$(nproc)")
echo "vecmath bench: $(nproc) cores, threads $threads, engine $(git rev-parse --short HEAD), $(date -u +%FT%TZ)"
exec build/bench/vecmath_bench "$mlxc" "$threads" "$@"
