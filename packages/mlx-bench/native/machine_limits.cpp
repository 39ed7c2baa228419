// The machine's measured limits, on every core at once, as the benchmarks
// judge kernels against them:
//  - the float32 FMA peak: each thread runs a loop of independent fused
//    multiply-adds in the widest vectors the CPU has, enough accumulators to
//    cover the FMA latency on two units; the best of 5 timed runs, in GFLOP/s
//    (an FMA is two flops), at whatever clock the cores hold with their
//    vector units busy;
//  - the copy bandwidth: a 256 MiB copy split over the threads, the best of
//    16 timed runs of memcpy and of 16 of a copy that streams its stores
//    (stream_copy.h), read plus written bytes per second. JavaScript cannot
//    measure it: TypedArray.set on shared memory copies word by word, about
//    60% of memcpy's rate here;
//  - what reading alone reaches, the most a kernel that only reads its
//    inputs could move: the same threads summing a 256 MiB buffer, best of
//    16, each thread reading its part as one stream (a plain loop), and as
//    16 interleaved streams, 256 bytes of each in turn, which keep more lines
//    in flight (the hardware prefetcher follows each) and read up to half as
//    fast again.
// Printed as three lines:
//   fma_peak <GFLOP/s> isa <avx512|avx2|sse> threads <n>
//   copy_bandwidth <GB/s> threads <n>
//   read_bandwidth <GB/s, 16 streams a thread> one_stream <GB/s> threads <n>
//   machine_limits [--threads N]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "stream_copy.h"

namespace {

constexpr long kIterations = 20'000'000;
constexpr int kAccumulators = 12;

// Built with -march=native on the machine that runs it (machine.ts), so the
// widest vectors it has: GCC's vector type of that width, whose a * b + c
// compiles to one FMA.
#if defined(__AVX512F__)
constexpr int kLanes = 16;
constexpr const char* kIsa = "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int kLanes = 8;
constexpr const char* kIsa = "avx2";
#else
constexpr int kLanes = 4;
constexpr const char* kIsa = "sse";
#endif
typedef float Vec __attribute__((vector_size(kLanes * sizeof(float))));

// Returns a sum of its accumulators, so the compiler keeps the loop.
float fma_loop(long iterations, float seed) {
  Vec acc[kAccumulators];
  for (int k = 0; k < kAccumulators; k++) acc[k] = Vec{} + (seed + float(k));
  const Vec a = Vec{} + 0.999999f, b = Vec{} + 1e-7f;
  for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 16
    for (int k = 0; k < kAccumulators; k++) acc[k] = acc[k] * a + b;
  }
  float s = 0;
  for (int k = 0; k < kAccumulators; k++)
    for (int l = 0; l < kLanes; l++) s += acc[k][l];
  return s;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// The fastest of `runs` timed runs (after one more) of part(t) on every
// thread t at once, started together: the slowest thread's time, in seconds.
double best_of(int threads, int runs, const std::function<void(int)>& part) {
  double best = 1e30;
  for (int run = 0; run <= runs; run++) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    std::vector<double> took(static_cast<size_t>(threads));
    for (int t = 0; t < threads; t++)
      pool.emplace_back([&, t] {
        ready.fetch_add(1);
        while (!go.load()) {
        }
        const double t0 = now();
        part(t);
        took[size_t(t)] = now() - t0;
      });
    while (ready.load() < threads) {
    }
    go.store(true);
    for (auto& th : pool) th.join();
    if (run) best = std::min(best, *std::max_element(took.begin(), took.end()));
  }
  return best;
}

// 32 bytes summed at a time; a std::vector of them is aligned to 32 (a
// vector of uint64_t from malloc would be to 16 only).
typedef uint64_t Words __attribute__((vector_size(32)));

// A sum over `a` on `threads` threads, each reading its part as `streams`
// interleaved streams: bytes read per second, best of 16.
double read_gbs(const std::vector<Words>& a, int threads, int streams) {
  using V = Words;
  const V* v = a.data();
  const size_t count = a.size();
  // vectors a stream: whole steps of 8
  const size_t per = count / size_t(threads) / size_t(streams) / 8 * 8;
  std::vector<V> sums(static_cast<size_t>(threads));
  const double s = best_of(threads, 16, [&](int t) {
    const size_t lo = count * size_t(t) / size_t(threads);
    V s0{}, s1{}, s2{}, s3{};
    for (size_t i = 0; i < per; i += 8)
      for (size_t k = 0; k < size_t(streams); k++) {
        const V* p = v + lo + k * per + i;
        s0 += p[0] + p[4];
        s1 += p[1] + p[5];
        s2 += p[2] + p[6];
        s3 += p[3] + p[7];
      }
    sums[size_t(t)] = s0 + s1 + s2 + s3;
  });
  volatile uint64_t keep = sums[0][0];
  (void)keep;
  return double(per * sizeof(V) * size_t(streams) * size_t(threads)) / s / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = int(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i + 1 < argc; i++)
    if (!std::strcmp(argv[i], "--threads")) threads = std::max(1, std::atoi(argv[i + 1]));

  std::atomic<float> sink{0};
  const double fma_s = best_of(threads, 5, [&](int t) { sink.store(sink.load() + fma_loop(kIterations, float(t))); });
  std::printf("fma_peak %.1f isa %s threads %d\n", 2.0 * kLanes * kAccumulators * double(kIterations) * threads / fma_s / 1e9, kIsa, threads);

  const size_t bytes = size_t(256) << 20;
  std::vector<char> from(bytes, 1), to(bytes, 0);  // both touched before timing
  const auto share = [&](int t) { return bytes * size_t(t) / size_t(threads) / 4096 * 4096; };
  const double copy_s = std::min(best_of(threads, 16, [&](int t) { std::memcpy(to.data() + share(t), from.data() + share(t), share(t + 1) - share(t)); }),
                                 best_of(threads, 16, [&](int t) { stream_copy(to.data() + share(t), from.data() + share(t), share(t + 1) - share(t)); }));
  std::printf("copy_bandwidth %.1f threads %d\n", 2.0 * double(bytes) / copy_s / 1e9, threads);
  const std::vector<Words> words(bytes / sizeof(Words), Words{1, 1, 1, 1});
  const double read16 = read_gbs(words, threads, 16), read1 = read_gbs(words, threads, 1);
  std::printf("read_bandwidth %.1f one_stream %.1f threads %d\n", read16, read1, threads);
  return sink.load() == 12345.0f && to[bytes / 2] == 3 ? 1 : 0;
}
