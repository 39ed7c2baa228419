// linalg: MLX's LAPACK-backed primitives (inv, tri_inv, cholesky, qr, svd,
// lu_factor, solve, solve_triangular, eig, eigh), batched over leading axes
// (one matrix per task on the engine's pool), in float32 and float64. They
// call the LAPACK inside the engine's static OpenBLAS through its Fortran
// interface, single-threaded like its BLAS (see matmul.cpp). The composites
// MLX builds from these (norm, pinv, cholesky_inv, lu, cross) are the
// facade's.
//
// LAPACK is column-major: a row-major matrix read column-major is its
// transpose, so inv, tri_inv, cholesky, solve and solve_triangular work on
// the transpose (flipping the triangle or the transposition they are
// given) and svd reads V^T and U straight from the factors of A^T; qr, eig
// and lu_factor copy into column-major order.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "../parallel.h"
#include "../op.h"

#ifdef MLXC_HAVE_CBLAS
// LAPACK's Fortran interface (LP64 integers). Each character argument is
// followed at the end by its hidden length, as gfortran passes it.
#define MLXC_LAPACK(T, p)                                                                                                \
  void p##getrf_(const int*, const int*, T*, const int*, int*, int*);                                                    \
  void p##getri_(const int*, T*, const int*, const int*, T*, const int*, int*);                                          \
  void p##getrs_(const char*, const int*, const int*, const T*, const int*, const int*, T*, const int*, int*, size_t);   \
  void p##trtri_(const char*, const char*, const int*, T*, const int*, int*, size_t, size_t);                            \
  void p##trtrs_(const char*, const char*, const char*, const int*, const int*, const T*, const int*, T*, const int*,    \
                 int*, size_t, size_t, size_t);                                                                          \
  void p##potrf_(const char*, const int*, T*, const int*, int*, size_t);                                                 \
  void p##geqrf_(const int*, const int*, T*, const int*, T*, T*, const int*, int*);                                      \
  void p##orgqr_(const int*, const int*, const int*, T*, const int*, const T*, T*, const int*, int*);                    \
  void p##gesdd_(const char*, const int*, const int*, T*, const int*, T*, T*, const int*, T*, const int*, T*, const int*, \
                 int*, int*, size_t);                                                                                    \
  void p##geev_(const char*, const char*, const int*, T*, const int*, T*, T*, T*, const int*, T*, const int*, T*,        \
                const int*, int*, size_t, size_t);                                                                       \
  void p##syevd_(const char*, const char*, const int*, T*, const int*, T*, T*, const int*, int*, const int*, int*,      \
                 size_t, size_t);
extern "C" {
MLXC_LAPACK(float, s)
MLXC_LAPACK(double, d)
// gfortran's string concatenation, which OpenBLAS's Fortran LAPACK calls
// (building the names it passes to ilaenv and xerbla). The engine links
// OpenBLAS statically without libgfortran; this is the runtime's contract.
__attribute__((visibility("hidden"))) void _gfortran_concat_string(size_t destlen, char* dest, size_t len1,
                                                                   const char* s1, size_t len2, const char* s2) {
  const size_t a = std::min(destlen, len1);
  std::memmove(dest, s1, a);
  const size_t b = std::min(destlen - a, len2);
  std::memmove(dest + a, s2, b);
  std::memset(dest + a + b, ' ', destlen - a - b);
}
}
#undef MLXC_LAPACK
#endif

