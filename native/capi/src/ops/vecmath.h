// Vector kernels for the transcendental elementwise ops and the rows of
// softmax and logsumexp. SLEEF (1-ulp "u10" functions) does the math the
// library does not do itself (vecmath_isa.h: own_f32 and apply2); it is
// loaded at run time (libsleef.so.3, first from beside this library) and the
// instruction set is picked from the CPU (AVX-512F, else AVX2 with FMA and
// F16C), so the library never runs an instruction the CPU lacks. Without
// either, every op keeps its scalar loop. float16 and bfloat16 widen to
// float32 in registers and round once on the way out.
#pragma once
#include <functional>

#include "../op.h"

namespace mlxc {

// Unary functions: X(enum name, SLEEF base name or nullptr for a composite).
#define MLXC_VEC_UNARY(X)                                                                        \
  X(Exp, "exp") X(Expm1, "expm1") X(Exp2, "exp2") X(Log, "log") X(Log1p, "log1p")                 \
  X(Log2, "log2") X(Log10, "log10") X(Sin, "sin") X(Cos, "cos") X(Tan, "tan") X(Arcsin, "asin")    \
  X(Arccos, "acos") X(Arctan, "atan") X(Sinh, "sinh") X(Cosh, "cosh") X(Tanh, "tanh")              \
  X(Arcsinh, "asinh") X(Arccosh, "acosh") X(Arctanh, "atanh") X(Erf, "erf") X(Sigmoid, nullptr)    \
  X(Erfinv, nullptr)
#define MLXC_VEC_BINARY(X) X(Arctan2, "atan2") X(Power, "pow") X(LogAddExp, nullptr)

#define MLXC_VEC_ENUM(name, sleef) name,
enum class VFn : int { MLXC_VEC_UNARY(MLXC_VEC_ENUM) kCount };
enum class VFn2 : int { MLXC_VEC_BINARY(MLXC_VEC_ENUM) kCount };
#undef MLXC_VEC_ENUM

// Rows that RowKernels::rows_max reads at once.
constexpr int64_t kRowStreams = 16;

// Contiguous row passes for softmax and logsumexp.
template <class T> struct RowKernels {
  T (*max)(const T* x, int64_t n);  // NaNs skipped (they reach the sum through exp)
  // max of each of `rows` (at most kRowStreams) rows of n, `stride` apart, into m[0, rows)
  void (*rows_max)(const T* x, int64_t stride, int64_t rows, int64_t n, T* m);
  // sum of exp(x - m); also writes each exp to o when o is not null. When
  // `next` is not null, one line a vector from next on is prefetched into
  // L2 (the next rows, read from memory meanwhile).
  T (*exp_sum)(const T* x, T m, T* o, int64_t n, const T* next);
  // o = x / s (x may be o)
  void (*divide)(const T* x, T s, T* o, int64_t n);
  // For a row whose maximum m lies in [0, zero_shift], exp_sum(x, 0, ...)
  // (e^x and their sum: softmax's quotients and m + log(sum e^(x - m)) the
  // same) is as exact as exp_sum(x, m, ...) and cheaper: x - 0 needs no
  // two-sum. e^x stays finite below e^60 and keeps its precision where
  // e^(x - m) is normal (m >= 0). Negative: pass m.
  T zero_shift;
};

// What an instruction set provides; index dtypes with vec_slot.
struct VecTable {
  const char* name;
  EwKernel unary[int(VFn::kCount)][4];
  EwKernel binary[int(VFn2::kCount)][4];
  RowKernels<float> rows_f32;
  RowKernels<double> rows_f64;
};
// 0 float16, 1 bfloat16, 2 float32, 3 float64, -1 other dtypes.
inline int vec_slot(DType d) {
  switch (d) {
    case DType::Float16: return 0;
    case DType::BFloat16: return 1;
    case DType::Float32: return 2;
    case DType::Float64: return 3;
    default: return -1;
  }
}

// The table in use: chosen once per process from the CPU, the presence of
// SLEEF and MLXCOMPAT_VECMATH ("scalar", "avx2", "avx512"; unset: the best
// the CPU has). Null when the scalar loops are used.
const VecTable* vec_table();

struct Lines;
// softmax and logsumexp over lines that are contiguous rows (inner 1) of a
// float dtype, in vector lanes; false (nothing done) when the rows are
// strided or there is no vector table. Half types compute in float32.
bool softmax_rows(const Lines& l, Array* out);
bool logsumexp_rows(const Lines& l, Array* out);
// Inclusive forward logcumsumexp along such rows.
bool logcumsumexp_rows(const Lines& l, Array* out);

// An element of a vector function's work in adds (Elementwise::work): with
// 4, exp splits into parts from 128K elements on (execute.cpp kPartWork).
// In cache an element takes 0.9-1.5 cycles against an add's 0.1; in a
// request, where the output's first touch costs both the same, exp over
// 128K-512K float32 took 1.5 ns an element at the margin and add 0.9, on
// one thread (load 3.5).
constexpr int64_t kVecWork = 4;

// A kernel factory that prefers the vector kernel of `f` and falls back to `scalar`.
std::function<EwKernel(DType, DType)> with_vector(VFn f, std::function<EwKernel(DType, DType)> scalar);
std::function<EwKernel(DType, DType)> with_vector(VFn2 f, std::function<EwKernel(DType, DType)> scalar);

// The tables of the double-lane log2 and exp2 (AVX-512's pow). log2's
// argument is split as x = 2^e m with m in [1, 2); m falls in the interval
// i = floor(16 (m - 1)), of center c (1 for i = 0 and 2 for i = 15, so that
// log2 x keeps its relative precision on either side of 1); invc = 1/c
// rounded, log2c = -log2(invc) (for x just below 1, e + log2c is -1 + 1,
// exactly 0). exp2: the bits of 2^(j/16) less j 2^48, so that adding the
// bits of a whole n = 16 q + j shifted left by 48 gives 2^(n/16). Computed
// in long double once.
// The float-lane logs (log_ff, with their own tables of 8 floats: a
// lane-crossing permute of floats is cheap, of doubles dear on AVX2) split
// x = 2^k m with m in [kLogOff, 2 kLogOff) by subtracting kLogOff's bits,
// so that 1 lies inside interval 4 (m in [0.965, 1.055), where 1/c = 1 and
// log c = 0: no cancellation next to 1; the intervals' relative half-widths
// are at most 0.056); the interval i is the next three bits (one permute).
constexpr uint32_t kLogOffBits = 0x3f370000;  // 0.71484375
struct LogTable {
  double invc[16], log2c[16], exp2[16];
};
const LogTable& log_table();

// float64 erfinv by Newton steps in scalar code (unary.cpp): the vector
// kernels take it for the lanes within 2^-25 of 1 (or past it, or NaN).
double erfinv_scalar(double y);

// The per-instruction-set tables, each built by its own translation unit
// with that instruction set enabled; `sym` resolves a SLEEF symbol (null
// when missing, and then the table is null).
using SymFn = void* (*)(const char* name);
const VecTable* vec_table_avx2(SymFn sym);
const VecTable* vec_table_avx512(SymFn sym);

}  // namespace mlxc
