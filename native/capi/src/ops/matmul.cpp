// matmul: batched, broadcasting over batch dims, 1-d operands promoted as in
// NumPy. float32/float64/complex64 go to BLAS (OpenBLAS when built with it); half types
// run in float32; without BLAS a cache-blocked loop stands in.
#include <cstdlib>
#include <cstring>
#include <string>

#include "../parallel.h"
#include "gemm.h"
#include "layout.h"
#ifdef MLXC_HAVE_CBLAS
#include <cblas.h>
#endif

#ifdef MLXC_HAVE_CBLAS
extern "C" void gotoblas_init(void);  // OpenBLAS's initializer; later calls return at once

// Initializes the engine's static OpenBLAS before its own constructor would
// (a lower priority number runs first), with OPENBLAS_NUM_THREADS=1 for that
// moment only: it then starts no worker threads of its own (they would spin
// for a tenth of a second after each product), since the engine splits
// products over its pool (see gemm). The variable is put back before
// anything else can read it, so an OpenBLAS the host loads reads the host's.
__attribute__((constructor(101))) static void init_openblas() {
  const char* kVar = "OPENBLAS_NUM_THREADS";
  const char* had = std::getenv(kVar);
  const std::string saved = had ? had : "";
  setenv(kVar, "1", 1);
  gotoblas_init();
  if (had) setenv(kVar, saved.c_str(), 1);
  else unsetenv(kVar);
}
#endif

namespace mlxc {

#ifdef MLXC_HAVE_CBLAS
template <class T>
void gemm_block(const Gemm& g, const T* a, const T* b, T* c) {
  const auto ta = g.ta ? CblasTrans : CblasNoTrans, tb = g.tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, int(g.m), int(g.n), int(g.k), 1.0f, a, int(g.lda), b, int(g.ldb), g.accumulate ? 1.0f : 0.0f, c, int(g.ldc));
  } else if constexpr (is_complex_v<T>) {
    const T one(1, 0), beta(g.accumulate ? 1 : 0, 0);
    cblas_cgemm(CblasRowMajor, ta, tb, int(g.m), int(g.n), int(g.k), &one, a, int(g.lda), b, int(g.ldb), &beta, c, int(g.ldc));
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, int(g.m), int(g.n), int(g.k), 1.0, a, int(g.lda), b, int(g.ldb), g.accumulate ? 1.0 : 0.0, c, int(g.ldc));
  }
}
#else
template <class T>
void gemm_block(const Gemm& g, const T* a, const T* b, T* c) {
  constexpr int64_t kb = 128;
  if (!g.accumulate)
    for (int64_t i = 0; i < g.m; i++) std::fill(c + i * g.ldc, c + i * g.ldc + g.n, T(0));
  for (int64_t p0 = 0; p0 < g.k; p0 += kb)
    for (int64_t i = 0; i < g.m; i++)
      for (int64_t p = p0; p < std::min(g.k, p0 + kb); p++) {
        const T av = g.ta ? a[p * g.lda + i] : a[i * g.lda + p];
        T* crow = c + i * g.ldc;
        if (g.tb)
          for (int64_t j = 0; j < g.n; j++) crow[j] += av * b[j * g.ldb + p];
        else
          for (int64_t j = 0; j < g.n; j++) crow[j] += av * b[p * g.ldb + j];
      }
}
#endif
template void gemm_block<float>(const Gemm&, const float*, const float*, float*);
template void gemm_block<double>(const Gemm&, const double*, const double*, double*);

namespace {

// Products smaller than this run on one thread: splitting costs more.
constexpr double kParallelFlops = double(1 << 22);

// Splits C into one block of rows (or columns, when it is wider than tall)
// per thread, each a BLAS call of its own on the engine's pool. BLAS runs
// single-threaded: OpenBLAS's own threads spin between calls and take the
// cores from everything else the engine runs.
template <class T>
void gemm(const Gemm& g, const T* a, const T* b, T* c) {
  const bool by_rows = g.m >= g.n;
  const int64_t len = by_rows ? g.m : g.n;
  // Two parts per thread, taken in turn: when a core is busy elsewhere (V8's
  // sweeper, another program) the other threads take its second part.
  const int64_t parts = 2.0 * double(g.m) * double(g.n) * double(g.k) < kParallelFlops ? 1 : std::min<int64_t>(2 * num_threads(), std::max<int64_t>(1, len / 32));
  parallel_for(parts, 1, [&](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; p++) {
      const int64_t lo = len * p / parts, hi = len * (p + 1) / parts;
      Gemm part = g;
      if (by_rows) {
        part.m = hi - lo;
        gemm_block(part, a + (g.ta ? lo : lo * g.lda), b, c + lo * g.ldc);
      } else {
        part.n = hi - lo;
        gemm_block(part, a, b + (g.tb ? lo * g.ldb : lo), c + lo);
      }
    }
  });
}

