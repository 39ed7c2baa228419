// The C ABI: every entry point catches everything, so no exception crosses it.
#include <cstdlib>
#include <cstring>

#include "../include/mlxcompat.h"
#include "backend.h"
#include "jobs.h"
#include "mapped.h"
#include "parallel.h"

using namespace mlxc;

struct mlxcompat_session {
  Session s;
  // shared with the session's jobs, which may outlive it
  std::shared_ptr<JobQueue> jobs = std::make_shared<JobQueue>();
};

struct mlxcompat_result {
  std::string json;
  std::vector<Array> buffers;
};

struct mlxcompat_job {
  mlxcompat_session* session;
  std::string request;
  std::vector<InputBuffer> buffers;
  std::unique_ptr<mlxcompat_result> result;  // NULL when out of memory
  std::shared_ptr<JobQueue> queue;
  std::shared_ptr<JobQueue::Entry> entry;
};

namespace {

char* dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

// Reads "limits" overrides; unknown names, bad values and values above a
// limit's ceiling (see the header) are errors.
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
    const Limits ceiling = limit_ceilings();
    std::map<std::string, std::pair<int64_t*, int64_t>> fields = {
        {"max_elements", {&s.limits.max_elements, ceiling.max_elements}}, {"max_bytes", {&s.limits.max_bytes, ceiling.max_bytes}},
        {"max_nodes", {&s.limits.max_nodes, ceiling.max_nodes}},          {"max_inputs", {&s.limits.max_inputs, ceiling.max_inputs}},
        {"max_ndim", {&s.limits.max_ndim, ceiling.max_ndim}},             {"max_request_bytes", {&s.limits.max_request_bytes, ceiling.max_request_bytes}}};
    for (auto& [name, val] : v.items()) {
      auto it = fields.find(name);
      if (it == fields.end()) throw std::invalid_argument("unknown limit \"" + name + "\"");
      const int64_t most = it->second.second;
      if (!val.is_number_integer() || (!val.is_number_unsigned() && val.get<int64_t>() < 0) || val.get<uint64_t>() > uint64_t(most))
        throw std::invalid_argument("limit \"" + name + "\" must be an integer from 0 to " + std::to_string(most));
      *it->second.first = val.get<int64_t>();
    }
  }
}

std::vector<InputBuffer> input_buffers(const mlxcompat_buffer* inputs, size_t n_inputs) {
  std::vector<InputBuffer> bufs;
  for (size_t i = 0; inputs && i < n_inputs; i++) bufs.push_back({inputs[i].data, inputs[i].size});
  return bufs;
}

EvalResult run(mlxcompat_session* session, const char* request, size_t length, const InputBuffer* bufs, size_t n,
               const char* default_as, bool compact = false) {
  if (session) return evaluate(session->s, request, length, bufs, n, default_as, compact);
  Session transient;
  EvalResult r = evaluate(transient, request, length, bufs, n, default_as, compact);
  if (!transient.plans.empty()) {
    r.buffers.clear();
    r.text.clear();
    r.response = {{"schema_version", kSchemaVersion},
                  {"status", "refused"},
                  {"refusal", {{"code", "session_required"}, {"scope", "request"}, {"subject", "/define_plan"}, {"detail", "a plan is kept in a session: pass one"}}}};
  } else if (!transient.handles.empty()) {
    r.buffers.clear();
    r.text.clear();
    r.response = {{"schema_version", kSchemaVersion},
                  {"status", "refused"},
                  {"refusal", {{"code", "unsupported_output"}, {"scope", "request"}, {"subject", "/outputs"}, {"detail", "resident handles need a session"}}}};
  }
  return r;
}

