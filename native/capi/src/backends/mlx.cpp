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
#include <exception>
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
  // A namespace of its own: MLX's function-local statics and inline
  // constants are unique symbols, which plain dlopen binds process-wide to
  // the first copy loaded. Another MLX in the process (node-mlx's, say)
  // would then share its key sequence and dtype constants with this one,
  // objects of another version's layout, and corrupt both heaps.
  void* h = dlmopen(LM_ID_NEWLM, L.path.c_str(), RTLD_NOW | RTLD_LOCAL);
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
  VecArr(VecArr&& o) noexcept : v(o.v) { o.v.ctx = nullptr; }
  ~VecArr() {
    if (v.ctx) api().mlx_vector_array_free(v);
  }
  VecArr(const VecArr&) = delete;
};

// MLX's graph building is not thread-safe: one request (or inference) at a time.
std::mutex& mlx_mutex() {
  static std::mutex mu;
  return mu;
}

struct Stream {
  mlx::stream s;
  ~Stream() { api().mlx_stream_free(s); }
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
// range reads or writes past the array: the host crashes). The indices are
// evaluated first, and one out of range is the error the native backend
// gives, at the same place. `k`: the input holding them; `n`: the size they
// index; `path`: where the error points; `wraps`: whether -n..-1 count
// from the end (take's indices do, gather_mm's do not).
void check_range(const Ctx& c, size_t k, int64_t n, const std::string& path, bool wraps) {
  if (shape_size(c.in_ts[k].shape) == 0) return;
  Arr flat = c.flat(c.in[k]);
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
  const double size = double(n), least_ok = wraps ? -size : 0;
  const bool high = h >= size || h < least_ok, low = l < least_ok || l >= size;
  if (high || low) {
    char shown[32];
    std::snprintf(shown, sizeof shown, "%.0f", high ? h : l);
    throw RequestError("index_out_of_range", path, std::string("index ") + shown + " is out of range for size " + std::to_string(n));
  }
}

// MLX v0.31.2 builds some ops in dtypes its CPU kernels lack and throws
// when it evaluates them: hadamard_transform of float64, and gather_mm with
// indices and block_masked_mm with masks (without, they are matmuls) of
// anything but float32. The evaluation fails with an error, and for the
// first two it leaves MLX's heap corrupted, so that a later call aborts
// (session 31: the parity harness 1 run in 50; a C program on mlx-c
// alone, evaluating either in a loop, under glibc's malloc checks). Those
// are refused before MLX sees them.
void require_out_dtype(const Ctx& c, const char* op, std::initializer_list<DType> ok) {
  const DType d = c.out[0].dtype;
  for (DType k : ok)
    if (d == k) return;
  std::string names;
  for (DType k : ok) names += std::string(names.empty() ? "" : ", ") + dtype_name(k);
  throw Refusal("unsupported_dtype", "node", c.path, std::string(op) + " of " + dtype_name(d) + ": MLX " + api_version() + " evaluates it in " + names + " only (a failed evaluation can leave its heap corrupted)");
}

// The indices (input 1) of take, take_along_axis and put_along_axis, into
// the axis `axis_key` names, else the flattened array.
void check_indices(const Ctx& c, const char* axis_key) {
  const Shape& a = c.in_ts[0].shape;
  int64_t n = shape_size(a);
  if (c.attrs.has(axis_key)) {
    int64_t ax = c.attrs.i(axis_key);
    if (ax < 0) ax += int64_t(a.size());
    if (ax < 0 || ax >= int64_t(a.size())) return;  // MLX reports a bad axis itself
    n = a[size_t(ax)];
  }
  check_range(c, 1, n, c.path + "/inputs/1", true);
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

// A closure body's result: mlx-c hands the body an empty vector.
int closure_result(const mlx::Api& m, mlx::vector_array* res, mlx::array y) {
  if (!res->ctx) *res = m.mlx_vector_array_new();
  return m.mlx_vector_array_append_value(*res, y);
}

// For cotangents MLX has no op for: MLX's vjp of `body` (an mlx-c closure
// body over `payload`, one output) at `primals` for `cotangent`, one output
// per primal.
Outs vjp_outputs(const Ctx& c, mlx::closure_body body, void* payload, const std::vector<mlx::array>& primals, mlx::array cotangent) {
  struct Closure {
    mlx::closure_free_fn free;
    mlx::closure f;
    ~Closure() { free(f); }
  } fn{c.fn<mlx::closure_free_fn>("mlx_closure_free"), c.fn<mlx::closure_new_fn>("mlx_closure_new_func_payload")(body, payload, [](void*) {})};
  VecArr ps, cotangents, outs, grads;
  for (const mlx::array& a : primals) c.m.mlx_vector_array_append_value(ps.v, a);
  c.m.mlx_vector_array_append_value(cotangents.v, cotangent);
  check(c.fn<mlx::vjp_fn>("mlx_vjp")(&outs.v, &grads.v, fn.f, ps.v, cotangents.v), c.path);
  return each(c, grads);
}

// MLX v0.31.2's scans and sorts divide by zero on an empty array (SIGFPE
// ends the process): their empty result is made here instead, as the empty
// array of the inferred dtype and shape it is.
Arr empty_result(const Ctx& c) {
  auto sh = c.out_shape();
  return c.call(c.fn<mlx::shape_fn>("mlx_zeros"), sh.data(), sh.size(), c.out_dtype(), c.s);
}

// mlx-c's other ops, by their MLX names (the C name without "mlx_"): the
// table scripts/gen-mlx-symbols.mjs writes from mlx-c's headers.
struct SymbolCtx;
struct Symbol {
  struct Param {
    const char* name;
    bool optional;  // "may be null": present when the attribute has_<name> is true
    bool list;      // an mlx_vector_array: the inputs the others leave
  };
  const char* name;
  const char* module;
  std::vector<Param> arrays;
  std::vector<AttrSpec> attrs;
  Outs (*call)(const SymbolCtx&);
};

// A symbol's call: its array parameters bound to the node's inputs (an
// absent optional one a null array), its attributes read as mlx-c takes them.
struct SymbolCtx : Ctx {
  std::vector<std::vector<mlx::array>> params;
  SymbolCtx(const Ctx& c, const Symbol& sym) : Ctx(c) {
    size_t fixed = 0;
    bool list = false;
    for (auto& p : sym.arrays) {
      if (p.list) list = true;
      else if (!p.optional || attrs.b(("has_" + std::string(p.name)).c_str())) fixed++;
    }
    if (in.size() < fixed || (!list && in.size() != fixed))
      throw RequestError("invalid_arity", path + "/inputs", std::string(sym.name) + " takes " + std::to_string(fixed) + (list ? " or more" : "") + " inputs with these has_ attributes, got " + std::to_string(in.size()));
    size_t next = 0;
    for (auto& p : sym.arrays) {
      std::vector<mlx::array> mine;
      const size_t take = p.list ? in.size() - fixed : !p.optional || attrs.b(("has_" + std::string(p.name)).c_str()) ? 1 : 0;
      for (size_t k = 0; k < take; k++) mine.push_back(in[next++]);
      params.push_back(std::move(mine));
    }
  }
  mlx::array arg(size_t k) const { return params[k].empty() ? mlx::array{nullptr} : params[k][0]; }
  VecArr list(size_t k) const {
    VecArr v;
    for (auto a : params[k]) m.mlx_vector_array_append_value(v.v, a);
    return v;
  }
  size_t count(const char* k) const {
    if (attrs.i(k) < 0) throw RequestError("invalid_attr", attrs.at(k), std::string(k) + " is a count, not " + std::to_string(attrs.i(k)));
    return size_t(attrs.i(k));
  }
  uint64_t u64(const char* k) const { return uint64_t(attrs.i(k)); }
  int fft_norm(const char* k) const {
    const std::string n = attrs.str(k);
    return n == "backward" ? 0 : n == "ortho" ? 1 : 2;
  }
  mlx::optional_int opt_int(const char* k) const { return attrs.has(k) ? mlx::optional_int{i(k), true} : mlx::optional_int{0, false}; }
  mlx::optional_float opt_float(const char* k) const { return {attrs.has(k) ? float(attrs.f(k)) : 0.0f, attrs.has(k)}; }
  mlx::optional_dtype opt_dtype(const char* k) const { return attrs.has(k) ? mlx::optional_dtype{to_mlx(attrs.dtype(k)), true} : mlx::optional_dtype{mlx::FLOAT32, false}; }
  std::vector<int> int_list(const char* k) const { return attrs.has(k) ? ints(k) : std::vector<int>{}; }
  std::vector<int64_t> ints64(const char* k) const { return attrs.ints(k); }
};

const std::vector<Symbol>& symbols() {
  static const std::vector<Symbol> table = {
#include "mlx_symbols.inc"
  };
  return table;
}

// The symbols registered as ops (those whose names the registry lacks).
std::vector<const Symbol*>& registered_symbols() {
  static std::vector<const Symbol*> list;
  return list;
}

// The outputs of an op of MLX's as MLX infers them: the call is made on lazy
// zeros of the inputs' dtypes and shapes (never evaluated) and its results read.
std::vector<TypeShape> infer_by_mlx(Outs (*call)(const Ctx&, const void*), const void* op, const InferCtx& ic) {
  const mlx::Api& m = api();
  std::lock_guard<std::mutex> lock(mlx_mutex());
  Stream st{m.mlx_default_cpu_stream_new()};
  std::vector<Arr> held;
  std::vector<mlx::array> in;
  auto zeros = reinterpret_cast<mlx::shape_fn>(m.find("mlx_zeros"));
  for (size_t k = 0; k < ic.in.size(); k++) {
    auto sh = narrow_all(ic.in[k].shape, ptr(ic.path + "/inputs", k));
    Arr z;
    check(zeros(&z.a, sh.data(), sh.size(), to_mlx(ic.in[k].dtype), st.s), ic.path);
    in.push_back(z.a);
    held.push_back(std::move(z));
  }
  const std::vector<TypeShape> none;
  Outs res = call(Ctx{m, st.s, in, ic.in, ic.attrs, none, ic.path}, op);
  std::vector<TypeShape> out;
  for (auto& r : res) {
    TypeShape t{from_mlx(m.mlx_array_dtype(r.a)), {}};
    const int* sh = m.mlx_array_shape(r.a);
    for (size_t i = 0; i < m.mlx_array_ndim(r.a); i++) t.shape.push_back(sh[i]);
    out.push_back(std::move(t));
  }
  return out;
}

Outs call_symbol(const Ctx& c, const void* sym) { return static_cast<const Symbol*>(sym)->call(SymbolCtx(c, *static_cast<const Symbol*>(sym))); }

// Refuses NaN and infinities in the inputs of `op`, a LAPACK-backed function:
// MLX v0.31.2 ends the process (SIGABRT) when LAPACK does not converge.
void check_finite(const Ctx& c, const std::string& op) {
  for (size_t k = 0; k < c.in.size(); k++) {
    if (!is_inexact(c.in_ts[k].dtype) || shape_size(c.in_ts[k].shape) == 0) continue;
    Arr fin = c.call(c.fn<mlx::unary_fn>("mlx_isfinite"), c.in[k], c.s);
    Arr all = c.call(c.fn<mlx::arg_reduce_all_fn>("mlx_all"), fin.a, false, c.s);
    VecArr v;
    c.m.mlx_vector_array_append_value(v.v, all.a);
    check(c.m.mlx_eval(v.v), c.path);
    bool ok = false;
    check(c.fn<int (*)(bool*, mlx::array)>("mlx_array_item_bool")(&ok, all.a), c.path);
    if (!ok) throw Refusal("unsupported_op", "node", ptr(c.path + "/inputs", k), "the mlx backend runs " + op + " on finite values only: MLX " + api_version() + " ends the process when LAPACK does not converge");
  }
}

// MLX v0.31.2 ends the process on inputs its functions do not expect (found
// by calling each on small, empty and NaN inputs): several divide by zero on
// an empty array (SIGFPE: sorts, factorizations, permutations), and LAPACK
// not converging on NaN or infinities throws on MLX's evaluation thread
// (SIGABRT: svd, eig, pinv, matrix norms). Before its symbols run, arrays
// with no elements are refused, and so are non-finite values in linalg.
void guard_symbol(const Ctx& c, const Symbol& sym) {
  auto empty = [&](const std::vector<TypeShape>& ts, const char* what) {
    for (size_t k = 0; k < ts.size(); k++)
      if (shape_size(ts[k].shape) == 0)
        throw Refusal("unsupported_op", "node", c.path, std::string("the mlx backend runs ") + sym.name + " on arrays with elements only: its " + what + " " + std::to_string(k) + " is empty, and MLX " + api_version() + " ends the process on some empty arrays");
  };
  empty(c.in_ts, "input");
  empty(c.out, "output");
  if (std::string(sym.module) == "mlx.core.linalg") check_finite(c, sym.name);
}

// mlx.core.import_function: the function a .mlxfn file holds, applied to
// the node's inputs (read from the file at each call).
Outs call_imported(const Ctx& c, const void*) {
  auto release = c.fn<mlx::import_free_fn>("mlx_imported_function_free");
  auto apply = c.fn<mlx::import_apply_fn>("mlx_imported_function_apply");
  const std::string file = c.attrs.str("file");
  struct Imported {
    mlx::import_free_fn release;
    mlx::imported_function f;
    ~Imported() {
      if (f.ctx) release(f);
    }
  } imported{release, c.fn<mlx::import_new_fn>("mlx_imported_function_new")(file.c_str())};
  if (!imported.f.ctx) check(1, c.path);
  VecArr args, res;
  for (auto a : c.in) c.m.mlx_vector_array_append_value(args.v, a);
  check(apply(&res.v, imported.f, args.v), c.path);
  return each(c, res);
}

// Ops whose mlx-c function has the op's name and a shared signature.
const char* const kUnary[] = {"exp",     "log",     "sqrt",       "rsqrt",     "reciprocal", "expm1",    "log1p",         "log2",
                              "log10",   "sin",     "cos",        "tan",       "arcsin",     "arccos",   "arctan",        "sinh",
                              "cosh",    "tanh",    "arcsinh",    "arccosh",   "arctanh",    "sigmoid",  "erf",           "erfinv",
                              "degrees", "radians", "abs",        "negative",  "square",     "sign",     "floor",         "ceil",
                              "isnan",   "isinf",   "isposinf",   "isneginf",  "isfinite",   "logical_not", "bitwise_invert",
                              "stop_gradient", "zeros_like", "ones_like", "real",  "imag",    "conjugate"};
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
    all_ops();  // the registry, with the symbols it took
    std::map<std::string, std::function<Outs(const Ctx&)>> t;
    for (const Symbol* sym : registered_symbols())
      t[sym->name] = [sym](const Ctx& c) {
        guard_symbol(c, *sym);
        return call_symbol(c, sym);
      };
    t["import_function"] = [](const Ctx& c) { return call_imported(c, nullptr); };
    for (const char* n : kUnary)
      t[n] = [f = std::string("mlx_") + n](const Ctx& c) { return one(c.call(c.fn<mlx::unary_fn>(f), c.in[0], c.s)); };
    for (const char* n : kBinary)
      t[n] = [f = std::string("mlx_") + n](const Ctx& c) { return one(c.call(c.fn<mlx::binary_fn>(f), c.in[0], c.in[1], c.s)); };
    // MLX 0.31.2 accepts complex erf and erfinv lazily, then throws on its
    // stream thread when it evaluates them, which ends the process.
    for (const char* n : {"erf", "erfinv"})
      t[n] = [n, f = std::string("mlx_") + n](const Ctx& c) {
        if (c.in_ts[0].dtype == DType::Complex64)
          throw Refusal("unsupported_dtype", "node", c.path, std::string(n) + " of complex64: MLX " + api_version() + " has no complex kernel for it (and ends the process on one)");
        return one(c.call(c.fn<mlx::unary_fn>(f), c.in[0], c.s));
      };
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
    // MLX has no op for layer_norm's cotangents: it is asked for the vjp of
    // fast.layer_norm at x and the weight, with a zero bias when there is one
    // (the cotangents do not depend on the bias's values).
    t["layer_norm_vjp"] = [](const Ctx& c) {
      const bool hw = c.attrs.b("has_weight"), hb = c.attrs.b("has_bias");
      struct Norm {
        const Ctx& c;
        bool hw, hb;
      } norm{c, hw, hb};
      auto body = [](mlx::vector_array* res, const mlx::vector_array in, void* p) {
        const Norm& k = *static_cast<const Norm*>(p);
        const mlx::Api& m = k.c.m;
        Arr x, w, b, y;
        if (m.mlx_vector_array_get(&x.a, in, 0)) return 1;
        if (k.hw && m.mlx_vector_array_get(&w.a, in, 1)) return 1;
        if (k.hb && m.mlx_vector_array_get(&b.a, in, 1 + size_t(k.hw))) return 1;
        const mlx::array none{nullptr};
        if (k.c.fn<mlx::fast_layer_norm_fn>("mlx_fast_layer_norm")(&y.a, x.a, k.hw ? w.a : none, k.hb ? b.a : none, float(k.c.attrs.f("eps")), k.c.s)) return 1;
        return closure_result(m, res, y.a);
      };
      const mlx::dtype t = c.out_dtype();
      Arr x = c.call(c.m.mlx_astype, c.in[0], t, c.s), g = c.call(c.m.mlx_astype, c.in.back(), t, c.s);
      Arr w = hw ? c.call(c.m.mlx_astype, c.in[1], t, c.s) : Arr{};
      const int d = narrow(c.in_ts[0].shape.back(), c.path);
      Arr b = hb ? c.call(c.fn<mlx::shape_fn>("mlx_zeros"), &d, size_t(1), t, c.s) : Arr{};
      std::vector<mlx::array> primals{x.a};
      if (hw) primals.push_back(w.a);
      if (hb) primals.push_back(b.a);
      return vjp_outputs(c, body, &norm, primals, g.a);
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
    // MLX has no op for attention's cotangents either: the vjp of its
    // fast.scaled_dot_product_attention in q, k and v, the mask held fixed.
    t["scaled_dot_product_attention_vjp"] = [](const Ctx& c) {
      const std::string mode = c.attrs.str("mask_mode");
      struct Sdpa {
        const Ctx& c;
        std::string mode;
        mlx::array mask;
      } sdpa{c, mode == "none" ? "" : mode, mode == "array" ? c.in[3] : mlx::array{nullptr}};
      auto body = [](mlx::vector_array* res, const mlx::vector_array in, void* p) {
        const Sdpa& k = *static_cast<const Sdpa*>(p);
        const mlx::Api& m = k.c.m;
        Arr q, kk, v, y;
        if (m.mlx_vector_array_get(&q.a, in, 0) || m.mlx_vector_array_get(&kk.a, in, 1) || m.mlx_vector_array_get(&v.a, in, 2)) return 1;
        if (k.c.fn<mlx::fast_sdpa_fn>("mlx_fast_scaled_dot_product_attention")(&y.a, q.a, kk.a, v.a, float(k.c.attrs.f("scale")), k.mode.c_str(), k.mask, mlx::array{nullptr}, k.c.s)) return 1;
        return closure_result(m, res, y.a);
      };
      return vjp_outputs(c, body, &sdpa, {c.in[0], c.in[1], c.in[2]}, c.in.back());
    };
    // Quantization in every mode: group_size and bits as given (absent: the
    // mode's defaults, which MLX applies too); biases only for affine.
    auto qopt = [](const Ctx& c, const char* k) { return c.attrs.has(k) ? mlx::optional_int{c.i(k), true} : mlx::optional_int{0, false}; };
    t["quantize"] = [none, qopt](const Ctx& c) {
      VecArr parts;
      const std::string mode = c.attrs.str("mode");
      check(c.fn<mlx::quantize_fn>("mlx_quantize")(&parts.v, c.in[0], qopt(c, "group_size"), qopt(c, "bits"), mode.c_str(), none, c.s), c.path);
      return each(c, parts);
    };
    t["dequantize"] = [none, qopt](const Ctx& c) {
      const std::string mode = c.attrs.str("mode");
      auto f = c.fn<mlx::dequantize_fn>("mlx_dequantize");
      const mlx::optional_dtype dt = c.attrs.has("dtype") ? mlx::optional_dtype{c.out_dtype(), true} : mlx::optional_dtype{mlx::FLOAT32, false};
      return one(c.call(f, c.in[0], c.in[1], c.in.size() > 2 ? c.in[2] : none, qopt(c, "group_size"), qopt(c, "bits"), mode.c_str(), none, dt, c.s));
    };
    t["quantized_matmul"] = [none, qopt](const Ctx& c) {
      const std::string mode = c.attrs.str("mode");
      auto f = c.fn<mlx::quantized_matmul_fn>("mlx_quantized_matmul");
      return one(c.call(f, c.in[0], c.in[1], c.in[2], c.in.size() > 3 ? c.in[3] : none, c.attrs.b("transpose"), qopt(c, "group_size"), qopt(c, "bits"), mode.c_str(), c.s));
    };
    for (const char* n : {"partition", "argpartition"})
      t[n] = [f = std::string("mlx_") + n](const Ctx& c) {
        if (shape_size(c.in_ts[0].shape) == 0) return one(empty_result(c));
        if (!c.attrs.has("axis")) return one(c.call(c.fn<mlx::partition_fn>(f), c.in[0], c.i("kth"), c.s));
        return one(c.call(c.fn<mlx::partition_axis_fn>(f + "_axis"), c.in[0], c.i("kth"), c.i("axis"), c.s));
      };
    // The registry's inference has checked that the view stays inside the array.
    t["as_strided"] = [](const Ctx& c) {
      auto sh = c.ints("shape");
      auto st = c.attrs.ints("strides");
      return one(c.call(c.fn<mlx::as_strided_fn>("mlx_as_strided"), c.in[0], sh.data(), sh.size(), st.data(), st.size(), size_t(c.attrs.i("offset")), c.s));
    };
    t["contiguous"] = [](const Ctx& c) { return one(c.call(c.m.mlx_contiguous, c.in[0], c.attrs.b("allow_col_major"), c.s)); };
    t["view"] = [](const Ctx& c) { return one(c.call(c.fn<mlx::view_fn>("mlx_view"), c.in[0], to_mlx(c.attrs.dtype("dtype")), c.s)); };
    t["hadamard_transform"] = [](const Ctx& c) {
      require_out_dtype(c, "hadamard_transform", {DType::Float32, DType::Float16, DType::BFloat16});
      const mlx::optional_float scale{c.attrs.has("scale") ? float(c.attrs.f("scale")) : 0.0f, c.attrs.has("scale")};
      return one(c.call(c.fn<mlx::hadamard_fn>("mlx_hadamard_transform"), c.in[0], scale, c.s));
    };
    // MLX gathers the matrices without bounds checks: each side's indices are
    // checked against its count of matrices first.
    t["gather_mm"] = [none](const Ctx& c) {
      const bool hl = c.attrs.b("has_lhs_indices"), hr = c.attrs.b("has_rhs_indices");
      if (hl || hr) require_out_dtype(c, "gather_mm with indices", {DType::Float32});
      auto matrices = [&](size_t k) {
        const Shape& s = c.in_ts[k].shape;
        return shape_size(Shape(s.begin(), s.end() - 2));
      };
      if (hl) check_range(c, 2, matrices(0), c.path + "/inputs/2", false);
      if (hr) check_range(c, 2 + size_t(hl), matrices(1), c.path + "/inputs/" + std::to_string(2 + int(hl)), false);
      const mlx::array lhs = hl ? c.in[2] : none, rhs = hr ? c.in[2 + size_t(hl)] : none;
      return one(c.call(c.fn<mlx::gather_mm_fn>("mlx_gather_mm"), c.in[0], c.in[1], lhs, rhs, c.attrs.b("sorted_indices"), c.s));
    };
    t["block_masked_mm"] = [none](const Ctx& c) {
      if (c.in.size() > 2) require_out_dtype(c, "block_masked_mm with masks", {DType::Float32});
      size_t k = 2;
      auto mask = [&](const char* has) { return c.attrs.b(has) ? c.in[k++] : none; };
      const mlx::array out = mask("has_mask_out"), lhs = mask("has_mask_lhs"), rhs = mask("has_mask_rhs");
      return one(c.call(c.fn<mlx::block_masked_mm_fn>("mlx_block_masked_mm"), c.in[0], c.in[1], c.i("block_size"), out, lhs, rhs, c.s));
    };
    // MLX has no op for the weight's cotangent of a convolution: it is asked
    // for the vjp of conv_general in its weight, at a zero weight (the
    // cotangent does not depend on the weight's values).
    t["conv_weight_grad"] = [](const Ctx& c) {
      struct Conv {
        const Ctx& c;
        mlx::array x;
        std::vector<int> st, lo, hi, kd, id;
      } conv{c, mlx::array{nullptr}, c.ints("stride"), c.ints("padding_lo"), c.ints("padding_hi"), c.ints("kernel_dilation"), c.ints("input_dilation")};
      Arr x = c.call(c.m.mlx_astype, c.in[0], c.out_dtype(), c.s), dy = c.call(c.m.mlx_astype, c.in[1], c.out_dtype(), c.s);
      conv.x = x.a;
      auto body = [](mlx::vector_array* res, const mlx::vector_array in, void* p) {
        const Conv& k = *static_cast<const Conv*>(p);
        const mlx::Api& m = k.c.m;
        Arr w, y;
        if (m.mlx_vector_array_get(&w.a, in, 0)) return 1;
        if (m.mlx_conv_general(&y.a, k.x, w.a, k.st.data(), k.st.size(), k.lo.data(), k.lo.size(), k.hi.data(), k.hi.size(), k.kd.data(), k.kd.size(),
                               k.id.data(), k.id.size(), k.c.i("groups"), k.c.attrs.b("flip"), k.c.s))
          return 1;
        return closure_result(m, res, y.a);
      };
      auto ws = c.out_shape();
      Arr w0 = c.call(c.fn<mlx::shape_fn>("mlx_zeros"), ws.data(), ws.size(), c.out_dtype(), c.s);
      return vjp_outputs(c, body, &conv, {w0.a}, dy.a);
    };
    // mlx.core.fft: the registry's fft is MLX's FFT primitive, one n-dimensional
    // call over its axes (the sizes along them: the input's, or the output's
    // for an inverse real transform).
    t["fft"] = [](const Ctx& c) {
      using fftn_fn = int (*)(mlx::array*, mlx::array, const int*, size_t, const int*, size_t, int, mlx::stream);
      const bool real = c.attrs.b("real"), inverse = c.attrs.b("inverse");
      auto axes = c.ints("axes");
      const Shape& sized = real && inverse ? c.out[0].shape : c.in_ts[0].shape;
      std::vector<int> n;
      for (int ax : axes) n.push_back(narrow(sized[size_t(ax < 0 ? ax + int(sized.size()) : ax)], c.path));
      const std::string norm = c.attrs.str("norm");
      const int mode = norm == "backward" ? 0 : norm == "ortho" ? 1 : 2;  // mlx_fft_norm's order
      const char* f = real ? (inverse ? "mlx_fft_irfftn" : "mlx_fft_rfftn") : (inverse ? "mlx_fft_ifftn" : "mlx_fft_fftn");
      return one(c.call(c.fn<fftn_fn>(f), c.in[0], n.data(), n.size(), axes.data(), axes.size(), mode, c.s));
    };
    // mlx.core.linalg. MLX v0.31.2 ends the process when LAPACK fails while
    // it evaluates (SIGABRT: a singular matrix, no convergence, NaN) and on
    // some empty matrices (SIGFPE), so a factorization first runs the
    // engine's own kernel of the same op (same LAPACK routines) for its typed
    // errors: singular_matrix, not_positive_definite, no_convergence. That
    // costs the factorization twice; it keeps the host alive.
    auto vetted = [](const Ctx& c, const std::string& op) {
      for (size_t k = 0; k < c.in.size(); k++)
        if (shape_size(c.in_ts[k].shape) == 0)
          throw Refusal("unsupported_op", "node", ptr(c.path + "/inputs", k), "the mlx backend runs " + op + " on non-empty matrices only: MLX " + api_version() + " ends the process on some empty ones");
      check_finite(c, op);
      auto set = c.fn<int (*)(mlx::array*, mlx::array)>("mlx_array_set");
      std::vector<Array> host;
      VecArr all;
      std::vector<Arr> refs;
      for (auto a : c.in) {
        Arr r;
        check(set(&r.a, a), c.path);
        c.m.mlx_vector_array_append_value(all.v, r.a);
        refs.push_back(std::move(r));
      }
      check(c.m.mlx_eval(all.v), c.path);
      for (auto& r : refs) host.push_back(unwrap(std::move(r), c.s, false));
      return find_op(op)->eval(EvalCtx{host, c.attrs, c.out, c.path});
    };
    using la1 = int (*)(mlx::array*, mlx::array, mlx::stream);
    using la1b = int (*)(mlx::array*, mlx::array, bool, mlx::stream);
    using la2 = int (*)(mlx::array*, mlx::array, mlx::array, mlx::stream);
    using la2b = int (*)(mlx::array*, mlx::array, mlx::array, bool, mlx::stream);
    using la_two = int (*)(mlx::array*, mlx::array*, mlx::array, mlx::stream);
    t["inv"] = [vetted](const Ctx& c) {
      vetted(c, "inv");
      return one(c.call(c.fn<la1>("mlx_linalg_inv"), c.in[0], c.s));
    };
    t["tri_inv"] = [vetted](const Ctx& c) {
      vetted(c, "tri_inv");
      return one(c.call(c.fn<la1b>("mlx_linalg_tri_inv"), c.in[0], c.attrs.b("upper"), c.s));
    };
    t["cholesky"] = [vetted](const Ctx& c) {
      vetted(c, "cholesky");
      return one(c.call(c.fn<la1b>("mlx_linalg_cholesky"), c.in[0], c.attrs.b("upper"), c.s));
    };
    t["solve"] = [vetted](const Ctx& c) {
      vetted(c, "solve");
      return one(c.call(c.fn<la2>("mlx_linalg_solve"), c.in[0], c.in[1], c.s));
    };
    t["solve_triangular"] = [vetted](const Ctx& c) {
      vetted(c, "solve_triangular");
      return one(c.call(c.fn<la2b>("mlx_linalg_solve_triangular"), c.in[0], c.in[1], c.attrs.b("upper"), c.s));
    };
    t["qr"] = [vetted](const Ctx& c) {
      vetted(c, "qr");
      Outs o(2);
      check(c.fn<la_two>("mlx_linalg_qr")(&o[0].a, &o[1].a, c.in[0], c.s), c.path);
      return o;
    };
    t["svd"] = [vetted](const Ctx& c) {
      vetted(c, "svd");
      VecArr parts;
      check(c.fn<int (*)(mlx::vector_array*, mlx::array, bool, mlx::stream)>("mlx_linalg_svd")(&parts.v, c.in[0], c.attrs.b("compute_uv"), c.s), c.path);
      return each(c, parts);
    };
    t["eigh"] = [vetted](const Ctx& c) {
      vetted(c, "eigh");
      const std::string uplo = c.attrs.str("uplo");
      using eigh_fn = int (*)(mlx::array*, mlx::array*, mlx::array, const char*, mlx::stream);
      if (!c.attrs.b("compute_vectors"))
        return one(c.call(c.fn<int (*)(mlx::array*, mlx::array, const char*, mlx::stream)>("mlx_linalg_eigvalsh"), c.in[0], uplo.c_str(), c.s));
      Outs o(2);
      check(c.fn<eigh_fn>("mlx_linalg_eigh")(&o[0].a, &o[1].a, c.in[0], uplo.c_str(), c.s), c.path);
      return o;
    };
    t["eig"] = [vetted](const Ctx& c) {
      vetted(c, "eig");
      if (!c.attrs.b("compute_vectors")) return one(c.call(c.fn<la1>("mlx_linalg_eigvals"), c.in[0], c.s));
      Outs o(2);
      check(c.fn<la_two>("mlx_linalg_eig")(&o[0].a, &o[1].a, c.in[0], c.s), c.path);
      return o;
    };
    // lu_factor: MLX's LUF primitive gives LU, the pivots and the row
    // permutation; mlx-c reaches the first two, and the permutation follows
    // from the pivots (the native kernel's, already computed to vet the
    // matrix). MLX aborts on an exactly singular matrix, where LAPACK still
    // factors: that is refused.
    t["lu_factor"] = [vetted](const Ctx& c) {
      std::vector<Array> native = vetted(c, "lu_factor");
      const Shape& s = c.in_ts[0].shape;
      const int64_t m = s[s.size() - 2], n = s.back(), k = std::min(m, n), count = shape_size(s) / (m * n);
      dispatch(native[0].dtype, [&](auto t) {
        using T = decltype(t);
        if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>)
          for (int64_t b = 0; b < count; b++)
            for (int64_t j = 0; j < k; j++)
              if (native[0].data<T>()[b * m * n + j * n + j] == T(0))
                throw RequestError("singular_matrix", c.path, "lu_factor: matrix " + std::to_string(b) + " is singular, and MLX " + api_version() + " ends the process on one");
      });
      Outs o(2);
      check(c.fn<la_two>("mlx_linalg_lu_factor")(&o[0].a, &o[1].a, c.in[0], c.s), c.path);
      // MLX 0.31.2's LU output claims more elements than its buffer holds: an
      // op on it reads and writes past the end. A copy of it is a plain array.
      VecArr v;
      c.m.mlx_vector_array_append_value(v.v, o[0].a);
      check(c.m.mlx_eval(v.v), c.path);
      o[0] = wrap(unwrap(std::move(o[0]), c.s, false), c.path);
      o.push_back(wrap(owned(native[2]), c.path));
      return o;
    };
    return t;
  }();
  return table;
}

}  // namespace

