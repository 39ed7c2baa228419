// Every float32 in a range of bit patterns through one unary kernel of the
// vector table in use (mlxc::vec_table(); MLXCOMPAT_VECMATH picks the ISA),
// against the C library's double function (within 2^-52 relative: far
// below the float's ulp). Prints the largest error in float ulps at the
// result's binade, where, and how many results are not the float nearest
// the reference. The accuracy test samples binades; this checks a change
// to a kernel over all of them.
//   g++ -O2 -std=c++17 -Inative/capi/src -Inative/capi/include -o build/bench/vecmath_every_float packages/mlx-bench/native/vecmath_every_float.cpp -ldl
//   build/bench/vecmath_every_float build/native/libmlxcompat.so arcsinh 0x3a800000 0x7f800000
#include <dlfcn.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ops/vecmath.h"

namespace {
struct Ref {
  const char* name;
  mlxc::VFn f;
  double (*fn)(double);
};
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
const Ref kRefs[] = {
    {"exp", mlxc::VFn::Exp, std::exp},       {"expm1", mlxc::VFn::Expm1, std::expm1},
    {"exp2", mlxc::VFn::Exp2, std::exp2},    {"log", mlxc::VFn::Log, std::log},
    {"log1p", mlxc::VFn::Log1p, std::log1p}, {"log2", mlxc::VFn::Log2, std::log2},
    {"log10", mlxc::VFn::Log10, std::log10}, {"sin", mlxc::VFn::Sin, std::sin},
    {"cos", mlxc::VFn::Cos, std::cos},       {"tan", mlxc::VFn::Tan, std::tan},
    {"arcsin", mlxc::VFn::Arcsin, std::asin}, {"arccos", mlxc::VFn::Arccos, std::acos},
    {"arctan", mlxc::VFn::Arctan, std::atan}, {"sinh", mlxc::VFn::Sinh, std::sinh},
    {"cosh", mlxc::VFn::Cosh, std::cosh},    {"tanh", mlxc::VFn::Tanh, std::tanh},
    {"arcsinh", mlxc::VFn::Arcsinh, std::asinh}, {"arccosh", mlxc::VFn::Arccosh, std::acosh},
    {"arctanh", mlxc::VFn::Arctanh, std::atanh}, {"erf", mlxc::VFn::Erf, std::erf},
    {"sigmoid", mlxc::VFn::Sigmoid, sigmoid},
};

// |got - ref| in ulps of a float at ref's binade (subnormal spacing below 2^-126).
double ulps(float got, double ref) {
  if (std::isnan(ref)) return std::isnan(got) ? 0 : INFINITY;
  if (std::isnan(got) || std::isinf(got) != (std::fabs(ref) > 0x1.fffffefffffffp127)) return INFINITY;
  if (std::isinf(got)) return (got > 0) == (ref > 0) ? 0 : INFINITY;
  const int e = std::max(std::ilogb(ref == 0 ? 0x1p-126 : ref), -126);
  return std::fabs(double(got) - ref) / std::ldexp(1.0, e - 23);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s LIBRARY OP FIRST_BITS END_BITS\n", argv[0]);
    return 2;
  }
  void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) { std::fprintf(stderr, "%s\n", dlerror()); return 1; }
  auto get = reinterpret_cast<const mlxc::VecTable* (*)()>(dlsym(h, "_ZN4mlxc9vec_tableEv"));
  if (!get || !get()) { std::fprintf(stderr, "%s: no vector table\n", argv[1]); return 1; }
  const Ref* ref = nullptr;
  for (const Ref& r : kRefs)
    if (std::strcmp(r.name, argv[2]) == 0) ref = &r;
  if (!ref) { std::fprintf(stderr, "unknown op %s\n", argv[2]); return 2; }
  const uint64_t first = std::strtoull(argv[3], nullptr, 0), end = std::strtoull(argv[4], nullptr, 0);
  const mlxc::EwKernel k = get()->unary[int(ref->f)][2];
  constexpr uint64_t kBlock = 1 << 20;
  std::vector<float> x(kBlock), y(kBlock);
  double worst = 0;
  float worst_at = 0;
  uint64_t misrounded = 0, count = 0;
  const void* in[1] = {x.data()};
  const bool scalar[1] = {false};
  mlxc::EwParams prm;
  for (uint64_t b = first; b < end; b += kBlock) {
    const uint64_t n = std::min(kBlock, end - b);
    for (uint64_t i = 0; i < n; i++) {
      const uint32_t u = uint32_t(b + i);
      std::memcpy(&x[i], &u, 4);
    }
    k(in, scalar, y.data(), int64_t(n), prm);
    for (uint64_t i = 0; i < n; i++) {
      const double r = ref->fn(double(x[i]));
      const double e = ulps(y[i], r);
      if (y[i] != float(r) && !(std::isnan(y[i]) && std::isnan(r))) misrounded++;
      if (e > worst) worst = e, worst_at = x[i];
    }
    count += n;
  }
  std::printf("%s over %llu floats [%#llx, %#llx): max %.4f ulp at %a (%.9g), %llu not the nearest float\n", ref->name,
              (unsigned long long)count, (unsigned long long)first, (unsigned long long)end, worst, double(worst_at),
              double(worst_at), (unsigned long long)misrounded);
}
