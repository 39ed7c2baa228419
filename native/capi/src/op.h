// The op registry: every op is defined once here (name, family, arity,
// attributes with their types and defaults, dtype rule, shape and dtype
// inference, kernel). The capabilities JSON, the request schema and the
// validation of every node all derive from these definitions.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "array.h"
#include "errors.h"

namespace mlxc {

using json = nlohmann::json;

enum class AttrType { Int, IntList, IntOrList, Axes, Float, Bool, DTypeName, ShapeList, Scalar, Enum, String };
const char* attr_type_name(AttrType t);

struct AttrSpec {
  std::string name;
  AttrType type;
  json default_value;  // null with required=false means "absent is meaningful"
  bool required = false;
  bool nullable = false;  // an explicit null is allowed (always, when the default is null)
  std::vector<std::string> choices = {};  // the allowed strings of an Enum
};

struct TypeShape {
  DType dtype;
  Shape shape;
};

// A node's attributes, checked against its AttrSpecs and with defaults filled.
struct Attrs {
  json values;
  std::string path;  // JSON pointer of the node's "attrs"
  bool has(const char* k) const { return values.contains(k) && !values[k].is_null(); }
  int64_t i(const char* k) const { return values.at(k).get<int64_t>(); }
  double f(const char* k) const;  // accepts "nan", "inf", "-inf"
  bool b(const char* k) const { return values.at(k).get<bool>(); }
  std::vector<int64_t> ints(const char* k) const;  // an int is a one-item list
  DType dtype(const char* k) const;
  std::string str(const char* k) const { return values.at(k).get<std::string>(); }
  std::string at(const char* k) const { return path + "/" + k; }
};

struct InferCtx {
  const std::vector<TypeShape>& in;
  const Attrs& attrs;
  std::string path;  // JSON pointer of the node
};

struct EvalCtx {
  const std::vector<Array>& in;
  const Attrs& attrs;
  const std::vector<TypeShape>& out;
  std::string path;  // JSON pointer of the node, for data-dependent errors
  unsigned transposed = 0;  // bit k: in[k] holds the operand with its last two axes swapped; and kSumsBatch
};
// A flag of EvalCtx::transposed for matmul, set by planning: the products of
// the batch's matrices are summed into one matrix, the output (sum over the
// leading axes of a batched product, a weight's gradient).
constexpr unsigned kSumsBatch = 4;

// Elementwise kernels work on contiguous runs; an input flagged scalar is
// read at element 0 for the whole run (a broadcast along the run).
struct EwParams {
  double f0 = 0;
  // The output is past half the last-level cache: a kernel may store it
  // non-temporally (an ordinary store first reads each line it writes), as
  // the plain loops do (ew_blocks) and the cheapest vector functions
  // (kStreamStores in vecmath_isa.h: the others' arithmetic binds them, and
  // non-temporal stores stalled them), and prefetch its inputs; the caller
  // fences (stream_fence) before the results are read.
  bool stream = false;
};

// Whether an op that reads `in` bytes and writes `out`, by rows of `row`
// bytes computed in cache, should write with non-temporal stores: when its
// traffic passes half the last-level cache a core can fill (shared with the
// other cores and processes), little of its output would still be cached
// when read, and an ordinary store first reads each line it writes, a third
// stream of memory traffic. On a Xeon with 105 MiB shared it cut rope's CPU
// time for 32 MiB by 15-40% and the norms' (64 MiB) by up to 10%
// (docs/PERFORMANCE.md, session 12). Rows past 32 KiB are not streamed.
bool stream_output(size_t in, size_t out, size_t row);
// Copies n bytes from src (in cache) to dst with non-temporal stores where
// the CPU has them; the caller fences (stream_fence) before dst is read.
void stream_copy(void* dst, const void* src, size_t n);
// Orders a thread's non-temporal stores before the pool reports its part done.
void stream_fence();
using EwKernel = void (*)(const void* const* in, const bool* scalar, void* out, int64_t n,
                          const EwParams& p);

// The dtypes each input is converted to before the kernel runs, and the output's.
struct EwTypes {
  std::vector<DType> in;
  DType out;
};

struct Elementwise {
  std::function<EwTypes(const std::vector<DType>&, const Attrs&)> types;
  // Kernel for (last converted input dtype, output dtype); nullptr when unsupported.
  std::function<EwKernel(DType, DType)> kernel;
  std::function<EwParams(const Attrs&)> params;
  // An element's work in adds, for splitting a pass into parts (execute.cpp).
  int64_t work = 1;
};

struct OpDef {
  std::string name, family, dtype_rule, doc;
  int min_inputs = 1, max_inputs = 1;  // max -1: any number
  std::vector<AttrSpec> attrs;
  std::function<std::vector<TypeShape>(const InferCtx&)> infer;  // unset for elementwise
  std::function<std::vector<Array>(const EvalCtx&)> eval;        // unset for elementwise
  std::shared_ptr<Elementwise> ew;
  // The engine may hand eval an operand made by a transpose of the last two
  // axes as the transpose's input, flagged in EvalCtx::transposed.
  bool reads_transposed = false;
  // Set by transpose: whether a node with these attrs (on an input of rank
  // ndim) only swaps the last two axes.
  std::function<bool(const Attrs&, int ndim)> swaps_last_two;
  // Whether the output's shape follows from the inputs' shapes, so a graph
  // traced at one shape is right at another (a shapeless compile). False
  // where attributes fix sizes: reshape's shape, a slice's bounds, a
  // created array's shape.
  bool shapeless = true;
};

// An OpDef with its identity filled; callers add infer and eval.
OpDef make_op(std::string name, std::string family, std::string dtype_rule, int min_inputs,
              int max_inputs, std::vector<AttrSpec> attrs = {});
const OpDef* find_op(const std::string& name);
const std::vector<OpDef>& all_ops();

// Registration, one function per family file in ops/.
void register_op(OpDef def);
void register_creation_ops();
void register_unary_ops();
void register_binary_ops();
void register_reduction_ops();
void register_scan_ops();
void register_matmul_ops();
void register_shape_ops();
void register_indexing_ops();
void register_sort_ops();
void register_random_ops();
void register_fast_ops();
void register_quantized_ops();
void register_fft_ops();
void register_linalg_ops();
void register_conv_ops();
// The ops of mlx-c the registry lacks, by their MLX names, for the mlx
// backend only (backends/mlx.cpp); `known` tells the names registered so far.
void register_mlx_symbols(const std::function<bool(const std::string&)>& known);

// Shared shape helpers for op families.
Shape broadcast_shapes(const std::vector<Shape>& shapes, const std::string& path);
// Normalizes a possibly negative axis for rank `ndim`; throws invalid_axis at `path`.
int norm_axis(int64_t axis, int ndim, const std::string& path);
// Normalized sorted unique axes; an absent "axes"/"axis" attribute means all.
std::vector<int> norm_axes(const Attrs& a, const char* key, int ndim);
// Copies `n` elements converting dtype; also the kernel of astype.
EwKernel conversion_kernel(DType from, DType to);
// Returns `a` converted to `to` (shares the buffer when the dtype already matches).
Array astype(const Array& a, DType to);
[[noreturn]] void refuse_dtype(const std::string& op, DType d, const std::string& path);

}  // namespace mlxc
