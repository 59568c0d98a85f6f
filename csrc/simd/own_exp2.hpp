// exp2 of float32 AVX2 and AVX-512 vectors, for the math tables (math_vector.inc): libmvec's
// exp2f is a call per vector, 0.55x NumPy's (SVML) loop; this is a handful of operations per
// vector, with an error of at most 1 ULP (NumPy's own float32 exp2 measured up to 2.8).
//
// 2^x = 2^n 2^f, n = round(x), f = x - n (exact), |f| <= 1/2; 2^f = 1 + f q(f), q of degree 5
// fitted to (2^f - 1) / f over [-1/2, 1/2] (relative error 2^-26.5, float32 coefficients), by
// Horner's scheme. The errors: the last fused multiply-add rounds once (1/2 ULP), q's own rounding
// is at most 2^-25, times |f| <= 1/2 (1/4 ULP where 2^f < 1): 0.8 ULP at most. 2^f = 1 exactly
// for an integer x, so powers of two are exact.
//
// Vectors with every |x| <= 125 (every result normal) add n to the exponent bits; others scale by
// two normal powers of two, 2^(n/2) and 2^(n - n/2), after x is limited to +-160, so that the
// last multiplication rounds once into the subnormals and overflows or underflows with IEEE's
// flags. NaN stays NaN (quiet, no flag), exp2(-inf) = 0 and exp2(inf) = inf (with overflow or
// underflow raised, which the checked tables settle as NumPy does: flag_rules.hpp).
#pragma once

#include "own_vectors.hpp"

namespace ik::simd::own {
namespace {

// 2^f for |f| <= 1/2.
template <class V>
[[gnu::always_inline]] inline V exp2_of_fraction(V f) {
    auto c = [](float v) { return splat<V>(v); };
    V q = fmadd(f, c(0x1.4308fap-13f), c(0x1.5f07b4p-10f));
    q = fmadd(f, q, c(0x1.3b2ba0p-7f));
    q = fmadd(f, q, c(0x1.c6af6ep-5f));
    q = fmadd(f, q, c(0x1.ebfbdep-3f));
    q = fmadd(f, q, c(0x1.62e430p-1f));
    return fmadd(f, q, c(1.0f));
}

template <class V>
inline V exp2(V x) {
    static_assert(!is_f64<V>, "float32 only");
    using Signed = decltype((Bits<V>{}) == (Bits<V>{}));  // signed 32-bit lanes
    // t = x + 1.5 * 2^23 rounds x to the integer n held in t's low bits.
    const V shifter = splat<V>(0x1.8p23f);
    if (every_lane(magnitude_at_most(x, 125.0f))) {
        const V t = x + shifter;
        const V p = exp2_of_fraction(x - (t - shifter));
        return from_bits<V>(bits(p) + (bits(t) << 23));
    }
    const V limited = clamp(x, -160.0f, 160.0f);
    const V t = limited + shifter;
    const V p = exp2_of_fraction(limited - (t - shifter));
    const Signed n = (Signed)(bits(t) - bits(shifter));  // in [-160, 160] (garbage for NaN)
    const Signed half = n >> 1;
    const V first = from_bits<V>((Bits<V>)((half + 127) << 23));
    const V second = from_bits<V>((Bits<V>)((n - half + 127) << 23));
    // Exact subnormal results (x an integer below -126) raise nothing of themselves.
    if (some_lane_set(bits(limited) > bits(splat<V>(-126.0f)))) raise_underflow();
    return (p * first) * second;
}

}  // namespace
}  // namespace ik::simd::own
