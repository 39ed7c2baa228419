// fft: MLX's FFT primitive, complex (forward or inverse) and real (rfft,
// irfft) transforms over a list of axes, in complex64 as MLX computes them.
// The facade pads or truncates to the requested sizes with ordinary ops, so
// the op transforms the axes as they are (irfft is told its output length).
//
// The transform is the engine's own (no FFT library in Debian both fits an
// MIT project and links statically): a mixed-radix Stockham FFT (radix 4
// and 2 passes, any other prime up to kMaxRadix as a direct DFT),
// Bluestein's algorithm over a power of two for lengths with a larger prime
// factor. Lines transform in parallel, or, when there are fewer long lines
// than threads, each pass of a line is split over the threads (a "four-step"
// split, with its transposes, measured slower here than one core's pass);
// twiddles are computed in double and kept per length.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>

#include "../op.h"
#include "../parallel.h"

namespace mlxc {

namespace {

// Layout-compatible with std::complex<float>, with plain arithmetic:
// std::complex's operator* checks for infinities through a libgcc call.
struct C {
  float r, i;
};
inline C add(C a, C b) { return {a.r + b.r, a.i + b.i}; }
inline C sub(C a, C b) { return {a.r - b.r, a.i - b.i}; }
inline C mul(C a, C b) { return {a.r * b.r - a.i * b.i, a.r * b.i + a.i * b.r}; }
inline C conj(C a) { return {a.r, -a.i}; }
inline C scale(C a, float s) { return {a.r * s, a.i * s}; }
// exp(-2 pi i k / n), computed in double with k reduced first.
inline C root(int64_t k, int64_t n) {
  const double t = -2 * M_PI * double(k % n) / double(n);
  return {float(std::cos(t)), float(std::sin(t))};
}

constexpr int kMaxRadix = 64;  // larger prime factors go through Bluestein
// A line this long, when there are fewer lines than threads, has each pass
// split over the threads in ranges of at least kWideGrain butterflies.
constexpr int64_t kWideLine = 1 << 15, kWideGrain = 4096;

// n complex values of scratch from the engine's buffer cache (fresh pages
// cost a fault each, which is slow on this virtual machine).
Array scratch(int64_t n) { return Array(DType::Complex64, {std::max<int64_t>(n, 1)}); }

struct Plan {
  int64_t n = 0;
  // Stockham passes: radix and twiddles w_len^(p k) of each, p < len / radix, 0 < k < radix.
  std::vector<int> radix;
  std::vector<std::vector<C>> tw;
  // Bluestein: chirp b_k = exp(i pi k^2 / n), the FFT of its wrapped copy, and the power-of-two plan.
  std::shared_ptr<const Plan> conv;
  std::vector<C> chirp, chirp_fft;
};

std::shared_ptr<const Plan> plan_for(int64_t n);
void run_plan(const Plan& pl, C* x, C* work, bool wide);

std::vector<int> factor(int64_t n) {
  std::vector<int> f;
  while (n % 4 == 0) f.push_back(4), n /= 4;
  while (n % 2 == 0) f.push_back(2), n /= 2;
  for (int64_t p = 3; p * p <= n; p += 2)
    while (n % p == 0) f.push_back(int(p)), n /= p;
  if (n > 1) f.push_back(n > kMaxRadix ? -1 : int(n));  // -1: a prime too large for a pass
  return f;
}

std::shared_ptr<Plan> make_plan(int64_t n) {
  auto pl = std::make_shared<Plan>();
  pl->n = n;
  std::vector<int> f = factor(n);
  bool smooth = true;
  for (int r : f) smooth &= r > 0;
  if (!smooth) {
    int64_t m = 1;
    while (m < 2 * n - 1) m *= 2;
    pl->conv = plan_for(m);
    pl->chirp.resize(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; k++) {
      // k^2 mod 2n keeps the angle exact for long lines
      const int64_t q = int64_t((unsigned __int128)(k) * k % (unsigned __int128)(2 * n));
      const double t = M_PI * double(q) / double(n);
      pl->chirp[size_t(k)] = {float(std::cos(t)), float(std::sin(t))};
    }
    std::vector<C> w(static_cast<size_t>(m), C{0, 0});
    for (int64_t k = 0; k < n; k++) {
      w[size_t(k)] = pl->chirp[size_t(k)];
      if (k) w[size_t(m - k)] = pl->chirp[size_t(k)];
    }
    std::vector<C> work(static_cast<size_t>(m));
    run_plan(*pl->conv, w.data(), work.data(), false);
    pl->chirp_fft = w;
    return pl;
  }
  pl->radix = f;
  int64_t len = n;
  for (int r : f) {
    const int64_t m = len / r;
    std::vector<C> t(static_cast<size_t>(m * (r - 1)));
    for (int64_t p = 0; p < m; p++)
      for (int k = 1; k < r; k++) t[size_t(p * (r - 1) + k - 1)] = root(p * k, len);
    pl->tw.push_back(std::move(t));
    len = m;
  }
  return pl;
}

std::shared_ptr<const Plan> plan_for(int64_t n) {
  static std::mutex mu;
  static std::map<int64_t, std::shared_ptr<const Plan>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(n);
    if (it != cache.end()) return it->second;
  }
  auto pl = make_plan(n);  // outside the lock: Bluestein's sub-plan takes it again
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() > 256) cache.clear();
  return cache.emplace(n, pl).first->second;
}

