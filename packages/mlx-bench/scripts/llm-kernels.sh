#!/usr/bin/env bash
# llm-bench's memory-bound cases through the engine's C ABI, without
# JavaScript (packages/mlx-bench/native/llm_kernels.cpp): each case warm
# (calls back to back), cold (the caches flushed before each call) and in a
# loop over distinct input sets (from memory, as a model's layers), against
# the copy and read bandwidth measured in the same run. Builds the engine
# first; about a minute. Extra arguments go to the program (--reps N,
# --only rmsNorm,rope,...); MLXCOMPAT_NUM_THREADS=1 times one core.
#   bash packages/mlx-bench/scripts/llm-kernels.sh [--reps 30]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
npm run build:native >/dev/null
mkdir -p build/bench
g++ -std=c++17 -O2 -Wall -Wextra -o build/bench/llm_kernels packages/mlx-bench/native/llm_kernels.cpp \
  -Inative/capi/include -Lbuild/native -lmlxcompat -Wl,-rpath,"$root/build/native" -lpthread
echo "llm kernels: $(nproc) cores, engine $(git rev-parse --short HEAD), $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec build/bench/llm_kernels "$@"
