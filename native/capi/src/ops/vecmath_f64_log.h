// float64 log, log2, log1p and power, near correctly rounded (issue 18: at
// least as accurate as MLX, which calls glibc's libm for float64). Included
// by vecmath_isa.h inside its namespaces (VD: double lanes).
//
// log_dd gives log x as hi + lo to about 2^-73 relative; the functions round
// hi + lo once. x = 2^k m with m in [0.75, 1.5), invc = i / 64 with i the
// whole number nearest an estimate of 64 / m (43..85): log x = k ln2 -
// log(invc) + log1p(r), r = m invc - 1 exact (|r| < 2^-6). Next to 1, i =
// 64 and k = 0: the result keeps r's relative precision. power is
// e^(y log x) with y log x as a double-double and an exp core on a table of
// 2^(i/128), each part's rounding error carried to the last addition: the
// exponent's absolute error is the result's relative error, so log's
// relative error times |y log x| (up to 745) stays near 2^-63. The tables
// and split constants were made in quad precision by
// packages/mlx-bench/native/vecmath_f64_tables.cpp; the polynomials are
// Taylor series. Against quad precision over 2M random inputs a case (x
// next to 1 and in every binade; power's y log x over [-745.3, 709.79],
// subnormal results, x next to 1 with |y| to 2^18), both instruction sets:
// log, log2 and log1p at most 0.500001 ulp, power 0.5001.

// -log(i / 64) as hi + lo, i = 43..85 (then zeros to 48), hi a multiple of
// 2^-42 (as k ln2_hi, so that their sum is exact).
alignas(64) constexpr double kLogHi[48] = {
    0x1.973a343135p-2, 0x1.7fafa3bd81p-2, 0x1.68ac83e9c7p-2, 0x1.522ae0738ap-2,
    0x1.3c25277333p-2, 0x1.269621134ep-2, 0x1.1178e8227ep-2, 0x1.f991c6cb3cp-3,
    0x1.d1037f2656p-3, 0x1.a93ed3c8aep-3, 0x1.823c16551ap-3, 0x1.5bf406b544p-3,
    0x1.365fcb015ap-3, 0x1.1178e8227ep-3, 0x1.da72763844p-4, 0x1.9335e5d594p-4,
    0x1.4d3115d208p-4, 0x1.08598b59e4p-4, 0x1.894aa149f8p-5, 0x1.0415d89e78p-5,
    0x1.020565893p-6, 0x0p+0, -0x1.fc0a8b0fcp-7, -0x1.f829b0e78p-6,
    -0x1.77458f633p-5, -0x1.f0a30c0118p-5, -0x1.341d7961bcp-4, -0x1.6f0d28ae58p-4,
    -0x1.a926d3a4acp-4, -0x1.e27076e2bp-4, -0x1.0d77e7cd08p-3, -0x1.29552f82p-3,
    -0x1.44d2b6ccb8p-3, -0x1.5ff3070a7ap-3, -0x1.7ab890210ep-3, -0x1.9525a9cf46p-3,
    -0x1.af3c94e80cp-3, -0x1.c8ff7c79aap-3, -0x1.e27076e2bp-3, -0x1.fb9186d5e4p-3,
    -0x1.0a324e2739p-2, -0x1.1675cababap-2, -0x1.22941fbcf8p-2, 0x0p+0,
    0x0p+0, 0x0p+0, 0x0p+0, 0x0p+0};
