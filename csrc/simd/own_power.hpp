// power of float32 AVX2 and AVX-512 vectors, for the math tables (math_vector.inc), computed as
// 2^(y log2 x) in float64 lanes and rounded once to float32: libmvec's powf is a call per vector.
// Error at most 1 ULP (measured 0.5x: the float64 steps err by less than 2^-28 relative).
//
// log2 x = k + log2 z, x = 2^k z with z in [0.703125, 1.40625) taken from the bits; log2 z =
// u P(u), u = z - 1 (exact), P of degree 12 fitted to log2(1 + u) / u (relative error 2^-35.8),
// so that log2 x is accurate relative to itself near x = 1 too, where y may be large. t = y log2 x
// is limited to +-200 (beyond +-150 the float32 result is inf or 0 anyway), then 2^t = 2^n 2^f,
// n = round(t), f = t - n, 2^f = 1 + f q(f), q of degree 6 fitted to (2^f - 1) / f (2^-32). The
// narrowing to float32 rounds once, into the subnormals too, and raises overflow and underflow.
//
// Vectors whose every x is positive and finite and every y finite take that path alone. The
// others go through power_of_any, which gives C99's (and NumPy's) special cases: x^0 = 1 and
// 1^y = 1 even for NaN, (-1)^+-inf = 1, a negative x to an odd integer power is negative, to a
// non-integer finite power NaN with invalid raised; 0 and inf go through log2 = -inf and +inf
// (0^-1 = inf, inf^-1 = 0, 0.5^inf = 0, ...). Flags raised for those (overflow for 0^-1, underflow
// for 0.5^inf) are settled by the checked tables as NumPy raises them (flag_rules.hpp).
#pragma once

#include <cstdint>

#include "own_vectors.hpp"

