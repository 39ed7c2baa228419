// The AMX runtime check (amx.h).
#include "amx.h"

#include <cstdlib>
#include <cstring>

#if MLXC_AMX
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace mlxc {

#if MLXC_AMX

namespace {

// CPUID and XCR0 say the CPU and the kernel support the tiles (and the
// AVX-512 the epilogues use); then Linux must grant the tile data state.
bool amx_granted() {
  static const bool yes = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    const bool tile = d & (1u << 24), tbf16 = d & (1u << 22), f = b & (1u << 16), bw = b & (1u << 30), vl = b & (1u << 31);
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return false;
    const bool bf16 = a & (1u << 5);
    if (!(tile && tbf16 && f && bw && vl && bf16)) return false;
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    const unsigned want = 0x60000u | 0xe6u;  // tile config and data; opmask, ZMM, SSE, AVX
    if ((lo & want) != want) return false;
    constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return yes;
}

}  // namespace

bool amx_available() {
  const char* env = std::getenv("MLXCOMPAT_AMX");
  return !(env && std::strcmp(env, "0") == 0) && amx_granted();
}

#else

bool amx_available() { return false; }

#endif

}  // namespace mlxc
