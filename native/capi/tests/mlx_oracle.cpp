// The engine's integer arithmetic at its extremes and its float-to-integer
// conversions compared with real MLX (v0.31.2 through mlx-c), byte for byte.
// Built only where MLXCOMPAT_MLX_RUNTIME names an mlx-c build.
//
// MLX's uint32 conversion of NaN, infinities and out-of-range values differs
// between its vectorized and its scalar loop; MLX is asked one value at a time
// (its scalar loop), which is what the engine follows (dtype.h).
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "harness.h"
#include "mlx/c/mlx.h"

using namespace harness;

namespace {

Tally t;
mlx_stream cpu;

struct Ty {
  const char* name;
  mlx_dtype mlx;
  size_t size;
};
const Ty kInts[] = {{"uint8", MLX_UINT8, 1}, {"uint16", MLX_UINT16, 2}, {"uint32", MLX_UINT32, 4}, {"uint64", MLX_UINT64, 8},
                    {"int8", MLX_INT8, 1},   {"int16", MLX_INT16, 2},   {"int32", MLX_INT32, 4},   {"int64", MLX_INT64, 8}};

std::vector<uint8_t> mlx_bytes(mlx_array a) {
  mlx_array_eval(a);
  const size_t n = mlx_array_nbytes(a);
  std::vector<uint8_t> out(n);
  // every dtype's data pointer is the same bytes; read them as uint8
  mlx_array flat = mlx_array_new();
  mlx_view(&flat, a, MLX_UINT8, cpu);
  mlx_array_eval(flat);
  if (n) std::memcpy(out.data(), mlx_array_data_uint8(flat), n);
  mlx_array_free(flat);
  return out;
}

// Our engine: one node over inputs given as raw bytes; the output's bytes.
std::vector<uint8_t> ours(const std::string& op, const std::vector<std::pair<std::string, std::vector<uint8_t>>>& ins, size_t n, json attrs) {
  json inputs = json::array(), refs = json::array();
  std::vector<mlxcompat_buffer> bufs;
  for (size_t k = 0; k < ins.size(); k++) {
    inputs.push_back({{"id", "i" + std::to_string(k)}, {"dtype", ins[k].first}, {"shape", {n}}, {"buffer", k}});
    refs.push_back("i" + std::to_string(k));
    bufs.push_back({ins[k].second.data(), ins[k].second.size()});
  }
  json node = {{"id", "y"}, {"op", op}, {"inputs", refs}};
  if (!attrs.is_null()) node["attrs"] = attrs;
  const Answer a = eval(nullptr, json{{"schema_version", 1}, {"inputs", inputs}, {"nodes", {node}}, {"outputs", {"y"}}}.dump(), bufs);
  if (a.status() != "ok") {
    t.check(false, op, a.response.dump());
    return {};
  }
  return a.buffers[0];
}

template <class T> std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

mlx_array mlx_of(const std::vector<uint8_t>& b, mlx_dtype d, size_t n) {
  const int shape[1] = {int(n)};
  return mlx_array_new_data(b.data(), shape, 1, d);
}

std::string hex(const std::vector<uint8_t>& b) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) s += std::string{k[c >> 4], k[c & 15]};
  return s;
}

void same(const std::string& what, const std::vector<uint8_t>& mine, const std::vector<uint8_t>& theirs) {
  t.check(mine == theirs, what, "engine " + hex(mine) + " vs MLX " + hex(theirs));
}

