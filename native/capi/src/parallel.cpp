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
#if defined(__linux__)
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
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

// Background work (run_in_background): the thread that runs it and the
// workers that share its parts are marked, for Linux's scheduler, as batch
// work with the longest time slice. A thread that wakes with an ordinary
// slice (an event loop's) then takes a core from them at once instead of at
// the next tick, and they do not preempt it when they wake; their share of
// the CPU against other threads is unchanged (a lower nice value or
// SCHED_IDLE would starve them on a busy machine, and could not be undone
// without privileges).
thread_local bool in_background = false;

#if defined(__linux__) && defined(SYS_sched_setattr) && defined(SYS_sched_getattr)
// The kernel's struct sched_attr (glibc has no wrapper before 2.41).
struct SchedAttr {
  uint32_t size;
  uint32_t policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
};
constexpr uint64_t kBackgroundSliceNs = 100'000'000;  // the most the kernel takes

// Marks the calling thread as background work; false (and nothing changed)
// when it is not an ordinary SCHED_OTHER thread or the kernel refuses.
bool enter_background(SchedAttr& saved) {
  saved = {};
  if (syscall(SYS_sched_getattr, 0, &saved, sizeof saved, 0) != 0 || saved.policy != SCHED_OTHER) return false;
  SchedAttr batch = saved;
  batch.size = sizeof batch;
  batch.policy = SCHED_BATCH;
  batch.runtime = kBackgroundSliceNs;  // kernels before 6.12 ignore it
  return syscall(SYS_sched_setattr, 0, &batch, 0) == 0;
}
void leave_background(SchedAttr& saved) {
  saved.size = sizeof saved;
  syscall(SYS_sched_setattr, 0, &saved, 0);
}
#else
struct SchedAttr {};
bool enter_background(SchedAttr&) { return false; }
void leave_background(SchedAttr&) {}
#endif

// For threads that only ever do background work.
void become_background() {
  SchedAttr unused;
  enter_background(unused);
}

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
  Pool(int workers, bool background) {
    for (int i = 0; i < workers; i++)
      std::thread([this, background] {
        if (background) become_background();
        work();
      }).detach();
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
  static Pool* p = new Pool(num_threads() - 1, false);
  return *p;
}

// Background work's own workers, so that they keep their marks.
Pool& background_pool() {
  static Pool* p = new Pool(num_threads() - 1, true);
  return *p;
}

void spawn(const std::function<void(int64_t, int64_t)>& fn, int64_t n, int64_t parts) {
  Job job;
  job.fn = &fn;
  job.n = n;
  job.parts = parts;
  std::vector<std::thread> threads;
  const bool background = in_background;
  for (int t = 1; t < num_threads() && t < parts; t++)
    threads.emplace_back([&job, background] {
      if (background) become_background();
      take_parts(job);
    });
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
  if (!(in_background ? background_pool() : pool()).try_run(fn, n, parts)) spawn(fn, n, parts);
}

void run_in_background(const std::function<void()>& work) {
  if (in_background) return work();
  struct Mark {
    SchedAttr saved;
    bool marked;
    Mark() : marked(enter_background(saved)) { in_background = true; }
    ~Mark() {
      in_background = false;
      if (marked) leave_background(saved);
    }
  } mark;
  work();
}

}  // namespace mlxc
