// Kernel-level A/B of engine libraries: each float32 unary kernel of the
// vector table in use (mlxc::vec_table(), MLXCOMPAT_VECMATH picks the ISA)
// called directly over a buffer held in L1 (4096 floats, 1 thread), so
// that neither the C ABI's per-call work nor cache traffic enters: what is
// left is the kernel's arithmetic. The libraries are alternated round by
// round as in vecmath_ab; prints the best and median ns an element and
// cycles a 16-float vector at the clock given (VECMATH_GHZ, default 3.58:
// this host's add latency), and B/A of the best.
// VECMATH_KAB_N=67108864 streams that many floats from memory instead
// (EwParams::stream, as the engine's passes past half the last-level
// cache), one call a round, over VECMATH_KAB_THREADS threads (default 1),
// in calls of VECMATH_KAB_CHUNK elements (the engine's: 2048); the output
// on 2 MiB pages as the engine's large arrays, or with VECMATH_KAB_OUT=B
// B bytes past a page (an unaligned output takes ordinary stores).
//   g++ -O2 -std=c++17 -Inative/capi/src -Inative/capi/include -o build/bench/vecmath_kernel_ab packages/mlx-bench/native/vecmath_kernel_ab.cpp -ldl -lpthread
//   build/bench/vecmath_kernel_ab arcsinh,arctanh 9 /tmp/old.so /tmp/new.so
//   VECMATH_KAB_N=67108864 VECMATH_KAB_THREADS=2 VECMATH_KAB_CHUNK=2048 build/bench/vecmath_kernel_ab tan 9 /tmp/old.so /tmp/new.so
#include <dlfcn.h>
#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ops/vecmath.h"

static double now() { timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s OP,... ROUNDS LIBRARY...\n", argv[0]);
    return 2;
  }
  static const char* names[] = {
#define MLXC_VEC_NAME(name, sleef) #name,
      MLXC_VEC_UNARY(MLXC_VEC_NAME)
#undef MLXC_VEC_NAME
  };
  std::vector<int> ops;
  for (std::string s = argv[1];;) {
    const auto p = s.find(',');
    const std::string op = s.substr(0, p);
    int f = -1;
    for (int i = 0; i < int(mlxc::VFn::kCount); i++)
      if (strcasecmp(names[i], op.c_str()) == 0) f = i;
    if (f < 0) { std::fprintf(stderr, "unknown op %s\n", op.c_str()); return 2; }
    ops.push_back(f);
    if (p == std::string::npos) break;
    s = s.substr(p + 1);
  }
  const int rounds = std::atoi(argv[2]);
  std::vector<const mlxc::VecTable*> tabs;
  for (int i = 3; i < argc; i++) {
    void* h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) { std::fprintf(stderr, "%s\n", dlerror()); return 1; }
    auto get = reinterpret_cast<const mlxc::VecTable* (*)()>(dlsym(h, "_ZN4mlxc9vec_tableEv"));
    if (!get || !get()) { std::fprintf(stderr, "%s: no vector table\n", argv[i]); return 1; }
    tabs.push_back(get());
  }
  const double ghz = std::getenv("VECMATH_GHZ") ? std::atof(std::getenv("VECMATH_GHZ")) : 3.58;
  const char* big = std::getenv("VECMATH_KAB_N");
  const int64_t n = big ? std::atoll(big) : 4096, calls = big ? 1 : 256;
  const int threads = std::getenv("VECMATH_KAB_THREADS") ? std::atoi(std::getenv("VECMATH_KAB_THREADS")) : 1;
  std::vector<float> x(n);
  constexpr size_t kHuge = size_t(2) << 20;
  const size_t out_bytes = (size_t(n) * 4 + 4096 + kHuge - 1) / kHuge * kHuge;
  float* const y_page = static_cast<float*>(std::aligned_alloc(kHuge, out_bytes));
  madvise(y_page, out_bytes, MADV_HUGEPAGE);
  const char* out_offset = std::getenv("VECMATH_KAB_OUT");
  float* const y = out_offset ? reinterpret_cast<float*>(reinterpret_cast<char*>(y_page) + std::atoi(out_offset) % 4096) : y_page;
  for (int f : ops) {
    // vecmath_bench's ranges: uniform in [-8, 8); in [-0.999, 0.999) for arctanh, erfinv, arcsin and
    // arccos, [1, 100) for arccosh, [0.01, 100) for the logs
    const bool unit = f == int(mlxc::VFn::Arctanh) || f == int(mlxc::VFn::Erfinv) || f == int(mlxc::VFn::Arcsin) ||
                      f == int(mlxc::VFn::Arccos);
    const bool acosh = f == int(mlxc::VFn::Arccosh), log = std::strncmp(names[f], "Log", 3) == 0;
    const float lo = unit ? -0.999f : acosh ? 1.0f : log ? 0.01f : -8.0f, hi = unit ? 0.999f : acosh || log ? 100.0f : 8.0f;
    uint64_t state = 7;
    for (auto& v : x) {
      uint64_t z = (state += 0x9e3779b97f4a7c15ull);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull; z = (z ^ (z >> 27)) * 0x94d049bb133111ebull; z ^= z >> 31;
      v = lo + (hi - lo) * (float(z >> 40) * 0x1p-24f);
    }
    std::vector<std::vector<double>> t(tabs.size());
    const bool scalar[1] = {false};
    mlxc::EwParams prm;
    prm.stream = big != nullptr;
    const int64_t chunk = std::getenv("VECMATH_KAB_CHUNK") ? std::atoll(std::getenv("VECMATH_KAB_CHUNK")) : n;
    auto range = [&](mlxc::EwKernel k, int64_t from, int64_t len) {
      for (int64_t c = from; c < from + len; c += chunk) {
        const void* src[1] = {x.data() + c};
        k(src, scalar, y + c, std::min(chunk, from + len - c), prm);
      }
    };
    auto run = [&](mlxc::EwKernel k) {
      if (threads == 1) return range(k, 0, n);
      std::vector<std::thread> pool;
      const int64_t part = (n / threads + 15) / 16 * 16;
      for (int i = 0; i < threads; i++)
        pool.emplace_back([&, i] {
          const int64_t from = std::min(n, i * part), len = std::min(n, from + part) - from;
          range(k, from, len);
        });
      for (auto& th : pool) th.join();
    };
    for (int r = 0; r < rounds; r++)
      for (size_t l = 0; l < tabs.size(); l++) {
        const mlxc::EwKernel k = tabs[l]->unary[f][2];
        if (!big) run(k);
        const double t0 = now();
        for (int c = 0; c < calls; c++) run(k);
        t[l].push_back((now() - t0) * 1e9 / double(n * calls));
      }
    std::printf("%-10s", names[f]);
    for (auto& v : t) {
      std::sort(v.begin(), v.end());
      std::printf(" | %.4f/%.4f ns (%.1f cycles/16)", v[0], v[v.size() / 2], v[0] * ghz * 16);
    }
    if (t.size() > 1) std::printf(" | B/A %.3f", t[1][0] / t[0][0]);
    std::printf("\n");
  }
  std::free(y_page);
}
