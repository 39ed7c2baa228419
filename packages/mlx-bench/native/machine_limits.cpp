// The machine's measured limits, on every core at once, as the benchmarks
// judge kernels against them:
//  - the float32 FMA peak: each thread runs a loop of independent fused
//    multiply-adds in the widest vectors the CPU has, enough accumulators to
//    cover the FMA latency on two units; the best of 5 timed runs, in GFLOP/s
//    (an FMA is two flops), at whatever clock the cores hold with their
//    vector units busy;
//  - the copy bandwidth: a 256 MiB memcpy split over the threads (glibc's,
//    which streams past the caches as a fast kernel does), the best of 16
//    timed runs, read plus written bytes per second. JavaScript cannot
//    measure it: TypedArray.set on shared memory copies word by word, about
//    60% of memcpy's rate here.
// Printed as two lines:
//   fma_peak <GFLOP/s> isa <avx512|avx2|sse> threads <n>
//   copy_bandwidth <GB/s> threads <n>
//   machine_limits [--threads N]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

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
  const double copy_s = best_of(threads, 16, [&](int t) { std::memcpy(to.data() + share(t), from.data() + share(t), share(t + 1) - share(t)); });
  std::printf("copy_bandwidth %.1f threads %d\n", 2.0 * double(bytes) / copy_s / 1e9, threads);
  return sink.load() == 12345.0f && to[bytes / 2] == 3 ? 1 : 0;
}
