// The machine's measured float32 FMA peak: every core runs a loop of
// independent fused multiply-adds in the widest vectors the CPU has
// (AVX-512, else AVX2 with FMA), enough accumulators to cover the FMA
// latency on two units. The figure is the best of several timed runs of all
// threads at once, in GFLOP/s (an FMA is two flops), so it includes whatever
// clock the cores hold with their vector units busy. Printed as one line:
//   fma_peak <GFLOP/s> isa <avx512|avx2|none> threads <n> per_thread <GFLOP/s>
//   fma_peak [--threads N]
#include <immintrin.h>

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

// Each returns a sum of its accumulators, so the compiler keeps the loop.
__attribute__((target("avx512f"))) float run_avx512(long iterations, float seed) {
  __m512 acc[kAccumulators];
  for (int k = 0; k < kAccumulators; k++) acc[k] = _mm512_set1_ps(seed + float(k));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 16
    for (int k = 0; k < kAccumulators; k++) acc[k] = _mm512_fmadd_ps(acc[k], a, b);
  }
  for (int k = 1; k < kAccumulators; k++) acc[0] = _mm512_add_ps(acc[0], acc[k]);
  float out[16];
  _mm512_storeu_ps(out, acc[0]);
  float s = 0;
  for (float v : out) s += v;
  return s;
}

__attribute__((target("avx2,fma"))) float run_avx2(long iterations, float seed) {
  __m256 acc[kAccumulators];
  for (int k = 0; k < kAccumulators; k++) acc[k] = _mm256_set1_ps(seed + float(k));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 16
    for (int k = 0; k < kAccumulators; k++) acc[k] = _mm256_fmadd_ps(acc[k], a, b);
  }
  for (int k = 1; k < kAccumulators; k++) acc[0] = _mm256_add_ps(acc[0], acc[k]);
  float out[8];
  _mm256_storeu_ps(out, acc[0]);
  float s = 0;
  for (float v : out) s += v;
  return s;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

int main(int argc, char** argv) {
  int threads = int(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i + 1 < argc; i++)
    if (!std::strcmp(argv[i], "--threads")) threads = std::max(1, std::atoi(argv[i + 1]));
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!avx512 && !avx2) {
    std::printf("fma_peak 0 isa none threads %d per_thread 0\n", threads);
    return 0;
  }
  const int lanes = avx512 ? 16 : 8;
  const double flops = 2.0 * lanes * kAccumulators * double(kIterations);
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
        const float s = avx512 ? run_avx512(kIterations, float(t)) : run_avx2(kIterations, float(t));
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
  std::printf("fma_peak %.1f isa %s threads %d per_thread %.1f\n", total, avx512 ? "avx512" : "avx2", threads,
              total / threads);
  return sink.load() == 12345.0f ? 1 : 0;
}