namespace mlxc {

namespace {

#ifdef MLXC_HAVE_CBLAS
// The LAPACK routine of each precision under one name.
#define MLXC_PICK(name)                                                 \
  template <class T, class... A> void name(A... a) {                    \
    if constexpr (std::is_same_v<T, float>) s##name##_(a...);           \
    else d##name##_(a...);                                              \
  }
MLXC_PICK(getrf) MLXC_PICK(getri) MLXC_PICK(getrs) MLXC_PICK(trtri) MLXC_PICK(trtrs) MLXC_PICK(potrf)
MLXC_PICK(geqrf) MLXC_PICK(orgqr) MLXC_PICK(gesdd) MLXC_PICK(geev) MLXC_PICK(syevd)
#undef MLXC_PICK
#endif

struct Dims {
  int64_t batch, m, n;
};

// The shape's matrices: (..., m, n) with at least two axes, of float32 or float64.
Dims matrices(const std::string& op, const TypeShape& t, const std::string& path, bool square) {
  if (t.dtype != DType::Float32 && t.dtype != DType::Float64) refuse_dtype(op, t.dtype, path);
  if (t.shape.size() < 2)
    throw RequestError("invalid_shape", path, op + " needs an array of at least two dimensions, got " + shape_str(t.shape));
  const int64_t m = t.shape[t.shape.size() - 2], n = t.shape.back();
  if (square && m != n) throw RequestError("invalid_shape", path, op + " needs square matrices, got " + shape_str(t.shape));
  return {shape_size(Shape(t.shape.begin(), t.shape.end() - 2)), m, n};
}

Shape with_matrix(const Shape& s, std::vector<int64_t> tail, size_t drop = 2) {
  Shape out(s.begin(), s.end() - int64_t(drop));
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

[[noreturn]] void fail(const std::string& code, const EvalCtx& c, const std::string& msg) {
  throw RequestError(code, c.path + "/inputs/0", msg);
}

// Copies an m x n row-major matrix into column-major order (or back, with m and n swapped).
template <class T> void transpose_copy(const T* src, T* dst, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) dst[j * m + i] = src[i * n + j];
}

// Zeros the triangle of a row-major n x n matrix that is not `upper` (strictly).
template <class T> void keep_triangle(T* a, int64_t n, bool upper) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      if (upper ? j < i : j > i) a[i * n + j] = T(0);
}

// Runs fn(T-typed tag) for the dtype of a float32 or float64 array.
template <class F> void on_float(DType d, F fn) {
  if (d == DType::Float64) fn(double{});
  else fn(float{});
}

// A new array holding a copy of x (LAPACK works in place).
Array copy_of(const Array& x) {
  Array out(x.dtype, x.shape);
  if (x.nbytes()) std::memcpy(out.raw(), x.raw(), x.nbytes());
  return out;
}

int to_int(int64_t v) { return int(v); }

#ifdef MLXC_HAVE_CBLAS
// The workspace size LAPACK asks for in a query (lwork = -1).
template <class T> int work_size(T q) { return std::max(1, int(q)); }

void register_lapack_ops() {
  auto sq = [](const char* name) {
    OpDef d = make_op(name, "linalg", "float32 or float64", 1, 1);
    return d;
  };

  // inv: LU, then the inverse from it; of A^T in LAPACK's order, which is inv(A) in ours.
  {
    OpDef d = sq("inv");
    d.doc = "the inverse of each square matrix; singular_matrix when one has none";
    d.infer = [](const InferCtx& c) {
      matrices("inv", c.in[0], c.path + "/inputs/0", true);
      return std::vector<TypeShape>{c.in[0]};
    };
    d.eval = [](const EvalCtx& c) {
      Array out = copy_of(c.in[0]);
      const Dims g = matrices("inv", {c.in[0].dtype, c.in[0].shape}, "", true);
      on_float(out.dtype, [&](auto t) {
        using T = decltype(t);
        parallel_for(g.batch, 1, [&](int64_t b, int64_t e) {
          const int n = to_int(g.n);
          std::vector<int> piv(size_t(std::max(1, n)));
          for (int64_t i = b; i < e; i++) {
            T* a = out.data<T>() + i * g.n * g.n;
            int info = 0, lw = -1;
            getrf<T>(&n, &n, a, &n, piv.data(), &info);
            if (info > 0) fail("singular_matrix", c, "inv: matrix " + std::to_string(i) + " is singular");
            T q = 0;
            getri<T>(&n, a, &n, piv.data(), &q, &lw, &info);
            lw = work_size(q);
            std::vector<T> work(static_cast<size_t>(lw));
            getri<T>(&n, a, &n, piv.data(), work.data(), &lw, &info);
            if (info > 0) fail("singular_matrix", c, "inv: matrix " + std::to_string(i) + " is singular");
          }
        });
      });
      return std::vector<Array>{out};
    };
    register_op(std::move(d));
  }

  // tri_inv: the inverse of a triangular matrix (the other triangle is not read, and is zero in the result).
  {
    OpDef d = make_op("tri_inv", "linalg", "float32 or float64", 1, 1, {{"upper", AttrType::Bool, false}});
    d.doc = "the inverse of each triangular matrix; singular_matrix on a zero diagonal";
    d.infer = [](const InferCtx& c) {
      matrices("tri_inv", c.in[0], c.path + "/inputs/0", true);
      return std::vector<TypeShape>{c.in[0]};
    };
    d.eval = [](const EvalCtx& c) {
      Array out = copy_of(c.in[0]);
      const Dims g = matrices("tri_inv", {c.in[0].dtype, c.in[0].shape}, "", true);
      const bool upper = c.attrs.b("upper");
      on_float(out.dtype, [&](auto t) {
        using T = decltype(t);
        parallel_for(g.batch, 1, [&](int64_t b, int64_t e) {
          const int n = to_int(g.n);
          for (int64_t i = b; i < e; i++) {
            T* a = out.data<T>() + i * g.n * g.n;
            int info = 0;
            trtri<T>(upper ? "L" : "U", "N", &n, a, &n, &info, 1, 1);
            if (info > 0) fail("singular_matrix", c, "tri_inv: matrix " + std::to_string(i) + " is singular");
            keep_triangle(a, g.n, upper);
          }
        });
      });
      return std::vector<Array>{out};
    };
    register_op(std::move(d));
  }

  // cholesky: L with L L^T = A (or U with U^T U = A), from the triangle it names.
  {
    OpDef d = make_op("cholesky", "linalg", "float32 or float64", 1, 1, {{"upper", AttrType::Bool, false}});
    d.doc = "the Cholesky factor of each symmetric positive-definite matrix; not_positive_definite otherwise";
    d.infer = [](const InferCtx& c) {
      matrices("cholesky", c.in[0], c.path + "/inputs/0", true);
      return std::vector<TypeShape>{c.in[0]};
    };
    d.eval = [](const EvalCtx& c) {
      Array out = copy_of(c.in[0]);
      const Dims g = matrices("cholesky", {c.in[0].dtype, c.in[0].shape}, "", true);
      const bool upper = c.attrs.b("upper");
      on_float(out.dtype, [&](auto t) {
        using T = decltype(t);
        parallel_for(g.batch, 1, [&](int64_t b, int64_t e) {
          const int n = to_int(g.n);
          for (int64_t i = b; i < e; i++) {
            T* a = out.data<T>() + i * g.n * g.n;
            int info = 0;
            potrf<T>(upper ? "L" : "U", &n, a, &n, &info, 1);
            if (info > 0)
              fail("not_positive_definite", c, "cholesky: matrix " + std::to_string(i) + " is not positive definite");
            keep_triangle(a, g.n, upper);
          }
        });
      });
      return std::vector<Array>{out};
    };
    register_op(std::move(d));
  }

  // solve: A X = B, with B (..., n, k) of A's batch (the facade broadcasts).
  {
    OpDef d = make_op("solve", "linalg", "float32 or float64", 2, 2);
    d.doc = "X with A X = B for square A (..., n, n) and B (..., n, k) of the same batch; singular_matrix when A has no inverse";
    d.infer = [](const InferCtx& c) {
      const Dims ga = matrices("solve", c.in[0], c.path + "/inputs/0", true);
      matrices("solve", c.in[1], c.path + "/inputs/1", false);
      const Shape& bs = c.in[1].shape;
      if (c.in[0].dtype != c.in[1].dtype)
        throw RequestError("invalid_dtype", c.path + "/inputs/1", "solve: a and b must have the same dtype");
      if (bs.size() != c.in[0].shape.size() || !std::equal(bs.begin(), bs.end() - 1, c.in[0].shape.begin()) || bs[bs.size() - 2] != ga.n)
        throw RequestError("invalid_shape", c.path + "/inputs/1",
                           "solve: b " + shape_str(bs) + " does not match a " + shape_str(c.in[0].shape));
      return std::vector<TypeShape>{c.in[1]};
    };
    d.eval = [](const EvalCtx& c) {
      Array lu = copy_of(c.in[0]);
      Array out(c.in[1].dtype, c.in[1].shape);
      const Dims g = matrices("solve", {c.in[0].dtype, c.in[0].shape}, "", true);
      const int64_t k = c.in[1].shape.back();
      on_float(out.dtype, [&](auto t) {
        using T = decltype(t);
        parallel_for(g.batch, 1, [&](int64_t b, int64_t e) {
          const int n = to_int(g.n), nrhs = to_int(k);
          std::vector<int> piv(size_t(std::max(1, n)));
          std::vector<T> x(size_t(g.n * k));
          for (int64_t i = b; i < e; i++) {
            T* a = lu.data<T>() + i * g.n * g.n;
            int info = 0;
            getrf<T>(&n, &n, a, &n, piv.data(), &info);  // of A^T
            if (info > 0) fail("singular_matrix", c, "solve: matrix " + std::to_string(i) + " is singular");
            transpose_copy(c.in[1].data<T>() + i * g.n * k, x.data(), g.n, k);
            if (n && nrhs) getrs<T>("T", &n, &nrhs, a, &n, piv.data(), x.data(), &n, &info, 1);
            transpose_copy(x.data(), out.data<T>() + i * g.n * k, k, g.n);
          }
        });
      });
      return std::vector<Array>{out};
    };
    register_op(std::move(d));
  }

  // solve_triangular: A X = B for triangular A.
  {
    OpDef d = make_op("solve_triangular", "linalg", "float32 or float64", 2, 2, {{"upper", AttrType::Bool, false}});
    d.doc = "X with A X = B for triangular A (..., n, n) and B (..., n, k) of the same batch";
    d.infer = [](const InferCtx& c) {
      const Dims ga = matrices("solve_triangular", c.in[0], c.path + "/inputs/0", true);
      matrices("solve_triangular", c.in[1], c.path + "/inputs/1", false);
      const Shape& bs = c.in[1].shape;
      if (c.in[0].dtype != c.in[1].dtype)
        throw RequestError("invalid_dtype", c.path + "/inputs/1", "solve_triangular: a and b must have the same dtype");
      if (bs.size() != c.in[0].shape.size() || !std::equal(bs.begin(), bs.end() - 1, c.in[0].shape.begin()) || bs[bs.size() - 2] != ga.n)
        throw RequestError("invalid_shape", c.path + "/inputs/1",
                           "solve_triangular: b " + shape_str(bs) + " does not match a " + shape_str(c.in[0].shape));
      return std::vector<TypeShape>{c.in[1]};
    };
    d.eval = [](const EvalCtx& c) {
      Array out(c.in[1].dtype, c.in[1].shape);
      const Dims g = matrices("solve_triangular", {c.in[0].dtype, c.in[0].shape}, "", true);
      const int64_t k = c.in[1].shape.back();
      const bool upper = c.attrs.b("upper");
      on_float(out.dtype, [&](auto t) {
        using T = decltype(t);
        parallel_for(g.batch, 1, [&](int64_t b, int64_t e) {
          const int n = to_int(g.n), nrhs = to_int(k);
          std::vector<T> x(size_t(g.n * k));
          for (int64_t i = b; i < e; i++) {
            const T* a = c.in[0].data<T>() + i * g.n * g.n;
            int info = 0;
            transpose_copy(c.in[1].data<T>() + i * g.n * k, x.data(), g.n, k);
            if (n && nrhs) trtrs<T>(upper ? "L" : "U", "T", "N", &n, &nrhs, a, &n, x.data(), &n, &info, 1, 1, 1);
            if (info > 0) fail("singular_matrix", c, "solve_triangular: matrix " + std::to_string(i) + " is singular");
            transpose_copy(x.data(), out.data<T>() + i * g.n * k, k, g.n);
          }
        });
      });
      return std::vector<Array>{out};
    };
    register_op(std::move(d));
  }

  // qr: Q (m, k) with orthonormal columns and upper-triangular R (k, n), k = min(m, n).
  {
    OpDef d = make_op("qr", "linalg", "float32 or float64", 1, 1);
    d.doc = "the reduced QR factorization: outputs Q (..., m, k) and R (..., k, n), k = min(m, n)";
    d.infer = [](const InferCtx& c) {
      const Dims g = matrices("qr", c.in[0], c.path + "/inputs/0", false);
      const int64_t k = std::min(g.m, g.n);
      return std::vector<TypeShape>{{c.in[0].dtype, with_matrix(c.in[0].shape, {g.m, k})},
                                    {c.in[0].dtype, with_matrix(c.in[0].shape, {k, g.n})}};
    };
    d.eval = [](const EvalCtx& c) {
      const Dims g = matrices("qr", {c.in[0].dtype, c.in[0].shape}, "", false);
      const int64_t k = std::min(g.m, g.n);
      Array q(c.out[0].dtype, c.out[0].shape), r(c.out[1].dtype, c.out[1].shape);
      on_float(q.dtype, [&](auto t) {
        using T = decltype(t);
        parallel_for(g.batch, 1, [&](int64_t b, int64_t e) {
          const int m = to_int(g.m), n = to_int(g.n), kk = to_int(k), lda = std::max(1, m);
          std::vector<T> a(size_t(g.m * g.n)), tau(size_t(std::max<int64_t>(1, k)));
          for (int64_t i = b; i < e; i++) {
            transpose_copy(c.in[0].data<T>() + i * g.m * g.n, a.data(), g.m, g.n);
            int info = 0, lw = -1;
            T qw = 0;
            if (k) {
              geqrf<T>(&m, &n, a.data(), &lda, tau.data(), &qw, &lw, &info);
              lw = work_size(qw);
              std::vector<T> work(static_cast<size_t>(lw));
              geqrf<T>(&m, &n, a.data(), &lda, tau.data(), work.data(), &lw, &info);
            }
            T* rp = r.data<T>() + i * k * g.n;
            for (int64_t row = 0; row < k; row++)
              for (int64_t col = 0; col < g.n; col++) rp[row * g.n + col] = col >= row ? a[size_t(col * g.m + row)] : T(0);
            if (k) {
              lw = -1;
              orgqr<T>(&m, &kk, &kk, a.data(), &lda, tau.data(), &qw, &lw, &info);
              lw = work_size(qw);
              std::vector<T> work(static_cast<size_t>(lw));
              orgqr<T>(&m, &kk, &kk, a.data(), &lda, tau.data(), work.data(), &lw, &info);
            }
            transpose_copy(a.data(), q.data<T>() + i * g.m * k, k, g.m);
          }
        });
      });
      return std::vector<Array>{q, r};
    };
    register_op(std::move(d));
  }

  // svd: U (m, m), S (k) descending, Vt (n, n); S alone without compute_uv.
  {
    OpDef d = make_op("svd", "linalg", "float32 or float64", 1, 1, {{"compute_uv", AttrType::Bool, true}});
    d.doc = "the singular value decomposition A = U diag(S) Vt: outputs U (..., m, m), S (..., k), Vt (..., n, n), or S alone";
    d.infer = [](const InferCtx& c) {
      const Dims g = matrices("svd", c.in[0], c.path + "/inputs/0", false);
      const DType t = c.in[0].dtype;
      const TypeShape s{t, with_matrix(c.in[0].shape, {std::min(g.m, g.n)})};
      if (!c.attrs.b("compute_uv")) return std::vector<TypeShape>{s};
      return std::vector<TypeShape>{{t, with_matrix(c.in[0].shape, {g.m, g.m})}, s, {t, with_matrix(c.in[0].shape, {g.n, g.n})}};
    };
    d.eval = [](const EvalCtx& c) {
      const Dims g = matrices("svd", {c.in[0].dtype, c.in[0].shape}, "", false);
      const bool uv = c.attrs.b("compute_uv");
      std::vector<Array> outs;
      for (auto& o : c.out) outs.emplace_back(o.dtype, o.shape);
      Array& s = uv ? outs[1] : outs[0];
      const int64_t k = std::min(g.m, g.n);
      on_float(s.dtype, [&](auto t) {
        using T = decltype(t);
        parallel_for(g.batch, 1, [&](int64_t b, int64_t e) {
          // The row-major A is A^T (n x m) to LAPACK: A^T = V S U^T, so its
          // "U" (n x n) read row-major is Vt and its "Vt" (m x m) is U.
          const int m = to_int(g.n), n = to_int(g.m), lda = std::max(1, m);
          const int ldu = std::max(1, m), ldvt = std::max(1, n);
          std::vector<T> a(size_t(g.m * g.n));
          std::vector<T> uu(uv ? size_t(g.n * g.n) : 1), vv(uv ? size_t(g.m * g.m) : 1);
          std::vector<int> iwork(size_t(std::max<int64_t>(1, 8 * k)));
          for (int64_t i = b; i < e; i++) {
            std::copy(c.in[0].data<T>() + i * g.m * g.n, c.in[0].data<T>() + (i + 1) * g.m * g.n, a.begin());
            T* sp = s.data<T>() + i * k;
            if (k == 0) {
              if (uv) {  // identities
                std::fill(uu.begin(), uu.end(), T(0));
                std::fill(vv.begin(), vv.end(), T(0));
                for (int64_t j = 0; j < g.n; j++) uu[size_t(j * g.n + j)] = 1;
                for (int64_t j = 0; j < g.m; j++) vv[size_t(j * g.m + j)] = 1;
              }
            } else {
              int info = 0, lw = -1;
              T qw = 0;
              const char* job = uv ? "A" : "N";
              gesdd<T>(job, &m, &n, a.data(), &lda, sp, uu.data(), &ldu, vv.data(), &ldvt, &qw, &lw, iwork.data(), &info, 1);
              lw = work_size(qw);
              std::vector<T> work(static_cast<size_t>(lw));
              gesdd<T>(job, &m, &n, a.data(), &lda, sp, uu.data(), &ldu, vv.data(), &ldvt, work.data(), &lw, iwork.data(), &info, 1);
              if (info > 0) fail("no_convergence", c, "svd: matrix " + std::to_string(i) + " did not converge");
            }
            if (uv) {
              std::copy(vv.begin(), vv.end(), outs[0].data<T>() + i * g.m * g.m);
              std::copy(uu.begin(), uu.end(), outs[2].data<T>() + i * g.n * g.n);
            }
          }
        });
      });
      return outs;
    };
    register_op(std::move(d));
  }

  // lu_factor: LU (m, n) packed (unit-diagonal L below, U on and above), the
  // pivots LAPACK swapped (uint32, 0-based), and the permutation p with A = L[p] U.
  {
    OpDef d = make_op("lu_factor", "linalg", "float32 or float64; pivots uint32", 1, 1);
    d.doc = "partial-pivoting LU: outputs LU (..., m, n), pivots (..., k) and the row permutation (..., m), uint32";
    d.infer = [](const InferCtx& c) {
      const Dims g = matrices("lu_factor", c.in[0], c.path + "/inputs/0", false);
      return std::vector<TypeShape>{c.in[0], {DType::UInt32, with_matrix(c.in[0].shape, {std::min(g.m, g.n)})},
                                    {DType::UInt32, with_matrix(c.in[0].shape, {g.m})}};
    };
    d.eval = [](const EvalCtx& c) {
      const Dims g = matrices("lu_factor", {c.in[0].dtype, c.in[0].shape}, "", false);
      const int64_t k = std::min(g.m, g.n);
      Array lu(c.out[0].dtype, c.out[0].shape), piv(DType::UInt32, c.out[1].shape), perm(DType::UInt32, c.out[2].shape);
      on_float(lu.dtype, [&](auto t) {
        using T = decltype(t);
        parallel_for(g.batch, 1, [&](int64_t b, int64_t e) {
          const int m = to_int(g.m), n = to_int(g.n), lda = std::max(1, m);
          std::vector<T> a(size_t(g.m * g.n));
          std::vector<int> ip(size_t(std::max<int64_t>(1, k))), rows(size_t(g.m));
          for (int64_t i = b; i < e; i++) {
            transpose_copy(c.in[0].data<T>() + i * g.m * g.n, a.data(), g.m, g.n);
            int info = 0;
            if (k) getrf<T>(&m, &n, a.data(), &lda, ip.data(), &info);  // info > 0 (singular) still factors
            transpose_copy(a.data(), lu.data<T>() + i * g.m * g.n, g.n, g.m);
            for (int64_t r = 0; r < g.m; r++) rows[size_t(r)] = int(r);
            for (int64_t j = 0; j < k; j++) {
              piv.data<uint32_t>()[i * k + j] = uint32_t(ip[size_t(j)] - 1);
              std::swap(rows[size_t(j)], rows[size_t(ip[size_t(j)] - 1)]);
            }
            // rows[j]: the row of A at row j of L U; p inverts it.
            for (int64_t r = 0; r < g.m; r++) perm.data<uint32_t>()[i * g.m + rows[size_t(r)]] = uint32_t(r);
          }
        });
      });
      return std::vector<Array>{lu, piv, perm};
    };
    register_op(std::move(d));
  }

  // eigh: eigenvalues ascending (and the eigenvectors as columns) of a
  // symmetric matrix, read from the triangle `uplo` names.
  {
    OpDef d = make_op("eigh", "linalg", "float32 or float64", 1, 1,
                      {{"uplo", AttrType::Enum, "L", false, false, {"L", "U"}}, {"compute_vectors", AttrType::Bool, true}});
    d.doc = "eigenvalues (ascending) and, with compute_vectors, eigenvectors (columns) of symmetric matrices";
    d.infer = [](const InferCtx& c) {
      const Dims g = matrices("eigh", c.in[0], c.path + "/inputs/0", true);
      std::vector<TypeShape> out{{c.in[0].dtype, with_matrix(c.in[0].shape, {g.n})}};
      if (c.attrs.b("compute_vectors")) out.push_back(c.in[0]);
      return out;
    };
    d.eval = [](const EvalCtx& c) {
      const Dims g = matrices("eigh", {c.in[0].dtype, c.in[0].shape}, "", true);
      const bool vecs = c.attrs.b("compute_vectors"), lower = c.attrs.str("uplo") == "L";
      std::vector<Array> outs;
      for (auto& o : c.out) outs.emplace_back(o.dtype, o.shape);
      on_float(outs[0].dtype, [&](auto t) {
        using T = decltype(t);
        parallel_for(g.batch, 1, [&](int64_t b, int64_t e) {
          const int n = to_int(g.n), lda = std::max(1, n);
          std::vector<T> a(size_t(g.n * g.n));
          for (int64_t i = b; i < e; i++) {
            std::copy(c.in[0].data<T>() + i * g.n * g.n, c.in[0].data<T>() + (i + 1) * g.n * g.n, a.begin());
            if (n) {
              int info = 0, lw = -1, liw = -1, qi = 0;
              T qw = 0;
              const char* job = vecs ? "V" : "N";
              const char* uplo = lower ? "U" : "L";  // the row-major lower triangle is the column-major upper one
              syevd<T>(job, uplo, &n, a.data(), &lda, outs[0].data<T>() + i * g.n, &qw, &lw, &qi, &liw, &info, 1, 1);
              lw = work_size(qw);
              liw = std::max(1, qi);
              std::vector<T> work(static_cast<size_t>(lw));
              std::vector<int> iwork(static_cast<size_t>(liw));
              syevd<T>(job, uplo, &n, a.data(), &lda, outs[0].data<T>() + i * g.n, work.data(), &lw, iwork.data(), &liw, &info, 1, 1);
              if (info > 0) fail("no_convergence", c, "eigh: matrix " + std::to_string(i) + " did not converge");
            }
            if (vecs) transpose_copy(a.data(), outs[1].data<T>() + i * g.n * g.n, g.n, g.n);
          }
        });
      });
      return outs;
    };
    register_op(std::move(d));
  }

  // eig: eigenvalues and (as columns) eigenvectors of a general real
  // matrix, complex64 as MLX gives them.
  {
    OpDef d = make_op("eig", "linalg", "float32 or float64 in, complex64 out", 1, 1, {{"compute_vectors", AttrType::Bool, true}});
    d.doc = "eigenvalues and, with compute_vectors, unit eigenvectors (columns) of general square matrices, complex64";
    d.infer = [](const InferCtx& c) {
      const Dims g = matrices("eig", c.in[0], c.path + "/inputs/0", true);
      std::vector<TypeShape> out{{DType::Complex64, with_matrix(c.in[0].shape, {g.n})}};
      if (c.attrs.b("compute_vectors")) out.push_back({DType::Complex64, c.in[0].shape});
      return out;
    };
    d.eval = [](const EvalCtx& c) {
      const Dims g = matrices("eig", {c.in[0].dtype, c.in[0].shape}, "", true);
      const bool vecs = c.attrs.b("compute_vectors");
      std::vector<Array> outs;
      for (auto& o : c.out) outs.emplace_back(o.dtype, o.shape);
      on_float(c.in[0].dtype, [&](auto t) {
        using T = decltype(t);
        parallel_for(g.batch, 1, [&](int64_t b, int64_t e) {
          const int n = to_int(g.n), lda = std::max(1, n), one = 1;
          std::vector<T> a(size_t(g.n * g.n)), wr(size_t(g.n)), wi(size_t(g.n)), vr(vecs ? size_t(g.n * g.n) : 1);
          for (int64_t i = b; i < e; i++) {
            transpose_copy(c.in[0].data<T>() + i * g.n * g.n, a.data(), g.n, g.n);
            if (n) {
              int info = 0, lw = -1;
              T qw = 0, dummy = 0;
              const char* jobvr = vecs ? "V" : "N";
              geev<T>("N", jobvr, &n, a.data(), &lda, wr.data(), wi.data(), &dummy, &one, vr.data(), &lda, &qw, &lw, &info, 1, 1);
              lw = work_size(qw);
              std::vector<T> work(static_cast<size_t>(lw));
              geev<T>("N", jobvr, &n, a.data(), &lda, wr.data(), wi.data(), &dummy, &one, vr.data(), &lda, work.data(), &lw, &info, 1, 1);
              if (info > 0) fail("no_convergence", c, "eig: matrix " + std::to_string(i) + " did not converge");
            }
            c64* w = outs[0].data<c64>() + i * g.n;
            for (int64_t j = 0; j < g.n; j++) w[j] = c64(float(wr[size_t(j)]), float(wi[size_t(j)]));
            if (!vecs) continue;
            // Column j of VR is real for a real eigenvalue; a complex pair
            // (j, j + 1) keeps re in column j and im in column j + 1.
            c64* v = outs[1].data<c64>() + i * g.n * g.n;
            for (int64_t j = 0; j < g.n; j++) {
              const T* re = vr.data() + j * g.n;
              if (wi[size_t(j)] == 0) {
                for (int64_t r = 0; r < g.n; r++) v[r * g.n + j] = c64(float(re[r]), 0);
              } else {
                const T* im = re + g.n;
                for (int64_t r = 0; r < g.n; r++) {
                  v[r * g.n + j] = c64(float(re[r]), float(im[r]));
                  v[r * g.n + j + 1] = c64(float(re[r]), -float(im[r]));
                }
                j++;
              }
            }
          }
        });
      });
      return outs;
    };
    register_op(std::move(d));
  }
}
#endif

}  // namespace

void register_linalg_ops() {
#ifdef MLXC_HAVE_CBLAS
  register_lapack_ops();
#endif
}

}  // namespace mlxc