void register_mlx_symbols(const std::function<bool(const std::string&)>& known) {
  // decided against the registry's own ops before any symbol joins it
  std::vector<const Symbol*> taken;
  for (const Symbol& sym : symbols()) {
    // an overload of a registry op (sum_axes, sort_axis, split_sections) is
    // that op, with its guards: the registry's name reaches it
    const std::string name = sym.name;
    std::string base = name;
    for (const char* suffix : {"_axis", "_axes", "_sections"})
      if (base.size() > std::strlen(suffix) && base.compare(base.size() - std::strlen(suffix), std::string::npos, suffix) == 0) base.resize(base.size() - std::strlen(suffix));
    if (!known(name) && !known(base)) taken.push_back(&sym);
  }
  for (const Symbol* s : taken) {
    const Symbol& sym = *s;
    const std::string name = sym.name;
    int required = 0, optional = 0;
    bool list = false;
    for (auto& p : sym.arrays) {
      if (p.list) list = true;
      else if (p.optional) optional++;
      else required++;
    }
    OpDef d = make_op(name, sym.module, "MLX's", required, list ? -1 : required + optional, sym.attrs);
    d.doc = std::string("MLX's ") + sym.module + " function mlx-c calls mlx_" + name + ", on the mlx backend only; outputs as MLX infers them";
    d.shapeless = false;
    d.infer = [&sym](const InferCtx& c) { return infer_by_mlx(call_symbol, &sym, c); };
    register_op(std::move(d));
    registered_symbols().push_back(&sym);
  }
  OpDef imp = make_op("import_function", "mlx.core", "MLX's", 0, -1, {{"file", AttrType::String, nullptr, true}});
  imp.doc = "The function a .mlxfn file holds (MLX's import_function), applied to the inputs; its outputs as MLX infers them; on the mlx backend only";
  imp.shapeless = false;
  imp.infer = [](const InferCtx& c) { return infer_by_mlx(call_imported, nullptr, c); };
  register_op(std::move(imp));
}