void conversions() {
  const std::vector<double> values = {NAN, INFINITY, -INFINITY, 1e10, -1e10, 3e9, -3e9, 1e19, -1e19, 2e19, 300.75, -1.5,
                                      65537, 2.5, -129, 4294967296.0, 9.3e18, -2147483648.5, 2147483647.9, 0.0};
  for (const char* from : {"float32", "float64", "float16", "bfloat16"}) {
    const std::string f = from;
    const mlx_dtype fd = f == "float32" ? MLX_FLOAT32 : f == "float64" ? MLX_FLOAT64 : f == "float16" ? MLX_FLOAT16 : MLX_BFLOAT16;
    // the values in the source dtype, made by MLX from float64
    mlx_array src64 = mlx_of(bytes_of(values), MLX_FLOAT64, values.size()), src = mlx_array_new();
    mlx_astype(&src, src64, fd, cpu);
    const std::vector<uint8_t> src_bytes = mlx_bytes(src);
    const size_t es = src_bytes.size() / values.size();
    for (const Ty& to : kInts) {
      const std::vector<uint8_t> mine = ours("astype", {{from, src_bytes}}, values.size(), {{"dtype", to.name}});
      std::vector<uint8_t> theirs;
      for (size_t i = 0; i < values.size(); i++) {  // one value at a time: MLX's scalar loop
        mlx_array one = mlx_of(std::vector<uint8_t>(src_bytes.begin() + long(i * es), src_bytes.begin() + long((i + 1) * es)), fd, 1), r = mlx_array_new();
        mlx_astype(&r, one, to.mlx, cpu);
        const auto b = mlx_bytes(r);
        theirs.insert(theirs.end(), b.begin(), b.end());
        mlx_array_free(one);
        mlx_array_free(r);
      }
      same(f + " -> " + to.name, mine, theirs);
    }
    mlx_array_free(src64);
    mlx_array_free(src);
  }
}

using Unary = int (*)(mlx_array*, const mlx_array, const mlx_stream);
using Binary = int (*)(mlx_array*, const mlx_array, const mlx_array, const mlx_stream);

template <class T> void integer_ops(const char* name, mlx_dtype d) {
  const T lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  const std::vector<T> a = {hi, lo, T(-1), T(3), hi, lo, T(2), T(hi / 2 + 1)};
  const std::vector<T> b = {T(1), T(-1), lo, hi, hi, lo, T(sizeof(T) * 8 - 1), T(2)};
  const size_t n = a.size();
  mlx_array ma = mlx_of(bytes_of(a), d, n), mb = mlx_of(bytes_of(b), d, n);
  const std::pair<const char*, Binary> binaries[] = {{"add", mlx_add}, {"subtract", mlx_subtract}, {"multiply", mlx_multiply}};
  for (auto [op, fn] : binaries) {
    mlx_array r = mlx_array_new();
    fn(&r, ma, mb, cpu);
    same(std::string(name) + " " + op, ours(op, {{name, bytes_of(a)}, {name, bytes_of(b)}}, n, nullptr), mlx_bytes(r));
    mlx_array_free(r);
  }
  {  // non-negative exponents (MLX's integer power of a negative exponent is not defined)
    std::vector<T> e = {T(2), T(3), T(0), T(41), T(63), T(1), T(7), T(64)};
    mlx_array me = mlx_of(bytes_of(e), d, n), r = mlx_array_new();
    mlx_power(&r, ma, me, cpu);
    same(std::string(name) + " power", ours("power", {{name, bytes_of(a)}, {name, bytes_of(e)}}, n, nullptr), mlx_bytes(r));
    mlx_array_free(me);
    mlx_array_free(r);
  }
  const std::pair<const char*, Unary> unaries[] = {{"negative", mlx_negative}, {"abs", mlx_abs}, {"square", mlx_square}};
  for (auto [op, fn] : unaries) {
    mlx_array r = mlx_array_new();
    fn(&r, ma, cpu);
    same(std::string(name) + " " + op, ours(op, {{name, bytes_of(a)}}, n, nullptr), mlx_bytes(r));
    mlx_array_free(r);
  }
  for (const char* op : {"cumsum", "cumprod"}) {
    mlx_array r = mlx_array_new();
    (std::string(op) == "cumsum" ? mlx_cumsum : mlx_cumprod)(&r, ma, 0, false, true, cpu);
    same(std::string(name) + " " + op, ours(op, {{name, bytes_of(a)}}, n, {{"axis", 0}}), mlx_bytes(r));
    mlx_array_free(r);
  }
  mlx_array_free(ma);
  mlx_array_free(mb);
}

void on_mlx_error(const char* msg, void*) { t.check(false, "MLX error", msg); }

}  // namespace

int main() {
  mlx_set_error_handler(on_mlx_error, nullptr, nullptr);
  cpu = mlx_default_cpu_stream_new();
  conversions();
  integer_ops<int64_t>("int64", MLX_INT64);
  integer_ops<int32_t>("int32", MLX_INT32);
  integer_ops<int8_t>("int8", MLX_INT8);
  integer_ops<uint64_t>("uint64", MLX_UINT64);
  integer_ops<uint16_t>("uint16", MLX_UINT16);
  mlx_stream_free(cpu);
  return t.finish("MLX oracle");
}
