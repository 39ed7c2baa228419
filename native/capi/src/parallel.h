// Splits [0, n) across the machine's cores, on a pool of sleeping worker
// threads; small ranges run inline. Safe to call from several threads at once.
#pragma once
#include <cstdint>
#include <functional>

namespace mlxc {

// Calls fn(begin, end) on disjoint ranges covering [0, n); ranges are at
// least `grain` long. Rethrows the first exception a range raised.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);
int num_threads();

// Runs `work` on the calling thread as background work (a job waited for by
// mlxcompat_job_wait_background): on Linux the thread, for that time, and
// the workers that take its parallel parts run as SCHED_BATCH with a 100 ms
// slice, so that an interactive thread that wakes gets a core at once. The
// thread's scheduling attributes are put back after; a thread that is not
// SCHED_OTHER is left as it is.
void run_in_background(const std::function<void()>& work);

}  // namespace mlxc
