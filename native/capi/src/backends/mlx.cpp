// The mlx backend: runs the registry's ops on real MLX through mlx-c, loaded
// at run time (MLXCOMPAT_MLXC_LIBRARY, else libmlxc.so on the library path).
// Requests are read, validated and limited as on the native backend; each
// node becomes the matching mlx-c call, the requested outputs are evaluated
// together, and their memory is handed back without a copy (an Array whose
// buffer keeps the MLX array alive).
#include <dlfcn.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>

#include "../backend.h"
#include "mlxc_api.h"

namespace mlxc {

void* mlx::Api::find(const std::string& name) const { return lib ? dlsym(lib, name.c_str()) : nullptr; }

namespace {

// mlx-c reports a failure by calling the error handler, then returning
// non-zero; the handler keeps the message for the thread that failed.
thread_local std::string t_error;
void on_error(const char* msg, void*) { t_error = msg ? msg : "MLX failed without a message"; }

struct Loaded {
  mlx::Api api;
  std::string path, version, reason;  // reason: empty when usable
  bool gpu = false;
};

Loaded load() {
  Loaded L;
  const char* env = std::getenv("MLXCOMPAT_MLXC_LIBRARY");
  L.path = env && *env ? env : "libmlxc.so";
  void* h = dlopen(L.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    L.reason = "cannot load " + L.path + " (MLXCOMPAT_MLXC_LIBRARY names its path): " + (e ? e : "unknown error");
    return L;
  }
  L.api.lib = h;
  std::string missing;
#define MLXC_RESOLVE(ret, name, args)                                    \
  L.api.name = reinterpret_cast<decltype(L.api.name)>(dlsym(h, #name));  \
  if (!L.api.name) missing += std::string(missing.empty() ? "" : ", ") + #name;
  MLXC_CORE_FUNCTIONS(MLXC_RESOLVE)
#undef MLXC_RESOLVE
  if (!missing.empty()) {
    L.reason = L.path + " lacks " + missing;
    return L;
  }
  // Before any other call: mlx-c's own handler ends the process.
  L.api.mlx_set_error_handler(on_error, nullptr, nullptr);
  mlx::string s = L.api.mlx_string_new();
  if (L.api.mlx_version(&s) == 0) L.version = L.api.mlx_string_data(s);
  L.api.mlx_string_free(s);
  mlx::device gpu = L.api.mlx_device_new_type(mlx::GPU, 0);
  bool avail = false;
  L.gpu = L.api.mlx_device_is_available(&avail, gpu) == 0 && avail;
  L.api.mlx_device_free(gpu);
  t_error.clear();
  return L;
}

const Loaded& loaded() {
  static const Loaded L = load();
  return L;
}
const mlx::Api& api() { return loaded().api; }
const std::string& api_version() { return loaded().version; }

// MLX's message for a failed call, as an error at the node (or request) `path`.
void check(int rc, const std::string& path) {
  if (rc == 0) return;
  std::string msg = t_error.empty() ? "MLX failed without a message" : t_error;
  t_error.clear();
  throw RequestError("mlx_error", path, "MLX: " + msg);
}

// An owned reference to an MLX array.
struct Arr {
  mlx::array a{nullptr};
  Arr() : a(api().mlx_array_new()) {}
  explicit Arr(mlx::array x) : a(x) {}
  Arr(Arr&& o) noexcept : a(o.a) { o.a.ctx = nullptr; }
  Arr& operator=(Arr&& o) noexcept {
    std::swap(a, o.a);
    return *this;
  }
  Arr(const Arr&) = delete;
  ~Arr() {
    if (a.ctx) api().mlx_array_free(a);
  }
  bool empty() const { return !a.ctx; }
};

struct VecArr {
  mlx::vector_array v;
  VecArr() : v(api().mlx_vector_array_new()) {}
  ~VecArr() { api().mlx_vector_array_free(v); }
  VecArr(const VecArr&) = delete;
};

// The engine's dtypes by name, in mlx-c's enumeration order.
constexpr const char* kMlxDTypes[] = {"bool",  "uint8", "uint16",  "uint32",  "uint64",   "int8",     "int16",
                                      "int32", "int64", "float16", "float32", "float64", "bfloat16", "complex64"};

mlx::dtype to_mlx(DType d) {
  for (int i = 0; i < 14; i++)
    if (std::string(dtype_name(d)) == kMlxDTypes[i]) return mlx::dtype(i);
  throw std::logic_error("no MLX dtype for " + std::string(dtype_name(d)));
}

DType from_mlx(mlx::dtype d) {
  DType out;
  if (int(d) < 0 || int(d) >= 14 || !dtype_from_name(kMlxDTypes[int(d)], &out))
    throw std::logic_error("MLX returned an unknown dtype " + std::to_string(int(d)));
  return out;
}

int narrow(int64_t v, const std::string& path) {
  if (v < INT_MIN || v > INT_MAX) throw Refusal("resource_limit", "array", path, "MLX takes 32-bit sizes and indices, not " + std::to_string(v));
  return int(v);
}

std::vector<int> narrow_all(const std::vector<int64_t>& v, const std::string& path) {
  std::vector<int> out;
  for (auto x : v) out.push_back(narrow(x, path));
  return out;
}

// The engine's array as an MLX array sharing its memory (kept alive by MLX).
Arr wrap(const Array& a, const std::string& path) {
  std::vector<int> shape = narrow_all(a.shape, path);
  const int* sp = shape.empty() ? nullptr : shape.data();
  if (a.size() == 0 || !a.raw()) return Arr(api().mlx_array_new_data(nullptr, sp, int(shape.size()), to_mlx(a.dtype)));
  auto* keep = new std::shared_ptr<Buffer>(a.buf);
  return Arr(api().mlx_array_new_data_managed_payload(a.raw(), sp, int(shape.size()), to_mlx(a.dtype), keep,
                                                        [](void* p) { delete static_cast<std::shared_ptr<Buffer>*>(p); }));
}

// An evaluated MLX array as an engine array over the same memory; `owned`
// false when it may alias a caller's buffer (then it is copied).
Array unwrap(Arr r, mlx::stream s, bool owned) {
  const mlx::Api& m = api();
  bool row = false;
  check(m._mlx_array_is_row_contiguous(&row, r.a), "");
  if (!row) {
    Arr c;
    check(m.mlx_contiguous(&c.a, r.a, false, s), "");
    VecArr v;
    m.mlx_vector_array_append_value(v.v, c.a);
    check(m.mlx_eval(v.v), "");
    r = std::move(c);
  }
  Array out;
  out.dtype = from_mlx(m.mlx_array_dtype(r.a));
  const int* sh = m.mlx_array_shape(r.a);
  for (size_t i = 0; i < m.mlx_array_ndim(r.a); i++) out.shape.push_back(sh[i]);
  const size_t bytes = m.mlx_array_nbytes(r.a);
  const void* data = bytes ? m.mlx_array_data_uint8(r.a) : nullptr;
  auto* held = new mlx::array(r.a);
  r.a.ctx = nullptr;
  std::shared_ptr<const void> keeper(held, [](void* p) {
    api().mlx_array_free(*static_cast<mlx::array*>(p));
    delete static_cast<mlx::array*>(p);
  });
  if (!owned) {  // it may alias a caller's buffer, valid for this call only: copied
    Array copy(out.dtype, out.shape);
    if (bytes) std::memcpy(copy.raw(), data, bytes);
    return copy;
  }
  out.buf = std::make_shared<Buffer>(data, bytes);
  out.buf->keep = std::move(keeper);  // lasts while the buffer does: no copy to outlive the call
  return out;
}

// What a kernel sees: its inputs as MLX arrays, the node's attributes, the
// inferred outputs and the stream.
struct Ctx {
  const mlx::Api& m;
  mlx::stream s;
  std::vector<mlx::array> in;
  const std::vector<TypeShape>& in_ts;
  const Attrs& attrs;
  const std::vector<TypeShape>& out;
  const std::string& path;

  // Calls f(&result, args...) and checks it.
  template <class F, class... A>
  Arr call(F f, A... args) const {
    Arr r;
    check(f(&r.a, args...), path);
    return r;
  }
  template <class F>
  F fn(const std::string& name) const {
    auto f = reinterpret_cast<F>(m.find(name));
    if (!f) throw Refusal("unsupported_op", "node", path, "the loaded libmlxc has no " + name);
    return f;
  }
  int ndim(size_t k) const { return int(in_ts[k].shape.size()); }
  std::vector<int> ints(const char* key) const { return narrow_all(attrs.ints(key), attrs.at(key)); }
  int i(const char* key) const { return narrow(attrs.i(key), attrs.at(key)); }
  // The axes an "axes"/"axis" attribute names; all of them when absent.
  std::vector<int> axes(const char* key, int nd) const {
    if (attrs.has(key)) return ints(key);
    std::vector<int> all;
    for (int k = 0; k < nd; k++) all.push_back(k);
    return all;
  }
  std::vector<int> out_shape(size_t k = 0) const { return narrow_all(out[k].shape, path); }
  mlx::dtype out_dtype(size_t k = 0) const { return to_mlx(out[k].dtype); }
  Arr flat(mlx::array a) const {
    const int minus_one = -1;
    return call(m.mlx_reshape, a, &minus_one, size_t(1), s);
  }
};

using Outs = std::vector<Arr>;

Outs one(Arr a) {
  Outs o;
  o.push_back(std::move(a));
  return o;
}

// MLX v0.31.2 gathers and scatters without bounds checks (an index out of
// range reads or writes past the array: the host crashes). The indices
// (input 1) are evaluated first, and one out of range is the error the
// native backend gives, at the same place.
void check_indices(const Ctx& c, const char* axis_key) {
  const int64_t count = shape_size(c.in_ts[1].shape);
  if (count == 0) return;
  const Shape& a = c.in_ts[0].shape;
  int64_t n = shape_size(a);
  if (c.attrs.has(axis_key)) {
    int64_t ax = c.attrs.i(axis_key);
    if (ax < 0) ax += int64_t(a.size());
    if (ax < 0 || ax >= int64_t(a.size())) return;  // MLX reports a bad axis itself
    n = a[size_t(ax)];
  }
  Arr flat = c.flat(c.in[1]);
  const int zero = 0;
  Arr lo = c.call(c.fn<mlx::reduce_axes_fn>("mlx_min_axes"), flat.a, &zero, size_t(1), false, c.s);
  Arr hi = c.call(c.fn<mlx::reduce_axes_fn>("mlx_max_axes"), flat.a, &zero, size_t(1), false, c.s);
  // in float64, exact for every index a 32-bit size can take, and no
  // unsigned index wraps to a negative one
  Arr least = c.call(c.m.mlx_astype, lo.a, mlx::FLOAT64, c.s), most = c.call(c.m.mlx_astype, hi.a, mlx::FLOAT64, c.s);
  VecArr v;
  c.m.mlx_vector_array_append_value(v.v, least.a);
  c.m.mlx_vector_array_append_value(v.v, most.a);
  check(c.m.mlx_eval(v.v), c.path);
  auto item = c.fn<mlx::item_float64_fn>("mlx_array_item_float64");
  double l = 0, h = 0;
  check(item(&l, least.a), c.path);
  check(item(&h, most.a), c.path);
  const double size = double(n);
  const bool high = h >= size || h < -size, low = l < -size || l >= size;
  if (high || low) {
    char shown[32];
    std::snprintf(shown, sizeof shown, "%.0f", high ? h : l);
    throw RequestError("index_out_of_range", c.path + "/inputs/1", std::string("index ") + shown + " is out of range for size " + std::to_string(n));
  }
}

// The arrays of an mlx-c vector, each an output.
Outs each(const Ctx& c, const VecArr& parts) {
  Outs o;
  for (size_t k = 0; k < c.m.mlx_vector_array_size(parts.v); k++) {
    Arr a;
    check(c.m.mlx_vector_array_get(&a.a, parts.v, k), c.path);
    o.push_back(std::move(a));
  }
  return o;
}

// MLX v0.31.2's scans and sorts divide by zero on an empty array (SIGFPE
// ends the process): their empty result is made here instead, as the empty
// array of the inferred dtype and shape it is.
Arr empty_result(const Ctx& c) {
  auto sh = c.out_shape();
  return c.call(c.fn<mlx::shape_fn>("mlx_zeros"), sh.data(), sh.size(), c.out_dtype(), c.s);
}

// Ops whose mlx-c function has the op's name and a shared signature.
const char* const kUnary[] = {"exp",     "log",     "sqrt",       "rsqrt",     "reciprocal", "expm1",    "log1p",         "log2",
                              "log10",   "sin",     "cos",        "tan",       "arcsin",     "arccos",   "arctan",        "sinh",
                              "cosh",    "tanh",    "arcsinh",    "arccosh",   "arctanh",    "sigmoid",  "erf",           "erfinv",
                              "degrees", "radians", "abs",        "negative",  "square",     "sign",     "floor",         "ceil",
                              "isnan",   "isinf",   "isposinf",   "isneginf",  "isfinite",   "logical_not", "bitwise_invert",
                              "stop_gradient", "zeros_like", "ones_like"};
const char* const kBinary[] = {"add",        "subtract",   "multiply",    "divide",        "floor_divide", "remainder",
                               "power",      "maximum",    "minimum",     "logaddexp",     "arctan2",      "equal",
                               "not_equal",  "less",       "less_equal",  "greater",       "greater_equal", "logical_and",
                               "logical_or", "bitwise_and", "bitwise_or", "bitwise_xor",   "left_shift",   "right_shift"};
const char* const kReduce[] = {"sum", "prod", "max", "min", "all", "any", "mean", "logsumexp"};
const char* const kScan[] = {"cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"};

// The registry's ops with the mlx-c calls that compute them. Each attribute
// is the registry's (op.h); absent optional axes follow MLX Python (all
// axes, or the flattened array).
const std::map<std::string, std::function<Outs(const Ctx&)>>& kernels() {
  static const auto table = [] {
    std::map<std::string, std::function<Outs(const Ctx&)>> t;
    for (const char* n : kUnary)
      t[n] = [f = std::string("mlx_") + n](const Ctx& c) { return one(c.call(c.fn<mlx::unary_fn>(f), c.in[0], c.s)); };
    for (const char* n : kBinary)
      t[n] = [f = std::string("mlx_") + n](const Ctx& c) { return one(c.call(c.fn<mlx::binary_fn>(f), c.in[0], c.in[1], c.s)); };
    // MLX v0.31.2 divides integers with the CPU's division, which raises
    // SIGFPE (ending the process) for a zero divisor, and for the most
    // negative value over -1. Those divisors are swapped for 1 before MLX
    // sees them and their results put in after: 0 for a zero divisor (the
    // native backend's answer), and for -1 what MLX gives every other
    // dividend (x // -1 = -x wrapping, x % -1 = 0).
    for (const char* n : {"floor_divide", "remainder"})
      t[n] = [f = std::string("mlx_") + n](const Ctx& c) {
        auto op = c.fn<mlx::binary_fn>(f);
        if (!is_integral(c.out[0].dtype)) return one(c.call(op, c.in[0], c.in[1], c.s));
        auto bin = [&](const char* name, mlx::array x, mlx::array y) { return c.call(c.fn<mlx::binary_fn>(name), x, y, c.s); };
        auto scalar = [&](double v) {
          Arr k(c.m.mlx_array_new_float64(v));
          return c.call(c.m.mlx_astype, k.a, c.out_dtype(), c.s);
        };
        Arr a = c.call(c.m.mlx_astype, c.in[0], c.out_dtype(), c.s), b = c.call(c.m.mlx_astype, c.in[1], c.out_dtype(), c.s);
        Arr zero = scalar(0), unit = scalar(1);
        Arr by_zero = bin("mlx_equal", b.a, zero.a);
        if (dtype_category(c.out[0].dtype) != Category::Signed) {
          Arr safe = c.call(c.m.mlx_where, by_zero.a, unit.a, b.a, c.s);
          Arr r = c.call(op, a.a, safe.a, c.s);
          return one(c.call(c.m.mlx_where, by_zero.a, zero.a, r.a, c.s));
        }
        Arr by_minus_one = bin("mlx_equal", b.a, scalar(-1).a);
        Arr bad = bin("mlx_logical_or", by_zero.a, by_minus_one.a);
        Arr safe = c.call(c.m.mlx_where, bad.a, unit.a, b.a, c.s);
        Arr r = c.call(op, a.a, safe.a, c.s);
        Arr for_minus_one = f == "mlx_floor_divide" ? c.call(c.fn<mlx::unary_fn>("mlx_negative"), a.a, c.s) : scalar(0);
        r = c.call(c.m.mlx_where, by_minus_one.a, for_minus_one.a, r.a, c.s);
        return one(c.call(c.m.mlx_where, by_zero.a, zero.a, r.a, c.s));
      };
    // MLX v0.31.2 loops forever on an integer power with a negative exponent
    // (found by the differential test): integer powers are refused here.
    t["power"] = [](const Ctx& c) {
      const std::string d = dtype_name(c.in_ts[0].dtype), e = dtype_name(c.in_ts[1].dtype);
      if (d.find("int") != std::string::npos && e.find("int") != std::string::npos)
        throw Refusal("unsupported_dtype", "op", "power", "the mlx backend refuses integer power: MLX " + api_version() + " does not return from a negative integer exponent (at " + c.path + ")");
      return one(c.call(c.fn<mlx::binary_fn>("mlx_power"), c.in[0], c.in[1], c.s));
    };
    for (const char* n : kReduce)
      t[n] = [f = std::string("mlx_") + n + "_axes"](const Ctx& c) {
        auto ax = c.axes("axes", c.ndim(0));
        return one(c.call(c.fn<mlx::reduce_axes_fn>(f), c.in[0], ax.data(), ax.size(), c.attrs.b("keepdims"), c.s));
      };
    for (const char* n : {"var", "std"})
      t[n] = [f = std::string("mlx_") + n + "_axes"](const Ctx& c) {
        auto ax = c.axes("axes", c.ndim(0));
        return one(c.call(c.fn<mlx::dev_reduce_axes_fn>(f), c.in[0], ax.data(), ax.size(), c.attrs.b("keepdims"), c.i("ddof"), c.s));
      };
    for (const char* n : {"argmax", "argmin"})
      t[n] = [f = std::string("mlx_") + n](const Ctx& c) {
        if (!c.attrs.has("axis")) return one(c.call(c.fn<mlx::arg_reduce_all_fn>(f), c.in[0], c.attrs.b("keepdims"), c.s));
        return one(c.call(c.fn<mlx::arg_reduce_axis_fn>(f + "_axis"), c.in[0], c.i("axis"), c.attrs.b("keepdims"), c.s));
      };
    for (const char* n : kScan)
      t[n] = [f = std::string("mlx_") + n](const Ctx& c) {
        if (shape_size(c.in_ts[0].shape) == 0) return one(empty_result(c));
        const bool rev = c.attrs.b("reverse"), inc = c.attrs.b("inclusive");
        if (c.attrs.has("axis")) return one(c.call(c.fn<mlx::scan_fn>(f), c.in[0], c.i("axis"), rev, inc, c.s));
        Arr flat = c.flat(c.in[0]);
        return one(c.call(c.fn<mlx::scan_fn>(f), flat.a, 0, rev, inc, c.s));
      };
    for (const char* n : {"zeros", "ones"})
      t[n] = [f = std::string("mlx_") + n](const Ctx& c) {
        auto sh = c.out_shape();
        return one(c.call(c.fn<mlx::shape_fn>(f), sh.data(), sh.size(), c.out_dtype(), c.s));
      };
    t["full"] = [](const Ctx& c) {
      auto sh = c.out_shape();
      return one(c.call(c.m.mlx_full, sh.data(), sh.size(), c.in[0], c.out_dtype(), c.s));
    };
    t["arange"] = [](const Ctx& c) {
      return one(c.call(c.m.mlx_arange, c.attrs.f("start"), c.attrs.f("stop"), c.attrs.f("step"), c.out_dtype(), c.s));
    };
    t["linspace"] = [](const Ctx& c) {
      return one(c.call(c.m.mlx_linspace, c.attrs.f("start"), c.attrs.f("stop"), c.i("num"), c.out_dtype(), c.s));
    };
    for (const char* n : {"eye", "tri"})
      t[n] = [eye = std::string(n) == "eye"](const Ctx& c) {
        const int rows = c.i("n"), cols = c.attrs.has("m") ? c.i("m") : rows;
        return one(c.call(eye ? c.m.mlx_eye : c.m.mlx_tri, rows, cols, c.i("k"), c.out_dtype(), c.s));
      };
    t["identity"] = [](const Ctx& c) { return one(c.call(c.m.mlx_identity, c.i("n"), c.out_dtype(), c.s)); };
    t["round"] = [](const Ctx& c) { return one(c.call(c.m.mlx_round, c.in[0], c.i("decimals"), c.s)); };
    t["astype"] = [](const Ctx& c) { return one(c.call(c.m.mlx_astype, c.in[0], c.out_dtype(), c.s)); };
    t["where"] = [](const Ctx& c) { return one(c.call(c.m.mlx_where, c.in[0], c.in[1], c.in[2], c.s)); };
    t["softmax"] = [](const Ctx& c) {
      auto ax = c.axes("axes", c.ndim(0));
      return one(c.call(c.m.mlx_softmax_axes, c.in[0], ax.data(), ax.size(), c.attrs.b("precise"), c.s));
    };
    t["matmul"] = [](const Ctx& c) { return one(c.call(c.fn<mlx::binary_fn>("mlx_matmul"), c.in[0], c.in[1], c.s)); };
    t["conv_general"] = [](const Ctx& c) {
      auto st = c.ints("stride"), lo = c.ints("padding_lo"), hi = c.ints("padding_hi"), kd = c.ints("kernel_dilation"), id = c.ints("input_dilation");
      return one(c.call(c.m.mlx_conv_general, c.in[0], c.in[1], st.data(), st.size(), lo.data(), lo.size(), hi.data(), hi.size(), kd.data(), kd.size(),
                        id.data(), id.size(), c.i("groups"), c.attrs.b("flip"), c.s));
    };
    t["reshape"] = [](const Ctx& c) {
      auto sh = c.ints("shape");
      return one(c.call(c.m.mlx_reshape, c.in[0], sh.data(), sh.size(), c.s));
    };
    t["flatten"] = [](const Ctx& c) { return one(c.call(c.m.mlx_flatten, c.in[0], c.i("start_axis"), c.i("end_axis"), c.s)); };
    t["squeeze"] = [](const Ctx& c) {
      if (!c.attrs.has("axes")) return one(c.call(c.m.mlx_squeeze, c.in[0], c.s));
      auto ax = c.ints("axes");
      return one(c.call(c.m.mlx_squeeze_axes, c.in[0], ax.data(), ax.size(), c.s));
    };
    t["expand_dims"] = [](const Ctx& c) {
      auto ax = c.ints("axes");
      return one(c.call(c.m.mlx_expand_dims_axes, c.in[0], ax.data(), ax.size(), c.s));
    };
    t["transpose"] = [](const Ctx& c) {
      if (!c.attrs.has("axes")) return one(c.call(c.m.mlx_transpose, c.in[0], c.s));
      auto ax = c.ints("axes");
      return one(c.call(c.m.mlx_transpose_axes, c.in[0], ax.data(), ax.size(), c.s));
    };
    t["broadcast_to"] = [](const Ctx& c) {
      auto sh = c.ints("shape");
      return one(c.call(c.m.mlx_broadcast_to, c.in[0], sh.data(), sh.size(), c.s));
    };
    for (const char* n : {"concatenate", "stack"})
      t[n] = [cat = std::string(n) == "concatenate"](const Ctx& c) {
        VecArr v;
        for (auto& a : c.in) c.m.mlx_vector_array_append_value(v.v, a);
        return one(c.call(cat ? c.m.mlx_concatenate_axis : c.m.mlx_stack_axis, v.v, c.i("axis"), c.s));
      };
    t["split"] = [](const Ctx& c) {
      VecArr parts;
      const int axis = c.i("axis");
      const json& ios = c.attrs.values.at("indices_or_sections");
      if (ios.is_number_integer()) {
        check(c.m.mlx_split(&parts.v, c.in[0], c.i("indices_or_sections"), axis, c.s), c.path);
      } else {
        auto idx = c.ints("indices_or_sections");
        check(c.m.mlx_split_sections(&parts.v, c.in[0], idx.data(), idx.size(), axis, c.s), c.path);
      }
      return each(c, parts);
    };
    t["tile"] = [](const Ctx& c) {
      auto r = c.ints("reps");
      return one(c.call(c.m.mlx_tile, c.in[0], r.data(), r.size(), c.s));
    };
    t["repeat"] = [](const Ctx& c) {
      if (!c.attrs.has("axis")) return one(c.call(c.m.mlx_repeat, c.in[0], c.i("repeats"), c.s));
      return one(c.call(c.m.mlx_repeat_axis, c.in[0], c.i("repeats"), c.i("axis"), c.s));
    };
    t["pad"] = [](const Ctx& c) {
      // pad_width is [p], [before, after] or 2*ndim values (the registry's rule)
      const int nd = c.ndim(0);
      auto w = c.ints("pad_width");
      std::vector<int> axes, lo, hi;
      for (int k = 0; k < nd; k++) {
        axes.push_back(k);
        const size_t b = w.size() == size_t(2 * nd) ? size_t(2 * k) : 0;
        lo.push_back(w[b]);
        hi.push_back(w.size() == 1 ? w[0] : w[b + 1]);
      }
      Arr v0(c.m.mlx_array_new_float64(c.attrs.f("value")));
      Arr v = c.call(c.m.mlx_astype, v0.a, to_mlx(c.in_ts[0].dtype), c.s);
      return one(c.call(c.m.mlx_pad, c.in[0], axes.data(), axes.size(), lo.data(), lo.size(), hi.data(), hi.size(), v.a, "constant", c.s));
    };
    // slice bounds: missing trailing axes take the whole axis
    auto bounds = [](const Ctx& c, std::vector<int>* lo, std::vector<int>* hi, std::vector<int>* st) {
      const int nd = c.ndim(0);
      *lo = c.attrs.has("start") ? c.ints("start") : std::vector<int>{};
      *hi = c.attrs.has("stop") ? c.ints("stop") : std::vector<int>{};
      *st = c.attrs.has("strides") ? c.ints("strides") : std::vector<int>{};
      for (int k = 0; k < nd; k++) {
        const int dim = narrow(c.in_ts[0].shape[size_t(k)], c.path);
        if (int(lo->size()) <= k) lo->push_back(0);
        if (int(hi->size()) <= k) hi->push_back(dim);
        if (int(st->size()) <= k) st->push_back(1);
      }
    };
    t["slice"] = [bounds](const Ctx& c) {
      std::vector<int> lo, hi, st;
      bounds(c, &lo, &hi, &st);
      return one(c.call(c.m.mlx_slice, c.in[0], lo.data(), lo.size(), hi.data(), hi.size(), st.data(), st.size(), c.s));
    };
    t["slice_update"] = [bounds](const Ctx& c) {
      std::vector<int> lo, hi, st;
      bounds(c, &lo, &hi, &st);
      auto f = c.fn<mlx::slice_update_fn>("mlx_slice_update");
      return one(c.call(f, c.in[0], c.in[1], lo.data(), lo.size(), hi.data(), hi.size(), st.data(), st.size(), c.s));
    };
    t["take"] = [](const Ctx& c) {
      check_indices(c, "axis");
      if (!c.attrs.has("axis")) return one(c.call(c.m.mlx_take, c.in[0], c.in[1], c.s));
      return one(c.call(c.m.mlx_take_axis, c.in[0], c.in[1], c.i("axis"), c.s));
    };
    t["take_along_axis"] = [](const Ctx& c) {
      check_indices(c, "axis");
      if (c.attrs.has("axis")) return one(c.call(c.m.mlx_take_along_axis, c.in[0], c.in[1], c.i("axis"), c.s));
      Arr a = c.flat(c.in[0]), i = c.flat(c.in[1]);
      return one(c.call(c.m.mlx_take_along_axis, a.a, i.a, 0, c.s));
    };
    t["put_along_axis"] = [](const Ctx& c) {
      const std::string reduce = c.attrs.str("reduce");
      if (reduce != "none" && reduce != "add")
        throw Refusal("unsupported_attr", "node", c.attrs.at("reduce"), "MLX has put_along_axis and scatter_add_axis, not a " + reduce + " reduction along an axis");
      check_indices(c, "axis");
      auto f = c.fn<mlx::put_axis_fn>(reduce == "add" ? "mlx_scatter_add_axis" : "mlx_put_along_axis");
      if (c.attrs.has("axis")) return one(c.call(f, c.in[0], c.in[1], c.in[2], c.i("axis"), c.s));
      Arr a = c.flat(c.in[0]), i = c.flat(c.in[1]), v = c.flat(c.in[2]);
      Arr r = c.call(f, a.a, i.a, v.a, 0, c.s);
      auto sh = narrow_all(c.in_ts[0].shape, c.path);
      return one(c.call(c.m.mlx_reshape, r.a, sh.data(), sh.size(), c.s));
    };
    for (const char* n : {"sort", "argsort"})
      t[n] = [f = std::string("mlx_") + n](const Ctx& c) {
        if (shape_size(c.in_ts[0].shape) == 0) return one(empty_result(c));
        if (!c.attrs.has("axis")) return one(c.call(c.fn<mlx::unary_fn>(f), c.in[0], c.s));
        return one(c.call(c.fn<mlx::axis_fn>(f + "_axis"), c.in[0], c.i("axis"), c.s));
      };
    t["topk"] = [](const Ctx& c) {
      if (shape_size(c.in_ts[0].shape) == 0) return one(empty_result(c));
      if (!c.attrs.has("axis")) return one(c.call(c.m.mlx_topk, c.in[0], c.i("k"), c.s));
      return one(c.call(c.m.mlx_topk_axis, c.in[0], c.i("k"), c.i("axis"), c.s));
    };
    t["random_bits"] = [](const Ctx& c) {
      auto sh = c.ints("shape");
      return one(c.call(c.m.mlx_random_bits, sh.data(), sh.size(), c.i("width"), c.in[0], c.s));
    };
    // mlx.core.fast: an absent weight, bias, freqs, mask or sinks is a null array.
    const mlx::array none{nullptr};
    t["rms_norm"] = [none](const Ctx& c) {
      auto f = c.fn<mlx::fast_rms_norm_fn>("mlx_fast_rms_norm");
      return one(c.call(f, c.in[0], c.in.size() > 1 ? c.in[1] : none, float(c.attrs.f("eps")), c.s));
    };
    t["layer_norm"] = [none](const Ctx& c) {
      const bool hw = c.attrs.b("has_weight"), hb = c.attrs.b("has_bias");
      auto f = c.fn<mlx::fast_layer_norm_fn>("mlx_fast_layer_norm");
      return one(c.call(f, c.in[0], hw ? c.in[1] : none, hb ? c.in[hw ? 2 : 1] : none, float(c.attrs.f("eps")), c.s));
    };
    t["rope"] = [none](const Ctx& c) {
      const bool ho = c.attrs.b("has_offset_array"), hf = c.attrs.b("has_freqs");
      const mlx::optional_float base{c.attrs.has("base") ? float(c.attrs.f("base")) : 0.0f, c.attrs.has("base")};
      const mlx::array freqs = hf ? c.in.back() : none;
      const float scale = float(c.attrs.f("scale"));
      if (ho) return one(c.call(c.fn<mlx::fast_rope_dynamic_fn>("mlx_fast_rope_dynamic"), c.in[0], c.i("dims"), c.attrs.b("traditional"), base, scale, c.in[1], freqs, c.s));
      return one(c.call(c.fn<mlx::fast_rope_fn>("mlx_fast_rope"), c.in[0], c.i("dims"), c.attrs.b("traditional"), base, scale, c.i("offset"), freqs, c.s));
    };
    t["scaled_dot_product_attention"] = [none](const Ctx& c) {
      const std::string mode = c.attrs.str("mask_mode");  // MLX names "no mask" ""
      auto f = c.fn<mlx::fast_sdpa_fn>("mlx_fast_scaled_dot_product_attention");
      return one(c.call(f, c.in[0], c.in[1], c.in[2], float(c.attrs.f("scale")), mode == "none" ? "" : mode.c_str(),
                        mode == "array" ? c.in[3] : none, c.attrs.b("has_sinks") ? c.in.back() : none, c.s));
    };
    // Affine quantization: group_size and bits always given (the registry's defaults are MLX's).
    auto qopt = [](const Ctx& c, const char* k) { return mlx::optional_int{c.i(k), true}; };
    t["quantize"] = [none, qopt](const Ctx& c) {
      VecArr parts;
      const std::string mode = c.attrs.str("mode");
      check(c.fn<mlx::quantize_fn>("mlx_quantize")(&parts.v, c.in[0], qopt(c, "group_size"), qopt(c, "bits"), mode.c_str(), none, c.s), c.path);
      return each(c, parts);
    };
    t["dequantize"] = [none, qopt](const Ctx& c) {
      const std::string mode = c.attrs.str("mode");
      auto f = c.fn<mlx::dequantize_fn>("mlx_dequantize");
      return one(c.call(f, c.in[0], c.in[1], c.in[2], qopt(c, "group_size"), qopt(c, "bits"), mode.c_str(), none, mlx::optional_dtype{mlx::FLOAT32, false}, c.s));
    };
    t["quantized_matmul"] = [qopt](const Ctx& c) {
      const std::string mode = c.attrs.str("mode");
      auto f = c.fn<mlx::quantized_matmul_fn>("mlx_quantized_matmul");
      return one(c.call(f, c.in[0], c.in[1], c.in[2], c.in[3], c.attrs.b("transpose"), qopt(c, "group_size"), qopt(c, "bits"), mode.c_str(), c.s));
    };
    return t;
  }();
  return table;
}

class MlxBackend final : public Backend {
 public:
  const char* name() const override { return "mlx"; }
  json describe() const override {
    const Loaded& L = loaded();
    json d = {{"name", name()}, {"available", L.reason.empty()}, {"library", L.path}};
    if (L.reason.empty()) {
      d["version"] = L.version;
      d["devices"] = L.gpu ? json{"cpu", "gpu"} : json{"cpu"};
    } else {
      d["reason"] = L.reason;
    }
    return d;
  }
  std::string unavailable_reason() const override { return loaded().reason; }
  std::string version() const override { return loaded().version; }
  bool has_kernel(const OpDef& def) const override { return kernels().count(def.name) > 0; }
  void check_device(std::string_view device) const override {
    if (device == "cpu") return;
    if (device == "gpu" && loaded().gpu) return;
    throw Refusal("unsupported_device", "request", "/device",
                  device == "gpu" ? "MLX " + loaded().version + " at " + loaded().path + " was built without a GPU backend (Metal or CUDA)"
                                  : "MLX has the devices cpu and gpu, not \"" + std::string(device) + "\"");
  }
  Execution run(Graph& g, const Schedule& sc, std::string_view device) override;

 private:
  std::mutex mu_;  // MLX's graph building is not thread-safe: one request at a time
};

Execution MlxBackend::run(Graph& g, const Schedule& sc, std::string_view device) {
  const mlx::Api& m = api();
  std::lock_guard<std::mutex> lock(mu_);
  struct Stream {
    mlx::stream s;
    ~Stream() { api().mlx_stream_free(s); }
  } st{device == "gpu" ? m.mlx_default_gpu_stream_new() : m.mlx_default_cpu_stream_new()};
  t_error.clear();
  std::vector<Arr> vals;
  vals.reserve(g.values.size());
  for (size_t v = 0; v < g.values.size(); v++) vals.emplace_back(mlx::array{nullptr});
  bool external = false;  // an input is a caller's buffer, which an output may alias
  std::vector<mlx::array> in;
  for (const Step& step : sc.steps) {
    for (int ni : step.nodes) {
      const Node& n = g.nodes[size_t(ni)];
      auto k = kernels().find(n.def->name);
      if (k == kernels().end()) throw Refusal("unsupported_op", "node", n.path + "/op", "the mlx backend has no kernel for " + n.def->name);
      in.clear();
      std::vector<TypeShape> in_ts, out_ts;
      for (size_t i = 0; i < n.inputs.size(); i++) {
        const int v = n.inputs[i];
        if (vals[size_t(v)].empty()) {
          const Array& a = g.data[size_t(v)];
          vals[size_t(v)] = wrap(a, ptr(n.path + "/inputs", i));
          external = external || (a.buf && !a.buf->owned);
        }
        in.push_back(vals[size_t(v)].a);
        in_ts.push_back(g.values[size_t(v)]);
      }
      for (int v : n.outputs) out_ts.push_back(g.values[size_t(v)]);
      Outs res = k->second(Ctx{m, st.s, in, in_ts, n.attrs, out_ts, n.path});
      if (res.size() != n.outputs.size())
        throw RequestError("mlx_error", n.path, "MLX gave " + std::to_string(res.size()) + " outputs, the registry infers " + std::to_string(n.outputs.size()));
      for (size_t k2 = 0; k2 < res.size(); k2++) vals[size_t(n.outputs[k2])] = std::move(res[k2]);
    }
  }
  // Only the requested values stay referenced, so MLX may reuse the memory
  // of the others while it evaluates.
  std::vector<bool> wanted(g.values.size(), false);
  for (auto& o : g.outputs) wanted[size_t(o.value)] = g.producer[size_t(o.value)] >= 0;
  VecArr outs;
  for (size_t v = 0; v < vals.size(); v++) {
    if (wanted[v]) m.mlx_vector_array_append_value(outs.v, vals[v].a);
    else if (g.producer[v] >= 0) vals[v] = Arr(mlx::array{nullptr});
  }
  check(m.mlx_eval(outs.v), "");
  for (size_t v = 0; v < vals.size(); v++)
    if (wanted[v]) g.data[v] = unwrap(std::move(vals[v]), st.s, !external);
  return {sc.op_count, 0};
}

}  // namespace

Backend& mlx_backend() {
  static MlxBackend b;
  return b;
}

}  // namespace mlxc
