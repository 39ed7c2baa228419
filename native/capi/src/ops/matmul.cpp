// matmul: batched, broadcasting over batch dims, 1-d operands promoted as in
// NumPy. float32/float64/complex64 go to BLAS (OpenBLAS when built with it); half types
// run in float32; without BLAS a cache-blocked loop stands in. The products
// MLX builds on it live here too: gather_mm (matrices picked by index),
// block_masked_mm (blocks masked or scaled) and hadamard_transform.
#include <algorithm>
#include <cmath>
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
// A product with one column is a matrix-vector product: gemv reads the
// matrix where it lies, where gemm would first pack all of it. (A product
// with one row stays with gemm, whose sums match MLX's bit for bit there.)
template <class T>
bool gemv_block(const Gemm& g, const T* a, const T* b, T* c) {
  if (g.n != 1 || g.k == 0) return false;
  // c[i] = sum_p op(A)[i, p] op(B)[p, 0]
  const T beta = g.accumulate ? 1 : 0;
  const auto t = g.ta ? CblasTrans : CblasNoTrans;
  const int64_t rows = g.ta ? g.k : g.m, cols = g.ta ? g.m : g.k, incx = g.tb ? 1 : g.ldb;
  if constexpr (std::is_same_v<T, float>) cblas_sgemv(CblasRowMajor, t, int(rows), int(cols), 1.0f, a, int(g.lda), b, int(incx), beta, c, int(g.ldc));
  else cblas_dgemv(CblasRowMajor, t, int(rows), int(cols), 1.0, a, int(g.lda), b, int(incx), beta, c, int(g.ldc));
  return true;
}

