// Default limits that follow the machine's memory, and the ceilings a
// session's options may raise limits to.
#include <unistd.h>

#include <fstream>

#include "engine.h"

namespace mlxc {

int64_t physical_memory() {
  static const int64_t bytes = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    int64_t b = pages > 0 && page > 0 ? int64_t(pages) * page : int64_t(8) << 30;
    // a container's memory limit (cgroup v2), when it is lower
    std::ifstream f("/sys/fs/cgroup/memory.max");
    int64_t cg = 0;
    if (f >> cg && cg > 0 && cg < b) b = cg;
    return b;
  }();
  return bytes;
}

// An eighth of memory per request: a request's estimate leaves out
// temporaries a kernel makes and copies the caller makes of the response,
// and several sessions may run at once.
int64_t default_max_bytes() { return physical_memory() / 8; }

Limits limit_ceilings() {
  Limits l;
  l.max_elements = int64_t(1) << 48;  // element counts times 16 bytes stay far inside int64
  l.max_bytes = physical_memory();
  l.max_nodes = 10000000;
  l.max_inputs = 10000000;
  l.max_ndim = 64;
  l.max_request_bytes = physical_memory() / 4;
  return l;
}

}  // namespace mlxc
