// The single-threaded matrix product the op families share (matmul, conv):
// OpenBLAS when the engine is built with it, else a cache-blocked loop.
#pragma once
#include <cstdint>

namespace mlxc {

// One product C[m,n] = op(A) op(B) over row-major storage, op(X) = X or its
// transpose as flagged; lda and ldb are the stored row lengths, ldc is C's.
// With `accumulate` the product is added to C instead of replacing it.
struct Gemm {
  bool ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  bool accumulate = false;
};

// C = op(A) op(B) on the calling thread; T is float or double.
template <class T>
void gemm_block(const Gemm& g, const T* a, const T* b, T* c);

}  // namespace mlxc
