// The constants of ironkernel's own exp and sin (own_exp.hpp, own_sin.hpp), defined once here for
// the C++ routines and for the JIT's inline math (jit/inline_math.cpp), which must give their bits.
// Plain numbers, no vector types: the JIT's files are compiled without AVX-512 flags.
#pragma once

namespace ik::simd::own {

template <class T>
struct ExpConstants;

template <>
struct ExpConstants<double> {
    static constexpr double bound = 708;  // |x| <= bound: the in-range path, every result a normal number
    // t = x / ln 2 + 1.5 * 2^52 rounds x / ln 2 to the integer k held in t's low bits.
    static constexpr double shifter = 0x1.8p52, inverse_ln2 = 0x1.71547652b82fep0;
    static constexpr double ln2_hi = 0x1.62e42fefa39efp-1, ln2_lo = 0x1.abc9e3b39803fp-56;  // ln 2 in two parts
    static constexpr int mantissa_bits = 52;
    static constexpr int terms = 12;
    // The Taylor coefficients 1/2!, 1/3!, ..., 1/13!
    static constexpr double taylor[terms] = {1.0 / 2,       1.0 / 6,        1.0 / 24,        1.0 / 120,
                                             1.0 / 720,     1.0 / 5040,     1.0 / 40320,     1.0 / 362880,
                                             1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800};
};

template <>
struct ExpConstants<float> {
    static constexpr float bound = 87;
    static constexpr float shifter = 0x1.8p23f, inverse_ln2 = 0x1.715476p0f;
    static constexpr float ln2_hi = 0x1.62e43p-1f, ln2_lo = -0x1.05c61p-29f;
    static constexpr int mantissa_bits = 23;
    static constexpr int terms = 6;
    // 1/2!, 1/3!, ..., 1/7!
    static constexpr float taylor[terms] = {1.0f / 2, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040};
};

// sin, float64 only (float32 sin is libmvec's).
struct SinConstants {
    static constexpr double bound = 0x1p20;  // |x| <= bound: r is right to its last bit
    // t = x / pi + 1.5 * 2^52 rounds x / pi to the integer q held in t's low bits.
    static constexpr double shifter = 0x1.8p52, inverse_pi = 0x1.45f306dc9c883p-2;
    // pi in three positive parts (x = -0 keeps its sign in r)
    static constexpr double pi[3] = {0x1.921fb54442d18p1, 0x1.1a62633145c06p-53, 0x1.c1cd129024e09p-106};
    // P(s), s = r^2, as pairs (odd, even) for Estrin's scheme: a_k = s * odd[k] + even[k]
    static constexpr double odd[4] = {0x1.1111111111107p-7, 0x1.71de3a5456716p-19, 0x1.6124015b5ee3ap-33,
                                      0x1.89a4866f527ebp-49};
    static constexpr double even[4] = {-0x1.5555555555555p-3, -0x1.a01a01a018aadp-13, -0x1.ae6455a1d7087p-26,
                                       -0x1.ae5138c1216b3p-41};
};

}  // namespace ik::simd::own