alignas(64) constexpr double kLogLo[48] = {
    0x1.ab73b16bf4984p-44, 0x1.46fb79bf6d4cbp-44, -0x1.7af966c548a3p-44, 0x1.ebe708164c759p-45,
    0x1.83b54b606bd5cp-46, -0x1.1b61f10522625p-44, 0x1.1ef78ce2d07f2p-44, -0x1.90d04cd7cc834p-44,
    -0x1.84a7e75b6f6e4p-47, -0x1.8724350562169p-45, 0x1.e0ddb9a631e83p-46, -0x1.27023eb68981cp-46,
    -0x1.fd3a0afb9691bp-44, 0x1.1ef78ce2d07f2p-45, 0x1.a89401fa71733p-46, 0x1.3115c3abd47dap-45,
    -0x1.53a2582f4e1efp-48, -0x1.7e5dd7009902cp-46, 0x1.9a19a8be97661p-44, -0x1.dddc7f461c516p-44,
    0x1.611d27c8e8417p-44, 0x0p+0, -0x1.f1e7cf6d3a69cp-50, -0x1.980267c7e09e4p-45,
    0x1.181dce586af09p-44, 0x1.d599e83368e91p-45, -0x1.1d0929983761p-44, 0x1.4b4641b664613p-44,
    -0x1.563650bd22a9cp-44, 0x1.a342c2af0003cp-45, -0x1.cb2cd2ee2f482p-44, 0x1.5b967f4471dfcp-44,
    0x1.70cc16135783cp-46, 0x1.8586f183bebf2p-44, 0x1.bdb9072534a58p-45, 0x1.297137d9f158fp-44,
    0x1.a4e633fcd9066p-52, 0x1.7794f689f8434p-45, 0x1.a342c2af0003cp-44, 0x1.d572aab993c87p-47,
    -0x1.c6bee7ef4030ep-47, -0x1.8380e731f55c4p-44, 0x1.a6976f5eb0963p-44, 0x0p+0,
    0x0p+0, 0x0p+0, 0x0p+0, 0x0p+0};

