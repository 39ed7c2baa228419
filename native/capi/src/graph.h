// The engine's internal view of a request: the graph that reading and
// validation build (request.cpp), the schedule that planning and fusion make
// of it (plan.cpp), and the execution of that schedule (execute.cpp).
// engine.cpp ties them together into responses.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "engine.h"

namespace mlxc {

class Backend;  // backend.h

inline std::string ptr(const std::string& base, size_t i) { return base + "/" + std::to_string(i); }

// A node's view of one of its inputs: a value index.
struct Node {
  std::string id, path;
  const OpDef* def = nullptr;
  struct Ref {
    std::string name;
    int output;     // the output index k of "name:k", or -1
    int node = -1;  // the node named, found by topo_order; -1 for an input
  };
  std::vector<Ref> refs;
  std::vector<int> inputs;                        // value indices, resolved
  std::vector<int> outputs;
  Attrs attrs;
  EwTypes ew_types;
  EwKernel kernel = nullptr;
  EwParams params;
  unsigned transposed = 0;  // see OpDef::reads_transposed
};

struct InputSpec {
  int value;
  JVal source;  // the request's input; null once the graph is kept as a plan
  std::string path;
  bool placeholder = false;
};

struct OutputSpec {
  int value;
  std::string ref, as;
};

struct Graph {
  std::vector<TypeShape> values;
  std::vector<Array> data;
  std::vector<int> producer;  // node index, -1 for request inputs
  std::vector<Node> nodes;
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  struct Named {
    int index;   // a value index for an input, a node index for a node
    bool input;
  };
  std::unordered_map<std::string, Named> names;  // every id of the request
  std::string device = "cpu";                    // the request's "device"
};

// Reading and validating a request (request.cpp).
void expect_object(JVal j, const std::string& path, std::initializer_list<const char*> allowed);
bool valid_id(std::string_view s);
std::string id_of(JVal j, const std::string& path);
DType dtype_of(JVal v, const std::string& path);
Shape shape_of(JVal v, const std::string& path, const Limits& lim);
// Checks every request makes: its schema version, and a device the backend
// reaches; returns the device.
std::string check_header(JVal req, const Backend& backend);
// The resident array an input's "handle" names (at input path p).
const Array& handle_of(const Session& session, JVal in, const std::string& p);
// An input's "buffer" must index one of the buffers passed with the call.
void check_buffer_index(JVal in, const std::string& p, size_t n_bufs);
void parse(Graph& g, JVal req, const Limits& lim, size_t n_bufs, Session& session, const Backend& backend);
void parse_outputs(Graph& g, JVal outs);
// Kahn's algorithm over node dependencies; a leftover node sits on a cycle.
std::vector<int> topo_order(Graph& g);
// `native_kernels`: pick each elementwise node's native kernel (refusing
// dtypes it lacks); other backends bring their own.
void infer(Graph& g, const std::vector<int>& order, const Limits& lim, bool native_kernels);
void resolve_outputs(Graph& g);
// `a` itself, or a copy the engine owns when `a` wraps a caller's buffer.
Array owned(const Array& a);
// Loads an input's data from its JSON (`j`): a handle, a buffer, base64 or inline values.
void load_input(Graph& g, Session& s, const InputBuffer* bufs, const InputSpec& in, JVal j);
void load_inputs(Graph& g, Session& s, const InputBuffer* bufs);

// Planning and fusion (plan.cpp).
struct Execution {
  int op_count = 0, fused_groups = 0;
};

// What a graph runs for a set of outputs, worked out once (a plan keeps it):
// the steps in order, each one node or a fused group of them, and how many
// steps read each value, so values are freed after their last reader.
struct Step {
  std::vector<int> nodes;  // node indices; more than one: a fused group, root last
  bool chunked;            // runs chunk by chunk (run_group), a group or one chunkable node
};
struct Schedule {
  std::vector<Step> steps;
  std::vector<int> uses;
  std::vector<bool> is_output;
  int op_count = 0, fused_groups = 0;
};

// An op that reads operands transposed takes a transpose's input in place of
// its output, so no transposed copy is made unless something else needs it;
// identity casts and transposes of products are rewritten first (plan.cpp).
void fold_transposes(Graph& g);
Schedule make_schedule(const Graph& g, const std::vector<int>& order);
// Fused groups run chunk by chunk; a chunk of elementwise work stays in L1.
// A chunk holds whole periods of inputs that repeat, up to a longer limit.
constexpr int64_t kChunk = 2048, kLongestPeriod = 16384;
// The number of elements after which an input of shape `in` repeats along
// an output of shape `out` (see plan.cpp).
int64_t period(const Shape& in, const Shape& out);

// Execution (execute.cpp).
// Runs the schedule's steps. Values made by nodes are freed after their last
// reader; inputs stay (a plan's constants live with the plan).
Execution execute(Graph& g, const Schedule& sc);

struct Plan {
  Graph g;  // validated and inferred; constants loaded, placeholders empty
  std::vector<int> order;
  Schedule schedule;  // for the outputs the plan was defined with
  Backend* backend;   // the backend it was defined for, which runs it
};

}  // namespace mlxc