namespace ik::simd::own {
namespace {

// log2 of float64 lanes that are positive, finite and at least 2^-149 (every float32 of that kind).
template <class D>
[[gnu::always_inline]] inline D log2_of_positive(D x) {
    auto c = [](double v) { return splat<D>(v); };
    // The exponent field of ix - (bits(0.703125) - bits(1.0)) is k + 1023.
    const Bits<D> ix = bits(x);
    const Bits<D> biased_k = (ix - (0x3fe6800000000000ull - 0x3ff0000000000000ull)) >> 52;
    const D k = from_bits<D>(biased_k | 0x4330000000000000ull) - c(0x1p52 + 1023);
    const D u = from_bits<D>(ix - ((biased_k - 1023) << 52)) - c(1.0);
    D p = fmadd(u, c(0x1.534655bbbbb94p-4), c(-0x1.2bf4633cd122ep-3));
    p = fmadd(u, p, c(0x1.26e04683746b4p-3));
    p = fmadd(u, p, c(-0x1.237e4323acb7cp-3));
    p = fmadd(u, p, c(0x1.452d3db6392f0p-3));
    p = fmadd(u, p, c(-0x1.7165a37140970p-3));
    p = fmadd(u, p, c(0x1.a640b40861604p-3));
    p = fmadd(u, p, c(-0x1.ec715eb61d7bdp-3));
    p = fmadd(u, p, c(0x1.27764a11643b1p-2));
    p = fmadd(u, p, c(-0x1.71547336f55bbp-2));
    p = fmadd(u, p, c(0x1.ec709ed1e065ep-2));
    p = fmadd(u, p, c(-0x1.71547654e983fp-1));
    p = fmadd(u, p, c(0x1.715476529fc89p+0));
    return fmadd(u, p, k);
}

// 2^t of float64 lanes, t limited to +-200 first (NaN stays NaN): always a normal float64.
template <class D>
[[gnu::always_inline]] inline D exp2_limited(D t) {
    auto c = [](double v) { return splat<D>(v); };
    t = clamp(t, -200.0, 200.0);
    const D shifter = c(0x1.8p52);  // t + 1.5 * 2^52 holds round(t) in its low bits
    const D shifted = t + shifter;
    const D f = t - (shifted - shifter);
    D q = fmadd(f, c(0x1.ffcbdd43e0bfbp-17), c(0x1.443f620021e21p-13));
    q = fmadd(f, q, c(0x1.5d88bdb164c07p-10));
    q = fmadd(f, q, c(0x1.3b2a1c3667426p-7));
    q = fmadd(f, q, c(0x1.c6b08cb1680cap-5));
    q = fmadd(f, q, c(0x1.ebfbe045300c4p-3));
    q = fmadd(f, q, c(0x1.62e42fefd32c8p-1));
    const D p = fmadd(f, q, c(1.0));
    return from_bits<D>(bits(p) + (bits(shifted) << 52));
}

// Whether some lane of t is below -126, where the float32 result is subnormal or zero: exact
// ones raise nothing when narrowed.
template <class D>
[[gnu::always_inline]] inline bool some_vanish(D t) {
    return some_lane_set(bits(t) > bits(splat<D>(-126.0)));
}

// x^y for lanes with x positive and finite and y finite.
template <class F>
[[gnu::always_inline]] inline F power_of_positive(F x, F y) {
    const Wide<F> low = widen_low(y) * log2_of_positive(widen_low(x));
    const Wide<F> high = widen_high(y) * log2_of_positive(widen_high(x));
    if (some_vanish(low) || some_vanish(high)) raise_underflow();
    return narrow(exp2_limited(low), exp2_limited(high));
}

// x^y of float64 lanes holding float32 values, any of them.
template <class D>
inline D power_of_any(D x, D y) {
    auto c = [](double v) { return splat<D>(v); };
    using Mask = Bits<D>;
    constexpr std::uint64_t inf = 0x7ff0000000000000ull, sign = 0x8000000000000000ull;
    const Mask ax = bits(x) & ~sign, ay = bits(y) & ~sign;
    const Mask x_nan = (Mask)(ax > inf), y_nan = (Mask)(ay > inf);
    const Mask x_zero = (Mask)(ax == 0), x_inf = (Mask)(ax == inf), y_inf = (Mask)(ay == inf);
    const Mask x_ordinary = (Mask)(ax - 1 < inf - 1);  // finite, not zero
    const Mask x_negative = (Mask)(bits(x) >= sign);
    // y + 1.5 * 2^52 rounds y to an integer whose parity is the lowest bit (|y| < 2^51; every
    // float32 beyond is an even integer, and so are the infinities here).
    const D shifted = y + c(0x1.8p52);
    const Mask whole = (Mask)((shifted - c(0x1.8p52)) == y);
    const Mask below_2_51 = (Mask)(ay < 0x4320000000000000ull);
    const Mask integer = whole | ~below_2_51;
    const Mask odd = whole & below_2_51 & (Mask)(0 - (bits(shifted) & 1));
    const Mask one = (Mask)(y == c(0.0)) | (Mask)(x == c(1.0)) | ((Mask)(ax == 0x3ff0000000000000ull) & y_inf);
    const Mask invalid = x_negative & x_ordinary & (Mask)(ay < inf) & ~integer;
    D log2_x = log2_of_positive(select(x_ordinary, from_bits<D>(ax), c(1.0)));
    log2_x = select(x_zero, c(-__builtin_inf()), select(x_inf, c(__builtin_inf()), log2_x));
    log2_x = select(x_nan, x, log2_x);
    const Mask settled = one | invalid;  // computed from 0 * 0 (no flag), replaced below
    const D t = select(settled, c(0.0), y) * select(settled, c(0.0), log2_x);
    if (some_vanish(t)) raise_underflow();
    D r = exp2_limited(t);
    r = from_bits<D>(bits(r) | (x_negative & odd & sign));
    r = select((x_nan | y_nan) & ~one, x + y, r);
    if (some_lane_set(invalid)) {
        const D zero_where_invalid = select(invalid, c(0.0), c(1.0));
        r = select(invalid, zero_where_invalid / zero_where_invalid, r);  // 0 / 0: NaN, invalid
    }
    return r;
}

template <class F>
inline F power(F x, F y) {
    static_assert(!is_f64<F>, "float32 only");
    using Mask = Bits<F>;
    const Mask positive_finite_x = (Mask)(bits(x) - 1 < 0x7f7fffffu);
    const Mask finite_y = (Mask)((bits(y) & 0x7fffffffu) < 0x7f800000u);
    if (every_lane_set(positive_finite_x & finite_y)) return power_of_positive(x, y);
    return narrow(power_of_any(widen_low(x), widen_low(y)), power_of_any(widen_high(x), widen_high(y)));
}

}  // namespace
}  // namespace ik::simd::own
