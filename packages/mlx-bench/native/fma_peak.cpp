// The machine's measured float32 FMA peak: every core runs a loop of
// independent fused multiply-adds in the widest vectors the CPU has, enough
// accumulators to cover the FMA latency on two units. The figure is the best
// of several timed runs of all threads at once, in GFLOP/s (an FMA is two flops), so it includes whatever
// clock the cores hold with their vector units busy. Printed as one line:
//   fma_peak <GFLOP/s> isa <avx512|avx2|sse> threads <n> per_thread <GFLOP/s>
//   fma_peak [--threads N]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

}  // namespace

int main(int argc, char** argv) {
  int threads = int(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i + 1 < argc; i++)
    if (!std::strcmp(argv[i], "--threads")) threads = std::max(1, std::atoi(argv[i + 1]));
  const double flops = 2.0 * kLanes * kAccumulators * double(kIterations);
  std::atomic<float> sink{0};
  double best = 1e30;
  // run 0 brings the cores up to their vector clock; it is not counted
  for (int run = 0; run <= 5; run++) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    std::vector<double> took(threads);
    for (int t = 0; t < threads; t++)
      pool.emplace_back([&, t] {
        ready.fetch_add(1);
        while (!go.load()) {
        }
        const double t0 = now();
        const float s = fma_loop(kIterations, float(t));
        took[t] = now() - t0;
        sink.store(sink.load() + s);
      });
    while (ready.load() < threads) {
    }
    go.store(true);
    for (auto& th : pool) th.join();
    if (run) best = std::min(best, *std::max_element(took.begin(), took.end()));
  }
  const double total = flops * threads / best / 1e9;
  std::printf("fma_peak %.1f isa %s threads %d per_thread %.1f\n", total, kIsa, threads,
              total / threads);
  return sink.load() == 12345.0f ? 1 : 0;
}