// 2^(i / 128) as hi + lo, i = 0..127.
alignas(64) constexpr double kExpHi[128] = {
    0x1p+0, 0x1.0163da9fb3335p+0, 0x1.02c9a3e778061p+0, 0x1.04315e86e7f85p+0,
    0x1.059b0d3158574p+0, 0x1.0706b29ddf6dep+0, 0x1.0874518759bc8p+0, 0x1.09e3ecac6f383p+0,
    0x1.0b5586cf9890fp+0, 0x1.0cc922b7247f7p+0, 0x1.0e3ec32d3d1a2p+0, 0x1.0fb66affed31bp+0,
    0x1.11301d0125b51p+0, 0x1.12abdc06c31ccp+0, 0x1.1429aaea92dep+0, 0x1.15a98c8a58e51p+0,
    0x1.172b83c7d517bp+0, 0x1.18af9388c8deap+0, 0x1.1a35beb6fcb75p+0, 0x1.1bbe084045cd4p+0,
    0x1.1d4873168b9aap+0, 0x1.1ed5022fcd91dp+0, 0x1.2063b88628cd6p+0, 0x1.21f49917ddc96p+0,
    0x1.2387a6e756238p+0, 0x1.251ce4fb2a63fp+0, 0x1.26b4565e27cddp+0, 0x1.284dfe1f56381p+0,
    0x1.29e9df51fdee1p+0, 0x1.2b87fd0dad99p+0, 0x1.2d285a6e4030bp+0, 0x1.2ecafa93e2f56p+0,
    0x1.306fe0a31b715p+0, 0x1.32170fc4cd831p+0, 0x1.33c08b26416ffp+0, 0x1.356c55f929ff1p+0,
    0x1.371a7373aa9cbp+0, 0x1.38cae6d05d866p+0, 0x1.3a7db34e59ff7p+0, 0x1.3c32dc313a8e5p+0,
    0x1.3dea64c123422p+0, 0x1.3fa4504ac801cp+0, 0x1.4160a21f72e2ap+0, 0x1.431f5d950a897p+0,
    0x1.44e086061892dp+0, 0x1.46a41ed1d0057p+0, 0x1.486a2b5c13cdp+0, 0x1.4a32af0d7d3dep+0,
    0x1.4bfdad5362a27p+0, 0x1.4dcb299fddd0dp+0, 0x1.4f9b2769d2ca7p+0, 0x1.516daa2cf6642p+0,
    0x1.5342b569d4f82p+0, 0x1.551a4ca5d920fp+0, 0x1.56f4736b527dap+0, 0x1.58d12d497c7fdp+0,
    0x1.5ab07dd485429p+0, 0x1.5c9268a5946b7p+0, 0x1.5e76f15ad2148p+0, 0x1.605e1b976dc09p+0,
    0x1.6247eb03a5585p+0, 0x1.6434634ccc32p+0, 0x1.6623882552225p+0, 0x1.68155d44ca973p+0,
    0x1.6a09e667f3bcdp+0, 0x1.6c012750bdabfp+0, 0x1.6dfb23c651a2fp+0, 0x1.6ff7df9519484p+0,
    0x1.71f75e8ec5f74p+0, 0x1.73f9a48a58174p+0, 0x1.75feb564267c9p+0, 0x1.780694fde5d3fp+0,
    0x1.7a11473eb0187p+0, 0x1.7c1ed0130c132p+0, 0x1.7e2f336cf4e62p+0, 0x1.80427543e1a12p+0,
    0x1.82589994cce13p+0, 0x1.8471a4623c7adp+0, 0x1.868d99b4492edp+0, 0x1.88ac7d98a6699p+0,
    0x1.8ace5422aa0dbp+0, 0x1.8cf3216b5448cp+0, 0x1.8f1ae99157736p+0, 0x1.9145b0b91ffc6p+0,
    0x1.93737b0cdc5e5p+0, 0x1.95a44cbc8520fp+0, 0x1.97d829fde4e5p+0, 0x1.9a0f170ca07bap+0,
    0x1.9c49182a3f09p+0, 0x1.9e86319e32323p+0, 0x1.a0c667b5de565p+0, 0x1.a309bec4a2d33p+0,
    0x1.a5503b23e255dp+0, 0x1.a799e1330b358p+0, 0x1.a9e6b5579fdbfp+0, 0x1.ac36bbfd3f37ap+0,
    0x1.ae89f995ad3adp+0, 0x1.b0e07298db666p+0, 0x1.b33a2b84f15fbp+0, 0x1.b59728de5593ap+0,
    0x1.b7f76f2fb5e47p+0, 0x1.ba5b030a1064ap+0, 0x1.bcc1e904bc1d2p+0, 0x1.bf2c25bd71e09p+0,
    0x1.c199bdd85529cp+0, 0x1.c40ab5fffd07ap+0, 0x1.c67f12e57d14bp+0, 0x1.c8f6d9406e7b5p+0,
    0x1.cb720dcef9069p+0, 0x1.cdf0b555dc3fap+0, 0x1.d072d4a07897cp+0, 0x1.d2f87080d89f2p+0,
    0x1.d5818dcfba487p+0, 0x1.d80e316c98398p+0, 0x1.da9e603db3285p+0, 0x1.dd321f301b46p+0,
    0x1.dfc97337b9b5fp+0, 0x1.e264614f5a129p+0, 0x1.e502ee78b3ff6p+0, 0x1.e7a51fbc74c83p+0,
    0x1.ea4afa2a490dap+0, 0x1.ecf482d8e67f1p+0, 0x1.efa1bee615a27p+0, 0x1.f252b376bba97p+0,
    0x1.f50765b6e454p+0, 0x1.f7bfdad9cbe14p+0, 0x1.fa7c1819e90d8p+0, 0x1.fd3c22b8f71f1p+0};

