// exp2 of float32 and float64 AVX2 and AVX-512 vectors, for the math tables (math_vector.inc):
// libmvec's exp2f and exp2 are a call per vector, 0.55x (float32) and 0.5-0.7x (float64) NumPy's
// (SVML) loops; this is a handful of operations per vector, with an error of at most 1 ULP
// (NumPy's own float32 exp2 measured up to 2.8).
//
// 2^x = 2^n 2^f, n = round(x), f = x - n (exact), |f| <= 1/2; 2^f = 1 + f q(f), q fitted to
// (2^f - 1) / f over [-1/2, 1/2]: float32, degree 5 (relative error 2^-26.5, float32
// coefficients); float64, degree 10 (a Chebyshev fit, absolute error 1.3e-17 = 2^-56, float64
// coefficients), by Horner's scheme. The errors: the last fused multiply-add rounds once (1/2
// ULP), q's own rounding (half an ULP of q, and of its first coefficient) times |f| <= 1/2 is at
// most 1/2 ULP where 2^f < 1: within 1 ULP (tests/python/test_float64_exp2.py measures it against
// long double). 2^f = 1 exactly for an integer x, so powers of two are exact.
//
// Vectors with every |x| <= 125 (float64: 1021; every result normal) add n to the exponent bits;
// others scale by two normal powers of two, 2^(n/2) and 2^(n - n/2), after x is limited to +-160
// (float64: +-1100), so that the last multiplication rounds once into the subnormals and
// overflows or underflows with IEEE's flags. NaN stays NaN (quiet, no flag), exp2(-inf) = 0 and
// exp2(inf) = inf (with overflow or underflow raised, which the checked tables settle as NumPy
// does: flag_rules.hpp).
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

// 2^f for |f| <= 1/2, float64.
template <class V>
[[gnu::always_inline]] inline V exp2_of_fraction_f64(V f) {
    auto c = [](double v) { return splat<V>(v); };
    V q = fmadd(f, c(0x1.e9d3fe3952179p-32), c(0x1.e6063f7217bc6p-28));
    q = fmadd(f, q, c(0x1.b524fae627834p-24));
    q = fmadd(f, q, c(0x1.62bfd47773353p-20));
    q = fmadd(f, q, c(0x1.ffcbfc670dcd4p-17));
    q = fmadd(f, q, c(0x1.430913096fd9fp-13));
    q = fmadd(f, q, c(0x1.5d87fe78a5276p-10));
    q = fmadd(f, q, c(0x1.3b2ab6fba1ddap-7));
    q = fmadd(f, q, c(0x1.c6b08d704a0c2p-5));
    q = fmadd(f, q, c(0x1.ebfbdff82c598p-3));
    q = fmadd(f, q, c(0x1.62e42fefa39efp-1));
    return fmadd(f, q, c(1.0));
}

template <class V>
inline V exp2(V x) {
    using E = Elem<V>;
    using Signed = decltype((Bits<V>{}) == (Bits<V>{}));  // signed lanes of the element's width
    constexpr bool f64 = is_f64<V>;
    constexpr int mantissa = f64 ? 52 : 23, bias = f64 ? 1023 : 127;
    constexpr E normal_bound = f64 ? 1021 : 125, limit = f64 ? 1100 : 160, lowest_normal = f64 ? -1022 : -126;
    const auto fraction = [](V f) {
        if constexpr (f64)
            return exp2_of_fraction_f64(f);
        else
            return exp2_of_fraction(f);
    };
    // t = x + 1.5 * 2^mantissa rounds x to the integer n held in t's low bits.
    const V shifter = splat<V>(f64 ? E(0x1.8p52) : E(0x1.8p23f));
    if (every_lane(magnitude_at_most(x, normal_bound))) {
        const V t = x + shifter;
        const V p = fraction(x - (t - shifter));
        return from_bits<V>(bits(p) + (bits(t) << mantissa));
    }
    const V limited = clamp(x, -limit, limit);
    const V t = limited + shifter;
    const V p = fraction(limited - (t - shifter));
    const Signed n = (Signed)(bits(t) - bits(shifter));  // in [-limit, limit] (garbage for NaN)
    const Signed half = n >> 1;
    const V first = from_bits<V>((Bits<V>)((half + bias) << mantissa));
    const V second = from_bits<V>((Bits<V>)((n - half + bias) << mantissa));
    // Exact subnormal results (x an integer below the lowest normal exponent) raise nothing of
    // themselves.
    if (some_lane_set(bits(limited) > bits(splat<V>(lowest_normal)))) raise_underflow();
    return (p * first) * second;
}

}  // namespace
}  // namespace ik::simd::own
