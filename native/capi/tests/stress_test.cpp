// Many threads on the engine at once, for ThreadSanitizer: threads with a
// session each, threads sharing one session (handles and plans made, run and
// released while others use the session), transient sessions, and memory
// figures read and the cache cleared meanwhile. Arrays are large enough that
// the engine's worker pool splits them.
//
//   mlxcompat_stress_test [ROUNDS]
#include <atomic>
#include <cstdlib>
#include <thread>

#include "harness.h"

using namespace harness;

namespace {

std::atomic<int> failures{0};

void expect(bool ok, const char* what, const json& response) {
  if (ok) return;
  failures++;
  std::printf("FAIL %s: %s\n", what, response.dump().substr(0, 300).c_str());
}

const std::string kChain = R"({"schema_version": 1, "inputs": [{"id": "x", "dtype": "float32", "shape": [256, 512], "buffer": 0}],
  "nodes": [{"id": "a", "op": "exp", "inputs": ["x"]}, {"id": "b", "op": "multiply", "inputs": ["a", "x"]},
            {"id": "s", "op": "sum", "inputs": ["b"], "attrs": {"axes": [1]}}, {"id": "t", "op": "transpose", "inputs": ["b"]},
            {"id": "m", "op": "matmul", "inputs": ["t", "x"]}],
  "outputs": ["s", {"ref": "m", "as": "handle"}]})";

const std::string kPlan = R"({"schema_version": 1, "define_plan": "PLAN", "inputs": [{"id": "x", "dtype": "float32", "shape": [4096], "placeholder": true}],
  "nodes": [{"id": "y", "op": "cumsum", "inputs": ["x"], "attrs": {"axis": 0}}, {"id": "z", "op": "sort", "inputs": ["y"]}], "outputs": ["z"]})";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// One round on a session: a computed chain kept as a handle, read back and
// released, and a plan defined, run and released; each named by `tag`.
void round_on(mlxcompat_session* s, const std::string& tag, const std::vector<float>& x) {
  const Answer a = eval(s, kChain, {{x.data(), x.size() * sizeof(float)}});
  expect(a.status() == "ok", "chain", a.response);
  if (a.status() != "ok") return;
  const std::string h = a.response["outputs"][1]["handle"];
  const std::string read = R"({"schema_version": 1, "inputs": [{"id": "m", "handle": ")" + h + R"("}],
    "nodes": [{"id": "d", "op": "max", "inputs": ["m"]}], "outputs": ["d"]})";
  expect(eval_json(s, read).status() == "ok", "read a handle", {});
  expect(mlxcompat_release(s, h.c_str()) == 0, "release a handle", {});
  const std::string plan = "p" + tag;
  expect(eval_json(s, replace(kPlan, "PLAN", plan)).status() == "ok", "define a plan", {});
  const std::string run = R"({"schema_version": 1, "run_plan": ")" + plan + R"(", "inputs": [{"id": "x", "buffer": 0}]})";
  const Answer r = eval(s, run, {{x.data(), 4096 * sizeof(float)}});
  expect(r.status() == "ok" && r.buffers.size() == 1, "run a plan", r.response);
  expect(mlxcompat_release_plan(s, plan.c_str()) == 0, "release a plan", {});
  // a hostile request between the others
  expect(eval_json(s, R"({"schema_version": 1, "inputs": [{"id": "x", "dtype": "float32", "shape": [3], "data": [1, 2, 3]}],
    "nodes": [{"id": "y", "op": "pad", "inputs": ["x"], "attrs": {"pad_width": [9223372036854775807, 9223372036854775807]}}], "outputs": ["y"]})")
             .status() == "refused", "a hostile request", {});
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
  std::vector<float> x(256 * 512);
  for (size_t i = 0; i < x.size(); i++) x[i] = float(i % 97) / 97.0f - 0.5f;
  mlxcompat_session* shared = mlxcompat_session_new(nullptr, nullptr);
  std::vector<std::thread> threads;
  for (int k = 0; k < 3; k++)  // a session each
    threads.emplace_back([&, k] {
      mlxcompat_session* own = mlxcompat_session_new(nullptr, nullptr);
      for (int r = 0; r < rounds; r++) round_on(own, "own" + std::to_string(k) + "_" + std::to_string(r), x);
      mlxcompat_session_free(own);
    });
  for (int k = 0; k < 3; k++)  // one session shared
    threads.emplace_back([&, k] {
      for (int r = 0; r < rounds; r++) {
        round_on(shared, "shared" + std::to_string(k) + "_" + std::to_string(r), x);
        expect(mlxcompat_handle_count(shared) >= 0 && mlxcompat_plan_count(shared) >= 0, "counts", {});
      }
    });
  threads.emplace_back([&] {  // transient sessions and process-wide figures
    for (int r = 0; r < rounds * 4; r++) {
      const Answer a = eval(nullptr, kChain, {{x.data(), x.size() * sizeof(float)}});
      expect(a.status() == "refused", "a handle without a session", a.response);
      char* m = mlxcompat_memory();
      expect(m != nullptr, "memory figures", {});
      mlxcompat_string_free(m);
      if (r % 8 == 0) mlxcompat_clear_cache();
      mlxcompat_reset_peak_memory();
    }
  });
  for (auto& t : threads) t.join();
  expect(mlxcompat_handle_count(shared) == 0 && mlxcompat_plan_count(shared) == 0, "the shared session is empty again", {});
  mlxcompat_session_free(shared);
  const int failed = failures.load();
  std::printf("stress test: %d passed, %d failed\n", failed ? 0 : 1, failed ? 1 : 0);
  return failed ? 1 : 0;
}
