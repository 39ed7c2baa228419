// The C ABI: every entry point catches everything, so no exception crosses it.
#include <cstdlib>
#include <cstring>

#include "../include/mlxcompat.h"
#include "backend.h"
#include "mapped.h"

using namespace mlxc;

struct mlxcompat_session {
  Session s;
};

struct mlxcompat_result {
  std::string json;
  std::vector<Array> buffers;
};

namespace {

char* dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

// Reads "limits" overrides; unknown names and bad values are errors.
void apply_options(Session& s, const char* options) {
  if (!options) return;
  json o = json::parse(options);
  if (!o.is_object()) throw std::invalid_argument("options must be a JSON object");
  for (auto& [k, v] : o.items()) {
    if (k == "backend") {
      if (!v.is_string() || !find_backend(v.get<std::string>())) throw std::invalid_argument("backend must be \"native\" or \"mlx\"");
      s.backend = v.get<std::string>();
      continue;
    }
    if (k != "limits") throw std::invalid_argument("unknown option \"" + k + "\"");
    if (!v.is_object()) throw std::invalid_argument("limits must be an object");
    std::map<std::string, int64_t*> fields = {
        {"max_elements", &s.limits.max_elements}, {"max_bytes", &s.limits.max_bytes},
        {"max_nodes", &s.limits.max_nodes},       {"max_inputs", &s.limits.max_inputs},
        {"max_ndim", &s.limits.max_ndim},         {"max_request_bytes", &s.limits.max_request_bytes}};
    for (auto& [name, val] : v.items()) {
      auto it = fields.find(name);
      if (it == fields.end()) throw std::invalid_argument("unknown limit \"" + name + "\"");
      if (!val.is_number_integer() || val.get<int64_t>() < 0) throw std::invalid_argument("limit \"" + name + "\" must be a non-negative integer");
      *it->second = val.get<int64_t>();
    }
  }
}

EvalResult run(mlxcompat_session* session, const char* request, size_t length, const InputBuffer* bufs, size_t n,
               const char* default_as) {
  if (session) return evaluate(session->s, request, length, bufs, n, default_as);
  Session transient;
  EvalResult r = evaluate(transient, request, length, bufs, n, default_as);
  if (!transient.handles.empty()) {
    r.buffers.clear();
    r.response = {{"schema_version", kSchemaVersion},
                  {"status", "refused"},
                  {"refusal", {{"code", "unsupported_output"}, {"scope", "request"}, {"subject", "/outputs"}, {"detail", "resident handles need a session"}}}};
  }
  return r;
}

// What a session keeps by name (resident arrays, plans): one erased, and
// how many there are, under the session's lock.
template <class Map>
int erase_named(mlxcompat_session* session, Map Session::*kept, const char* name) {
  if (!session || !name) return -1;
  std::lock_guard<std::mutex> g(session->s.mu);
  return (session->s.*kept).erase(name) ? 0 : -1;
}

template <class Map>
int64_t count_named(mlxcompat_session* session, Map Session::*kept) {
  if (!session) return -1;
  std::lock_guard<std::mutex> g(session->s.mu);
  return int64_t((session->s.*kept).size());
}

}  // namespace

extern "C" {

const char* mlxcompat_version(void) { return kEngineVersion; }

int mlxcompat_abi_version(void) { return MLXCOMPAT_ABI_VERSION; }

char* mlxcompat_capabilities(void) {
  try {
    return dup(capabilities_json().dump());
  } catch (...) {
    return nullptr;
  }
}

mlxcompat_session* mlxcompat_session_new(const char* options_json, char** error_out) {
  if (error_out) *error_out = nullptr;
  try {
    auto* s = new mlxcompat_session();
    try {
      apply_options(s->s, options_json);
    } catch (...) {
      delete s;
      throw;
    }
    return s;
  } catch (const std::exception& e) {
    if (error_out) *error_out = dup(e.what());
  } catch (...) {
    if (error_out) *error_out = dup("unknown failure");
  }
  return nullptr;
}

void mlxcompat_session_free(mlxcompat_session* session) { delete session; }

char* mlxcompat_eval_json(mlxcompat_session* session, const char* request, size_t length) {
  try {
    return dup(run(session, request, length, nullptr, 0, "inline").response.dump());
  } catch (...) {
    return nullptr;
  }
}

mlxcompat_result* mlxcompat_eval(mlxcompat_session* session, const char* request, size_t length,
                                 const mlxcompat_buffer* inputs, size_t n_inputs) {
  try {
    std::vector<InputBuffer> bufs;
    for (size_t i = 0; inputs && i < n_inputs; i++) bufs.push_back({inputs[i].data, inputs[i].size});
    EvalResult r = run(session, request, length, bufs.data(), bufs.size(), "buffer");
    auto* out = new mlxcompat_result();
    out->json = r.response.dump();
    out->buffers = std::move(r.buffers);
    return out;
  } catch (...) {
    return nullptr;
  }
}

const char* mlxcompat_result_json(const mlxcompat_result* result) { return result ? result->json.c_str() : nullptr; }

size_t mlxcompat_result_buffer_count(const mlxcompat_result* result) { return result ? result->buffers.size() : 0; }

const void* mlxcompat_result_buffer(const mlxcompat_result* result, size_t index, size_t* size_out) {
  if (!result || index >= result->buffers.size()) {
    if (size_out) *size_out = 0;
    return nullptr;
  }
  const Array& a = result->buffers[index];
  if (size_out) *size_out = a.nbytes();
  return a.raw();
}

void mlxcompat_result_free(mlxcompat_result* result) { delete result; }

int mlxcompat_release(mlxcompat_session* session, const char* handle) { return erase_named(session, &Session::handles, handle); }

int64_t mlxcompat_handle_count(mlxcompat_session* session) { return count_named(session, &Session::handles); }

int mlxcompat_release_plan(mlxcompat_session* session, const char* name) { return erase_named(session, &Session::plans, name); }

int64_t mlxcompat_plan_count(mlxcompat_session* session) { return count_named(session, &Session::plans); }

char* mlxcompat_map_file(mlxcompat_session* session, const char* path, const char* spec, size_t length) {
  if (!session) return dup(json({{"schema_version", kSchemaVersion}, {"status", "error"}, {"error", {{"code", "invalid_request"}, {"path", ""}, {"message", "mapped arrays need a session"}}}}).dump());
  try {
    return dup(map_file(session->s, path, spec, length).dump());
  } catch (...) {
    return nullptr;
  }
}

char* mlxcompat_memory(void) {
  try {
    MemoryStats m = memory_stats();
    return dup(json({{"active", m.active}, {"peak", m.peak}, {"cache", m.cache}}).dump());
  } catch (...) {
    return nullptr;
  }
}

void mlxcompat_clear_cache(void) { clear_memory_cache(); }

void mlxcompat_reset_peak_memory(void) { reset_peak_memory(); }

void mlxcompat_string_free(char* s) { std::free(s); }

}  // extern "C"