// exp(-2 pi i k / n) for k = 0 .. n / 2: the twiddles that turn a complex
// transform of n / 2 packed real pairs into a real transform of n points.
std::shared_ptr<const std::vector<C>> half_twiddles(int64_t n) {
  static std::mutex mu;
  static std::map<int64_t, std::shared_ptr<const std::vector<C>>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  auto tw = std::make_shared<std::vector<C>>(size_t(n / 2 + 1));
  for (int64_t k = 0; k <= n / 2; k++) (*tw)[size_t(k)] = root(k, n);
  if (cache.size() > 256) cache.clear();
  return cache.emplace(n, tw).first->second;
}

// One Stockham pass of radix r: x holds `len`-point transforms at stride s;
// y[q + s (r p + k)] = w_len^(p k) sum_j x[q + s (p + j m)] w_r^(j k).
// Only the butterflies t = p s + q in [first, last) (of m s in all): they write
// disjoint outputs, so ranges of one pass can run on different threads.
void pass(int r, int64_t len, int64_t s, const C* tw, const C* x, C* y, int64_t first, int64_t last) {
  const int64_t m = len / r;
  C wr[kMaxRadix], a[kMaxRadix];
  if (r != 2 && r != 4)
    for (int k = 0; k < r; k++) wr[k] = root(k, r);
  for (int64_t p = first / s; p * s < last; p++) {
    const int64_t q0 = std::max(first - p * s, int64_t(0)), q1 = std::min(last - p * s, s);
    if (r == 2) {
      const C w = tw[p];
      for (int64_t q = q0; q < q1; q++) {
        const C a0 = x[q + s * p], b = x[q + s * (p + m)];
        y[q + s * (2 * p)] = add(a0, b);
        y[q + s * (2 * p + 1)] = mul(sub(a0, b), w);
      }
    } else if (r == 4) {
      const C w1 = tw[3 * p], w2 = tw[3 * p + 1], w3 = tw[3 * p + 2];
      for (int64_t q = q0; q < q1; q++) {
        const C a0 = x[q + s * p], a1 = x[q + s * (p + m)], a2 = x[q + s * (p + 2 * m)], a3 = x[q + s * (p + 3 * m)];
        const C t0 = add(a0, a2), t1 = sub(a0, a2), t2 = add(a1, a3), d = sub(a1, a3);
        const C t3 = {d.i, -d.r};  // (a1 - a3) * -i
        C* o = y + q + s * (4 * p);
        o[0] = add(t0, t2);
        o[s] = mul(add(t1, t3), w1);
        o[2 * s] = mul(sub(t0, t2), w2);
        o[3 * s] = mul(sub(t1, t3), w3);
      }
    } else {
      for (int64_t q = q0; q < q1; q++) {
        for (int j = 0; j < r; j++) a[j] = x[q + s * (p + j * m)];
        for (int k = 0; k < r; k++) {
          C b = a[0];
          for (int j = 1; j < r; j++) b = add(b, mul(a[j], wr[(j * k) % r]));
          y[q + s * (r * p + k)] = k ? mul(b, tw[p * (r - 1) + k - 1]) : b;
        }
      }
    }
  }
}

