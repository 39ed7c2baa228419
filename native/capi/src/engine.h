// Evaluates one request: parse, validate, infer, check limits, then execute.
#pragma once
#include <map>
#include <memory>
#include <mutex>

#include "json_doc.h"
#include "op.h"

namespace mlxc {

int64_t physical_memory();     // bytes, or a container's limit when lower
int64_t default_max_bytes();   // a fraction of physical_memory()

struct Limits {
  int64_t max_elements = int64_t(1) << 31;   // per array
  int64_t max_bytes = default_max_bytes();   // the arrays a request holds at once, and its encoded outputs
  int64_t max_nodes = 100000;
  int64_t max_inputs = 100000;
  int64_t max_ndim = 32;
  int64_t max_request_bytes = int64_t(1) << 30;
};
json limits_json(const Limits& l);
// The most each limit may be raised to by a session's options.
Limits limit_ceilings();

struct Plan;  // a validated graph kept for repeated runs (graph.h)

// The backend of a new session: MLXCOMPAT_BACKEND, else "native".
std::string default_backend_name();

// Resident arrays live in a session under handle ids until released; plans
// (see "define_plan" in the request schema) until the session ends.
struct Session {
  std::mutex mu;  // one request at a time per session
  std::map<std::string, Array> handles;
  std::map<std::string, std::shared_ptr<Plan>> plans;
  uint64_t next_handle = 1;
  Limits limits;
  std::string backend = default_backend_name();  // runs requests that name none
  JDoc request;  // the text of the request being run, read
};

struct InputBuffer {
  const void* data;
  size_t bytes;
};

struct EvalResult {
  json response;
  std::string text;  // the response as text, when it was written directly (else response.dump())
  std::vector<Array> buffers;  // arrays of outputs returned "as": "buffer"
};

// Never throws: every failure becomes an error or refused response. With
// `compact`, an evaluation (a graph or a plan's run) answers with the compact
// reply (mlxcompat_eval_compact).
EvalResult evaluate(Session& s, const char* request, size_t length, const InputBuffer* bufs,
                    size_t n_bufs, const char* default_as, bool compact = false);

json capabilities_json();
extern const char* const kEngineVersion;
constexpr int kSchemaVersion = 1;

}  // namespace mlxc
