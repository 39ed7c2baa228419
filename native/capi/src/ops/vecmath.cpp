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
#include <vector>

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
      t.log2c[i] = double(-std::log2((long double)t.invc[i]));
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

// Rows of float32 or float64 (half types converted to float32 first, and the
// result rounded back) in blocks of up to kRowStreams rows, whose maxima
// RowKernels::rows_max reads as interleaved streams; the passes after read
// the block again from the L2 cache (at most kBlockBytes: with the next block
// prefetched beside it and softmax's two scratch rows of then, 256 KiB blocks
// overflowed Zen 3's 512 KiB L2; 128 KiB ones were faster at 1 and 2 threads,
// session 26 in docs/PERFORMANCE.md). fn(rows, x, i, count, o, next) computes
// rows [i, i + count) from x (row i's start); next, when not null, is the
// next block of as many rows, for the row passes to prefetch while they
// compute (RowKernels::exp_sum), so that its rows_max reads from L2 too: a
// block computed with no reads from memory in flight left softmax at 42% of
// the copy bandwidth (session 18). The outputs are stored ordinarily, as the
// vector functions store theirs (whole_vectors).
constexpr int64_t kBlockBytes = int64_t(128) << 10;

template <class F> bool for_rows(const Lines& l, const Shape& out_shape, Array* out, F fn) {
  const VecTable* t = vec_table();
  const DType d = l.a.dtype;
  if (!t || l.inner != 1 || l.r == 0 || vec_slot(d) < 0) return false;  // empty rows: the scalar loops
  const Array x = d == DType::Float64 ? l.a : astype(l.a, DType::Float32);
  Array o(x.dtype, out_shape);
  const int64_t row_bytes = l.r * int64_t(dtype_size(x.dtype));
  const int64_t block = std::clamp<int64_t>(kBlockBytes / row_bytes, 1, kRowStreams);
  const bool prefetch = stream_output(x.nbytes(), 0, 0);  // the input passes half the last-level cache
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(l.r, 1));
  auto run = [&](const auto& rows, const auto* xs, auto* os) {
    parallel_for(l.outer, grain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; i += block) {
        const int64_t count = std::min(block, e - i);
        const auto* next = prefetch && i + 2 * count <= e ? xs + (i + count) * l.r : nullptr;
        fn(rows, xs + i * l.r, i, count, os, next);
      }
    });
  };
  if (x.dtype == DType::Float64) run(t->rows_f64, x.data<double>(), o.data<double>());
  else run(t->rows_f32, x.data<float>(), o.data<float>());
  *out = o.dtype == d ? o : astype(o, d);
  return true;
}

template <class T> using Scalar = std::remove_const_t<std::remove_pointer_t<T>>;

}  // namespace

bool softmax_rows(const Lines& l, Array* out) {
  return for_rows(l, l.a.shape, out, [&](const auto& rows, const auto* x, int64_t i, int64_t count, auto* o, const auto* next) {
    using T = Scalar<decltype(x)>;
    T m[kRowStreams];
    rows.rows_max(x, l.r, count, l.r, m);
    for (int64_t j = 0; j < count; j++) {
      T* row = o + (i + j) * l.r;
      const T c = m[j] >= 0 && m[j] <= rows.zero_shift ? T(0) : m[j];
      rows.divide(row, rows.exp_sum(x + j * l.r, c, row, l.r, next ? next + j * l.r : nullptr), row, l.r);
    }
  });
}

