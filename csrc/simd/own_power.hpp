// power of float32 AVX2 and AVX-512 vectors, for the math tables (math_vector.inc): libmvec's powf
// is a call per vector. Error at most 1 ULP (measured 0.58: both paths err by less than 2^-27
// relative before the one rounding to float32).
//
// The fast path, in float32 lanes (16 a step on AVX-512), for x positive and normal, y finite and
// |y log2 x| <= 125 (the result normal): y log2 x as a pair of floats t + t_low
// (double-float arithmetic, the products' errors taken exactly by fused multiply-adds), accurate
// to 2^-34 relative, then 2^(t + t_low) from a table. log2 x = e + log2 c_j + log2(1 + r), x = 2^e
// m, m in [1, 2), j = the top 5 bits of m's fraction, r = m invc_j - 1, exact in float32 (invc_j =
// 1 / c_j rounded to a multiple of 2^-6; c_0 = 1 and c_31 = 2, so that near x = 1 log2 x is r's
// alone, accurate relative to itself, where y may be large); e + log2 c_j is exact (the table's
// high part has 16 fraction bits). log(1 + r) = r - r^2/2 (a pair, exactly) + r^3 P(r), P of
// degree 4 fitted to (log(1 + r) - r + r^2/2) / r^3 over r in [-0.0206, 0.0313] (error 2^-36.5
// relative to r), times 1/ln 2 as a pair of floats. Then 2^t = 2^(n/32) 2^f, n = round(32 t), f =
// t - n/32 (|f| <= 1/64 + 2^-12), 2^f = 1 + f q(f), q of degree 2 (error 2^-32.8), 2^(n/32) = h (1
// + h's relative rounding error) with h from a table of 2^(j/32), j = n mod 32, and floor(n/32)
// added to its exponent bits; one fused multiply-add rounds the product once.
// tools/fit_power_float32.py derives the tables and the coefficients.
//
// Other lanes go through power_of_any, in float64 lanes, rounded once to float32 (into the
// subnormals too, with overflow and underflow raised): log2 x = k + log2 z, x = 2^k z with z in
// [0.703125, 1.40625) taken from the bits, log2 z = u P(u), u = z - 1 (exact), P of degree 12
// fitted to log2(1 + u) / u (relative error 2^-35.8); t = y log2 x limited to +-200, then 2^t =
// 2^n 2^f, n = round(t), 2^f = 1 + f q(f), q of degree 6 (2^-32). power_of_any gives C99's (and
// NumPy's) special cases: x^0 = 1 and 1^y = 1 even for NaN, (-1)^+-inf = 1, a negative x to an odd
// integer power is negative, to a non-integer finite power NaN with invalid raised; 0 and inf go
// through log2 = -inf and +inf (0^-1 = inf, inf^-1 = 0, 0.5^inf = 0, ...). Flags raised for those
// (overflow for 0^-1, underflow for 0.5^inf) are settled by the checked tables as NumPy raises them
// (flag_rules.hpp). A vector with such lanes computes its fast lanes by the fast path still, so
// that a lane's result never depends on its neighbours (AVX2 and AVX-512 give the same bits).
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

