#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace mlxc {

int num_threads() {
  static const int n = [] {
    if (const char* e = std::getenv("MLXCOMPAT_NUM_THREADS")) {
      int v = std::atoi(e);
      if (v > 0) return v;
    }
    return std::max(1, int(std::thread::hardware_concurrency()));
  }();
  return n;
}

namespace {

constexpr int64_t kPartsPerThread = 8;

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Runs part p of `parts` equal slices of [0, n).
void run_part(const std::function<void(int64_t, int64_t)>& fn, int64_t n, int64_t parts, int64_t p) {
  fn(n * p / parts, n * (p + 1) / parts);
}

// One parallel_for handed to the pool: its own counters, so a worker still
// finishing an old job can never take a part of a newer one.
struct Job {
  const std::function<void(int64_t, int64_t)>* fn;
  int64_t n, parts;
  std::atomic<int64_t> next{0}, finished{0};
  std::mutex mu;
  std::condition_variable done;
  std::exception_ptr error;
};

void take_parts(Job& job) {
  for (;;) {
    const int64_t p = job.next.fetch_add(1);
    if (p >= job.parts) return;
    try {
      run_part(*job.fn, job.n, job.parts, p);
    } catch (...) {
      std::lock_guard<std::mutex> g(job.mu);
      if (!job.error) job.error = std::current_exception();
    }
    if (job.finished.fetch_add(1) + 1 == job.parts) {
      std::lock_guard<std::mutex> g(job.mu);
      job.done.notify_all();
    }
  }
}

// Waits for `ready` by polling before the caller blocks: the ops of one
// request follow each other within microseconds, the requests of a loop
// within milliseconds, and a thread woken from sleep starts late on a cold
// core. The first kHotSpin polls flat out; then, up to kSpin, each poll
// yields the core to any thread that wants it (as OpenBLAS's workers do for
// a tenth of a second).
constexpr auto kHotSpin = std::chrono::milliseconds(1);
constexpr auto kSpin = std::chrono::milliseconds(50);
template <class Ready>
bool spin_until(Ready ready) {
  const auto start = std::chrono::steady_clock::now();
  while (!ready()) {
    const auto spent = std::chrono::steady_clock::now() - start;
    if (spent > kSpin) return false;
    if (spent < kHotSpin)
      for (int i = 0; i < 32; i++) relax();
    else
      std::this_thread::yield();
  }
  return true;
}

// Workers that poll for a while after a job, then sleep (the cores are free
// for others between requests). One job at a time; a caller that finds the
// pool busy (a nested call, or another session's) spawns threads instead.
class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; i++) std::thread([this] { work(); }).detach();
  }

  bool try_run(const std::function<void(int64_t, int64_t)>& fn, int64_t n, int64_t parts) {
    bool expected = false;
    if (!busy_.compare_exchange_strong(expected, true)) return false;
    auto job = std::make_shared<Job>();
    job->fn = &fn;
    job->n = n;
    job->parts = parts;
    {
      std::lock_guard<std::mutex> g(mu_);
      job_ = job;
      generation_++;
    }
    wake_.notify_all();
    take_parts(*job);
    if (!spin_until([&] { return job->finished.load() == parts; })) {
      std::unique_lock<std::mutex> lock(job->mu);
      job->done.wait(lock, [&] { return job->finished.load() == parts; });
    }
    {
      std::lock_guard<std::mutex> g(mu_);
      job_.reset();
    }
    busy_ = false;
    if (job->error) std::rethrow_exception(job->error);
    return true;
  }

 private:
  void work() {
    uint64_t seen = 0;
    for (;;) {
      spin_until([&] { return generation_.load() != seen; });
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        seen = generation_;
        job = job_;
      }
      if (job) take_parts(*job);
    }
  }

  std::atomic<bool> busy_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::shared_ptr<Job> job_;
  std::atomic<uint64_t> generation_{0};
};

Pool& pool() {
  // never destroyed: its workers sleep until the process ends
  static Pool* p = new Pool(num_threads() - 1);
  return *p;
}

void spawn(const std::function<void(int64_t, int64_t)>& fn, int64_t n, int64_t parts) {
  Job job;
  job.fn = &fn;
  job.n = n;
  job.parts = parts;
  std::vector<std::thread> threads;
  for (int t = 1; t < num_threads() && t < parts; t++) threads.emplace_back([&job] { take_parts(job); });
  take_parts(job);
  for (auto& t : threads) t.join();
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  // A few parts per thread, taken in turn: a worker that wakes late (an idle
  // core can take a millisecond to come back) leaves its share to the others
  // instead of making them wait.
  const int64_t most = std::max<int64_t>(1, n / std::max<int64_t>(grain, 1));
  if (num_threads() == 1 || most == 1) {
    fn(0, n);
    return;
  }
  const int64_t parts = std::min<int64_t>(int64_t(num_threads()) * kPartsPerThread, most);
  if (!pool().try_run(fn, n, parts)) spawn(fn, n, parts);
}

}  // namespace mlxc