namespace {

// Rows of float32 (or a half type) shorter than this (a classifier's logits)
// take logsumexp_short_rows: row by row, the vector exp's call and its tail
// handling cost more than the row's arithmetic (512 rows of 10: 80 us).
constexpr int64_t kShortRow = 32;

// Blocks of rows: the maxima row by row, then x - m of the whole block in
// float64 (exact there, so no compensated exp is needed), one vector exp
// pass over it, each row's sum in float64 and one vector log of the sums.
bool logsumexp_short_rows(const Lines& l, Array* out) {
  const VecTable* t = vec_table();
  const DType d = l.a.dtype;
  if (!t || l.inner != 1 || l.r == 0 || l.r >= kShortRow || vec_slot(d) < 0 || d == DType::Float64) return false;
  const EwKernel vexp = t->unary[int(VFn::Exp)][3], vlog = t->unary[int(VFn::Log)][3];
  if (!vexp || !vlog) return false;
  const Array x = astype(l.a, DType::Float32);
  Array o(DType::Float32, Shape(1, l.outer));
  constexpr int64_t kBlock = 256;  // rows: at most 31 x 256 doubles (62 KiB) of scratch
  const int64_t r = l.r;
  parallel_for((l.outer + kBlock - 1) / kBlock, std::max<int64_t>(1, 16384 / (kBlock * r)), [&](int64_t bb, int64_t be) {
    std::vector<double> diff(size_t(kBlock * r)), sums(kBlock), logs(kBlock);
    std::vector<float> maxima(kBlock);
    const bool no_scalar[1] = {false};
    for (int64_t b = bb; b < be; b++) {
      const int64_t first = b * kBlock, rows = std::min(kBlock, l.outer - first);
      const float* xs = x.data<float>() + first * r;
      for (int64_t i = 0; i < rows; i++) {
        const float* row = xs + i * r;
        float m = -INFINITY;
        for (int64_t k = 0; k < r; k++) m = row[k] > m ? row[k] : m;  // NaNs skipped: they reach the sum
        maxima[size_t(i)] = m;
        // an infinite maximum is handled below, apart; its row's exps are not used
        const double md = std::isfinite(m) ? double(m) : 0.0;
        for (int64_t k = 0; k < r; k++) diff[size_t(i * r + k)] = double(row[k]) - md;
      }
      const void* in[1] = {diff.data()};
      vexp(in, no_scalar, diff.data(), rows * r, EwParams{});
      for (int64_t i = 0; i < rows; i++) {
        double s = 0;
        for (int64_t k = 0; k < r; k++) s += diff[size_t(i * r + k)];
        sums[size_t(i)] = s;
      }
      const void* sin[1] = {sums.data()};
      vlog(sin, no_scalar, logs.data(), rows, EwParams{});
      float* os = o.data<float>() + first;
      for (int64_t i = 0; i < rows; i++) {
        const float m = maxima[size_t(i)];
        if (std::isfinite(m)) {
          os[i] = float(double(m) + logs[size_t(i)]);
        } else if (m == INFINITY) {
          // as MLX, whose max passes NaNs on: +inf with a NaN in the row gives NaN
          const float* row = xs + i * r;
          bool nan = false;
          for (int64_t k = 0; k < r && !nan; k++) nan = row[k] != row[k];
          os[i] = nan ? NAN : m;
        } else {
          os[i] = float(-INFINITY + sums[size_t(i)]);  // all -inf, or NaN (a NaN among them makes the sum NaN)
        }
      }
    }
  });
  *out = d == DType::Float32 ? o : astype(o, d);
  return true;
}

}  // namespace

bool logsumexp_rows(const Lines& l, Array* out) {
  if (logsumexp_short_rows(l, out)) return true;
  Shape shape(1, l.outer);
  return for_rows(l, shape, out, [&](const auto& rows, const auto* x, int64_t i, int64_t count, auto* o, const auto* next) {
    using T = Scalar<decltype(x)>;
    T maxima[kRowStreams];
    rows.rows_max(x, l.r, count, l.r, maxima);  // NaNs skipped: they reach the sum
    for (int64_t j = 0; j < count; j++) {
      const T* row = x + j * l.r;
      const T m = maxima[j];
      if (m == T(INFINITY)) {
        // as MLX, whose max passes NaNs on: +inf with a NaN in the row gives NaN
        bool nan = false;
        for (int64_t r = 0; r < l.r && !nan; r++) nan = row[r] != row[r];
        o[i + j] = nan ? T(NAN) : m;
      } else if (m == T(-INFINITY)) {  // all -inf (a NaN among them makes the sum NaN)
        o[i + j] = T(-INFINITY) + rows.exp_sum(row, T(0), nullptr, l.r, nullptr);
      } else {
        const T* pre = next ? next + j * l.r : nullptr;
        const T c = m >= 0 && m <= rows.zero_shift ? T(0) : m;
        o[i + j] = T(double(c) + std::log(double(rows.exp_sum(row, c, nullptr, l.r, pre))));
      }
    }
  });
}

namespace {

// One row of logcumsumexp: x into row, n elements.
template <class T> void logcumsumexp_row(const RowKernels<T>& rows, const T* x, T* row, int64_t n) {
  const EwKernel vlog1p = vec_table()->unary[int(VFn::Log1p)][vec_slot(CType<T>::value)];
  // Blocks of K relative to the last output R (outputs never decrease):
  // R + log1p(sum of exp(x - R)), the exps and the log1p in vector lanes,
  // the running sum one add per element. Relative to R, a result near 0
  // keeps its precision. A block that climbs far above R, or meets an
  // infinity or NaN, takes the scalar recurrence.
  constexpr int64_t K = 512;
  const T climb = sizeof(T) == 4 ? T(60) : T(600);  // keeps every exp(x - R) finite
  T r = row[0] = x[0];
  for (int64_t b = 1; b < n; b += K) {
    const int64_t len = std::min(K, n - b);
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
    rows.exp_sum(x + b, r, row + b, len, nullptr);
    T run = 0;
    for (int64_t j = b; j < b + len; j++) row[j] = run += row[j];
    const void* in[1] = {row + b};
    const bool scalar = false;
    vlog1p(in, &scalar, row + b, len, EwParams{});
    for (int64_t j = b; j < b + len; j++) row[j] += r;
    r = row[b + len - 1];
  }
}

}  // namespace

bool logcumsumexp_rows(const Lines& l, Array* out) {
  return for_rows(l, l.a.shape, out, [&](const auto& rows, const auto* xs, int64_t first, int64_t count, auto* o, const auto*) {
    for (int64_t i = first; i < first + count; i++) logcumsumexp_row(rows, xs + (i - first) * l.r, o + i * l.r, l.r);
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
