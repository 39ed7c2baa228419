// Typed loops behind elementwise ops. An op is a functor `Op` with
// `template <class T> auto operator()(T...)` over the accumulation type of a
// dtype and an `Out<T>` alias for its storage output type; `pick` instantiates
// it for a list of dtypes and returns the kernel for one of them.
#pragma once
#include <algorithm>
#include <initializer_list>
#include <type_traits>

#include "../op.h"

namespace mlxc {

// Base of op functors: the output has the compute dtype, or is bool.
struct EwOp {
  const EwParams* p = nullptr;
  template <class T> using Out = T;
};
struct EwPredicate {
  const EwParams* p = nullptr;
  template <class T> using Out = bool;
};

// An input a streamed loop asks for ahead: its data and element size, or a
// null pointer (a scalar, read at element 0).
struct Ahead {
  const void* data;
  size_t size;
};

// Runs fill(from, count, dst), which computes outputs [from, from + count)
// into dst. With p.stream, a block at a time goes through a buffer in L1 and
// on to `o` by non-temporal stores, as the vectorized functions store theirs:
// with ordinary stores, which first read each line they write, a negation
// and an x * x of 64 MiB took 1.2-1.3x as long (A/B in one process). Before
// each block, the next block's lines of the inputs in `ahead` are asked
// for: the vectorized functions found the hardware prefetcher alone too
// late at 2 threads (1.07x for a negation here).
template <class O, class Fill> void ew_blocks(O* o, int64_t n, const EwParams& p, std::initializer_list<Ahead> ahead, Fill&& fill) {
  if (!p.stream) return fill(int64_t(0), n, o);
  constexpr int64_t kBlock = 2048 / int64_t(sizeof(O));
  alignas(64) O buf[kBlock];
  for (int64_t s = 0; s < n; s += kBlock) {
    const int64_t len = std::min(kBlock, n - s);
    for (const Ahead& in : ahead)
      if (in.data)
        for (size_t i = 0; i < size_t(len) * in.size; i += 64)
          __builtin_prefetch(static_cast<const char*>(in.data) + size_t(s + len) * in.size + i, 0, 3);
    fill(s, len, buf);
    stream_copy(o + s, buf, size_t(len) * sizeof(O));
  }
}

template <class Op, class T> struct UnaryLoop {
static void run(const void* const* in, const bool*, void* out, int64_t n, const EwParams& p) {
  using O = typename Op::template Out<T>;
  const T* a = static_cast<const T*>(in[0]);
  Op op;
  op.p = &p;
  ew_blocks(static_cast<O*>(out), n, p, {{a, sizeof(T)}}, [&](int64_t s, int64_t len, O* o) {
    for (int64_t i = 0; i < len; i++) o[i] = O(op(acc_t<T>(a[s + i])));
  });
}
};

template <class Op, class T> struct BinaryLoop {
static void run(const void* const* in, const bool* scalar, void* out, int64_t n,
                const EwParams& p) {
  using O = typename Op::template Out<T>;
  using A = acc_t<T>;
  const T* a = static_cast<const T*>(in[0]);
  const T* b = static_cast<const T*>(in[1]);
  Op op;
  op.p = &p;
  // Separate loops per broadcast pattern so each one vectorizes.
  ew_blocks(static_cast<O*>(out), n, p, {{scalar[0] ? nullptr : a, sizeof(T)}, {scalar[1] ? nullptr : b, sizeof(T)}}, [&](int64_t s, int64_t len, O* o) {
    if (!scalar[0] && !scalar[1]) {
      for (int64_t i = 0; i < len; i++) o[i] = O(op(A(a[s + i]), A(b[s + i])));
    } else if (scalar[0] && !scalar[1]) {
      const A x = A(a[0]);
      for (int64_t i = 0; i < len; i++) o[i] = O(op(x, A(b[s + i])));
    } else if (!scalar[0]) {
      const A y = A(b[0]);
      for (int64_t i = 0; i < len; i++) o[i] = O(op(A(a[s + i]), y));
    } else {
      const O v = O(op(A(a[0]), A(b[0])));
      for (int64_t i = 0; i < len; i++) o[i] = v;
    }
  });
}
};

template <class... Ts> struct TypeList {};
using BoolT = TypeList<bool>;
using UIntTs = TypeList<uint8_t, uint16_t, uint32_t, uint64_t>;
using SIntTs = TypeList<int8_t, int16_t, int32_t, int64_t>;
using IntTs = TypeList<uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t>;
using FloatTs = TypeList<f16, bf16, float, double>;
using RealTs = TypeList<uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t,
                        f16, bf16, float, double>;
using ComplexT = TypeList<c64>;

template <class... Ls> struct Concat;
template <class... A> struct Concat<TypeList<A...>> {
  using type = TypeList<A...>;
};
template <class... A, class... B, class... Rest>
struct Concat<TypeList<A...>, TypeList<B...>, Rest...> {
  using type = typename Concat<TypeList<A..., B...>, Rest...>::type;
};
template <class... Ls> using Types = typename Concat<Ls...>::type;

template <template <class, class> class Loop, class Op, class... Ts>
EwKernel pick_in(DType d, TypeList<Ts...>) {
  EwKernel k = nullptr;
  ((CType<Ts>::value == d ? (k = &Loop<Op, Ts>::run, 0) : 0), ...);
  return k;
}

// Kernel factory for an op over the dtypes in `L`.
template <template <class, class> class Loop, class Op, class L>
std::function<EwKernel(DType, DType)> kernels() {
  return [](DType compute, DType) { return pick_in<Loop, Op>(compute, L{}); };
}

}  // namespace mlxc
