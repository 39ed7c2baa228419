// The texts of the engine's JSON requests that the C drivers (llm_kernels.cpp,
// llm_ab.cpp) send, and the handles read back from a response: one place, so
// that the drivers time the same requests.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace request_text {

// The handles of a response, in output order.
inline std::vector<std::string> handles(const std::string& json) {
  std::vector<std::string> hs;
  for (size_t at = 0; (at = json.find("\"handle\":\"", at)) != std::string::npos;) {
    at += 10;
    hs.push_back(json.substr(at, json.find('"', at) - at));
  }
  return hs;
}

inline std::string shape_json(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); i++) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// Normal values for a float32 array of this shape, from a seed.
inline std::vector<float> normal_values(const std::vector<int64_t>& shape, unsigned seed) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  std::mt19937 g(seed);
  std::normal_distribution<float> nd;
  for (float& x : v) x = nd(g);
  return v;
}

// A float32 input from buffer 0, kept as a handle.
inline std::string resident(const std::vector<int64_t>& shape) {
  return "{\"schema_version\":1,\"inputs\":[{\"id\":\"x\",\"dtype\":\"float32\",\"shape\":" + shape_json(shape) +
         ",\"buffer\":0}],\"outputs\":[{\"ref\":\"x\",\"as\":\"handle\"}]}";
}

// One op over resident inputs, its outputs as handles.
inline std::string request(const std::string& op, const std::vector<std::string>& ins, const std::string& attrs, int outs = 1) {
  std::string r = "{\"schema_version\":1,\"inputs\":[";
  for (size_t i = 0; i < ins.size(); i++) r += (i ? ",{\"id\":\"i" : "{\"id\":\"i") + std::to_string(i) + "\",\"handle\":\"" + ins[i] + "\"}";
  r += "],\"nodes\":[{\"id\":\"y\",\"op\":\"" + op + "\",\"inputs\":[";
  for (size_t i = 0; i < ins.size(); i++) r += (i ? ",\"i" : "\"i") + std::to_string(i) + "\"";
  r += "],\"attrs\":" + attrs + "}],\"outputs\":[";
  for (int k = 0; k < outs; k++) r += (k ? "," : "") + std::string("{\"ref\":\"y") + (outs > 1 ? ":" + std::to_string(k) : "") + "\",\"as\":\"handle\"}";
  return r + "]}";
}

}  // namespace request_text
