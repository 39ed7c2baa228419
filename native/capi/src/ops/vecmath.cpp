// Chooses the vector kernels once per process: the CPU's instruction sets,
// SLEEF loaded at run time, and MLXCOMPAT_VECMATH to force a choice.
#include "vecmath.h"

#include <cpuid.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../parallel.h"
#include "lines.h"

namespace mlxc {

namespace {

void* g_sleef = nullptr;

void* sleef_symbol(const char* name) { return dlsym(g_sleef, name); }

// SLEEF beside this library first (a bundled copy), then the system's.
void* open_sleef() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&vec_table), &info) && info.dli_fname) {
    std::string dir = info.dli_fname;
    const size_t slash = dir.rfind('/');
    if (slash != std::string::npos) {
      if (void* h = dlopen((dir.substr(0, slash + 1) + "libsleef.so.3").c_str(), RTLD_NOW | RTLD_LOCAL)) return h;
    }
  }
  return dlopen("libsleef.so.3", RTLD_NOW | RTLD_LOCAL);
}

// CPUID leaf 1, ecx bit 29: gcc 10 (the release build root's compiler) has no
// __builtin_cpu_supports("f16c").
bool cpu_has_f16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
}

const VecTable* choose() {
  const char* env = std::getenv("MLXCOMPAT_VECMATH");
  const std::string want = env ? env : "";
  if (want == "scalar") return nullptr;
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
  if (!avx2 && !avx512) return nullptr;
  g_sleef = open_sleef();
  if (!g_sleef) return nullptr;
  if (avx512 && want != "avx2")
    if (const VecTable* t = vec_table_avx512(&sleef_symbol)) return t;
  if (avx2 && want != "avx512") return vec_table_avx2(&sleef_symbol);
  return nullptr;
}

}  // namespace

const LogTable& log_table() {
  static const LogTable t = [] {
    LogTable t{};
    for (int i = 0; i < 16; i++) {
      const long double c = i == 0 ? 1.0L : i == 15 ? 2.0L : 1.0L + (i + 0.5L) / 16;
      t.invc[i] = double(1.0L / c);
      t.logc[i] = double(-std::log((long double)t.invc[i]));
      t.log2c[i] = double(-std::log2((long double)t.invc[i]));
      t.log10c[i] = double(-std::log10((long double)t.invc[i]));
      const double p = double(std::exp2((long double)i / 16));
      uint64_t bits;
      std::memcpy(&bits, &p, 8);
      bits -= uint64_t(i) << 48;
      std::memcpy(&t.exp2[i], &bits, 8);
    }
    return t;
  }();
  return t;
}

const VecTable* vec_table() {
  static const VecTable* t = choose();
  return t;
}

namespace {

// Rows of float32 or float64 (half types converted to float32 first, and
// the result rounded back); fn(rows, x, line, out, stream) computes one
// line, and may store its output non-temporally when `stream` (an output
// row of the input's dtype, past half the last-level cache; op.h).
template <class F> bool for_rows(const Lines& l, const Shape& out_shape, Array* out, F fn) {
  const VecTable* t = vec_table();
  const DType d = l.a.dtype;
  if (!t || l.inner != 1 || l.r == 0 || vec_slot(d) < 0) return false;  // empty rows: the scalar loops
  const Array x = d == DType::Float64 ? l.a : astype(l.a, DType::Float32);
  Array o(x.dtype, out_shape);
  const size_t es = dtype_size(x.dtype);
  const bool stream = o.dtype == d && stream_output(size_t(x.size()) * es, size_t(o.size()) * es, size_t(l.r) * es);
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(l.r, 1));
  if (x.dtype == DType::Float64) {
    parallel_for(l.outer, grain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; i++) fn(t->rows_f64, x.data<double>() + i * l.r, i, o.data<double>(), stream);
      if (stream) stream_fence();
    });
  } else {
    parallel_for(l.outer, grain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; i++) fn(t->rows_f32, x.data<float>() + i * l.r, i, o.data<float>(), stream);
      if (stream) stream_fence();
    });
  }
  *out = o.dtype == d ? o : astype(o, d);
  return true;
}

}  // namespace