alignas(64) constexpr double kExpLo[128] = {
    0x0p+0, 0x1.b61299ab8cdb7p-54, -0x1.19083535b085dp-56, -0x1.0a31c1977c96ep-54,
    0x1.d73e2a475b465p-55, -0x1.c91dfe2b13c27p-55, 0x1.186be4bb284ffp-57, 0x1.1487818316136p-54,
    0x1.8a62e4adc610bp-54, 0x1.01edc16e24f71p-54, 0x1.03a1727c57b52p-59, -0x1.b9bedc44ebd7bp-57,
    -0x1.6c51039449b3ap-54, -0x1.1b514b36ca5c7p-58, -0x1.32fbf9af1369ep-54, 0x1.2406ab9eeab0ap-55,
    -0x1.19041b9d78a76p-55, -0x1.11023d1970f6cp-54, 0x1.e5b4c7b4968e4p-55, -0x1.95386352ef607p-54,
    0x1.e016e00a2643cp-54, -0x1.1df98027bb78cp-54, 0x1.dc775814a8495p-55, 0x1.2a97e9494a5eep-55,
    0x1.9b07eb6c70573p-54, 0x1.ac155bef4f4a4p-55, 0x1.2bd339940e9d9p-55, -0x1.a4c3a8c3f0d7ep-54,
    0x1.612e8afad1255p-55, -0x1.10adcd6381aa4p-59, 0x1.0024754db41d5p-54, 0x1.1ca0f45d52383p-56,
    0x1.6f46ad23182e4p-55, 0x1.a9ce78e18047cp-55, 0x1.32721843659a6p-54, -0x1.b5cee5c4e4628p-55,
    -0x1.63aeabf42eae2p-54, -0x1.e958d3c9904bdp-54, -0x1.5e436d661f5e3p-56, -0x1.efff8375d29c3p-54,
    0x1.ada0911f09ebcp-55, -0x1.7d023f956f9f3p-54, -0x1.ef3691c309278p-58, -0x1.1c7dde35f7999p-55,
    0x1.89b7a04ef80dp-59, 0x1.c944bd1648a76p-54, 0x1.3c1a3b69062fp-56, 0x1.9cb62f3d1be56p-54,
    0x1.d4397afec42e2p-56, 0x1.8ecdbbc6a7833p-54, -0x1.4b309d25957e3p-54, -0x1.f768569bd93efp-55,
    -0x1.07abe1db13cadp-55, -0x1.d689cefede59bp-55, 0x1.9bb2c011d93adp-54, 0x1.295e15b9a1de8p-55,
    0x1.6324c054647adp-54, 0x1.c4b1b816986a2p-60, 0x1.ba6f93080e65ep-54, -0x1.3e2429b56de47p-54,
    -0x1.383c17e40b497p-54, -0x1.c483c759d8933p-55, -0x1.bb60987591c34p-54, 0x1.038ae44f73e65p-57,
    -0x1.bdd3413b26456p-54, -0x1.2895667ff0b0dp-56, -0x1.bbe3a683c88abp-57, -0x1.83c0f25860ef6p-55,
    -0x1.16e4786887a99p-55, -0x1.0a8d96c65d53cp-54, -0x1.0245957316dd3p-54, 0x1.866b80a02162dp-54,
    -0x1.41577ee04992fp-55, 0x1.f124cd1164dd6p-54, 0x1.05d02ba15797ep-56, -0x1.27c86626d972bp-54,
    -0x1.d4c1dd41532d8p-54, -0x1.8d684a341cdfbp-55, -0x1.fc6f89bd4f6bap-54, 0x1.994c2f37cb53ap-54,
    0x1.6e9f156864b27p-54, -0x1.0d55e32e9e3aap-56, 0x1.5cc13a2e3976cp-55, -0x1.dd6792e582524p-54,
    -0x1.75fc781b57ebcp-57, -0x1.64b7c96a5f039p-56, -0x1.d185b7c1b85d1p-54, -0x1.173bd91cee632p-54,
    0x1.c7c46b071f2bep-56, 0x1.824ca78e64c6ep-56, -0x1.359495d1cd533p-54, 0x1.6305c7ddc36abp-54,
    -0x1.d2f6edb8d41e1p-54, 0x1.bcb7ecac563c7p-54, 0x1.0fac90ef7fd31p-54, -0x1.f9234cae76cdp-55,
    0x1.7a1cd345dcc81p-54, -0x1.bdef54c80e425p-54, -0x1.2805e3084d708p-57, -0x1.c71dfbbba6de3p-54,
    -0x1.5584f7e54ac3bp-56, -0x1.efcd30e54292ep-54, 0x1.23dd07a2d9e84p-55, -0x1.efdca3f6b9c73p-54,
    0x1.11065895048ddp-55, 0x1.b4537e083c60ap-54, 0x1.2884dff483cadp-54, 0x1.1acbc48805c44p-56,
    0x1.503cbd1e949dbp-56, -0x1.dd83b53829d72p-55, -0x1.cbc3743797a9cp-54, -0x1.d487b719d8578p-54,
    0x1.2ed02d75b3707p-55, -0x1.11ec18beddfe8p-54, 0x1.c2300696db532p-54, 0x1.2da5778f018c3p-54,
    -0x1.1a5cd4f184b5cp-54, -0x1.7b627817a1496p-54, 0x1.39e8980a9cc8fp-55, 0x1.2d522ca0c8de2p-54,
    -0x1.e9c23179c2893p-54, -0x1.c93f3b411ad8cp-54, 0x1.dc7f486a4b6bp-54, 0x1.3a1a5bf0d8e43p-54,
    0x1.9d3e12dd8a18bp-54, -0x1.dbb12d006350ap-54, 0x1.74853f3a5931ep-55, 0x1.2eb74966579e7p-57};