// The forward transform of x (length plan.n) in place; work holds as many.
// wide: each pass is split over the engine's threads (one long line).
void run_plan(const Plan& pl, C* x, C* work, bool wide) {
  const int64_t n = pl.n;
  if (pl.conv) {  // Bluestein: a circular convolution with the chirp, length m
    const int64_t m = pl.conv->n;
    Array a_buf = scratch(m), w_buf = scratch(m);
    C *a = a_buf.data<C>(), *w = w_buf.data<C>();
    for (int64_t k = 0; k < n; k++) a[k] = mul(x[k], conj(pl.chirp[size_t(k)]));
    std::fill(a + n, a + m, C{0, 0});
    run_plan(*pl.conv, a, w, wide);
    for (int64_t k = 0; k < m; k++) a[k] = conj(mul(a[k], pl.chirp_fft[size_t(k)]));
    run_plan(*pl.conv, a, w, wide);  // the inverse, through conjugates
    const float inv = 1.0f / float(m);
    for (int64_t k = 0; k < n; k++) x[k] = mul(scale(conj(a[k]), inv), conj(pl.chirp[size_t(k)]));
    return;
  }
  C *src = x, *dst = work;
  int64_t len = n, s = 1;
  for (size_t i = 0; i < pl.radix.size(); i++) {
    const int r = pl.radix[i];
    const C* tw = pl.tw[i].data();
    const int64_t butterflies = len / r * s;
    if (wide)
      parallel_for(butterflies, kWideGrain, [&](int64_t b, int64_t e) { pass(r, len, s, tw, src, dst, b, e); });
    else
      pass(r, len, s, tw, src, dst, 0, butterflies);
    std::swap(src, dst);
    len /= pl.radix[i];
    s *= pl.radix[i];
  }
  if (src != x) std::copy(src, src + n, x);
}

// Lines are moved between strided storage and contiguous buffers kBlock at
// a time (the lines of a block transform one after the other, blocks in
// parallel), so each strided step reads or writes kBlock adjacent values (whole
// cache lines) instead of one.
constexpr int64_t kBlock = 8;

// The lines along one axis of an array [outer, n, inner]: line (o, i).
struct Lines {
  int64_t outer, inner;
};

// One of `count` equal parts of a loop over a line (all of it: {0, 1}).
struct Part {
  int64_t index, count;
  int64_t lo(int64_t len) const { return len * index / count; }
  int64_t hi(int64_t len) const { return len * (index + 1) / count; }
};