bool softmax_rows(const Lines& l, Array* out) {
  return for_rows(l, l.a.shape, out, [&](const auto& rows, const auto* x, int64_t i, auto* o, bool stream) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(x)>>;
    T* row = o + i * l.r;
    const T s = rows.exp_sum(x, rows.max(x, l.r), row, l.r);
    rows.scale(row, T(1) / s, l.r, stream);
  });
}

bool logsumexp_rows(const Lines& l, Array* out) {
  Shape shape(1, l.outer);
  if (!for_rows(l, shape, out, [&](const auto& rows, const auto* x, int64_t i, auto* o, bool) {
        using T = std::remove_const_t<std::remove_pointer_t<decltype(x)>>;
        const T m = rows.max(x, l.r);  // NaNs skipped: they reach the sum
        if (m == T(INFINITY)) {
          // as MLX, whose max passes NaNs on: +inf with a NaN in the row gives NaN
          bool nan = false;
          for (int64_t r = 0; r < l.r && !nan; r++) nan = x[r] != x[r];
          o[i] = nan ? T(NAN) : m;
        } else if (m == T(-INFINITY)) {  // all -inf (a NaN among them makes the sum NaN)
          o[i] = T(-INFINITY) + rows.exp_sum(x, T(0), nullptr, l.r);
        } else {
          o[i] = T(double(m) + std::log(double(rows.exp_sum(x, m, nullptr, l.r))));
        }
      }))
    return false;
  return true;
}

bool logcumsumexp_rows(const Lines& l, Array* out) {
  return for_rows(l, l.a.shape, out, [&](const auto& rows, const auto* x, int64_t i, auto* o, bool) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(x)>>;
    const EwKernel vlog1p = vec_table()->unary[int(VFn::Log1p)][vec_slot(CType<T>::value)];
    T* row = o + i * l.r;
    // Blocks of K relative to the last output R (outputs never decrease):
    // R + log1p(sum of exp(x - R)), the exps and the log1p in vector lanes,
    // the running sum one add per element. Relative to R, a result near 0
    // keeps its precision. A block that climbs far above R, or meets an
    // infinity or NaN, takes the scalar recurrence.
    constexpr int64_t K = 512;
    const T climb = sizeof(T) == 4 ? T(60) : T(600);  // keeps every exp(x - R) finite
    T r = row[0] = x[0];
    for (int64_t b = 1; b < l.r; b += K) {
      const int64_t len = std::min(K, l.r - b);
      const T bm = rows.max(x + b, len);
      if (!std::isfinite(r) || !std::isfinite(bm) || bm - r > climb) {
        for (int64_t j = b; j < b + len; j++) {
          const T v = x[j], mx = std::max(r, v);
          if (std::isnan(r) || std::isnan(v)) r = T(NAN);
          else if (mx != T(-INFINITY)) r = mx + std::log1p(std::exp(r == v ? T(0) : -std::abs(r - v)));
          row[j] = r;
        }
        continue;
      }
      rows.exp_sum(x + b, r, row + b, len);
      T run = 0;
      for (int64_t j = b; j < b + len; j++) row[j] = run += row[j];
      const void* in[1] = {row + b};
      const bool scalar = false;
      vlog1p(in, &scalar, row + b, len, EwParams{});
      for (int64_t j = b; j < b + len; j++) row[j] += r;
      r = row[b + len - 1];
    }
  });
}

std::function<EwKernel(DType, DType)> with_vector(VFn f, std::function<EwKernel(DType, DType)> scalar) {
  return [f, scalar = std::move(scalar)](DType c, DType o) {
    const VecTable* t = vec_table();
    const int slot = vec_slot(c);
    EwKernel k = t && slot >= 0 && c == o ? t->unary[int(f)][slot] : nullptr;
    return k ? k : scalar(c, o);
  };
}

std::function<EwKernel(DType, DType)> with_vector(VFn2 f, std::function<EwKernel(DType, DType)> scalar) {
  return [f, scalar = std::move(scalar)](DType c, DType o) {
    const VecTable* t = vec_table();
    const int slot = vec_slot(c);
    EwKernel k = t && slot >= 0 && c == o ? t->binary[int(f)][slot] : nullptr;
    return k ? k : scalar(c, o);
  };
}

}  // namespace mlxc
