// Bit comparison of two engine libraries' outputs (session 22), for
// changes that must keep every bit (a kernel's vectors interleaved, code
// moved into templates): each op over N inputs through the C ABI of both
// libraries (dlopen'ed side by side). float32 inputs: a third random bit
// patterns (NaNs, infinities, subnormals, mixed with ordinary lanes), a
// third uniform over the op's usual domain, a third log-uniform magnitudes
// from 2^-30 to 2^15 with either sign; float64 the same, random bit
// patterns of 64 bits and the other two widened; float16 and bfloat16: every bit
// pattern, repeated. power, logaddexp and arctan2 take two such arrays;
// power_s and power_b are power with the exponent or the base a scalar
// (each of a few values in turn) and x as the other operand; arctan2_s and
// arctan2_b the same for arctan2.
// softmax and logsumexp take the input as rows of 4096 (the benchmark's
// shape: N/4096 rows, N rounded down), so that N past the last-level cache
// reaches their streamed paths.
// Prints the count of differing outputs and of those that are not both NaN
// (NaN payloads may follow the compiler's operand order); exits non-zero
// when any differ.
//   g++ -O2 -std=c++17 -Inative/capi/include -o build/bench/vecmath_bitcmp packages/mlx-bench/native/vecmath_bitcmp.cpp -ldl
//   build/bench/vecmath_bitcmp erfinv,arcsinh 3000001 float32 /tmp/old.so build/native/libmlxcompat.so
#include <dlfcn.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include "mlxcompat.h"
struct Lib {
  mlxcompat_session* (*snew)(const char*, const char*);
  mlxcompat_result* (*eval)(mlxcompat_session*, const char*, size_t, const mlxcompat_buffer*, size_t);
  const void* (*buf)(const mlxcompat_result*, size_t, size_t*);
  void (*rfree)(mlxcompat_result*);
  mlxcompat_session* s;
};
static uint64_t st = 12345;
static uint64_t rnd() {
  uint64_t z = (st += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull; z = (z ^ (z >> 27)) * 0x94d049bb133111ebull; return z ^ (z >> 31);
}
int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s OP,... N float32|float16|bfloat16|float64 A.so B.so\n", argv[0]);
    return 2;
  }
  std::vector<std::string> ops;
  for (std::string s = argv[1];;) { auto p = s.find(','); ops.push_back(s.substr(0, p)); if (p == std::string::npos) break; s = s.substr(p + 1); }
  const int64_t n_arg = atoll(argv[2]);
  const std::string dt = argv[3];
  Lib L[2];
  for (int i = 0; i < 2; i++) {
    void* h = dlopen(argv[4 + i], RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    L[i].snew = (decltype(L[i].snew))dlsym(h, "mlxcompat_session_new");
    L[i].eval = (decltype(L[i].eval))dlsym(h, "mlxcompat_eval");
    L[i].buf = (decltype(L[i].buf))dlsym(h, "mlxcompat_result_buffer");
    L[i].rfree = (decltype(L[i].rfree))dlsym(h, "mlxcompat_result_free");
    L[i].s = L[i].snew(nullptr, nullptr);
  }
  int bad = 0;
  for (auto& op : ops) {
    const bool bin = op == "arctan2" || op == "power" || op == "logaddexp";
    const bool rows = op == "softmax" || op == "logsumexp";
    constexpr int64_t kCols = 4096;
    const int64_t N = rows && n_arg >= kCols ? n_arg / kCols * kCols : n_arg;
    const std::string xshape = rows && N >= kCols ? std::to_string(N / kCols) + "," + std::to_string(kCols) : std::to_string(N);
    float lo = -8, hi = 8;
    if (op == "arcsinh") lo = -5000, hi = 5000;
    if (op == "arctanh" || op == "erfinv") lo = -1, hi = 1;
    if (op == "arccosh") lo = 1, hi = 5000;
    const size_t es = dt == "float64" ? 8 : dt == "float32" ? 4 : 2;
    std::vector<std::vector<uint8_t>> in(2, std::vector<uint8_t>(N * es));
    for (int k = 0; k < 2; k++)
      for (int64_t i = 0; i < N; i++) {
        if (es == 2) { uint16_t v = uint16_t(i * 40503u + k * 7 + (rnd() & (k ? 0xffff : 0))); memcpy(&in[k][i * 2], &v, 2); continue; }
        float v; uint64_t z = rnd();
        int part = int(i * 3 / N);
        if (part == 0 && es == 8) { memcpy(&in[k][i * 8], &z, 8); continue; }
        if (part == 0) { uint32_t b = uint32_t(z); memcpy(&v, &b, 4); }
        else if (part == 1) v = lo + (hi - lo) * float(z >> 40) * 0x1p-24f;
        else { float m = std::exp2(-30.0f + 45.0f * float(z >> 40) * 0x1p-24f); v = (z & 1) && lo < 0 ? -m : m; if (op == "arccosh") v += 1; }
        if (es == 8) { const double d = v; memcpy(&in[k][i * 8], &d, 8); }
        else memcpy(&in[k][i * 4], &v, 4);
      }
    const bool scalar = op == "power_s" || op == "power_b" || op == "arctan2_s" || op == "arctan2_b";
    const std::string base = scalar ? op.substr(0, op.size() - 2) : op;
    const bool second = scalar && op.back() == 's';
    for (const char* sv : scalar ? std::vector<const char*>{"2", "0.5", "-1.5", "3", "7.25", "-20", "0", "0.001", "1", "-2"}
                                 : std::vector<const char*>{""}) {
    std::string nodes = "[{\"id\":\"y\",\"op\":\"" + op + "\",\"inputs\":[\"x\"" + (bin ? ",\"z\"" : "") + "]" +
                        (rows ? ",\"attrs\":{\"axes\":[-1]}" : "") + "}]";
    std::string zin = "{\"id\":\"z\",\"dtype\":\"" + dt + "\",\"shape\":[" + std::to_string(N) + "],\"buffer\":1}";
    if (scalar) {
      nodes = "[{\"id\":\"y\",\"op\":\"" + base + "\",\"inputs\":" + (second ? "[\"x\",\"z\"]" : "[\"z\",\"x\"]") + "}]";
      zin = "{\"id\":\"z\",\"dtype\":\"" + dt + "\",\"shape\":[],\"data\":" + sv + "}";
    }
    const std::string req = "{\"schema_version\":1,\"inputs\":[{\"id\":\"x\",\"dtype\":\"" + dt + "\",\"shape\":[" + xshape +
      "],\"buffer\":0}," + zin + "],\"nodes\":" + nodes + ",\"outputs\":[\"y\"]}";
    const mlxcompat_buffer bufs[2] = {{in[0].data(), in[0].size()}, {in[1].data(), in[1].size()}};
    mlxcompat_result* r[2];
    const uint8_t* o[2];
    size_t sz[2];
    for (int i = 0; i < 2; i++) {
      r[i] = L[i].eval(L[i].s, req.data(), req.size(), bufs, 2);
      o[i] = (const uint8_t*)L[i].buf(r[i], 0, &sz[i]);
      if (!o[i]) { fprintf(stderr, "%s failed\n", op.c_str()); return 1; }
    }
    if (sz[0] != sz[1]) { fprintf(stderr, "%s: outputs of %zu and %zu bytes\n", op.c_str(), sz[0], sz[1]); return 1; }
    const int64_t n_out = int64_t(sz[0] / es);  // N, or a row's one value for logsumexp
    int64_t diff = 0, first = -1;
    for (int64_t i = 0; i < n_out; i++)
      if (memcmp(o[0] + i * es, o[1] + i * es, es)) { if (first < 0) first = i; diff++; }
    printf("%-9s %s%s%s n=%lld differing=%lld", op.c_str(), dt.c_str(), scalar ? " scalar " : "", sv, (long long)N, (long long)diff);
    if (first >= 0 && es == 4) {
      float a, b, x; memcpy(&a, o[0] + first * 4, 4); memcpy(&b, o[1] + first * 4, 4); memcpy(&x, &in[0][first * 4], 4);
      uint32_t ua, ub, ux; memcpy(&ua, &a, 4); memcpy(&ub, &b, 4); memcpy(&ux, &x, 4);
      printf(" first at %lld: x=%a old=%a new=%a (bits %08x: %08x %08x)", (long long)first, x, a, b, ux, ua, ub);
      int64_t nn = 0; for (int64_t i = 0; i < n_out; i++) if (memcmp(o[0] + i * 4, o[1] + i * 4, 4)) { float u, v; memcpy(&u, o[0] + i * 4, 4); memcpy(&v, o[1] + i * 4, 4); nn += !(std::isnan(u) && std::isnan(v)); }
      printf(" not both NaN: %lld", (long long)nn);
    }
    if (first >= 0 && es == 8) {
      double a, b, x; memcpy(&a, o[0] + first * 8, 8); memcpy(&b, o[1] + first * 8, 8); memcpy(&x, &in[0][first * 8], 8);
      printf(" first at %lld: x=%a old=%a new=%a", (long long)first, x, a, b);
      int64_t nn = 0; for (int64_t i = 0; i < n_out; i++) if (memcmp(o[0] + i * 8, o[1] + i * 8, 8)) { double u, v; memcpy(&u, o[0] + i * 8, 8); memcpy(&v, o[1] + i * 8, 8); nn += !(std::isnan(u) && std::isnan(v)); }
      printf(" not both NaN: %lld", (long long)nn);
    }
    if (first >= 0 && es == 2) { uint16_t a, b, x; memcpy(&a, o[0] + first * 2, 2); memcpy(&b, o[1] + first * 2, 2); memcpy(&x, &in[0][first * 2], 2); printf(" first at %lld: x=%04x old=%04x new=%04x", (long long)first, x, a, b);
      auto isnan16 = [&](uint16_t v) { return dt == "bfloat16" ? (v & 0x7f80) == 0x7f80 && (v & 0x7f) : (v & 0x7c00) == 0x7c00 && (v & 0x3ff); };
      int64_t nn = 0; for (int64_t i = 0; i < n_out; i++) { uint16_t u, v; memcpy(&u, o[0] + i * 2, 2); memcpy(&v, o[1] + i * 2, 2); nn += u != v && !(isnan16(u) && isnan16(v)); }
      printf(" not both NaN: %lld", (long long)nn); }
    printf("\n");
    bad += diff != 0;
    for (int i = 0; i < 2; i++) L[i].rfree(r[i]);
    }
  }
  return bad;
}
