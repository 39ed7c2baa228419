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

}  // namespace mlxc
