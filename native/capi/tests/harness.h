// What the C tests share: requests through the C ABI with their answers
// parsed, and a tally that ends in one "N passed, N failed" line.
#pragma once
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "mlxcompat.h"

namespace harness {

using json = nlohmann::json;

struct Tally {
  int passed = 0, failed = 0;
  void check(bool ok, const std::string& what, const std::string& detail = "") {
    if (ok) {
      passed++;
    } else {
      failed++;
      std::printf("FAIL %s%s%s\n", what.c_str(), detail.empty() ? "" : ": ", detail.c_str());
    }
  }
  int finish(const char* name) {
    std::printf("%s: %d passed, %d failed\n", name, passed, failed);
    return failed ? 1 : 0;
  }
};

// One answer: the response and copies of its output buffers.
struct Answer {
  json response;
  std::vector<std::vector<uint8_t>> buffers;
  std::string status() const { return response.value("status", ""); }
  // The error's or refusal's code, and its path (an error) or subject (a refusal).
  std::string code() const {
    if (response.contains("error")) return response["error"].value("code", "");
    if (response.contains("refusal")) return response["refusal"].value("code", "");
    return "";
  }
  std::string where() const {
    if (response.contains("error")) return response["error"].value("path", "");
    if (response.contains("refusal")) return response["refusal"].value("subject", "");
    return "";
  }
};

inline Answer eval_json(mlxcompat_session* s, const std::string& req) {
  char* out = mlxcompat_eval_json(s, req.data(), req.size());
  Answer a;
  if (!out) {
    a.response = {{"status", "null"}};
    return a;
  }
  a.response = json::parse(out);
  mlxcompat_string_free(out);
  return a;
}

inline Answer eval(mlxcompat_session* s, const std::string& req, const std::vector<mlxcompat_buffer>& bufs) {
  mlxcompat_result* r = mlxcompat_eval(s, req.data(), req.size(), bufs.data(), bufs.size());
  Answer a;
  if (!r) {
    a.response = {{"status", "null"}};
    return a;
  }
  a.response = json::parse(mlxcompat_result_json(r));
  for (size_t i = 0; i < mlxcompat_result_buffer_count(r); i++) {
    size_t n = 0;
    const uint8_t* p = static_cast<const uint8_t*>(mlxcompat_result_buffer(r, i, &n));
    a.buffers.emplace_back(p, p + n);
  }
  mlxcompat_result_free(r);
  return a;
}

inline std::vector<json> read_jsonl(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::vector<json> out;
  std::string line;
  while (std::getline(f, line))
    if (!line.empty() && line[0] != '#') out.push_back(json::parse(line));
  return out;
}

// The resident set size of this process in bytes (Linux).
inline long rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * 4096;
}

}  // namespace harness
