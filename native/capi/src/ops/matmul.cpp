// matmul: batched, broadcasting over batch dims, 1-d operands promoted as in
// NumPy. float32/float64 go to BLAS (OpenBLAS when built with it); half types
// run in float32; without BLAS a cache-blocked loop stands in.
#include <cstring>

#include "../parallel.h"
#include "layout.h"
#ifdef MLXC_HAVE_CBLAS
#include <cblas.h>
#endif

namespace mlxc {

namespace {

#ifndef MLXC_HAVE_CBLAS
template <class T>
void gemm_fallback(const T* a, const T* b, T* c, int64_t m, int64_t n, int64_t k) {
  constexpr int64_t kb = 128;
  std::fill(c, c + m * n, T(0));
  parallel_for(m, 8, [&](int64_t rb, int64_t re) {
    for (int64_t p0 = 0; p0 < k; p0 += kb)
      for (int64_t i = rb; i < re; i++)
        for (int64_t p = p0; p < std::min(k, p0 + kb); p++) {
          const T av = a[i * k + p];
          const T* brow = b + p * n;
          T* crow = c + i * n;
          for (int64_t j = 0; j < n; j++) crow[j] += av * brow[j];
        }
  });
}
#endif

template <class T>
void gemm(const T* a, const T* b, T* c, int64_t m, int64_t n, int64_t k) {
#ifdef MLXC_HAVE_CBLAS
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0f, a, int(k), b, int(n), 0.0f, c, int(n));
  else
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0, a, int(k), b, int(n), 0.0, c, int(n));
#else
  gemm_fallback(a, b, c, m, n, k);
#endif
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

// The operand's matrices, broadcast over the batch and contiguous.
Array batched(const Array& x, const Shape& mat_shape, const Shape& batch) {
  Array v = x;
  v.shape = mat_shape;
  Shape full = batch;
  full.insert(full.end(), mat_shape.end() - 2, mat_shape.end());
  return broadcast_copy(v, full);
}

}  // namespace

void register_matmul_ops() {
  OpDef d = make_op("matmul", "matmul", "promote; real floating types only", 2, 2);
  d.infer = [](const InferCtx& c) {
    DType t = promote(c.in[0].dtype, c.in[1].dtype);
    if (!is_floating(t)) refuse_dtype("matmul", t, c.path);
    return std::vector<TypeShape>{{t, geometry(c.in[0].shape, c.in[1].shape, c.path + "/inputs").out}};
  };
  d.eval = [](const EvalCtx& c) {
    const DType out_t = c.out[0].dtype;
    const DType run_t = out_t == DType::Float64 ? DType::Float64 : DType::Float32;
    Geometry g = geometry(c.in[0].shape, c.in[1].shape, "");
    Array a = batched(astype(c.in[0], run_t), g.a, g.batch), b = batched(astype(c.in[1], run_t), g.b, g.batch);
    const int64_t m = g.a[g.a.size() - 2], k = g.a.back(), n = g.b.back(), nb = shape_size(g.batch);
    Shape full = g.batch;
    full.insert(full.end(), {m, n});
    Array out(run_t, full);
    dispatch(run_t, [&](auto t) {
      using T = decltype(t);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        if (k == 0) {
          std::fill(out.data<T>(), out.data<T>() + out.size(), T(0));
          return;
        }
        for (int64_t i = 0; i < nb; i++)
          gemm<T>(a.data<T>() + i * m * k, b.data<T>() + i * k * n, out.data<T>() + i * m * n, m, n, k);
      }
    });
    Array res = astype(out, out_t);
    res.shape = c.out[0].shape;
    return std::vector<Array>{res};
  };
  register_op(std::move(d));
}

}  // namespace mlxc