namespace {

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
  void export_function(const Graph& g, const std::vector<FunctionTrace>& traces, const std::string& file, bool shapeless) override;
};

// The MLX graph of a schedule: vals[v] for every value its nodes make, and
// for the inputs they read (wrapped from g.data where vals has none).
// Returns whether an input is a caller's buffer, which an output may alias.
bool build(const Graph& g, const Schedule& sc, mlx::stream s, std::vector<Arr>& vals, bool tracing) {
  const mlx::Api& m = api();
  bool external = false;
  std::vector<mlx::array> in;
  for (const Step& step : sc.steps) {
    for (int ni : step.nodes) {
      const Node& n = g.nodes[size_t(ni)];
      auto k = kernels().find(n.def->name);  // parse refused the ops without one
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
      bool empty = !n.inputs.empty() && !n.outputs.empty();
      for (int v : n.outputs) {
        out_ts.push_back(g.values[size_t(v)]);
        empty = empty && shape_size(out_ts.back().shape) == 0;
      }
      Outs res = k->second(Ctx{m, s, in, in_ts, n.attrs, out_ts, n.path});
      if (res.size() != n.outputs.size())
        throw RequestError("mlx_error", n.path, "MLX gave " + std::to_string(res.size()) + " outputs, the registry infers " + std::to_string(n.outputs.size()));
      // An op with no elements out has nothing to compute, and MLX 0.31.2
      // ends the process evaluating several (scans of an empty axis,
      // half-precision products with no columns): MLX built it, so its
      // checks ran, but empty arrays of the inferred types stand in for
      // what it would evaluate. An export keeps the ops, for the other
      // shapes its function may take.
      if (empty && !tracing)
        for (size_t k2 = 0; k2 < res.size(); k2++) res[k2] = wrap(Array(out_ts[k2].dtype, out_ts[k2].shape), n.path);
      for (size_t k2 = 0; k2 < res.size(); k2++) vals[size_t(n.outputs[k2])] = std::move(res[k2]);
    }
  }
  return external;
}

