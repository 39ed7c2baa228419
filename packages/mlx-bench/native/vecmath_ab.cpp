// In-process A/B of engine libraries (session 21): each op over 1M float32
// (in the L2 and L3 caches) through the C ABI, 16 calls a round, the
// libraries (copies of libmlxcompat.so at different paths, dlopen'ed side by
// side) alternated round by round, so that a shared machine's load falls on
// both alike. Prints, per library, the process's CPU time and the wall time
// in ns an element, best and median of the rounds, and B/A of the best CPU
// times. Run with MLXCOMPAT_NUM_THREADS=1.
//   g++ -O2 -std=c++17 -Inative/capi/include -o build/bench/vecmath_ab packages/mlx-bench/native/vecmath_ab.cpp -ldl
//   MLXCOMPAT_NUM_THREADS=1 build/bench/vecmath_ab exp,log,softmax 5 /tmp/old.so /tmp/new.so
// ops: any unary op by name; power, logaddexp and arctan2 take x op x;
// power_h is x^0.5 with the exponent a scalar (broadcast), power_b 0.5^x
// with the base a scalar, power_sq x^2
// with x over [-4, 4) (negative bases: lanes outside pow's common case);
// chain is tanh(exp(0.5 (x*x + x))); softmax and logsumexp rows of 4096 (256
// of them at 1M; VECMATH_AB_N=33554432 is the benchmark's 8192x4096).
// VECMATH_AB_DTYPE=float64 times the same requests in float64 (the same
// values, widened).
#include <dlfcn.h>
#include <time.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include "mlxcompat.h"
struct Lib {
  void* h;
  mlxcompat_session* (*snew)(const char*, const char*);
  mlxcompat_result* (*eval)(mlxcompat_session*, const char*, size_t, const mlxcompat_buffer*, size_t);
  const mlxcompat_buffer* (*buf)(mlxcompat_result*, size_t, void*);
  void (*rfree)(mlxcompat_result*);
  mlxcompat_session* s;
};
static double cpu() { timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static double wall() { timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static void fill(std::vector<float>& x, float lo, float hi) {
  uint64_t state = 7;
  for (auto& v : x) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull; z = (z ^ (z >> 27)) * 0x94d049bb133111ebull; z ^= z >> 31;
    v = std::min(lo + (hi - lo) * (float(z >> 40) * 0x1p-24f), std::nextafter(hi, lo));
  }
}
int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s OP,... ROUNDS LIBRARY...\n", argv[0]);
    return 2;
  }
  std::vector<std::string> ops;
  for (std::string s = argv[1];;) { auto p = s.find(','); ops.push_back(s.substr(0, p)); if (p == std::string::npos) break; s = s.substr(p + 1); }
  int rounds = atoi(argv[2]);
  std::vector<Lib> libs;
  for (int i = 3; i < argc; i++) {
    Lib l; l.h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
    if (!l.h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    l.snew = (decltype(l.snew))dlsym(l.h, "mlxcompat_session_new");
    l.eval = (decltype(l.eval))dlsym(l.h, "mlxcompat_eval");
    l.buf = (decltype(l.buf))dlsym(l.h, "mlxcompat_result_buffer");
    l.rfree = (decltype(l.rfree))dlsym(l.h, "mlxcompat_result_free");
    l.s = l.snew(nullptr, nullptr);
    libs.push_back(l);
  }
  // VECMATH_AB_N: another size (a call's tail, its overhead), with the calls a round raised to keep 16M elements
  const char* en = getenv("VECMATH_AB_N");
  const int64_t N = en ? std::max<int64_t>(atoll(en), 1) : 1 << 20; const int calls = int(std::max<int64_t>(16, (int64_t(16) << 20) / N));
  const char* edt = getenv("VECMATH_AB_DTYPE");
  const std::string dtype = edt ? edt : "float32";
  if (dtype != "float32" && dtype != "float64") { fprintf(stderr, "VECMATH_AB_DTYPE: float32 or float64, not %s\n", edt); return 2; }
  for (auto& op : ops) {
    float lo = -8, hi = 8; bool bin = false; int64_t rows = 1;
    if (op.rfind("log", 0) == 0 && op != "logaddexp" && op != "logsumexp") lo = 0.01f, hi = 100;
    if (op == "arcsin" || op == "arccos" || op == "arctanh" || op == "erfinv") lo = -0.999f, hi = 0.999f;
    if (op == "arccosh") lo = 1, hi = 100;
    if (op == "power" || op == "power_h" || op == "power_b" || op == "logaddexp" || op == "arctan2") lo = 0.1f, hi = 4, bin = true;
    if (op == "power_sq") lo = -4, hi = 4;
    if (op == "softmax" || op == "logsumexp") lo = -4, hi = 4, rows = std::max<int64_t>(N / 4096, 1);
    if (op == "chain") lo = -2, hi = 2;
    std::vector<float> x(N); fill(x, lo, hi);
    const std::vector<double> xd(dtype == "float64" ? x.begin() : x.end(), x.end());
    std::string nodes;
    if (op == "chain") nodes = "[{\"id\":\"a\",\"op\":\"multiply\",\"inputs\":[\"x\",\"x\"]},{\"id\":\"b\",\"op\":\"add\",\"inputs\":[\"a\",\"x\"]},"
               "{\"id\":\"c\",\"op\":\"multiply\",\"inputs\":[\"b\",\"h\"]},{\"id\":\"d\",\"op\":\"exp\",\"inputs\":[\"c\"]},"
               "{\"id\":\"y\",\"op\":\"tanh\",\"inputs\":[\"d\"]}]";
    else if (rows > 1) nodes = "[{\"id\":\"y\",\"op\":\"" + op + "\",\"inputs\":[\"x\"],\"attrs\":{\"axes\":[-1]}}]";
    else if (op == "power_h") nodes = "[{\"id\":\"y\",\"op\":\"power\",\"inputs\":[\"x\",\"h\"]}]";
    else if (op == "power_b") nodes = "[{\"id\":\"y\",\"op\":\"power\",\"inputs\":[\"h\",\"x\"]}]";
    else if (op == "power_sq") nodes = "[{\"id\":\"t\",\"op\":\"add\",\"inputs\":[\"h\",\"h\"]},{\"id\":\"u\",\"op\":\"add\",\"inputs\":[\"t\",\"t\"]},"
               "{\"id\":\"y\",\"op\":\"power\",\"inputs\":[\"x\",\"u\"]}]";
    else nodes = "[{\"id\":\"y\",\"op\":\"" + op + "\",\"inputs\":[\"x\"" + (bin ? ",\"x\"" : "") + "]}]";
    const std::string req = "{\"schema_version\":1,\"inputs\":[{\"id\":\"x\",\"dtype\":\"" + dtype + "\",\"shape\":[" + std::to_string(rows) + "," +
      std::to_string(N / rows) + "],\"buffer\":0},{\"id\":\"h\",\"dtype\":\"" + dtype + "\",\"shape\":[],\"data\":0.5}],\"nodes\":" + nodes + ",\"outputs\":[\"y\"]}";
    const mlxcompat_buffer in = xd.empty() ? mlxcompat_buffer{x.data(), x.size() * 4} : mlxcompat_buffer{xd.data(), xd.size() * 8};
    std::vector<std::vector<double>> tc(libs.size()), tw(libs.size());
    for (int r = -1; r < rounds; r++)
      for (size_t k = 0; k < libs.size(); k++) {
        double c0 = cpu(), w0 = wall();
        for (int c = 0; c < calls; c++) {
          mlxcompat_result* res = libs[k].eval(libs[k].s, req.data(), req.size(), &in, 1);
          if (!libs[k].buf(res, 0, nullptr)) { fprintf(stderr, "%s failed\n", op.c_str()); return 1; }
          libs[k].rfree(res);
        }
        if (r >= 0) tc[k].push_back((cpu() - c0) * 1e9 / (N * calls)), tw[k].push_back((wall() - w0) * 1e9 / (N * calls));
      }
    printf("%-10s", op.c_str());
    for (size_t k = 0; k < libs.size(); k++) {
      std::sort(tc[k].begin(), tc[k].end()); std::sort(tw[k].begin(), tw[k].end());
      printf("  | cpu %.3f/%.3f wall %.3f/%.3f", tc[k][0], tc[k][rounds / 2], tw[k][0], tw[k][rounds / 2]);
    }
    if (libs.size() == 2) printf("  | B/A cpu %.3f", tc[1][0] / tc[0][0]);
    printf("\n"); fflush(stdout);
  }
}
