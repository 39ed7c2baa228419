// Backends run validated graphs. The registry (op.h) defines each op once:
// its name, attributes, and dtype and shape rules; each backend brings its
// own kernels for those ops: the native backend the kernels its op family
// files register with each op, the mlx backend calls into real MLX through
// mlx-c (backends/mlx.cpp). Reading, validation, limits and plans are the
// same whichever backend runs a request.
#pragma once
#include <string_view>

#include "graph.h"

namespace mlxc {

// One tracing of an exported function: the placeholder values it takes, in
// argument order, the values it returns, and the schedule that computes them.
struct FunctionTrace {
  std::vector<int> params, outputs;
  Schedule schedule;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // {name, available, version, devices, reason (only when unavailable)}.
  virtual json describe() const = 0;
  // Empty when the backend can run requests, else why it cannot.
  virtual std::string unavailable_reason() const = 0;
  // The version of what computes ("0.1.0" for the engine, MLX's for mlx).
  virtual std::string version() const = 0;
  virtual bool has_kernel(const OpDef& def) const = 0;
  // Refuses (unsupported_device) a device this backend cannot reach.
  virtual void check_device(std::string_view device) const = 0;
  // Whether inference picks the engine's elementwise kernels (and refuses
  // the dtypes they lack) and matmul reads transposed operands in place.
  virtual bool native() const { return false; }
  // Runs the schedule's steps on `device`; afterwards g.data holds every
  // requested output as an Array.
  virtual Execution run(Graph& g, const Schedule& sc, std::string_view device) = 0;
  // Writes the graph to `file` in MLX's .mlxfn format as one function traced
  // once per FunctionTrace (MLX's exporter); only the mlx backend can.
  virtual void export_function(const Graph& g, const std::vector<FunctionTrace>& traces, const std::string& file, bool shapeless);
};

Backend& native_backend();
Backend& mlx_backend();
const std::vector<Backend*>& all_backends();
// The backend named `name`, or nullptr.
Backend* find_backend(std::string_view name);

}  // namespace mlxc