mlxcompat_result* eval_result(mlxcompat_session* session, const char* request, size_t length, const std::vector<InputBuffer>& bufs,
                              bool compact = false) {
  EvalResult r = run(session, request, length, bufs.data(), bufs.size(), "buffer", compact);
  auto* out = new mlxcompat_result();
  out->json = r.text.empty() ? r.response.dump() : std::move(r.text);
  out->buffers = std::move(r.buffers);
  return out;
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

void mlxcompat_session_free(mlxcompat_session* session) {
  if (session) session->jobs->drain();
  delete session;
}

char* mlxcompat_eval_json(mlxcompat_session* session, const char* request, size_t length) {
  try {
    EvalResult r = run(session, request, length, nullptr, 0, "inline");
    return dup(r.text.empty() ? r.response.dump() : r.text);
  } catch (...) {
    return nullptr;
  }
}

mlxcompat_result* mlxcompat_eval(mlxcompat_session* session, const char* request, size_t length,
                                 const mlxcompat_buffer* inputs, size_t n_inputs) {
  try {
    return eval_result(session, request, length, input_buffers(inputs, n_inputs));
  } catch (...) {
    return nullptr;
  }
}

mlxcompat_result* mlxcompat_eval_compact(mlxcompat_session* session, const char* request, size_t length,
                                         const mlxcompat_buffer* inputs, size_t n_inputs) {
  try {
    return eval_result(session, request, length, input_buffers(inputs, n_inputs), true);
  } catch (...) {
    return nullptr;
  }
}

mlxcompat_job* mlxcompat_job_new(mlxcompat_session* session, const char* request, size_t length,
                                 const mlxcompat_buffer* inputs, size_t n_inputs) {
  if (!session) return nullptr;
  try {
    auto job = std::make_unique<mlxcompat_job>();
    job->session = session;
    // a NULL request stays NULL: the engine answers it with its invalid_json error
    if (request) job->request.assign(request, length);
    job->buffers = input_buffers(inputs, n_inputs);
    job->queue = session->jobs;
    mlxcompat_job* j = job.get();
    const bool null_request = !request;
    job->entry = session->jobs->push([j, null_request] {
      try {
        j->result.reset(eval_result(j->session, null_request ? nullptr : j->request.data(), j->request.size(), j->buffers));
      } catch (...) {
        j->result.reset();
      }
    });
    return job.release();
  } catch (...) {
    return nullptr;
  }
}

const mlxcompat_result* mlxcompat_job_wait(mlxcompat_job* job) {
  if (!job) return nullptr;
  try {
    job->queue->run_through(job->entry);
  } catch (...) {
    return nullptr;
  }
  return job->result.get();
}

const mlxcompat_result* mlxcompat_job_wait_background(mlxcompat_job* job) {
  if (!job) return nullptr;
  try {
    run_in_background([job] { job->queue->run_through(job->entry); });
  } catch (...) {
    return nullptr;
  }
  return job->result.get();
}

void mlxcompat_job_free(mlxcompat_job* job) {
  if (job) mlxcompat_job_wait(job);
  delete job;
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

int mlxcompat_release_after_jobs(mlxcompat_session* session, const char* handle) {
  if (!session || !handle) return -1;
  try {
    // the work may outlive this call, queued: it owns what it writes
    auto found = std::make_shared<int>(0);
    const bool ran = session->jobs->after_pending([session, found, name = std::string(handle)] {
      try {
        *found = erase_named(session, &Session::handles, name.c_str());
      } catch (...) {
        *found = -1;
      }
    });
    return ran ? *found : 0;
  } catch (...) {
    return -1;
  }
}

int64_t mlxcompat_release_list_after_jobs(mlxcompat_session* session, const char* handles, size_t length) {
  if (!session || !handles) return -1;
  try {
    std::vector<std::string> names;
    for (size_t at = 0; at < length;) {
      const void* space = std::memchr(handles + at, ' ', length - at);
      const size_t end = space ? size_t(static_cast<const char*>(space) - handles) : length;
      if (end > at) names.emplace_back(handles + at, end - at);
      at = end + 1;
    }
    // the work may outlive this call, queued: it owns what it reads
    auto found = std::make_shared<int64_t>(0);
    const bool ran = session->jobs->after_pending([session, found, names = std::move(names)] {
      try {
        std::lock_guard<std::mutex> g(session->s.mu);
        for (const std::string& name : names) *found += int64_t(session->s.handles.erase(name));
      } catch (...) {
        *found = -1;
      }
    });
    return ran ? *found : 0;
  } catch (...) {
    return -1;
  }
}

int64_t mlxcompat_read(mlxcompat_session* session, const char* handle, void* out, size_t size) {
  if (!session || !handle) return -1;
  try {
    std::lock_guard<std::mutex> g(session->s.mu);
    auto it = session->s.handles.find(handle);
    if (it == session->s.handles.end()) return -1;
    const Array& a = it->second;
    const size_t bytes = a.nbytes();
    if (size == bytes && bytes && out) std::memcpy(out, a.raw(), bytes);
    return int64_t(bytes);
  } catch (...) {
    return -1;
  }
}

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

size_t mlxcompat_set_memory_limit(size_t limit) { return set_memory_limit(limit); }

size_t mlxcompat_set_cache_limit(size_t limit) { return set_cache_limit(limit); }

size_t mlxcompat_set_wired_limit(size_t) { return 0; }

void mlxcompat_string_free(char* s) { std::free(s); }

}  // extern "C"
