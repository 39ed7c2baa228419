#!/usr/bin/env bash
# Runs the engine's libFuzzer targets (ASan+UBSan, every UB check fatal) for
# SECONDS each (default 60), one after the other, or those named:
#   bash scripts/fuzz.sh [SECONDS] [fuzz_eval_json] [fuzz_eval]
# Builds build/asan when needed. The corpus grows in build/fuzz/TARGET (seeded
# from native/capi/tests/fuzz/seeds/TARGET); a finding is written to
# build/fuzz/ and makes the script exit non-zero. Long runs: nice -n 15.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_eval_json fuzz_eval)
if [ ! -x build/asan/mlxcompat_fuzz_eval ] || [ ! -x build/asan/mlxcompat_fuzz_eval_json ]; then
  CC=clang-14 CXX=clang++-14 cmake -S native/capi -B build/asan -DCMAKE_BUILD_TYPE=Release -DMLXCOMPAT_SANITIZE=address,undefined -DMLXCOMPAT_FUZZ=ON >/dev/null
  cmake --build build/asan -j 2 --target mlxcompat_fuzz_eval_json mlxcompat_fuzz_eval
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
fuzz=native/capi/tests/fuzz
for t in "${targets[@]}"; do
  mkdir -p "build/fuzz/$t"
  echo "fuzz: $t for $seconds s"
  build/asan/mlxcompat_$t "build/fuzz/$t" "$fuzz/seeds/$t" -dict="$fuzz/requests.dict" -max_total_time="$seconds" \
    -rss_limit_mb=3072 -malloc_limit_mb=1024 -timeout=120 -max_len=16384 -artifact_prefix="build/fuzz/$t-" -print_final_stats=1
done
