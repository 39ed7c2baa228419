// In-process A/B of engine builds on llm-bench's memory-bound calls (session
// 22): each library (a copy of libmlxcompat.so at its own path) is dlopened
// beside the others with its own session and inputs; the libraries take
// blocks of 9 calls in turns, and each block's median is kept, so that a
// shared machine's load falls on all alike. 60 ms pass before a block: the
// engine's idle workers poll for 50 ms (the first 1 ms flat out), and
// another build's polling would take a core from the one being timed.
// Prints each library's median and best block, and the first library's time
// over the last's, per round: median and quartiles.
//   g++ -O2 -std=c++17 -Inative/capi/include -o build/bench/llm_ab packages/mlx-bench/native/llm_ab.cpp -ldl
//   build/bench/llm_ab decode 60 /tmp/old.so /tmp/new.so
// cases: decode (decoding attention, 1 query row against 2048 keys, 32 query
// and 8 key/value heads, head size 128, over 8 input sets in turn), decode1
// (the same on one set), matvec (the 4-bit group-64 4096x4096 product of one
// row, over 13 weight sets).
#include <dlfcn.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include "mlxcompat.h"
#include "request_text.h"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct Library {
  const char* path;
  mlxcompat_result* (*eval)(mlxcompat_session*, const char*, size_t, const mlxcompat_buffer*, size_t);
  const char* (*json)(mlxcompat_result*);
  void (*free_result)(mlxcompat_result*);
  int (*release)(mlxcompat_session*, const char*);
  mlxcompat_session* session;
  std::vector<std::string> calls;

  std::string call(const std::string& req, const std::vector<mlxcompat_buffer>& in = {}) {
    mlxcompat_result* r = eval(session, req.data(), req.size(), in.data(), in.size());
    const std::string j = json(r);
    free_result(r);
    if (j.find("\"status\":\"ok\"") == std::string::npos) {
      std::fprintf(stderr, "%s: request failed: %s\n", path, j.substr(0, 400).c_str());
      std::exit(1);
    }
    return j;
  }
  std::string resident(const std::vector<int64_t>& shape, unsigned seed) {
    std::vector<float> v = request_text::normal_values(shape, seed);
    return request_text::handles(call(request_text::resident(shape), {{v.data(), v.size() * 4}}))[0];
  }
  void run(size_t i) {
    for (const std::string& h : request_text::handles(call(calls[i]))) release(session, h.c_str());
  }
};

template <class F>
void bind(void* h, const char* name, F& f) {
  f = reinterpret_cast<F>(dlsym(h, name));
  if (!f) {
    std::fprintf(stderr, "%s: %s\n", name, dlerror());
    std::exit(1);
  }
}

Library open_library(const char* path, const std::string& what) {
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    std::fprintf(stderr, "%s\n", dlerror());
    std::exit(1);
  }
  Library l{path, nullptr, nullptr, nullptr, nullptr, nullptr, {}};
  mlxcompat_session* (*session_new)(const char*, char**);
  bind(h, "mlxcompat_session_new", session_new);
  bind(h, "mlxcompat_eval", l.eval);
  bind(h, "mlxcompat_result_json", l.json);
  bind(h, "mlxcompat_result_free", l.free_result);
  bind(h, "mlxcompat_release", l.release);
  l.session = session_new(nullptr, nullptr);
  using request_text::request;
  if (what == "decode" || what == "decode1") {
    const std::string q = l.resident({1, 32, 1, 128}, 1);
    for (unsigned i = 0; i < (what == "decode" ? 8u : 1u); i++)
      l.calls.push_back(request("scaled_dot_product_attention", {q, l.resident({1, 8, 2048, 128}, 300 + i), l.resident({1, 8, 2048, 128}, 400 + i)}, "{\"scale\":0.088}"));
  } else if (what == "matvec") {
    const std::string x = l.resident({1, 4096}, 1);
    for (unsigned i = 0; i < 13; i++) {
      const std::string w = l.resident({4096, 4096}, 50 + i);
      const std::vector<std::string> packed = request_text::handles(l.call(request("quantize", {w}, "{\"group_size\":64,\"bits\":4}", 3)));
      l.release(l.session, w.c_str());
      l.calls.push_back(request("quantized_matmul", {x, packed[0], packed[1], packed[2]}, "{\"transpose\":true,\"group_size\":64,\"bits\":4}"));
    }
  } else {
    std::fprintf(stderr, "unknown case %s (decode, decode1, matvec)\n", what.c_str());
    std::exit(2);
  }
  return l;
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[size_t(q * double(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s decode|decode1|matvec ROUNDS LIBRARY LIBRARY...\n", argv[0]);
    return 2;
  }
  const std::string what = argv[1];
  const int rounds = std::atoi(argv[2]);
  std::vector<Library> libs;
  for (int a = 3; a < argc; a++) libs.push_back(open_library(argv[a], what));
  std::vector<std::vector<double>> blocks(libs.size());
  std::vector<double> ratio;
  size_t next = 0;
  for (int r = 0; r < rounds; r++) {
    std::vector<double> median(libs.size());
    for (size_t k = 0; k < libs.size(); k++) {
      const size_t l = r % 2 ? libs.size() - 1 - k : k;  // the order alternates
      usleep(60000);
      std::vector<double> t;
      for (int c = 0; c < 9; c++) {
        const double t0 = now();
        libs[l].run(next++ % libs[l].calls.size());
        t.push_back(now() - t0);
      }
      median[l] = quantile(t, 0.5);
      blocks[l].push_back(median[l]);
    }
    ratio.push_back(median.front() / median.back());
  }
  for (size_t l = 0; l < libs.size(); l++)
    std::printf("%s: median block %.3f ms, best block %.3f ms\n", libs[l].path, 1e3 * quantile(blocks[l], 0.5), 1e3 * quantile(blocks[l], 0));
  std::printf("first / last time, per round: median %.3f (quartiles %.3f-%.3f)\n", quantile(ratio, 0.5), quantile(ratio, 0.25), quantile(ratio, 0.75));
}
