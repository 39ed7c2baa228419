#!/usr/bin/env bash
# The engine's C tests, run by scripts/test.sh after the build:
#  - plain build (build/native): the request corpus and every op
#    (engine_test), the many-thread stress test, the 200,000-request soak
#    test, and the comparison with real MLX where ../shared/mlx-runtime is;
#  - ASan+UBSan build (build/asan, clang-14, every UBSan check fatal): the
#    engine test, stress test, a 20,000-request soak, and each fuzz target
#    for FUZZ_SECONDS (default 60) from the seed corpus;
#  - ThreadSanitizer build (build/tsan): the stress test.
# Writes build/native-tests.json ({"passed", "failed"}) for test.sh's closing line.
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
# Sanitizer builds carry debug info, for which ccache hashes the folder: these
# let checkouts in other folders (CI's clone) share one cache.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
corpus=native/capi/tests/corpus
passed=0
failed=0
run() {  # NAME COMMAND...: one check, passed when the command exits 0
  local name=$1
  shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}
build() {  # DIR SANITIZERS TARGETS...: a clang-14 sanitizer build
  local dir=$1 san=$2
  shift 2
  CC=clang-14 CXX=clang++-14 cmake -S native/capi -B "$dir" -DCMAKE_BUILD_TYPE=Release -DMLXCOMPAT_SANITIZE="$san" "${BUILD_FLAGS[@]}" >/dev/null &&
    cmake --build "$dir" -j 2 --target "$@"
}

runtime=../shared/mlx-runtime
# the plain engine tests check plans on the mlx backend too where it loads
if [ -f "$runtime/lib/libmlxc.so" ]; then
  run "engine tests" env MLXCOMPAT_MLXC_LIBRARY="$(realpath "$runtime/lib/libmlxc.so")" build/native/mlxcompat_engine_test "$corpus"
else
  run "engine tests" build/native/mlxcompat_engine_test "$corpus"
fi
run "stress test" build/native/mlxcompat_stress_test 10
run "soak test: 200,000 requests" build/native/mlxcompat_soak_test 200000 64

if [ -f "$runtime/lib/libmlxc.so" ]; then
  rt=$(realpath "$runtime")
  mkdir -p build/oracle
  run "engine against MLX" bash -c "g++ -std=c++17 -O1 native/capi/tests/mlx_oracle.cpp -Inative/capi/include -I$rt/include -Lbuild/native -lmlxcompat -L$rt/lib -lmlxc -Wl,-rpath,$PWD/build/native:$rt/lib -o build/oracle/mlx_oracle && build/oracle/mlx_oracle"
else
  echo "skipped: engine against MLX ($runtime is absent)"
fi

BUILD_FLAGS=(-DMLXCOMPAT_FUZZ=ON)
if run "ASan+UBSan build" build build/asan address,undefined mlxcompat_engine_test mlxcompat_stress_test mlxcompat_soak_test mlxcompat_fuzz_eval_json mlxcompat_fuzz_eval; then
  run "ASan+UBSan: engine tests" build/asan/mlxcompat_engine_test "$corpus"
  run "ASan+UBSan: stress test" build/asan/mlxcompat_stress_test 3
  # ASan holds freed blocks in a quarantine (256 MB by default) that the
  # resident set would count as growth; a small one keeps the bound meaningful.
  run "ASan+UBSan: soak test, 5,000 requests" env ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=8" build/asan/mlxcompat_soak_test 5000 256
  for target in fuzz_eval_json fuzz_eval; do
    run "ASan+UBSan: $target for ${FUZZ_SECONDS} s" bash scripts/fuzz.sh "$FUZZ_SECONDS" "$target"
  done
fi

# OpenBLAS is left out: its uninstrumented allocator would be reported.
BUILD_FLAGS=(-DMLXCOMPAT_BLAS=OFF)
if run "ThreadSanitizer build" build build/tsan thread mlxcompat_stress_test; then
  run "ThreadSanitizer: stress test" build/tsan/mlxcompat_stress_test 4
fi

mkdir -p build
echo "{\"passed\": $passed, \"failed\": $failed}" > build/native-tests.json
echo "native tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
