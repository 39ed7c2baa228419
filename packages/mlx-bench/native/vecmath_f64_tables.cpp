// Prints the tables and split constants of native/capi/src/ops/vecmath_f64_log.h,
// computed in quad precision (session 28), to check or remake them:
//   g++ -O2 -o build/bench/vecmath_f64_tables packages/mlx-bench/native/vecmath_f64_tables.cpp -lquadmath
#include <quadmath.h>
#include <cstdio>
typedef __float128 Q;
static void table(const char* name, const double* v, int n) {
  printf("alignas(64) constexpr double %s[%d] = {\n   ", name, n);
  for (int i = 0; i < n; i++) printf(" %a%s%s", v[i], i < n - 1 ? "," : "", i % 4 == 3 && i < n - 1 ? "\n   " : "");
  printf("};\n");
}
// v rounded to `bits` significant bits
static double round_bits(Q v, int bits) {
  const int e = ilogbq(v);
  return (double)(roundq(scalbnq(v, bits - 1 - e)) * scalbnq(1, e - bits + 1));
}
int main() {
  double hi[48] = {}, lo[48] = {};
  for (int i = 43; i <= 85; i++) {
    // hi on the grid of 2^-42, as k ln2_hi: k ln2_hi + hi is exact
    const Q l = -logq(Q(i) / 64) + 0;  // +0 at i = 64
    hi[i - 43] = (double)(roundq(l * 0x1p42Q) * 0x1p-42Q), lo[i - 43] = (double)(l - (Q)hi[i - 43]);
  }
  table("kLogHi", hi, 48);
  table("kLogLo", lo, 48);
  double th[128], tl[128];
  for (int i = 0; i < 128; i++) {
    const Q t = exp2q(Q(i) / 128);
    th[i] = (double)t, tl[i] = (double)(t - (Q)th[i]);
  }
  table("kExpHi", th, 128);
  table("kExpLo", tl, 128);
  const Q ln2 = logq(Q(2)), c = ln2 / 128, l2e = 1 / ln2;
  const double l2h = round_bits(ln2, 42), c1 = round_bits(c, 35), c2 = round_bits(c - c1, 35);
  printf("kLn2Hi = %a, kLn2Lo = %a;\n", l2h, (double)(ln2 - l2h));
  printf("kLn2N1 = %a, kLn2N2 = %a, kLn2N3 = %a;\n", c1, c2, (double)(c - c1 - c2));
  printf("128 / ln2 = %a\n", (double)(128 / ln2));
  printf("kLog2eHi = %a, kLog2eLo = %a;\n", (double)l2e, (double)(l2e - (Q)(double)l2e));
  const Q m23 = Q(-2) / 3;
  printf("kM23Hi = %a, kM23Lo = %a;\n", (double)m23, (double)(m23 - (Q)(double)m23));
}