// ln 2 with 42 significant bits (k ln2_hi exact for |k| < 2^11) and the rest;
// ln 2 / 128 in three parts, the first two of 35 bits (whole multiples below
// 2^18 exact); log2 e as hi + lo.
constexpr double kLn2Hi = 0x1.62e42fefa38p-1, kLn2Lo = 0x1.ef35793c7673p-45;
constexpr double kLn2N1 = 0x1.62e42fefcp-8, kLn2N2 = -0x1.c610ca86cp-44, kLn2N3 = -0x1.c4c67fc0dp-83;
constexpr double kLog2eHi = 0x1.71547652b82fep+0, kLog2eLo = 0x1.777d0ffda0d24p-56;
// log1p(r) = r - r^2/2 + r^3/3 + r^4 P(r) and e^r = 1 + r + r^2 E(r):
// Taylor coefficients, highest first; -2/3 as hi + lo.
constexpr double kLogP[] = {1.0 / 11, -1.0 / 10, 1.0 / 9, -1.0 / 8, 1.0 / 7, -1.0 / 6, 1.0 / 5, -1.0 / 4};
constexpr double kM23Hi = -0x1.5555555555555p-1, kM23Lo = -0x1.5555555555555p-55;
constexpr double kExpE[] = {1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2};

// log x as hi + lo (hi the rounded sum) for positive finite x; with Low,
// log(x + xl) for a low part |xl| <= ulp(x) (log1p's 1 + x).
template <bool Low = false> VM_INLINE DD log_dd(VD::V x, VD::V xl = VD::set1(0.0)) {
  VD::V k;
  const VD::V m = VD::split75(x, k);
  // i - 43 + 1.5 2^52, i = 64/m's estimate rounded to whole (43..85 for
  // any estimate within 2^-11), i - 43 in its low bits; invc = i / 64
  const VD::V ib = VD::fma(VD::recip_est(m), VD::set1(64.0), VD::set1(0x1.8p52 - 43));
  const VD::V invc = VD::mul(VD::sub(ib, VD::set1(0x1.8p52 - 43)), VD::set1(1.0 / 64));
  // exact: m invc has at most 61 significant bits and |r| < 2^-6
  const VD::V rh = VD::fma(m, invc, VD::set1(-1.0));
  // k ln2 + log c + rh - rh^2/2, each sum's rounding error kept (the first exact)
  const VD::V a = VD::fma(k, VD::set1(kLn2Hi), VD::lookup48(kLogHi, ib));
  const DD b = fast_two_sum(a, rh);  // |log c| >= 2^-6.01 > |rh| where c != 1
  // -rh^2/2 = h2 + h2e and rh^3/3 = c + ce: near 1 (|log x| < 0.1) rh^3/3
  // reaches 2^-17 of the result, so it joins the exact sums (power's
  // y log x up to 709 multiplies the relative error by that much)
  const VD::V hr = VD::mul(rh, VD::set1(-0.5)), h2 = VD::mul(hr, rh), h2e = VD::fma(hr, rh, VD::neg(h2));
  const VD::V u = VD::mul(h2, rh), ue = VD::fma(h2e, rh, VD::fma(h2, rh, VD::neg(u)));  // -rh^3/2
  const VD::V c = VD::mul(u, VD::set1(kM23Hi));
  const VD::V ce = VD::fma(u, VD::set1(kM23Lo), VD::fma(ue, VD::set1(kM23Hi), VD::fma(u, VD::set1(kM23Hi), VD::neg(c))));
  const DD s = fast_two_sum(b.hi, h2);
  const DD s2 = fast_two_sum(s.hi, c);
  // the small terms: the sums' errors, h2e, ce, k ln2_lo + log c's low
  // part and rh^4 P (with Low, rl's share: log1p(rh + rl) ~ log1p(rh) + rl
  // (1 - rh + rh^2 - rh^3))
  const VD::V e = VD::add(VD::add(b.lo, s.lo), VD::add(s2.lo, VD::add(h2e, ce)));
  VD::V t = VD::fma(k, VD::set1(kLn2Lo), VD::lookup48(kLogLo, ib));
  if constexpr (Low) {
    // xl 2^-k invc, 2^-k kept normal (k above 1022: xl no longer matters)
    const VD::V p2 = VD::add_exp(VD::set1(1.0), VD::sub(VD::set1(0x1.8p52), VD::min(k, VD::set1(1022.0))), 0);
    const VD::V rl = VD::mul(VD::mul(xl, p2), invc);
    t = VD::add(t, VD::fma(rl, VD::mul(VD::neg(rh), VD::fma(VD::neg(rh), VD::sub(VD::set1(1.0), rh), VD::set1(1.0))), rl));
  }
  const VD::V r4 = VD::mul(h2, VD::mul(h2, VD::set1(4.0)));
  return fast_two_sum(s2.hi, VD::fma(r4, horner<VD>(rh, kLogP), VD::add(e, t)));
}

