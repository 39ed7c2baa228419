// Accuracy of the engine's transcendental functions, through the C ABI:
// each function over inputs from every float32 and float64 binade (both
// signs, random mantissas), the special values, and every float16 and
// bfloat16 value, against a long double reference, in ulps of the result's
// dtype. When given the path of real MLX's libmlxc (v0.31.2), the same inputs
// go through MLX and its error is printed beside ours. The bounds checked are
// the ones stated in mlxcompat.h (its "Accuracy" table, read at run time).
//
// usage: mlxcompat_vecmath_accuracy HEADER [LIBMLXC] [SAMPLES_PER_BINADE]
// Prints one line per function and dtype; exits 1 when a bound is exceeded.
// MLXCOMPAT_ACCURACY_ONLY=op,... sweeps only those ops (the row ops by
// their names: softmax, logsumexp, logcumsumexp).
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "mlxcompat.h"

namespace {

// ---- float formats -------------------------------------------------------

struct Format {
  const char* name;
  int mant;          // stored mantissa bits
  int emin, emax;    // exponents of the smallest normal and of the largest finite
  int mlx_dtype;     // mlx-c's enum value
};
const Format F16{"float16", 10, -14, 15, 9}, BF16{"bfloat16", 7, -126, 127, 12}, F32{"float32", 23, -126, 127, 10},
    F64{"float64", 52, -1022, 1023, 11};

float bits_to_f32(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
double bits_to_f64(uint64_t u) { double f; std::memcpy(&f, &u, 8); return f; }
float half_to_f32(uint16_t h) {
  const uint32_t s = uint32_t(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023;
  if (e == 31) return bits_to_f32(s | 0x7f800000u | (m << 13));
  if (e == 0) return (h >> 15 ? -1.0f : 1.0f) * std::ldexp(float(m), -24);
  return bits_to_f32(s | ((e + 112) << 23) | (m << 13));
}
float bf16_to_f32(uint16_t b) { return bits_to_f32(uint32_t(b) << 16); }

// Error of `got` against the exact `ref`, in units in the last place of the
// format at ref's magnitude; infinite when a NaN, an infinity or a sign is
// wrong, a zero's too where the exact result is a zero (expm1(-0) is -0).
double ulp_error(double got, long double ref, const Format& f) {
  if (std::isnan(ref)) return std::isnan(got) ? 0 : INFINITY;
  if (std::isnan(got)) return INFINITY;
  if (ref == 0 && got == 0 && std::signbit(got) != std::signbit(ref)) return INFINITY;
  const long double top = std::ldexp(2.0L, f.emax);  // where rounding reaches infinity
  const long double maxulp = std::ldexp(1.0L, f.emax - f.mant);
  if (std::isinf(ref)) return got == double(ref) ? 0 : INFINITY;
  if (std::isinf(got)) {
    if ((got > 0) != (ref > 0)) return INFINITY;
    const long double a = std::fabs(ref);
    return a >= top - maxulp ? 0 : double((top - a) / maxulp);
  }
  int e = std::ilogb(ref == 0 ? std::ldexp(1.0L, f.emin) : ref);
  if (e < f.emin) e = f.emin;
  return double(std::fabs((long double)got - ref) / std::ldexp(1.0L, e - f.mant));
}

// ---- the engine ----------------------------------------------------------

// Runs op over one or two buffers of `dtype`; returns the output bytes.
std::vector<uint8_t> engine_run(const char* op, const Format& f, size_t elem, const std::vector<const void*>& ins,
                                size_t n, const char* attrs = nullptr, const std::string& shape = "") {
  const std::string sh = shape.empty() ? "[" + std::to_string(n) + "]" : shape;
  std::string req = "{\"schema_version\":1,\"inputs\":[";
  std::string names;
  for (size_t i = 0; i < ins.size(); i++) {
    req += std::string(i ? "," : "") + "{\"id\":\"x" + std::to_string(i) + "\",\"dtype\":\"" + f.name +
           "\",\"shape\":" + sh + ",\"buffer\":" + std::to_string(i) + "}";
    names += std::string(i ? "," : "") + "\"x" + std::to_string(i) + "\"";
  }
  req += std::string("],\"nodes\":[{\"id\":\"y\",\"op\":\"") + op + "\",\"inputs\":[" + names + "]" +
         (attrs ? std::string(",\"attrs\":") + attrs : "") + "}],\"outputs\":[\"y\"]}";
  std::vector<mlxcompat_buffer> bufs;
  for (const void* p : ins) bufs.push_back({p, n * elem});
  mlxcompat_result* r = mlxcompat_eval(nullptr, req.data(), req.size(), bufs.data(), bufs.size());
  size_t size = 0;
  const void* out = mlxcompat_result_buffer(r, 0, &size);
  if (!out) {
    std::fprintf(stderr, "engine: %s\n", mlxcompat_result_json(r));
    std::exit(2);
  }
  std::vector<uint8_t> v(static_cast<const uint8_t*>(out), static_cast<const uint8_t*>(out) + size);
  mlxcompat_result_free(r);
  return v;
}

// ---- real MLX through mlx-c (declared here; loaded with dlopen) ----------

struct mlx_array { void* ctx; };
struct mlx_stream { void* ctx; };
struct Mlx {
  void* h = nullptr;
  mlx_stream s{};
  mlx_array (*array_new_data)(const void*, const int*, int, int);
  int (*array_free)(mlx_array);
  mlx_array (*array_new)();
  int (*array_eval)(mlx_array);
  const void* (*data[4])(mlx_array);  // float16 and bfloat16 (read as uint16), float32, float64
  mlx_stream (*cpu_stream)();
  void (*set_error_handler)(void (*)(const char*, void*), void*, void (*)(void*));
  template <class F> bool get(F& f, const char* name) {
    f = reinterpret_cast<F>(dlsym(h, name));
    return f != nullptr;
  }
  bool open(const char* path) {
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) return false;
    bool ok = get(array_new_data, "mlx_array_new_data") && get(array_free, "mlx_array_free") &&
              get(array_new, "mlx_array_new") && get(array_eval, "mlx_array_eval") &&
              get(data[0], "mlx_array_data_uint16") && get(data[1], "mlx_array_data_uint16") &&
              get(data[2], "mlx_array_data_float32") && get(data[3], "mlx_array_data_float64") &&
              get(cpu_stream, "mlx_default_cpu_stream_new") && get(set_error_handler, "mlx_set_error_handler");
    if (!ok) return false;
    set_error_handler([](const char* msg, void*) { std::fprintf(stderr, "mlx: %s\n", msg); }, nullptr, nullptr);
    s = cpu_stream();
    return true;
  }
  // op is mlx_NAME(res, a[, b], stream), or a softmax/logsumexp over the last axis.
  std::vector<uint8_t> run(const std::string& name, const Format& f, int slot, size_t elem,
                           const std::vector<const void*>& ins, int rows, int cols) {
    std::vector<mlx_array> a;
    const int shape[2] = {rows, cols};
    for (const void* p : ins) a.push_back(array_new_data(p, shape, 2, f.mlx_dtype));
    mlx_array res = array_new();
    int rc;
    if (name == "softmax") {
      int (*fn)(mlx_array*, mlx_array, int, bool, mlx_stream);
      rc = get(fn, "mlx_softmax_axis") ? fn(&res, a[0], -1, false, s) : 1;
    } else if (name == "logsumexp") {
      int (*fn)(mlx_array*, mlx_array, int, bool, mlx_stream);
      rc = get(fn, "mlx_logsumexp_axis") ? fn(&res, a[0], -1, false, s) : 1;
    } else if (name == "logcumsumexp") {
      int (*fn)(mlx_array*, mlx_array, int, bool, bool, mlx_stream);
      rc = get(fn, "mlx_logcumsumexp") ? fn(&res, a[0], 1, false, true, s) : 1;
    } else if (a.size() == 1) {
      int (*fn)(mlx_array*, mlx_array, mlx_stream);
      rc = get(fn, ("mlx_" + name).c_str()) ? fn(&res, a[0], s) : 1;
    } else {
      int (*fn)(mlx_array*, mlx_array, mlx_array, mlx_stream);
      rc = get(fn, ("mlx_" + name).c_str()) ? fn(&res, a[0], a[1], s) : 1;
    }
    std::vector<uint8_t> out;
    if (rc == 0 && array_eval(res) == 0) {
      const size_t n = name == "logsumexp" ? size_t(rows) : size_t(rows) * size_t(cols);
      const uint8_t* d = static_cast<const uint8_t*>(data[slot](res));
      if (d) out.assign(d, d + n * elem);
    }
    array_free(res);
    for (mlx_array x : a) array_free(x);
    return out;
  }
};

// ---- references ------------------------------------------------------------

long double erfinv_ref(long double y) {
  if (!(y >= -1 && y <= 1)) return NAN;
  if (y == 1 || y == -1) return y * INFINITY;
  if (y == 0) return y;
  // Bisection to a close bracket, then Newton steps in long double: on erf
  // below 1/2, on erfc above (1 - t is exact there, erf would lose it).
  const long double t = std::fabs(y), c = 1 - t;
  auto f = [&](long double x) { return t > 0.5L ? c - std::erfc(x) : std::erf(x) - t; };
  long double lo = 0, hi = 28;
  for (int k = 0; k < 40; k++) {
    const long double mid = (lo + hi) / 2;
    (f(mid) < 0 ? lo : hi) = mid;
  }
  long double x = (lo + hi) / 2;
  if (t < 1e-6L) x = t * 0.886226925452758013649L;  // erf(x) ~ 2x/sqrt(pi) for tiny t
  for (int k = 0; k < 4; k++) x -= f(x) / (1.128379167095512573896L * std::exp(-x * x));
  return y < 0 ? -x : x;
}

using Ref1 = long double (*)(long double);
using Ref2 = long double (*)(long double, long double);

struct Unary {
  const char* op;
  Ref1 ref;
};
const Unary kUnary[] = {
    {"exp", [](long double x) { return std::exp(x); }},
    {"expm1", [](long double x) { return std::expm1(x); }},
    {"log", [](long double x) { return std::log(x); }},
    {"log1p", [](long double x) { return std::log1p(x); }},
    {"log2", [](long double x) { return std::log2(x); }},
    {"log10", [](long double x) { return std::log10(x); }},
    {"sin", [](long double x) { return std::sin(x); }},
    {"cos", [](long double x) { return std::cos(x); }},
    {"tan", [](long double x) { return std::tan(x); }},
    {"arcsin", [](long double x) { return std::asin(x); }},
    {"arccos", [](long double x) { return std::acos(x); }},
    {"arctan", [](long double x) { return std::atan(x); }},
    {"sinh", [](long double x) { return std::sinh(x); }},
    {"cosh", [](long double x) { return std::cosh(x); }},
    {"tanh", [](long double x) { return std::tanh(x); }},
    {"arcsinh", [](long double x) { return std::asinh(x); }},
    {"arccosh", [](long double x) { return std::acosh(x); }},
    {"arctanh", [](long double x) { return std::atanh(x); }},
    {"sigmoid", [](long double x) { return 1 / (1 + std::exp(-x)); }},
    {"erf", [](long double x) { return std::erf(x); }},
    {"erfinv", erfinv_ref},
};
struct Binary {
  const char* op;
  Ref2 ref;
};
const Binary kBinary[] = {
    {"arctan2", [](long double y, long double x) { return std::atan2(y, x); }},
    {"power", [](long double x, long double y) { return std::pow(x, y); }},
    {"logaddexp",
     [](long double x, long double y) {
       if (std::isnan(x) || std::isnan(y)) return (long double)NAN;
       const long double m = std::fmax(x, y), n = std::fmin(x, y);
       if (std::isinf(m)) return m;
       if (n == -INFINITY) return m + 0.0L;  // log(e^m + 0): at m = -0, log 1 = +0
       return m + std::log1p(std::exp(n - m));
     }},
};

// ---- inputs ----------------------------------------------------------------

const float kSpecial32[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-45f, -1e-45f, 1.17549435e-38f, 3.40282347e38f,
                            -3.40282347e38f, 1.0f, -1.0f, 0.5f, -0.5f, 2.0f, 88.7228f, 88.7229f, -103.9f, -87.3f,
                            1.5707964f, 3.1415927f, 0.99999994f, -0.99999994f, 1.0000001f};
// `per` random mantissas in every binade of either sign, then the special values.
std::vector<float> inputs_f32(int per, std::mt19937_64& rng) {
  std::vector<float> v;
  for (uint32_t s = 0; s < 2; s++)
    for (uint32_t e = 0; e < 255; e++)
      for (int k = 0; k < per; k++) {
        const uint32_t m = k == 0 ? 0 : k == 1 ? 0x7fffff : uint32_t(rng()) & 0x7fffff;
        v.push_back(bits_to_f32(s << 31 | e << 23 | m));
      }
  for (float f : kSpecial32) v.push_back(f);
  return v;
}
std::vector<double> inputs_f64(int per, std::mt19937_64& rng) {
  std::vector<double> v;
  for (uint64_t s = 0; s < 2; s++)
    for (uint64_t e = 0; e < 2047; e++)
      for (int k = 0; k < per; k++) {
        const uint64_t m = k == 0 ? 0 : rng() & 0xfffffffffffffull;
        v.push_back(bits_to_f64(s << 63 | e << 52 | m));
      }
  for (float f : kSpecial32) v.push_back(f);
  for (double d : {5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 709.782712893384, -745.1})
    v.push_back(d);
  return v;
}

// ---- the sweep -------------------------------------------------------------

struct Result {
  double ours = 0, mlx = -1;  // -1: not measured
  double worst_in = 0, worst_in2 = 0;
};

// Stated bounds: the rows of mlxcompat.h's accuracy table, "op f32 f64 f16 bf16".
std::map<std::string, std::map<std::string, double>> read_bounds(const char* header) {
  std::ifstream f(header);
  std::string line;
  bool in = false;
  std::map<std::string, std::map<std::string, double>> b;
  const char* cols[] = {"float32", "float64", "float16", "bfloat16"};
  while (std::getline(f, line)) {
    if (line.find("Accuracy (max ulp)") != std::string::npos) { in = true; continue; }
    if (!in) continue;
    if (line.find("*/") != std::string::npos || line.find(" *  ") == std::string::npos) {
      if (!b.empty()) break;
      continue;
    }
    std::istringstream is(line.substr(line.find('*') + 1));
    std::string op;
    if (!(is >> op)) continue;
    std::vector<std::string> ops;
    for (size_t p; (p = op.find(',')) != std::string::npos; op = op.substr(p + 1)) ops.push_back(op.substr(0, p));
    ops.push_back(op);
    double v;
    for (int c = 0; c < 4 && is >> v; c++)
      for (auto& o : ops) b[o][cols[c]] = v;
  }
  return b;
}

int failures = 0;

// The ops MLXCOMPAT_ACCURACY_ONLY names (all when unset or empty).
bool wanted(const std::string& op) {
  static const std::string only = std::getenv("MLXCOMPAT_ACCURACY_ONLY") ? std::getenv("MLXCOMPAT_ACCURACY_ONLY") : "";
  if (only.empty()) return true;
  return ("," + only + ",").find("," + op + ",") != std::string::npos;
}
std::map<std::string, std::map<std::string, double>> bounds;

void report(const std::string& op, const Format& f, size_t n, const Result& r, const char* label = nullptr) {
  auto it = bounds.find(op);
  const double bound = it != bounds.end() && it->second.count(f.name) ? it->second.at(f.name) : -1;
  const bool ok = bound >= 0 && r.ours <= bound;
  if (!ok) failures++;
  char mlx[32];
  if (r.mlx < 0) std::snprintf(mlx, sizeof mlx, "-");
  else std::snprintf(mlx, sizeof mlx, "%.4g", r.mlx);
  std::printf("%-10s %-9s n=%-8zu ours %-8.4g mlx %-8s bound %-5g %s (worst at %.9g %.9g)\n", label ? label : op.c_str(), f.name, n,
              r.ours, mlx, bound, ok ? "ok" : "FAIL", r.worst_in, r.worst_in2);
}

template <class S> double to_double(const uint8_t* p, size_t i, const Format& f) {
  S v;
  std::memcpy(&v, p + i * sizeof(S), sizeof(S));
  if constexpr (sizeof(S) == 2) return &f == &F16 ? half_to_f32(v) : bf16_to_f32(v);
  else return double(v);
}

// Runs one op over `xs` (and `ys`) of storage S in format f; refs are exact values.
template <class S>
void sweep(const char* op, const Format& f, int slot, const std::vector<S>& xs, const std::vector<S>* ys,
           const std::vector<long double>& ref, Mlx* mlx, const char* label = nullptr) {
  std::vector<const void*> ins{xs.data()};
  if (ys) ins.push_back(ys->data());
  const auto ours = engine_run(op, f, sizeof(S), ins, xs.size());
  std::vector<uint8_t> theirs;
  if (mlx) theirs = mlx->run(op, f, slot, sizeof(S), ins, 1, int(xs.size()));
  // logaddexp's max + log1p(e^-d) cancels where the result is near 0 (in
  // MLX too): its error is in ulps of the larger of the result and max(x, y).
  const bool lae = std::strcmp(op, "logaddexp") == 0;
  auto scale = [&](size_t i) {
    if (!lae) return ref[i];
    const long double m = std::fmax((long double)to_double<S>(reinterpret_cast<const uint8_t*>(xs.data()), i, f),
                                    (long double)to_double<S>(reinterpret_cast<const uint8_t*>(ys->data()), i, f));
    return std::isfinite(m) && std::fabs(m) > std::fabs(ref[i]) ? m : ref[i];
  };
  auto err = [&](const std::vector<uint8_t>& out, size_t i) {
    const double g = to_double<S>(out.data(), i, f);
    const long double sc = scale(i);
    if (sc == ref[i] || !std::isfinite(g) || !std::isfinite(ref[i])) return ulp_error(g, ref[i], f);
    int e = std::ilogb(sc);
    if (e < f.emin) e = f.emin;
    return double(std::fabs(g - ref[i]) / std::ldexp(1.0L, e - f.mant));
  };
  Result r;
  for (size_t i = 0; i < xs.size(); i++) {
    const double e = err(ours, i);
    if (e > r.ours) {
      r.ours = e;
      r.worst_in = to_double<S>(reinterpret_cast<const uint8_t*>(xs.data()), i, f);
      r.worst_in2 = ys ? to_double<S>(reinterpret_cast<const uint8_t*>(ys->data()), i, f) : 0;
    }
    if (!theirs.empty()) r.mlx = std::max(r.mlx, err(theirs, i));
  }
  report(op, f, xs.size(), r, label);
}

template <class S> std::vector<long double> values(const std::vector<S>& v, const Format& f) {
  std::vector<long double> out(v.size());
  for (size_t i = 0; i < v.size(); i++) out[i] = to_double<S>(reinterpret_cast<const uint8_t*>(v.data()), i, f);
  return out;
}

template <class S> void sweep_all(const Format& f, int slot, const std::vector<S>& xs, Mlx* mlx, std::mt19937_64& rng) {
  const auto xv = values(xs, f);
  std::vector<long double> ref(xs.size());
  for (const Unary& u : kUnary) {
    if (!wanted(u.op)) continue;
    for (size_t i = 0; i < xs.size(); i++) ref[i] = u.ref(xv[i]);
    sweep<S>(u.op, f, slot, xs, nullptr, ref, mlx);
  }
  // Binary ops: each input against a random partner, plus every pair of special values.
  std::vector<S> a = xs, b = xs;
  std::shuffle(b.begin(), b.end(), rng);
  const size_t k = xs.size() < 64 ? 0 : 24;
  for (size_t i = 0; i < k; i++)
    for (size_t j = 0; j < k; j++) a.push_back(xs[xs.size() - k + i]), b.push_back(xs[xs.size() - k + j]);
  const auto av = values(a, f), bv = values(b, f);
  ref.resize(a.size());
  for (const Binary& o : kBinary) {
    if (!wanted(o.op)) continue;
    for (size_t i = 0; i < a.size(); i++) ref[i] = o.ref(av[i], bv[i]);
    sweep(o.op, f, slot, a, &b, ref, mlx);
  }
}

// power where its results are finite and nonzero, which random pairs
// seldom are, and its special cases: x from every float32 binade of either
// sign (and next to 1) with y = t / log2 |x| for t drawn in [-155, 130]
// (whole for negative x, odd or even), then every pair of zeros,
// infinities, NaN, +-1 and whole (odd, even, beyond 2^24) and fractional y.
void power_check(Mlx* mlx, std::mt19937_64& rng, int per) {
  if (!wanted("power")) return;
  std::vector<float> a, b;
  std::uniform_real_distribution<double> td(-155.0, 130.0);
  auto add = [&](float x) {
    const double l = std::log2(std::fabs(double(x)));
    if (!std::isfinite(l) || l == 0) return;
    float y = float(td(rng) / l);
    if (x < 0) y = std::nearbyint(y);
    a.push_back(x), b.push_back(y);
  };
  for (uint32_t s = 0; s < 2; s++)
    for (uint32_t e = 0; e < 255; e++)
      for (int k = 0; k < per; k++) add(bits_to_f32(s << 31 | e << 23 | (uint32_t(rng()) & 0x7fffff)));
  for (int j = 1; j <= 4096; j++)
    for (float x : {1.0f + j * 0x1p-23f, 1.0f - j * 0x1p-24f, -1.0f - j * 0x1p-23f}) add(x);
  const float xs[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f, -1.0f, 2.0f, -2.0f, 0.5f, -0.5f, -3.0f, 1e-45f, -1e-45f,
                      3.40282347e38f, -3.40282347e38f};
  const float ys[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f, -1.0f, 2.0f, -2.0f, 3.0f, -3.0f, 0.5f, -0.5f, 2.5f, -2.5f,
                      16777216.0f, -16777216.0f, 16777218.0f, 33554432.0f, 1e30f, -1e30f, 1e-45f, -1e-45f, 127.0f, -149.0f};
  for (float x : xs)
    for (float y : ys) a.push_back(x), b.push_back(y);
  std::vector<long double> ref(a.size());
  for (size_t i = 0; i < a.size(); i++) ref[i] = std::pow((long double)a[i], (long double)b[i]);
  sweep<float>("power", F32, 2, a, &b, ref, mlx, "power_ranged");
}

// softmax and logsumexp over rows of 4096 normally distributed values (spread
// 4); with `cols` below 32, logsumexp alone over 600 such rows (the engine's
// short-row path, in blocks of 256 rows), reported as logsumexp_r<cols>.
// With `big_rows`, softmax and logsumexp over that many rows: an output past
// half the last-level cache, which softmax stores non-temporally (reported
// as softmax_big; odd `cols` put the rows' starts off the vector slots).
// With `shift`, softmax and logsumexp over 64 rows of 4096 centred there
// (reported as softmax_at<shift>): rows whose maximum is negative or above
// 60 take the row kernels' path that subtracts it (RowKernels::zero_shift).
template <class S>
void rows_check(const Format& f, int slot, Mlx* mlx, std::mt19937_64& rng, int cols = 4096, int big_rows = 0,
                int shift = 0) {
  if (!wanted("softmax") && !wanted("logsumexp") && !wanted("logcumsumexp")) return;
  const bool short_rows = cols < 32;
  const int rows = big_rows ? big_rows : short_rows ? 600 : 64;
  std::normal_distribution<double> nd(double(shift), 4.0);
  std::vector<S> x(size_t(rows) * cols);
  for (auto& v : x) v = S(nd(rng));
  const auto xv = values(x, f);
  std::vector<long double> sm(x.size()), lse(rows), lcse(x.size());
  for (int r = 0; r < rows; r++) {
    long double m = -INFINITY, s = 0;
    for (int c = 0; c < cols; c++) m = std::fmax(m, xv[size_t(r) * cols + c]);
    for (int c = 0; c < cols; c++) s += std::exp(xv[size_t(r) * cols + c] - m);
    for (int c = 0; c < cols; c++) sm[size_t(r) * cols + c] = std::exp(xv[size_t(r) * cols + c] - m) / s;
    lse[size_t(r)] = m + std::log(s);
    long double run = 0;
    for (int c = 0; c < cols; c++) {
      run += std::exp(xv[size_t(r) * cols + c]);
      lcse[size_t(r) * cols + c] = std::log(run);
    }
  }
  const std::string shape = "[" + std::to_string(rows) + "," + std::to_string(cols) + "]";
  for (const char* op : {"softmax", "logsumexp", "logcumsumexp"}) {
    if ((short_rows && std::string(op) != "logsumexp") || ((big_rows || shift) && std::string(op) == "logcumsumexp") ||
        !wanted(op))
      continue;
    const bool is_sm = op[0] == 's', is_cum = op[3] == 'c';
    const auto ours = engine_run(op, f, sizeof(S), {x.data()}, x.size(), is_cum ? "{\"axis\":-1}" : "{\"axes\":[-1]}", shape);
    std::vector<uint8_t> theirs;
    if (mlx) theirs = mlx->run(op, f, slot, sizeof(S), {x.data()}, rows, cols);
    const auto& ref = is_sm ? sm : is_cum ? lcse : lse;
    // logcumsumexp cancels where it crosses 0 after a negative running max
    // (as logaddexp): its error is in ulps of the larger of the result and
    // the running max.
    std::vector<long double> scale(ref.begin(), ref.end());
    if (is_cum)
      for (int r = 0; r < rows; r++) {
        long double m = -INFINITY;
        for (int c = 0; c < cols; c++) {
          const size_t i = size_t(r) * cols + c;
          m = std::fmax(m, xv[i]);
          if (std::fabs(m) > std::fabs(ref[i])) scale[i] = m;
        }
      }
    auto err = [&](const std::vector<uint8_t>& out, size_t i) {
      const double g = to_double<S>(out.data(), i, f);
      if (scale[i] == ref[i] || !std::isfinite(g)) return ulp_error(g, ref[i], f);
      int e = std::ilogb(scale[i]);
      if (e < f.emin) e = f.emin;
      return double(std::fabs(g - ref[i]) / std::ldexp(1.0L, e - f.mant));
    };
    Result r;
    for (size_t i = 0; i < ref.size(); i++) {
      const double e = err(ours, i);
      if (e > r.ours) r.ours = e, r.worst_in = double(ref[i]);
      if (!theirs.empty()) r.mlx = std::max(r.mlx, err(theirs, i));
    }
    const std::string label = shift ? std::string(op) + "_at" + std::to_string(shift)
                              : big_rows ? std::string(op) + "_big" : "logsumexp_r" + std::to_string(cols);
    report(op, f, x.size(), r, short_rows || big_rows || shift ? label.c_str() : nullptr);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s HEADER [LIBMLXC] [SAMPLES_PER_BINADE]\n", argv[0]);
    return 2;
  }
  bounds = read_bounds(argv[1]);
  if (bounds.empty()) {
    std::fprintf(stderr, "no accuracy table in %s\n", argv[1]);
    return 2;
  }
  Mlx mlx_lib;
  Mlx* mlx = nullptr;
  if (argc > 2 && argv[2][0]) {
    if (mlx_lib.open(argv[2])) mlx = &mlx_lib;
    else std::printf("real MLX not compared: cannot load %s (%s)\n", argv[2], dlerror());
  } else {
    std::printf("real MLX not compared: no libmlxc given\n");
  }
  const int per = argc > 3 ? std::atoi(argv[3]) : 2048;
  std::mt19937_64 rng(20261130);

  std::vector<uint16_t> halves(65536);
  for (uint32_t i = 0; i < 65536; i++) halves[i] = uint16_t(i);
  sweep_all<uint16_t>(F16, 0, halves, mlx, rng);
  sweep_all<uint16_t>(BF16, 1, halves, mlx, rng);
  sweep_all<float>(F32, 2, inputs_f32(per, rng), mlx, rng);
  power_check(mlx, rng, per / 8);
  sweep_all<double>(F64, 3, inputs_f64(per / 8, rng), mlx, rng);
  rows_check<float>(F32, 2, mlx, rng);
  rows_check<double>(F64, 3, mlx, rng);
  for (int cols : {1, 10, 31}) rows_check<float>(F32, 2, mlx, rng, cols);
  for (int shift : {-30, 80}) rows_check<float>(F32, 2, mlx, rng, 4096, 0, shift);
  rows_check<float>(F32, 2, mlx, rng, 4093, 3001);
  rows_check<double>(F64, 3, mlx, rng, 2045, 3301);
  std::printf("%d over their bound\n", failures);
  return failures ? 1 : 0;
}
