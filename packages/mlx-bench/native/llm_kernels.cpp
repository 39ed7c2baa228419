// llm-bench's memory-bound cases (issue 16: the norms, rope, decoding
// attention, the 4-bit matrix-vector product) through the engine's C ABI,
// with no JavaScript: the inputs are resident handles, each call is one
// request whose output is a handle released after it. Each case is timed
// two ways, the median and best of `reps` calls:
//  - warm: calls back to back (what a model's loop of layers sees, save
//    that its weights are not in cache either),
//  - cold: before each call, 256 MiB are written, so nothing of the inputs
//    or the output's pages is in cache (what llm-bench's calls after a
//    garbage collection see).
// The reference is the copy bandwidth of all cores (a 256 MiB memcpy split
// over the engine's thread count, best of 16), measured in the same run; a
// case's share is its bytes moved per second against it (issue 16's goal:
// 70%). A call's fixed cost is shown by `add` of 4 floats timed the same way.
//   bash packages/mlx-bench/scripts/llm-kernels.sh [--reps N] [--only NAME,...]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <time.h>

#include "mlxcompat.h"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
// The calling thread's CPU time: with MLXCOMPAT_NUM_THREADS=1 a call's work
// runs on it, and this is its time without what other processes took.
double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

int threads() {
  if (const char* e = std::getenv("MLXCOMPAT_NUM_THREADS"))
    if (std::atoi(e) > 0) return std::atoi(e);
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

// Writes a buffer larger than the last-level cache, so the next call reads
// its inputs from memory.
std::vector<char> scratch(size_t(256) << 20, 1);
void evict() {
  static char v = 0;
  std::memset(scratch.data(), ++v, scratch.size());
}

double copy_gbs() {
  const size_t bytes = size_t(256) << 20;
  std::vector<char> a(bytes, 1), b(bytes, 0);
  const int n = threads();
  double best = 1e9;
  for (int run = 0; run <= 16; run++) {
    const double t0 = now();
    std::vector<std::thread> ts;
    for (int k = 0; k < n; k++)
      ts.emplace_back([&, k] {
        const size_t lo = bytes * size_t(k) / size_t(n) / 4096 * 4096, hi = bytes * size_t(k + 1) / size_t(n) / 4096 * 4096;
        std::memcpy(b.data() + lo, a.data() + lo, hi - lo);
      });
    for (auto& t : ts) t.join();
    if (run) best = std::min(best, now() - t0);
  }
  return 2.0 * double(bytes) / best / 1e9;
}

mlxcompat_session* session;

std::string call(const std::string& req, const std::vector<mlxcompat_buffer>& in = {}) {
  mlxcompat_result* r = mlxcompat_eval(session, req.data(), req.size(), in.data(), in.size());
  std::string json = mlxcompat_result_json(r);
  mlxcompat_result_free(r);
  if (json.find("\"status\":\"ok\"") == std::string::npos) {
    std::fprintf(stderr, "request failed: %s\n%s\n", req.substr(0, 300).c_str(), json.substr(0, 600).c_str());
    std::exit(1);
  }
  return json;
}

// The handles of a response, in output order.
std::vector<std::string> handles(const std::string& json) {
  std::vector<std::string> hs;
  for (size_t at = 0; (at = json.find("\"handle\":\"", at)) != std::string::npos;) {
    at += 10;
    hs.push_back(json.substr(at, json.find('"', at) - at));
  }
  return hs;
}

std::string shape_json(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); i++) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// A resident float32 array of normal values.
std::string resident(const std::vector<int64_t>& shape, unsigned seed) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  std::mt19937 g(seed);
  std::normal_distribution<float> nd;
  for (float& x : v) x = nd(g);
  const std::string req = "{\"schema_version\":1,\"inputs\":[{\"id\":\"x\",\"dtype\":\"float32\",\"shape\":" + shape_json(shape) +
                          ",\"buffer\":0}],\"outputs\":[{\"ref\":\"x\",\"as\":\"handle\"}]}";
  return handles(call(req, {{v.data(), v.size() * 4}}))[0];
}

// One op over resident inputs, its outputs as handles.
std::string request(const std::string& op, const std::vector<std::string>& ins, const std::string& attrs, int outs = 1) {
  std::string r = "{\"schema_version\":1,\"inputs\":[";
  for (size_t i = 0; i < ins.size(); i++) r += (i ? ",{\"id\":\"i" : "{\"id\":\"i") + std::to_string(i) + "\",\"handle\":\"" + ins[i] + "\"}";
  r += "],\"nodes\":[{\"id\":\"y\",\"op\":\"" + op + "\",\"inputs\":[";
  for (size_t i = 0; i < ins.size(); i++) r += (i ? ",\"i" : "\"i") + std::to_string(i) + "\"";
  r += "],\"attrs\":" + attrs + "}],\"outputs\":[";
  for (int k = 0; k < outs; k++) r += (k ? "," : "") + std::string("{\"ref\":\"y") + (outs > 1 ? ":" + std::to_string(k) : "") + "\",\"as\":\"handle\"}";
  return r + "]}";
}