// The tables of the fast path (tools/fit_power_float32.py derives them): for j = the top 5 bits of
// m's fraction, invc = 1 / c_j rounded to a multiple of 2^-6 (c_0 = 1, c_31 = 2) and -log2 invc as a
// high part of 16 fraction bits and a low part; 2^(j/32) rounded to float32, with j << 18 taken off
// its bits, and that rounding's relative error.
struct PowerTables {
    alignas(64) float invc[32];
    alignas(64) float logc_high[32];
    alignas(64) float logc_low[32];
    alignas(64) float exp2_scaled[32];
    alignas(64) float exp2_low_relative[32];
};
constexpr PowerTables power_tables = {
    {
        0x1p0f,     0x1.e8p-1f, 0x1.d8p-1f, 0x1.dp-1f,  0x1.cp-1f,  0x1.b8p-1f, 0x1.a8p-1f, 0x1.ap-1f,
        0x1.98p-1f, 0x1.88p-1f, 0x1.8p-1f,  0x1.78p-1f, 0x1.7p-1f,  0x1.68p-1f, 0x1.6p-1f,  0x1.58p-1f,
        0x1.5p-1f,  0x1.48p-1f, 0x1.48p-1f, 0x1.4p-1f,  0x1.38p-1f, 0x1.3p-1f,  0x1.3p-1f,  0x1.28p-1f,
        0x1.2p-1f,  0x1.2p-1f,  0x1.18p-1f, 0x1.1p-1f,  0x1.1p-1f,  0x1.08p-1f, 0x1.08p-1f, 0x1p-1f,
    },
    {
        0.0f,         0x1.1bbp-4f,  0x1.e0bp-4f,  0x1.22d8p-3f, 0x1.8a88p-3f, 0x1.bfc8p-3f, 0x1.169cp-2f, 0x1.32cp-2f,
        0x1.4f7p-2f,  0x1.8a88p-2f, 0x1.a9p-2f,   0x1.c818p-2f, 0x1.e7ep-2f,  0x1.042cp-1f, 0x1.14c6p-1f, 0x1.25cp-1f,
        0x1.3722p-1f, 0x1.48eep-1f, 0x1.48eep-1f, 0x1.5b2cp-1f, 0x1.6dep-1f,  0x1.811p-1f,  0x1.811p-1f,  0x1.94c2p-1f,
        0x1.a9p-1f,   0x1.a9p-1f,   0x1.bdcep-1f, 0x1.d338p-1f, 0x1.d338p-1f, 0x1.e946p-1f, 0x1.e946p-1f, 0x1p0f,
    },
    {
        0.0f,
        0x1.953002p-19f,
        0x1.ae8f3p-20f,
        0x1.6e155ap-18f,
        0x1.80abfcp-19f,
        -0x1.858p-19f,
        0x1.4d8fc6p-24f,
        -0x1.1c8f12p-22f,
        -0x1.134c4ep-20f,
        0x1.80abfcp-18f,
        -0x1.a39fbep-20f,
        0x1.dc2d46p-18f,
        -0x1.40358ep-19f,
        -0x1.5a32c2p-20f,
        -0x1.3e032ep-18f,
        0x1.408c78p-18f,
        0x1.5db83ap-20f,
        0x1.e3263p-18f,
        0x1.e3263p-18f,
        0x1.ed0cbap-20f,
        -0x1.eac382p-20f,
        -0x1.6b9026p-19f,
        -0x1.6b9026p-19f,
        0x1.0e9258p-18f,
        -0x1.a39fbep-19f,
        -0x1.a39fbep-19f,
        0x1.3b992cp-18f,
        0x1.20a6dep-21f,
        0x1.20a6dep-21f,
        -0x1.a6eb1ep-18f,
        -0x1.a6eb1ep-18f,
        0.0f,
    },
    {
        0x1p0f,         0x1.fd9b0ep-1f, 0x1.fb5586p-1f, 0x1.f9301ep-1f, 0x1.f72b84p-1f, 0x1.f54874p-1f, 0x1.f387a6p-1f,
        0x1.f1e9ep-1f,  0x1.f06fep-1f,  0x1.ef1a74p-1f, 0x1.edea64p-1f, 0x1.ece086p-1f, 0x1.ebfdaep-1f, 0x1.eb42b6p-1f,
        0x1.eab07ep-1f, 0x1.ea47ecp-1f, 0x1.ea09e6p-1f, 0x1.e9f75ep-1f, 0x1.ea1148p-1f, 0x1.ea589ap-1f, 0x1.eace54p-1f,
        0x1.eb737cp-1f, 0x1.ec4918p-1f, 0x1.ed503cp-1f, 0x1.ee89fap-1f, 0x1.eff77p-1f,  0x1.f199bep-1f, 0x1.f3720ep-1f,
        0x1.f5818ep-1f, 0x1.f7c974p-1f, 0x1.fa4afap-1f, 0x1.fd0766p-1f,
    },
    {
        0.0f,
        -0x1.947414p-25f,
        0x1.8d96d4p-25f,
        -0x1.dda2fcp-25f,
        -0x1.9c0c22p-27f,
        -0x1.a2fbb2p-25f,
        0x1.964904p-25f,
        -0x1.2b0dbcp-25f,
        0x1.125002p-25f,
        -0x1.cde8cep-26f,
        0x1.370be4p-25f,
        0x1.336de2p-30f,
        -0x1.0a355p-25f,
        -0x1.c541b4p-26f,
        -0x1.00d8acp-27f,
        -0x1.6cb284p-25f,
        0x1.26055cp-26f,
        0x1.8b2bb8p-26f,
        -0x1.05cb44p-25f,
        -0x1.1c2142p-26f,
        0x1.67a1cap-28f,
        -0x1.348e56p-25f,
        0x1.a3b5e4p-28f,
        -0x1.0b7ec8p-25f,
        -0x1.f9c304p-27f,
        -0x1.e4c886p-26f,
        -0x1.6961b4p-28f,
        -0x1.b5151ep-28f,
        -0x1.a5217cp-28f,
        -0x1.ab7132p-26f,
        0x1.61428ep-28f,
        -0x1.2ad5f8p-27f,
    },
};

