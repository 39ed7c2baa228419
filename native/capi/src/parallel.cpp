#include "parallel.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

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

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  int64_t parts = std::min<int64_t>(num_threads(), std::max<int64_t>(1, n / std::max<int64_t>(grain, 1)));
  if (parts <= 1) {
    fn(0, n);
    return;
  }
  std::exception_ptr err;
  std::mutex mu;
  auto run = [&](int64_t p) {
    int64_t b = n * p / parts, e = n * (p + 1) / parts;
    try {
      fn(b, e);
    } catch (...) {
      std::lock_guard<std::mutex> g(mu);
      if (!err) err = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (int64_t p = 1; p < parts; p++) threads.emplace_back(run, p);
  run(0);
  for (auto& t : threads) t.join();
  if (err) std::rethrow_exception(err);
}

}  // namespace mlxc