void run_released(const std::string& req) {
  for (const std::string& h : handles(call(req))) mlxcompat_release(session, h.c_str());
}

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

struct Stat {
  double median, best, cpu, faults;  // cpu: the calling thread's median CPU time; faults: minor page faults per call
};
Stat timed(const std::string& req, int reps, bool cold) {
  run_released(req);
  std::vector<double> t, c;
  long faults = 0;
  for (int i = 0; i < reps; i++) {
    if (cold) evict();
    const long f0 = minor_faults();
    const double t0 = now(), c0 = cpu_now();
    const std::string json = call(req);
    t.push_back(now() - t0);
    c.push_back(cpu_now() - c0);
    faults += minor_faults() - f0;
    for (const std::string& h : handles(json)) mlxcompat_release(session, h.c_str());
  }
  std::sort(t.begin(), t.end());
  std::sort(c.begin(), c.end());
  return {t[t.size() / 2], t[0], c[c.size() / 2], double(faults) / reps};
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 30;
  std::string only;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
  }
  session = mlxcompat_session_new(nullptr, nullptr);
  const double bw = copy_gbs();
  std::printf("copy bandwidth: %.1f GB/s (256 MiB memcpy over %d threads, best of 16)\n", bw, threads());

  struct Case {
    std::string name, req;
    double bytes;
  };
  std::vector<Case> cases;
  const std::string tiny = resident({4}, 0);
  cases.push_back({"add of 4 floats (fixed cost)", request("add", {tiny, tiny}, "{}"), 32});
  const std::string x = resident({8, 512, 4096}, 1), w = resident({4096}, 2), b = resident({4096}, 3);
  const double norm = 2.0 * 8 * 512 * 4096 * 4;
  cases.push_back({"rmsNorm 8x512x4096", request("rms_norm", {x, w}, "{\"eps\":1e-5}"), norm});
  cases.push_back({"layerNorm 8x512x4096", request("layer_norm", {x, w, b}, "{\"eps\":1e-5,\"has_weight\":true,\"has_bias\":true}"), norm});
  const std::string r = resident({1, 32, 2048, 128}, 4);
  cases.push_back({"rope 1x32x2048x128", request("rope", {r}, "{\"dims\":128,\"traditional\":false,\"base\":10000,\"scale\":1,\"offset\":7}"), 2.0 * 32 * 2048 * 128 * 4});
  const std::string q = resident({1, 32, 1, 128}, 5), k = resident({1, 8, 2048, 128}, 6), v = resident({1, 8, 2048, 128}, 7);
  cases.push_back({"attention decode 1 vs 2048, 32q/8kv, d128", request("scaled_dot_product_attention", {q, k, v}, "{\"scale\":0.088}"), 2.0 * 8 * 2048 * 128 * 4});
  const std::string wq = resident({4096, 4096}, 11), x1 = resident({1, 4096}, 12);
  const std::vector<std::string> packed = handles(call(request("quantize", {wq}, "{\"group_size\":64,\"bits\":4}", 3)));
  cases.push_back({"4-bit g64 4096x4096 matvec", request("quantized_matmul", {x1, packed[0], packed[1], packed[2]}, "{\"transpose\":true,\"group_size\":64,\"bits\":4}"),
                   4096.0 * 4096 / 2 + 2.0 * 4096 * 64 * 4});

  std::printf("%d calls each; warm: back to back; cold: 256 MiB written before each call; ms median (best), GB/s and share of copy bandwidth from the median (issue 16's goal for the kernel alone: 70%%); the calling thread's median CPU time (all of a call's work with MLXCOMPAT_NUM_THREADS=1); page faults per call\n", reps);
  std::printf("| case | warm | cold | cold share | CPU warm, cold | faults warm, cold |\n| --- | --- | --- | --- | --- | --- |\n");
  for (const Case& c : cases) {
    if (!only.empty() && only.find(c.name.substr(0, c.name.find(' '))) == std::string::npos) continue;
    const Stat hot = timed(c.req, reps, false), cold = timed(c.req, reps, true);
    const double share = c.bytes / cold.median / 1e9 / bw;
    const char* goal = c.bytes < 1e6 ? "" : share >= 0.7 ? ", 70% met" : ", 70% not met";
    std::printf("| %s | %.3f ms (%.3f) | %.3f ms (%.3f), %.1f GB/s | %.1f%%%s | %.3f, %.3f ms | %.0f, %.0f |\n", c.name.c_str(), hot.median * 1e3, hot.best * 1e3,
                cold.median * 1e3, cold.best * 1e3, c.bytes / cold.median / 1e9, 100 * share, goal, hot.cpu * 1e3, cold.cpu * 1e3, hot.faults, cold.faults);
    std::fflush(stdout);
  }
  mlxcompat_session_free(session);
}
