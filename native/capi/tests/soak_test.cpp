// A long loop of requests (200,000 by default) through the C ABI: computed
// outputs as buffers and handles, handles released, a plan run, errors and
// refusals. Memory must stay within a bound: the resident set may grow by at
// most MAX_GROWTH_MB (default 64) between the end of a warm-up (a tenth of
// the loop) and the end, and the engine's live arrays and the session's
// handles and plans return to what they were. Prints the resident set every
// tenth of the loop, then the peak (the kernel's high-water mark, or the
// largest of those samples) and the duration.
//
//   mlxcompat_soak_test [REQUESTS] [MAX_GROWTH_MB]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "harness.h"

using namespace harness;

constexpr double kMB = 1 << 20;

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 200000;
  const long max_growth = (argc > 2 ? std::atol(argv[2]) : 64) << 20;
  Tally t;
  mlxcompat_session* s = mlxcompat_session_new(nullptr, nullptr);
  std::vector<float> x(1024);
  for (size_t i = 0; i < x.size(); i++) x[i] = float(i) * 0.01f;
  const std::string step = R"({"schema_version": 1, "inputs": [{"id": "x", "dtype": "float32", "shape": [32, 32], "buffer": 0},
    {"id": "b", "dtype": "float32", "shape": [32], "data": [)" + [] {
    std::string d;
    for (int i = 0; i < 32; i++) d += (i ? "," : "") + std::to_string(i * 0.5);
    return d;
  }() + R"(]}],
    "nodes": [{"id": "m", "op": "matmul", "inputs": ["x", "x"]}, {"id": "y", "op": "add", "inputs": ["m", "b"]},
              {"id": "z", "op": "softmax", "inputs": ["y"], "attrs": {"axes": [-1]}}],
    "outputs": ["z", {"ref": "y", "as": "handle"}]})";
  const std::string define = R"({"schema_version": 1, "define_plan": "p", "inputs": [{"id": "x", "dtype": "float32", "shape": [1024], "placeholder": true}],
    "nodes": [{"id": "y", "op": "cumsum", "inputs": ["x"], "attrs": {"axis": 0}}, {"id": "z", "op": "sort", "inputs": ["y"]}], "outputs": ["z"]})";
  const std::string run = R"({"schema_version": 1, "run_plan": "p", "inputs": [{"id": "x", "buffer": 0}], "outputs": [{"ref": "z", "as": "inline"}]})";
  const std::string hostile = R"({"schema_version": 1, "inputs": [{"id": "x", "dtype": "float32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}],
    "nodes": [{"id": "y", "op": "repeat", "inputs": ["x"], "attrs": {"repeats": 3074457345618258603}}], "outputs": ["y"]})";
  const std::string bad = R"({"schema_version": 1, "inputs": [{"id": "x", "dtype": "bool", "shape": [4], "buffer": 0}], "nodes": [], "outputs": ["x"]})";
  const uint8_t bools[4] = {0, 2, 255, 1};
  t.check(eval_json(s, define).status() == "ok", "define the plan");
  const mlxcompat_buffer xb = {x.data(), x.size() * sizeof(float)};
  const auto t0 = std::chrono::steady_clock::now();
  const auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  long rss_warm = 0, rss_peak = 0;
  int64_t handles0 = 0;
  for (long i = 0; i < n; i++) {
    Answer a;
    switch (i % 4) {
      case 0: {
        a = eval(s, step, {xb});
        if (a.status() == "ok") mlxcompat_release(s, a.response["outputs"][1]["handle"].get<std::string>().c_str());
        break;
      }
      case 1: a = eval(s, run, {xb}); break;
      case 2: a = eval_json(s, hostile); a.response["status"] = a.status() == "refused" ? "ok" : "unexpected"; break;
      default: a = eval(s, bad, {{bools, 4}}); a.response["status"] = a.code() == "invalid_data" ? "ok" : "unexpected"; break;
    }
    if (a.status() != "ok") {
      t.check(false, "request " + std::to_string(i), a.response.dump().substr(0, 300));
      break;
    }
    if (i + 1 == n / 10) {
      rss_warm = rss_bytes();
      handles0 = mlxcompat_handle_count(s);
    }
    if ((i + 1) % std::max(1L, n / 10) == 0) {
      const long rss = rss_bytes();
      rss_peak = std::max(rss_peak, rss);
      std::printf("soak: request %ld: resident set %.1f MB", i + 1, rss / kMB);
      if (rss_warm) std::printf(", %+.1f MB over the warm-up's (bound +%ld MB)", (rss - rss_warm) / kMB, max_growth >> 20);
      std::printf(", %.1f s\n", seconds());
    }
  }
  const long rss_end = rss_bytes();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("soak: %ld requests in %.1f s, resident set %.1f MB after warm-up, %.1f MB at the end (bound: +%ld MB), peak %.1f MB\n", n,
              seconds(), rss_warm / kMB, rss_end / kMB, max_growth >> 20, std::max(rss_peak, long(usage.ru_maxrss) * 1024) / kMB);
  t.check(rss_end - rss_warm <= max_growth, "resident set growth within the bound");
  t.check(mlxcompat_handle_count(s) == handles0 && handles0 == 0, "no handle left behind");
  t.check(mlxcompat_plan_count(s) == 1, "one plan kept");
  mlxcompat_session_free(s);
  char* m = mlxcompat_memory();
  const json mem = json::parse(m);
  mlxcompat_string_free(m);
  t.check(mem["active"] == 0, "no live array after the session is freed", mem.dump());
  return t.finish("soak test");
}