// Transforms every line: load(o, i0, cnt, block, part) fills `part` of cnt
// lines (i0 .. i0 + cnt - 1 of outer index o) into block, n values each;
// store(o, i0, cnt, block, part) writes that part back. Parts of one line
// are independent, so a long line loads and stores over the threads too.
// inverse transforms through conjugates, the last taken part by part with
// the store (so a store of an inverse reads only its own part of the line).
template <class Load, class Store>
void each_line(const Lines& g, int64_t n, bool inverse, Load load, Store store) {
  const int64_t count = g.outer * g.inner;
  if (count == 0) return;
  auto pl = plan_for(n);
  auto conj_all = [](C* line, int64_t len) {
    for (int64_t k = 0; k < len; k++) line[k] = conj(line[k]);
  };
  if (n >= kWideLine && count < num_threads()) {
    Array line_buf = scratch(n), work_buf = scratch(n);
    C *line = line_buf.data<C>(), *work = work_buf.data<C>();
    const int64_t parts = 4 * num_threads();
    auto each_part = [&](auto fn) {
      parallel_for(parts, 1, [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; p++) fn(Part{p, parts});
      });
    };
    for (int64_t l = 0; l < count; l++) {
      const int64_t o = l / g.inner, i = l % g.inner;
      each_part([&](Part part) {
        load(o, i, 1, line, part);
        if (inverse) conj_all(line + part.lo(n), part.hi(n) - part.lo(n));
      });
      run_plan(*pl, line, work, true);
      each_part([&](Part part) {
        if (inverse) conj_all(line + part.lo(n), part.hi(n) - part.lo(n));
        store(o, i, 1, line, part);
      });
    }
    return;
  }
  const int64_t per_outer = (g.inner + kBlock - 1) / kBlock, blocks = g.outer * per_outer;
  parallel_for(blocks, std::max<int64_t>(1, 4096 / std::max<int64_t>(n * kBlock, 1)), [&](int64_t b, int64_t e) {
    Array line_buf = scratch(n * std::min(kBlock, g.inner)), work_buf = scratch(n);
    C *lines = line_buf.data<C>(), *work = work_buf.data<C>();
    for (int64_t blk = b; blk < e; blk++) {
      const int64_t o = blk / per_outer, i0 = blk % per_outer * kBlock, cnt = std::min(kBlock, g.inner - i0);
      load(o, i0, cnt, lines, Part{0, 1});
      for (int64_t c = 0; c < cnt; c++) {
        C* line = lines + c * n;
        if (inverse) conj_all(line, n);
        run_plan(*pl, line, work, false);
        if (inverse) conj_all(line, n);
      }
      store(o, i0, cnt, lines, Part{0, 1});
    }
  });
}

Lines lines_of(const Shape& s, int axis) {
  Lines g{1, 1};
  for (int i = 0; i < axis; i++) g.outer *= s[size_t(i)];
  for (size_t i = size_t(axis) + 1; i < s.size(); i++) g.inner *= s[i];
  return g;
}

// A complex transform along `axis` of x (complex64) in place, each value times f.
void complex_axis(Array& x, int axis, bool inverse, float f) {
  const int64_t n = x.shape[size_t(axis)];
  const Lines g = lines_of(x.shape, axis);
  C* d = x.data<C>();
  each_line(g, n, inverse,
            [&](int64_t o, int64_t i0, int64_t cnt, C* lines, Part part) {
              const C* src = d + o * n * g.inner + i0;
              for (int64_t k = part.lo(n); k < part.hi(n); k++)
                for (int64_t c = 0; c < cnt; c++) lines[c * n + k] = src[k * g.inner + c];
            },
            [&](int64_t o, int64_t i0, int64_t cnt, const C* lines, Part part) {
              C* dst = d + o * n * g.inner + i0;
              for (int64_t k = part.lo(n); k < part.hi(n); k++)
                for (int64_t c = 0; c < cnt; c++) dst[k * g.inner + c] = scale(lines[c * n + k], f);
            });
}

struct Spec {
  std::vector<int> axes;
  bool inverse, real;
  int64_t n_last;  // irfft's output length along the last axis
};

Spec spec_of(const Attrs& a, int ndim) {
  Spec s;
  for (int64_t ax : a.ints("axes")) s.axes.push_back(norm_axis(ax, ndim, a.at("axes")));
  std::vector<int> sorted = s.axes;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw RequestError("invalid_axis", a.at("axes"), "axes contain a duplicate");
  if (s.axes.empty()) throw RequestError("invalid_axis", a.at("axes"), "at least one axis is needed");
  s.inverse = a.b("inverse");
  s.real = a.b("real");
  s.n_last = a.i("n");
  return s;
}

