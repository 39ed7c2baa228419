#!/usr/bin/env bash
# llm-bench's kernels through the engine's C ABI, without JavaScript
# (packages/mlx-bench/native/llm_kernels.cpp): the memory-bound cases warm
# (calls back to back), cold (the caches flushed before each call) and in a
# loop over distinct input sets (from memory, as a model's layers), against
# the copy and read bandwidth measured in the same run; then the
# compute-bound ones (prefill attention, the 256-row 4-bit product) against
# the FMA peak that native/machine_limits.cpp measures first. Builds the
# engine first; about two minutes. Extra arguments go to the program
# (--reps N, --only rmsNorm,rope,...); MLXCOMPAT_NUM_THREADS=1 times one core.
#   bash packages/mlx-bench/scripts/llm-kernels.sh [--reps 30]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
npm run build:native >/dev/null
mkdir -p build/bench
g++ -std=c++17 -O2 -Wall -Wextra -o build/bench/llm_kernels packages/mlx-bench/native/llm_kernels.cpp \
  -Inative/capi/include -Lbuild/native -lmlxcompat -Wl,-rpath,"$root/build/native" -lpthread
g++ -std=c++17 -O2 -march=native -o build/bench/machine_limits packages/mlx-bench/native/machine_limits.cpp -lpthread
threads="${MLXCOMPAT_NUM_THREADS:-$(nproc)}"
limits="$(build/bench/machine_limits --threads "$threads")"
field() { awk -v key="$1" -v col="$2" '$1 == key {print $col}' <<<"$limits"; }
echo "llm kernels: $(nproc) cores, engine $(git rev-parse --short HEAD), $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec build/bench/llm_kernels --fma-peak "$(field fma_peak 2)" --copy "$(field copy_bandwidth 2)" --read "$(field read_bandwidth 2)" "$(field read_bandwidth 4)" "$@"