// (hi + lo) (ch + cl) rounded once.
VM_INLINE VD::V mul_dd(DD a, double ch, double cl) {
  const VD::V p = VD::mul(a.hi, VD::set1(ch));
  const VD::V l = VD::fma(a.hi, VD::set1(cl), VD::fma(a.lo, VD::set1(ch), VD::fma(a.hi, VD::set1(ch), VD::neg(p))));
  return VD::add(p, l);
}

// log_special where a lane needs it (x not positive and finite).
VM_INLINE VD::V log_special_f64(VD::V x, VD::V r) {
  if (VD::all(VD::gt(x, VD::set1(0.0))) && VD::all(VD::gt(VD::set1(__builtin_inf()), x))) return r;
  return log_special(x, r);
}

// log, log2 or log1p (F).
template <int F> VM_INLINE VD::V log_f64(VD::V x) {
  if constexpr (F == int(VFn::Log1p)) {
    // log(s + t) for 1 + x = s + t; below 2^-30, where 1 + x would round
    // x's bits away, x + x (x/3 - 1/2) x (the correction within 2^-31 x,
    // its rounding negligible; -0 stays -0)
    const DD s = two_sum(VD::set1(1.0), x);
    const VD::V r = log_dd<true>(s.hi, s.lo).hi;
    const VD::V small = VD::fma(VD::mul(x, VD::fma(x, VD::set1(1.0 / 3), VD::set1(-0.5))), x, x);
    return log_special_f64(s.hi, VD::sel(VD::gt(VD::set1(0x1p-30), VD::abs(x)), small, r));
  } else {
    const DD l = log_dd(x);
    if constexpr (F == int(VFn::Log)) return log_special_f64(x, l.hi);
    else return log_special_f64(x, mul_dd(l, kLog2eHi, kLog2eLo));
  }
}