TypeShape infer_fft(const InferCtx& c) {
  const TypeShape& in = c.in[0];
  const Spec s = spec_of(c.attrs, int(in.shape.size()));
  TypeShape out{DType::Complex64, in.shape};
  const int last = s.axes.back();
  for (int ax : s.axes)
    if (in.shape[size_t(ax)] == 0 && !(s.real && s.inverse && ax == last))
      throw RequestError("invalid_shape", c.path + "/inputs/0", "cannot transform an axis of size 0 (axis " + std::to_string(ax) + ")");
  if (s.real && !s.inverse) {
    if (in.dtype == DType::Complex64) refuse_dtype("fft", in.dtype, c.path + "/inputs/0");
    out.shape[size_t(last)] = in.shape[size_t(last)] / 2 + 1;
  } else if (s.real) {
    if (s.n_last < 1) throw RequestError("invalid_shape", c.attrs.at("n"), "irfft needs an output length of at least 1");
    if (in.shape[size_t(last)] != s.n_last / 2 + 1)
      throw RequestError("invalid_shape", c.path + "/inputs/0",
                         "the last axis has " + std::to_string(in.shape[size_t(last)]) + " values, an output of " +
                             std::to_string(s.n_last) + " needs " + std::to_string(s.n_last / 2 + 1));
    out.dtype = DType::Float32;
    out.shape[size_t(last)] = s.n_last;
  }
  return out;
}

