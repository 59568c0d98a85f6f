// The constants of ironkernel's own exp (own_exp.hpp), by element type: defined once here for the
// C++ routine and for the JIT's inline exp (jit/inline_exp.cpp), which must give its bits. Plain
// numbers, no vector types: the JIT's files are compiled without AVX-512 flags.
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
    // The Taylor coefficients 1/2!, 1/3!, ..., 1/13!
    static constexpr double taylor[12] = {1.0 / 2,      1.0 / 6,       1.0 / 24,        1.0 / 120,
                                          1.0 / 720,    1.0 / 5040,    1.0 / 40320,     1.0 / 362880,
                                          1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800};
};

template <>
struct ExpConstants<float> {
    static constexpr float bound = 87;
    static constexpr float shifter = 0x1.8p23f, inverse_ln2 = 0x1.715476p0f;
    static constexpr float ln2_hi = 0x1.62e43p-1f, ln2_lo = -0x1.05c61p-29f;
    static constexpr int mantissa_bits = 23;
    // 1/2!, 1/3!, ..., 1/7!
    static constexpr float taylor[6] = {1.0f / 2, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040};
};

}  // namespace ik::simd::own