std::vector<Arr> no_values(const Graph& g) {
  std::vector<Arr> vals;
  vals.reserve(g.values.size());
  for (size_t v = 0; v < g.values.size(); v++) vals.emplace_back(mlx::array{nullptr});
  return vals;
}

Execution MlxBackend::run(Graph& g, const Schedule& sc, std::string_view device) {
  const mlx::Api& m = api();
  std::lock_guard<std::mutex> lock(mlx_mutex());
  Stream st{device == "gpu" ? m.mlx_default_gpu_stream_new() : m.mlx_default_cpu_stream_new()};
  t_error.clear();
  std::vector<Arr> vals = no_values(g);
  const bool external = build(g, sc, st.s, vals, false);
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

// The graph as an MLX function: MLX's exporter calls it once per trace, on
// lazy zeros of that trace's placeholders, and records what it builds (the
// other inputs are its constants).
void MlxBackend::export_function(const Graph& g, const std::vector<FunctionTrace>& traces, const std::string& file, bool shapeless) {
  const mlx::Api& m = api();
  std::lock_guard<std::mutex> lock(mlx_mutex());
  Stream st{m.mlx_default_cpu_stream_new()};
  t_error.clear();
  struct Tracing {
    const Graph& g;
    const FunctionTrace* trace;
    mlx::stream s;
    std::exception_ptr failure;  // an engine error inside the tracing, rethrown after
  } tracing{g, nullptr, st.s, nullptr};
  auto body = [](mlx::vector_array* res, const mlx::vector_array args, void* p) {
    Tracing& t = *static_cast<Tracing*>(p);
    const mlx::Api& m = api();
    try {
      std::vector<Arr> vals = no_values(t.g);
      const std::vector<int>& params = t.trace->params;
      if (m.mlx_vector_array_size(args) != params.size()) throw RequestError("mlx_error", "/export_function", "MLX traced with " + std::to_string(m.mlx_vector_array_size(args)) + " arguments, the trace has " + std::to_string(params.size()));
      for (size_t k = 0; k < params.size(); k++) check(m.mlx_vector_array_get(&vals[size_t(params[k])].a, args, k), "/export_function");
      build(t.g, t.trace->schedule, t.s, vals, true);
      if (!res->ctx) *res = m.mlx_vector_array_new();  // mlx-c hands an empty vector
      for (size_t k = 0; k < t.trace->outputs.size(); k++) {
        Arr& v = vals[size_t(t.trace->outputs[k])];
        if (v.empty()) v = wrap(t.g.data[size_t(t.trace->outputs[k])], ptr("/outputs", k));
        m.mlx_vector_array_append_value(*res, v.a);
      }
      return 0;
    } catch (...) {
      t.failure = std::current_exception();
      return 1;
    }
  };
  auto need = [&](const char* name) {
    void* f = m.find(name);
    if (!f) throw Refusal("unsupported_backend", "request", "/export_function", std::string("the loaded libmlxc has no ") + name);
    return f;
  };
  auto closure_free = reinterpret_cast<mlx::closure_free_fn>(need("mlx_closure_free"));
  auto closure_new = reinterpret_cast<mlx::closure_new_fn>(need("mlx_closure_new_func_payload"));
  auto exporter_new = reinterpret_cast<mlx::exporter_new_fn>(need("mlx_function_exporter_new"));
  auto exporter_free = reinterpret_cast<mlx::exporter_free_fn>(need("mlx_function_exporter_free"));
  auto exporter_apply = reinterpret_cast<mlx::exporter_apply_fn>(need("mlx_function_exporter_apply"));
  auto zeros = reinterpret_cast<mlx::shape_fn>(need("mlx_zeros"));
  struct Closure {
    mlx::closure_free_fn free;
    mlx::closure f;
    ~Closure() { free(f); }
  } fn{closure_free, closure_new(body, &tracing, [](void*) {})};
  // the file is complete when the exporter is freed
  struct Exporter {
    mlx::exporter_free_fn free;
    mlx::function_exporter x;
    ~Exporter() {
      if (x.ctx) free(x);
    }
  } exporter{exporter_free, exporter_new(file.c_str(), fn.f, shapeless)};
  if (!exporter.x.ctx) check(1, "/export_function/file");
  for (size_t k = 0; k < traces.size(); k++) {
    tracing.trace = &traces[k];
    VecArr args;
    for (int v : traces[k].params) {
      auto sh = narrow_all(g.values[size_t(v)].shape, "/inputs");
      Arr z;
      check(zeros(&z.a, sh.data(), sh.size(), to_mlx(g.values[size_t(v)].dtype), st.s), "/inputs");
      m.mlx_vector_array_append_value(args.v, z.a);
    }
    const int rc = exporter_apply(exporter.x, args.v);
    if (tracing.failure) std::rethrow_exception(tracing.failure);
    check(rc, traces.size() > 1 ? ptr("/export_function/traces", k) : "/export_function");
  }
}

}  // namespace

Backend& mlx_backend() {
  static MlxBackend b;
  return b;
}

}  // namespace mlxc