// y log2 x as t + t_low (|t_low| < 2^-10 |t|), for float32 lanes with x positive and normal and y
// finite. Only t's products overflow or underflow: for a huge y (t + t_low is then NaN or beyond
// the fast path's range) or a tiny one (2^t is then 1); the checked tables settle the flags.
template <class F>
[[gnu::always_inline]] inline void y_log2_x(F x, F y, F& t, F& t_low) {
    auto c = [](float v) { return splat<F>(v); };
    F e, m;
    split_exponent(x, e, m);
    const Bits<F> j = bits(x) >> 18;                                 // the top 5 bits of the fraction, in the low bits
    const F r = fmadd(m, lookup32(power_tables.invc, j), c(-1.0f));  // exact: m invc has 30 bits
    const F a = e + lookup32(power_tables.logc_high, j);             // exact: 8 + 16 bits
    // log(1 + r) = w + w_low: r - r^2/2 as a pair (r^2 = r2 + r2_low exactly), then r^3 P(r).
    const F r2 = r * r;
    const F r2_low = fmsub(r, r, r2);
    const F w = fmadd(r2, c(-0.5f), r);
    F w_low = fmadd(r2, c(-0.5f), r - w);  // the rounding error of w, exactly
    w_low = fmadd(r2_low, c(-0.5f), w_low);
    F p = fmadd(r, c(0x1.1ba528p-3f), c(-0x1.557826p-3f));
    p = fmadd(r, p, c(0x1.999b1p-3f));
    p = fmadd(r, p, c(-0x1.fffffep-3f));
    p = fmadd(r, p, c(0x1.555556p-2f));
    w_low = fmadd(r * r2, p, w_low);
    // log2(1 + r) = l + l_low: times 1/ln 2 = 0x1.715476p0 + 0x1.4ae0cp-26.
    const F l = w * c(0x1.715476p0f);
    F l_low = fmsub(w, c(0x1.715476p0f), l);
    l_low = fmadd(w, c(0x1.4ae0cp-26f), l_low);
    l_low = fmadd(w_low, c(0x1.715476p0f), l_low);
    // log2 x = high + low: a + l is exact as a pair (Fast2Sum: |a| >= |l| where a != 0).
    const F high = a + l;
    const F low = ((a - high) + l) + (l_low + lookup32(power_tables.logc_low, j));
    t = y * high;
    t_low = fmadd(y, low, fmsub(y, high, t));
}

// 2^(t + t_low) for |t + t_low| <= 125 (a normal float32, rounded once): 2^(n/32) 2^f with
// n = round(32 (t + t_low)), f = t - n/32 + t_low (|f| <= 1/64 + 2^-12), 2^f = 1 + f q(f).
template <class F>
[[gnu::always_inline]] inline F exp2_of_pair(F t, F t_low) {
    auto c = [](float v) { return splat<F>(v); };
    const F shifter = c(0x1.8p18f);  // s = t + shifter holds n = round(32 t) in its low bits
    const F s = (t + t_low) + shifter;
    const F f = (t - (s - shifter)) + t_low;  // t - n/32 exact
    F q = fmadd(f, c(0x1.c6b18cp-5f), c(0x1.ebfceep-3f));
    q = fmadd(f, q, c(0x1.62e43p-1f));
    // 2^(n/32) as float32 h (n << 18 = (floor(n/32) << 23) + (j << 18) added to the table's bits),
    // then h (1 + g) with g = f q(f) + h's relative rounding error, the one rounding.
    const F h = from_bits<F>(bits(lookup32(power_tables.exp2_scaled, bits(s))) + (bits(s) << 18));
    const F g = fmadd(f, q, lookup32(power_tables.exp2_low_relative, bits(s)));
    return fmadd(h, g, h);
}

// x^y for any lanes: the fast path where it applies, power_of_any (float64 lanes) elsewhere; a
// lane's result so never depends on its neighbours.
template <class F>
[[gnu::noinline]] F power_of_mixed(F x, F y, Mask<F> ordinary) {
    const F one = splat<F>(1.0f);
    F t, t_low;
    y_log2_x(choose(ordinary, x, one), choose(ordinary, y, one), t, t_low);
    const Mask<F> fast = both(ordinary, magnitude_at_most(t + t_low, 125.0f));
    const F zero = splat<F>(0.0f);
    const F fast_result = exp2_of_pair(choose(fast, t, zero), choose(fast, t_low, zero));
    const F others = narrow(power_of_any(widen_low(x), widen_low(y)), power_of_any(widen_high(x), widen_high(y)));
    return choose(fast, fast_result, others);
}

template <class F>
inline F power(F x, F y) {
    static_assert(!is_f64<F>, "float32 only");
    const Mask<F> ordinary = positive_normal_and_finite(x, y);
    if (every_lane(ordinary)) {
        F t, t_low;
        y_log2_x(x, y, t, t_low);
        if (every_lane(magnitude_at_most(t + t_low, 125.0f))) return exp2_of_pair(t, t_low);
    }
    return power_of_mixed(x, y, ordinary);
}

}  // namespace
}  // namespace ik::simd::own