// e^(th + tl) for th in [-745.2, ln(DBL_MAX)): th = (k 128 + i) ln2/128 + r,
// e^th = 2^k 2^(i/128) e^r; r as rh + rl, with tl.
VM_INLINE VD::V exp_dd(VD::V th, VD::V tl) {
  const VD::V shift = VD::set1(0x1.8p52);
  const VD::V kd = VD::fma(th, VD::set1(0x1.71547652b82fep+7), shift), kk = VD::sub(kd, shift);
  const DD r = two_sum(VD::fma(kk, VD::set1(-kLn2N1), th), VD::mul(kk, VD::set1(-kLn2N2)));  // both products exact
  const VD::V rh = r.hi, rl = VD::add(r.lo, VD::fma(kk, VD::set1(-kLn2N3), tl));
  const VD::V T = VD::gather(kExpHi, kd, 127), Tl = VD::gather(kExpLo, kd, 127);
  // T e^(rh + rl) ~ T (1 + rh + q) (1 + rl), q = rh^2 E(rh), rl (from tl)
  // up to 2^-43: T + T rh exactly as hi + lo, the rest small
  const VD::V q = VD::mul(VD::mul(rh, rh), horner<VD>(rh, kExpE));
  const VD::V p = VD::mul(T, rh);
  const DD s = fast_two_sum(T, p);
  const VD::V small = VD::fma(T, VD::add(q, VD::fma(rl, VD::add(rh, q), rl)),
                              VD::fma(Tl, VD::add(rh, VD::set1(1.0)), VD::fma(T, rh, VD::neg(p))));
  const VD::V lo = VD::add(s.lo, small);
  const VD::V n = VD::add_exp(VD::add(s.hi, lo), kd, 7);
  if (!VD::any(VD::gt(VD::set1(-708.0), th))) return n;
  // Results below 2^-1022 round to its multiples of 2^-1074: 1 + (hi + lo)
  // 2^(k + 1022) rounded once, up to 2 (where its grid is 2^-52), then 1
  // taken off and scaled back exactly.
  const VD::V p2 = VD::add_exp(VD::set1(1.0), VD::add(kd, VD::set1(1022.0 * 128)), 7);
  const DD u = fast_two_sum(VD::set1(1.0), VD::mul(s.hi, p2));
  const VD::V v = VD::add(u.hi, VD::fma(lo, p2, u.lo));
  const VD::V sub = VD::sel(VD::gt(VD::set1(0x1.0000000000001p1), v), VD::mul(VD::sub(v, VD::set1(1.0)), VD::set1(0x1p-1022)), n);
  return VD::sel(VD::gt(VD::set1(-708.0), th), sub, n);
}

// x^y: e^(y log |x|) where x is finite and nonzero (negative with y
// whole, the sign then y's parity) and y log |x| in (-745.2,
// 709.7827128933) (below ln(DBL_MAX) by more than its error: the result
// finite, and below 2^-1075.1 it is 0); SLEEF's pow elsewhere (zeros,
// infinities, NaN, negative x with y fractional, overflow and underflow to
// 0), called only when a lane needs it.
VM_INLINE VD::V pow_f64(VD::V x, VD::V y) {
  const VD::V ax = VD::abs(x);
  const DD l = log_dd(ax);
  const VD::V th = VD::mul(y, l.hi), tl = VD::fma(y, l.lo, VD::fma(y, l.hi, VD::neg(th)));
  VD::V r = exp_dd(th, tl);
  // th moved to the range's centre, NaN where the lane is not ours
  const VD::V nan = VD::set1(__builtin_nan(""));
  VD::V w = VD::sel(VD::gt(ax, VD::set1(0.0)), VD::add(th, VD::set1(17.70864355335)), nan);
  w = VD::sel(VD::eq(ax, VD::set1(__builtin_inf())), nan, w);
  const auto neg = VD::gt(VD::set1(0.0), x);
  // Sign and parity only where a lane is negative: all-positive power took
  // 1.09x (AVX-512) and 1.17x (AVX2) the time of the form that left x < 0
  // to SLEEF, 1.14x and 1.27x without this test.
  if (VD::any(neg)) {
    const VD::V h = VD::mul(y, VD::set1(0.5));
    r = VD::sel(neg, VD::sel(VD::eq(VD::round(h), h), r, VD::neg(r)), r);  // y odd: -|x|^y
    w = VD::sel(neg, VD::sel(VD::eq(VD::round(y), y), w, nan), w);
  }
  const auto ok = VD::gt(VD::set1(727.49135644665), VD::abs(w));
  return VD::all(ok) ? r : VD::sel(ok, r, Fns<VD>::binary[int(VFn2::Power)](x, y));
}