template <class T>
void gemm_block(const Gemm& g, const T* a, const T* b, T* c) {
  const auto ta = g.ta ? CblasTrans : CblasNoTrans, tb = g.tb ? CblasTrans : CblasNoTrans;
  if constexpr (!is_complex_v<T>)
    if (gemv_block(g, a, b, c)) return;
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

// Products smaller than this run on one thread. Splitting one of 8 MFLOP
// (a small MLP's layer, 85-105 us here) saves about 40 us, but it wakes the
// pool's worker, which then polls for 50 ms: in a training loop of such
// products it holds the second core for the whole loop, where it does useful
// work a tenth of the time, and the threads it keeps off that core (V8's,
// other programs') take the calling thread's instead (docs/PERFORMANCE.md,
// session 16).
constexpr double kParallelFlops = double(1 << 24);

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


// The dtype a product of `t` runs in: float64 stays, the rest run in float32.
DType run_type(DType t) { return t == DType::Float64 ? DType::Float64 : DType::Float32; }

// C[m,n] = A[m,k] B[k,n] for contiguous row-major operands of run type `t`.
void product(DType t, const void* a, const void* b, void* c, int64_t m, int64_t n, int64_t k) {
  const Gemm g{false, false, m, n, k, k, n, n};
  if (t == DType::Float64) {
    if (k == 0) std::fill(static_cast<double*>(c), static_cast<double*>(c) + m * n, 0.0);
    else gemm(g, static_cast<const double*>(a), static_cast<const double*>(b), static_cast<double*>(c));
  } else {
    if (k == 0) std::fill(static_cast<float*>(c), static_cast<float*>(c) + m * n, 0.0f);
    else gemm(g, static_cast<const float*>(a), static_cast<const float*>(b), static_cast<float*>(c));
  }
}

// A matrix operand of gather_mm and block_masked_mm: at least 2-d, a real float type.
void need_matrix(const TypeShape& t, const char* op, const char* what, const std::string& path) {
  if (t.shape.size() < 2) throw RequestError("invalid_shape", path, std::string(op) + "'s " + what + " needs at least two dimensions, got " + shape_str(t.shape));
}

Shape batch_of(const Shape& s) { return Shape(s.begin(), s.end() - 2); }

int64_t blocks(int64_t n, int64_t bs) { return (n + bs - 1) / bs; }

// Multiplies (float mask) or zeroes where false (bool mask) each block of the
// [batch, rows, cols] run-typed `x` by its entry of `mask` ([batch, rows/bs, cols/bs]).
void apply_block_mask(Array& x, const Array& mask, int64_t bs) {
  const int64_t rows = x.shape[1], cols = x.shape[2], br = mask.shape[1], bc = mask.shape[2];
  Array m = astype(mask, mask.dtype == DType::Bool ? DType::Bool : x.dtype);
  dispatch(x.dtype, [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      T* p = x.data<T>();
      for (int64_t b = 0; b < x.shape[0]; b++)
        for (int64_t i = 0; i < rows; i++)
          for (int64_t j = 0; j < cols; j++) {
            const int64_t mi = (b * br + i / bs) * bc + j / bs;
            T& v = p[(b * rows + i) * cols + j];
            if (m.dtype == DType::Bool) v = m.data<bool>()[mi] ? v : T(0);
            else v *= m.data<T>()[mi];
          }
    }
  });
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
    const bool ta = c.transposed & 1, tb = c.transposed & 2, sums = c.transposed & kSumsBatch;
    const Shape as = ta ? swap_last_two(c.in[0].shape) : c.in[0].shape, bs = tb ? swap_last_two(c.in[1].shape) : c.in[1].shape;
    Geometry geo = geometry(as, bs, "");
    int64_t m = geo.a[geo.a.size() - 2], nb = shape_size(geo.batch);
    const int64_t k = geo.a.back(), n = geo.b.back();
    // One matrix B for a batch of A's rows read in place (x W^T over [batch,
    // sequence, features]): a single product of all the rows, rather than one
    // per matrix of the batch with B copied to each.
    if (nb > 1 && !ta && !sums && shape_size(batch_of(geo.b)) == 1 && shape_size(batch_of(geo.a)) == nb) {
      m *= nb;
      nb = 1;
      geo.a = {m, k};
      geo.b = {k, n};
      geo.batch = {};
    }
    Array a = batched(astype(c.in[0], run_t), ta ? swap_last_two(geo.a) : geo.a, geo.batch);
    Array b = batched(astype(c.in[1], run_t), tb ? swap_last_two(geo.b) : geo.b, geo.batch);
    Shape full = sums ? Shape{} : geo.batch;
    full.insert(full.end(), {m, n});
    Array out(run_t, full);
    const Gemm g{ta, tb, m, n, k, ta ? m : k, tb ? k : n, n};
    dispatch(run_t, [&](auto t) {
      using T = decltype(t);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || is_complex_v<T>) {
        if (k == 0 || nb == 0) {
          std::fill(out.data<T>(), out.data<T>() + out.size(), T(0));
          return;
        }
        const T *pa = a.data<T>(), *pb = b.data<T>();
        T* pc = out.data<T>();
        if (sums && ta && !tb) {
          // A_i^T B_i summed over i: A and B stacked by rows are one product, k rows per matrix
          Gemm all = g;
          all.k = nb * k;
          gemm(all, pa, pb, pc);
        } else if (sums) {
          for (int64_t i = 0; i < nb; i++) {
            Gemm one = g;
            one.accumulate = i > 0;
            gemm(one, pa + i * m * k, pb + i * k * n, pc);
          }
        } else if (nb >= num_threads()) {  // enough matrices to keep every thread busy
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
  {
    // gather_mm(a, b, lhs_indices?, rhs_indices?): out[i] = a[lhs[i]] @ b[rhs[i]],
    // the indices into a's and b's flattened batches, broadcast together.
    OpDef g = make_op("gather_mm", "matmul", "promote; real floating types only", 2, 4,
                      {{"has_lhs_indices", AttrType::Bool, false}, {"has_rhs_indices", AttrType::Bool, false}, {"sorted_indices", AttrType::Bool, false}});
    g.infer = [](const InferCtx& c) {
      const bool hl = c.attrs.b("has_lhs_indices"), hr = c.attrs.b("has_rhs_indices");
      if (c.in.size() != 2 + size_t(hl) + size_t(hr)) throw RequestError("invalid_arity", c.path + "/inputs", "gather_mm's inputs do not match has_lhs_indices and has_rhs_indices");
      DType t = promote(c.in[0].dtype, c.in[1].dtype);
      if (!is_floating(t)) refuse_dtype("gather_mm", t, c.path);
      need_matrix(c.in[0], "gather_mm", "a", c.path + "/inputs/0");
      need_matrix(c.in[1], "gather_mm", "b", c.path + "/inputs/1");
      const Shape &as = c.in[0].shape, &bs = c.in[1].shape;
      if (as.back() != bs[bs.size() - 2]) throw RequestError("invalid_shape", c.path + "/inputs", "inner dimensions differ: " + shape_str(as) + " @ " + shape_str(bs));
      size_t k = 2;
      Shape li = hl ? c.in[k].shape : batch_of(as), ri = hr ? c.in[k + size_t(hl)].shape : batch_of(bs);
      for (size_t i = 2; i < c.in.size(); i++)
        if (!is_integral(c.in[i].dtype)) throw RequestError("invalid_dtype", c.path + "/inputs/" + std::to_string(i), std::string("indices must be integers, not ") + dtype_name(c.in[i].dtype));
      Shape out = broadcast_shapes({li, ri}, c.path + "/inputs");
      out.push_back(as[as.size() - 2]);
      out.push_back(bs.back());
      return std::vector<TypeShape>{{t, out}};
    };
    g.eval = [](const EvalCtx& c) {
      const bool hl = c.attrs.b("has_lhs_indices"), hr = c.attrs.b("has_rhs_indices");
      const DType rt = run_type(c.out[0].dtype);
      const Shape &as = c.in[0].shape, &bs = c.in[1].shape;
      const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
      const int64_t na = shape_size(batch_of(as)), nb = shape_size(batch_of(bs));
      Shape ob(c.out[0].shape.begin(), c.out[0].shape.end() - 2);
      const int64_t count = shape_size(ob);
      // each side's matrix per output position: its index, or its own batch position broadcast
      auto picks = [&](bool has, size_t input, const Shape& own, int64_t total, const std::string& path) {
        Array idx;
        if (has) {
          idx = broadcast_copy(astype(c.in[input], DType::Int64), ob);
        } else {
          Array pos(DType::Int64, own);
          for (int64_t i = 0; i < total; i++) pos.data<int64_t>()[i] = i;
          idx = broadcast_copy(pos, ob);
        }
        std::vector<int64_t> v(idx.data<int64_t>(), idx.data<int64_t>() + count);
        for (size_t i = 0; i < v.size(); i++) {
          // the index as sent: unsigned 64-bit values past int64 read as negative here
          if (v[i] < 0 || v[i] >= total)
            throw RequestError("index_out_of_range", path, "index " + std::to_string(v[i]) + " is out of range for " + std::to_string(total) + " matrices");
        }
        return v;
      };
      auto li = picks(hl, 2, batch_of(as), na, c.path + "/inputs/2");
      auto ri = picks(hr, 2 + size_t(hl), batch_of(bs), nb, c.path + "/inputs/" + std::to_string(2 + int(hl)));
      Array a = astype(c.in[0], rt), b = astype(c.in[1], rt);
      Array out(rt, c.out[0].shape);
      const size_t es = dtype_size(rt);
      const auto* pa = static_cast<const uint8_t*>(a.raw());
      const auto* pb = static_cast<const uint8_t*>(b.raw());
      auto* pc = static_cast<uint8_t*>(out.raw());
      for (int64_t i = 0; i < count; i++)
        product(rt, pa + size_t(li[size_t(i)] * m * k) * es, pb + size_t(ri[size_t(i)] * k * n) * es, pc + size_t(i * m * n) * es, m, n, k);
      return std::vector<Array>{astype(out, c.out[0].dtype)};
    };
    register_op(std::move(g));
  }
  {
    // block_masked_mm(a, b, mask_out?, mask_lhs?, mask_rhs?): a product whose
    // block_size x block_size blocks are kept or dropped (bool masks) or
    // scaled (float masks): operand blocks before the product, output blocks after.
    OpDef g = make_op("block_masked_mm", "matmul", "promote; real floating types only", 2, 5,
                      {{"block_size", AttrType::Int, 64}, {"has_mask_out", AttrType::Bool, false}, {"has_mask_lhs", AttrType::Bool, false}, {"has_mask_rhs", AttrType::Bool, false}});
    g.infer = [](const InferCtx& c) {
      const bool ho = c.attrs.b("has_mask_out"), hl = c.attrs.b("has_mask_lhs"), hr = c.attrs.b("has_mask_rhs");
      if (c.in.size() != 2 + size_t(ho) + size_t(hl) + size_t(hr)) throw RequestError("invalid_arity", c.path + "/inputs", "block_masked_mm's inputs do not match has_mask_out, has_mask_lhs and has_mask_rhs");
      const int64_t bs = c.attrs.i("block_size");
      if (bs != 32 && bs != 64) throw RequestError("invalid_attr", c.attrs.at("block_size"), "block_size must be 32 or 64, got " + std::to_string(bs));
      DType t = promote(c.in[0].dtype, c.in[1].dtype);
      if (!is_floating(t)) refuse_dtype("block_masked_mm", t, c.path);
      need_matrix(c.in[0], "block_masked_mm", "a", c.path + "/inputs/0");
      need_matrix(c.in[1], "block_masked_mm", "b", c.path + "/inputs/1");
      const Shape &as = c.in[0].shape, &bsh = c.in[1].shape;
      const int64_t m = as[as.size() - 2], k = as.back(), n = bsh.back();
      if (k != bsh[bsh.size() - 2]) throw RequestError("invalid_shape", c.path + "/inputs", "inner dimensions differ: " + shape_str(as) + " @ " + shape_str(bsh));
      std::vector<Shape> batches{batch_of(as), batch_of(bsh)};
      size_t i = 2;
      const std::pair<bool, std::pair<int64_t, int64_t>> masks[] = {{ho, {m, n}}, {hl, {m, k}}, {hr, {k, n}}};
      for (auto& [has, dims] : masks) {
        if (!has) continue;
        const TypeShape& mk = c.in[i];
        const std::string at = c.path + "/inputs/" + std::to_string(i++);
        if (mk.dtype != DType::Bool && !is_floating(mk.dtype)) throw RequestError("invalid_dtype", at, std::string("a mask is bool or floating, not ") + dtype_name(mk.dtype));
        if (mk.shape.size() < 2 || mk.shape[mk.shape.size() - 2] != blocks(dims.first, bs) || mk.shape.back() != blocks(dims.second, bs))
          throw RequestError("invalid_shape", at, "mask of shape " + shape_str(mk.shape) + " needs (..., " + std::to_string(blocks(dims.first, bs)) + ", " + std::to_string(blocks(dims.second, bs)) + ") blocks of " + std::to_string(bs));
        batches.push_back(batch_of(mk.shape));
      }
      Shape out = broadcast_shapes(batches, c.path + "/inputs");
      out.push_back(m);
      out.push_back(n);
      return std::vector<TypeShape>{{t, out}};
    };
    g.eval = [](const EvalCtx& c) {
      const bool ho = c.attrs.b("has_mask_out"), hl = c.attrs.b("has_mask_lhs"), hr = c.attrs.b("has_mask_rhs");
      const int64_t bs = c.attrs.i("block_size");
      const DType rt = run_type(c.out[0].dtype);
      const Shape& os = c.out[0].shape;
      Shape ob(os.begin(), os.end() - 2);
      const int64_t nb = shape_size(ob), m = os[os.size() - 2], n = os.back(), k = c.in[0].shape.back();
      // an operand or mask broadcast over the output's batch, as [batch, rows, cols]
      auto full = [&](const Array& x, DType t) {
        Shape s = ob;
        s.insert(s.end(), x.shape.end() - 2, x.shape.end());
        Array r = broadcast_copy(astype(x, t), s);
        r.shape = {nb, x.shape[x.ndim() - 2], x.shape.back()};
        return r;
      };
      Array a = full(c.in[0], rt), b = full(c.in[1], rt);
      size_t i = 2;
      Array mo = ho ? full(c.in[i++], c.in[2].dtype) : Array();
      if (hl) apply_block_mask(a, full(c.in[i], c.in[i].dtype), bs), i++;
      if (hr) apply_block_mask(b, full(c.in[i], c.in[i].dtype), bs), i++;
      Array out(rt, {nb, m, n});
      const size_t es = dtype_size(rt);
      for (int64_t j = 0; j < nb; j++)
        product(rt, static_cast<const uint8_t*>(a.raw()) + size_t(j * m * k) * es, static_cast<const uint8_t*>(b.raw()) + size_t(j * k * n) * es,
                static_cast<uint8_t*>(out.raw()) + size_t(j * m * n) * es, m, n, k);
      if (ho) apply_block_mask(out, mo, bs);
      Array res = astype(out, c.out[0].dtype);
      res.shape = os;
      return std::vector<Array>{res};
    };
    register_op(std::move(g));
  }
  {
    // hadamard_transform(a, scale?): scale * H a along the last axis, H the
    // Sylvester Hadamard matrix (natural order); scale defaults to 1/sqrt(n).
    OpDef h = make_op("hadamard_transform", "matmul", "same for floating types, float32 otherwise", 1, 1, {{"scale", AttrType::Float, nullptr, false, true}});
    h.infer = [](const InferCtx& c) {
      const TypeShape& x = c.in[0];
      if (x.dtype == DType::Complex64) refuse_dtype("hadamard_transform", x.dtype, c.path);
      if (x.shape.empty()) throw RequestError("invalid_shape", c.path + "/inputs/0", "hadamard_transform needs at least one dimension");
      const int64_t n = x.shape.back();
      if (n < 1 || (n & (n - 1)) != 0)
        throw RequestError("invalid_shape", c.path + "/inputs/0", "the last axis (" + std::to_string(n) + ") must be a power of two (MLX's sizes m * 2^k with m = 12, 20 or 28 are not supported here)");
      return std::vector<TypeShape>{{is_floating(x.dtype) ? x.dtype : DType::Float32, x.shape}};
    };
    h.eval = [](const EvalCtx& c) {
      const DType rt = run_type(c.out[0].dtype);
      Array x = astype(c.in[0], rt);
      Array out(rt, x.shape);
      std::memcpy(out.raw(), x.raw(), out.nbytes());
      const int64_t n = x.shape.back(), rows = n ? out.size() / n : 0;
      const double scale = c.attrs.has("scale") ? c.attrs.f("scale") : 1.0 / std::sqrt(double(n));
      dispatch(rt, [&](auto t) {
        using T = decltype(t);
        if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          parallel_for(rows, std::max<int64_t>(1, 4096 / n), [&](int64_t rb, int64_t re) {
            for (int64_t r = rb; r < re; r++) {
              T* v = out.data<T>() + r * n;
              for (int64_t h = 1; h < n; h *= 2)
                for (int64_t i = 0; i < n; i += 2 * h)
                  for (int64_t j = i; j < i + h; j++) {
                    const T p = v[j], q = v[j + h];
                    v[j] = p + q;
                    v[j + h] = p - q;
                  }
              for (int64_t j = 0; j < n; j++) v[j] = T(v[j] * scale);
            }
          });
        }
      });
      return std::vector<Array>{astype(out, c.out[0].dtype)};
    };
    register_op(std::move(h));
  }
}

}  // namespace mlxc