struct Geometry {
  Shape a, b, batch, out;  // a and b as at least 2-d; out as returned
};

Geometry geometry(const Shape& as, const Shape& bs, const std::string& path) {
  if (as.empty() || bs.empty()) throw RequestError("invalid_shape", path, "matmul operands need at least one dimension");
  Geometry g{as, bs, {}, {}};
  if (as.size() == 1) g.a.insert(g.a.begin(), 1);
  if (bs.size() == 1) g.b.push_back(1);
  const int64_t k = g.a.back(), k2 = g.b[g.b.size() - 2];
  if (k != k2)
    throw RequestError("invalid_shape", path, "inner dimensions differ: " + shape_str(as) + " @ " + shape_str(bs));
  g.batch = broadcast_shapes({Shape(g.a.begin(), g.a.end() - 2), Shape(g.b.begin(), g.b.end() - 2)}, path);
  g.out = g.batch;
  if (as.size() > 1) g.out.push_back(g.a[g.a.size() - 2]);
  if (bs.size() > 1) g.out.push_back(g.b.back());
  return g;
}

// The operand's matrices, broadcast over the batch and contiguous. `stored`
// is the matrix shape as stored (swapped when the operand is transposed).
Array batched(const Array& x, Shape stored, const Shape& batch) {
  Array v = x;
  v.shape = stored;
  Shape full = batch;
  full.insert(full.end(), stored.end() - 2, stored.end());
  return broadcast_copy(v, full);
}

Shape swap_last_two(Shape s) {
  std::swap(s[s.size() - 1], s[s.size() - 2]);
  return s;
}

}  // namespace

void register_matmul_ops() {
  OpDef d = make_op("matmul", "matmul", "promote; floating and complex64 types only", 2, 2);
  d.infer = [](const InferCtx& c) {
    DType t = promote(c.in[0].dtype, c.in[1].dtype);
    if (!is_inexact(t)) refuse_dtype("matmul", t, c.path);
    return std::vector<TypeShape>{{t, geometry(c.in[0].shape, c.in[1].shape, c.path + "/inputs").out}};
  };
  // Operands produced by a transpose of the last two axes arrive untransposed
  // and flagged; BLAS reads them transposed instead of from a copy.
  d.reads_transposed = true;
  d.eval = [](const EvalCtx& c) {
    const DType out_t = c.out[0].dtype;
    const DType run_t = out_t == DType::Float64 || out_t == DType::Complex64 ? out_t : DType::Float32;
    const bool ta = c.transposed & 1, tb = c.transposed & 2;
    const Shape as = ta ? swap_last_two(c.in[0].shape) : c.in[0].shape, bs = tb ? swap_last_two(c.in[1].shape) : c.in[1].shape;
    Geometry geo = geometry(as, bs, "");
    Array a = batched(astype(c.in[0], run_t), ta ? swap_last_two(geo.a) : geo.a, geo.batch);
    Array b = batched(astype(c.in[1], run_t), tb ? swap_last_two(geo.b) : geo.b, geo.batch);
    const int64_t m = geo.a[geo.a.size() - 2], k = geo.a.back(), n = geo.b.back(), nb = shape_size(geo.batch);
    Shape full = geo.batch;
    full.insert(full.end(), {m, n});
    Array out(run_t, full);
    const Gemm g{ta, tb, m, n, k, ta ? m : k, tb ? k : n, n};
    dispatch(run_t, [&](auto t) {
      using T = decltype(t);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || is_complex_v<T>) {
        if (k == 0) {
          std::fill(out.data<T>(), out.data<T>() + out.size(), T(0));
          return;
        }
        const T *pa = a.data<T>(), *pb = b.data<T>();
        T* pc = out.data<T>();
        if (nb >= num_threads()) {  // enough matrices to keep every thread busy
          parallel_for(nb, 1, [&](int64_t ib, int64_t ie) {
            for (int64_t i = ib; i < ie; i++) gemm_block(g, pa + i * m * k, pb + i * k * n, pc + i * m * n);
          });
        } else {
          for (int64_t i = 0; i < nb; i++) gemm(g, pa + i * m * k, pb + i * k * n, pc + i * m * n);
        }
      }
    });
    Array res = astype(out, out_t);
    res.shape = c.out[0].shape;
    return std::vector<Array>{res};
  };
  register_op(std::move(d));
}

}  // namespace mlxc