std::vector<Array> eval_fft(const EvalCtx& c) {
  const Spec s = spec_of(c.attrs, c.in[0].ndim());
  const std::string norm = c.attrs.str("norm");
  const Shape& out_shape = c.out[0].shape;
  double total = 1;  // the transform's size, for the normalization
  for (int ax : s.axes) total *= double(s.real && s.inverse ? out_shape[size_t(ax)] : c.in[0].shape[size_t(ax)]);
  const bool scaled = norm == "ortho" || (norm == "backward") == s.inverse;
  const float f = !scaled ? 1.0f : float(norm == "ortho" ? 1 / std::sqrt(total) : 1 / total);
  const int last = s.axes.back();

  if (!s.real) {
    Array x(DType::Complex64, c.in[0].shape);
    const Array src = astype(c.in[0], DType::Complex64);
    std::copy(src.data<C>(), src.data<C>() + src.size(), x.data<C>());
    for (size_t k = 0; k < s.axes.size(); k++) complex_axis(x, s.axes[k], s.inverse, k + 1 == s.axes.size() ? f : 1.0f);
    return {x};
  }
  if (!s.inverse) {  // rfft along the last axis, then complex transforms along the others
    const Array in = astype(c.in[0], DType::Float32);
    Array x(DType::Complex64, out_shape);
    const int64_t n = in.shape[size_t(last)], h = n / 2 + 1;
    const Lines g = lines_of(in.shape, last);
    const float f_last = s.axes.size() == 1 ? f : 1.0f;
    const float* src = in.data<float>();
    C* dst = x.data<C>();
    if (n % 2 == 0 && n >= 4) {
      // Half the work: the even and odd points as one complex line of m = n / 2,
      // z_k = x_2k + i x_2k+1, then X_k = E_k + w^k O_k with
      // E_k = (Z_k + conj Z_m-k) / 2 and O_k = (Z_k - conj Z_m-k) / 2i.
      const int64_t m = n / 2;
      const auto tw = half_twiddles(n);
      each_line(g, m, false,
                [&](int64_t o, int64_t i0, int64_t cnt, C* lines, Part part) {
                  const float* p = src + o * n * g.inner + i0;
                  for (int64_t k = part.lo(m); k < part.hi(m); k++)
                    for (int64_t c = 0; c < cnt; c++) lines[c * m + k] = {p[2 * k * g.inner + c], p[(2 * k + 1) * g.inner + c]};
                },
                [&](int64_t o, int64_t i0, int64_t cnt, const C* lines, Part part) {
                  C* p = dst + o * h * g.inner + i0;
                  for (int64_t c = 0; c < cnt; c++) {
                    const C* z = lines + c * m;
                    for (int64_t k = part.lo(h); k < part.hi(h); k++) {
                      const C a = z[k % m], b = conj(z[(m - k % m) % m]);
                      const C e = scale(add(a, b), 0.5f), d = sub(a, b);
                      const C od = {0.5f * d.i, -0.5f * d.r};  // (a - b) / 2i
                      p[k * g.inner + c] = scale(add(e, mul((*tw)[size_t(k)], od)), f_last);
                    }
                  }
                });
      for (size_t k = 0; k + 1 < s.axes.size(); k++) complex_axis(x, s.axes[k], false, k + 2 == s.axes.size() ? f : 1.0f);
      return {x};
    }
    each_line(g, n, false,
              [&](int64_t o, int64_t i0, int64_t cnt, C* lines, Part part) {
                const float* p = src + o * n * g.inner + i0;
                for (int64_t k = part.lo(n); k < part.hi(n); k++)
                  for (int64_t c = 0; c < cnt; c++) lines[c * n + k] = {p[k * g.inner + c], 0};
              },
              [&](int64_t o, int64_t i0, int64_t cnt, const C* lines, Part part) {
                C* p = dst + o * h * g.inner + i0;
                for (int64_t k = part.lo(h); k < part.hi(h); k++)
                  for (int64_t c = 0; c < cnt; c++) p[k * g.inner + c] = scale(lines[c * n + k], f_last);
              });
    for (size_t k = 0; k + 1 < s.axes.size(); k++) complex_axis(x, s.axes[k], false, k + 2 == s.axes.size() ? f : 1.0f);
    return {x};
  }
  // irfft: complex inverse transforms along all but the last axis, then a
  // Hermitian line of n / 2 + 1 values to n real ones (the imaginary parts
  // of the first value, and of the middle one when n is even, are ignored).
  Array x(DType::Complex64, c.in[0].shape);
  {
    const Array src = astype(c.in[0], DType::Complex64);
    std::copy(src.data<C>(), src.data<C>() + src.size(), x.data<C>());
  }
  for (size_t k = 0; k + 1 < s.axes.size(); k++) complex_axis(x, s.axes[k], true, 1.0f);
  Array out(DType::Float32, out_shape);
  const int64_t n = s.n_last, h = n / 2 + 1;
  const Lines g = lines_of(x.shape, last);
  const C* src = x.data<C>();
  float* dst = out.data<float>();
  each_line(g, n, true,
            [&](int64_t o, int64_t i0, int64_t cnt, C* lines, Part part) {
              const C* p = src + o * h * g.inner + i0;
              for (int64_t k = part.lo(n); k < part.hi(n); k++)
                for (int64_t c = 0; c < cnt; c++) lines[c * n + k] = k < h ? p[k * g.inner + c] : conj(p[(n - k) * g.inner + c]);
            },
            [&](int64_t o, int64_t i0, int64_t cnt, const C* lines, Part part) {
              float* p = dst + o * n * g.inner + i0;
              for (int64_t k = part.lo(n); k < part.hi(n); k++)
                for (int64_t c = 0; c < cnt; c++) p[k * g.inner + c] = lines[c * n + k].r * f;
            });
  return {out};
}

}  // namespace

void register_fft_ops() {
  OpDef d = make_op("fft", "fft", "complex64; irfft gives float32", 1, 1,
                    {{"axes", AttrType::IntList, nullptr, true},
                     {"inverse", AttrType::Bool, false},
                     {"real", AttrType::Bool, false},
                     {"n", AttrType::Int, -1},
                     {"norm", AttrType::Enum, "backward", false, false, {"backward", "ortho", "forward"}}});
  d.doc = "MLX's FFT primitive over `axes` (complex, or real when `real`: rfft, or irfft to an output of `n` along the last axis)";
  d.infer = [](const InferCtx& c) { return std::vector<TypeShape>{infer_fft(c)}; };
  d.eval = eval_fft;
  register_op(std::move(d));
}

}  // namespace mlxc
