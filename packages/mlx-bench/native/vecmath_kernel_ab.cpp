// Kernel-level A/B of engine libraries: each float32 unary kernel of the
// vector table in use (mlxc::vec_table(), MLXCOMPAT_VECMATH picks the ISA)
// called directly over a buffer held in L1 (4096 floats, 1 thread), so
// that neither the C ABI's per-call work nor cache traffic enters: what is
// left is the kernel's arithmetic. The libraries are alternated round by
// round as in vecmath_ab; prints the best and median ns an element and
// cycles a 16-float vector at the clock given (VECMATH_GHZ, default 3.58:
// this host's add latency), and B/A of the best.
//   g++ -O2 -std=c++17 -Inative/capi/src -Inative/capi/include -o build/bench/vecmath_kernel_ab packages/mlx-bench/native/vecmath_kernel_ab.cpp -ldl
//   build/bench/vecmath_kernel_ab arcsinh,arctanh 9 /tmp/old.so /tmp/new.so
#include <dlfcn.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
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
  constexpr int64_t n = 4096, calls = 256;
  std::vector<float> x(n), y(n);
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
    const void* in[1] = {x.data()};
    const bool scalar[1] = {false};
    mlxc::EwParams prm;
    for (int r = 0; r < rounds; r++)
      for (size_t l = 0; l < tabs.size(); l++) {
        const mlxc::EwKernel k = tabs[l]->unary[f][2];
        k(in, scalar, y.data(), n, prm);
        const double t0 = now();
        for (int c = 0; c < calls; c++) k(in, scalar, y.data(), n, prm);
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
}
