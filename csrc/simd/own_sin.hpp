// sin of float64 AVX2 and AVX-512 vectors, inlined into the math tables' loops and into chains
// (ChainOp::sin): libmvec's sin is a call per vector, which makes a chain keep its tile in memory
// around it. Measured over 1024 float64 in the first-level cache, one core, AVX2, minimum of 15
// alternations: 1.01-1.11 against libmvec's 1.14-1.31 ns/element.
//
// sin(x) = (-1)^q sin(r), q = round(x / pi), r = x - q pi with pi in three parts: the first
// product is exact (q pi_1 and x are multiples of 2^-52 and r is below 2), the others carry the
// rest of pi to 2^-159, so r is right to its last bit up to |x| = 2^20 (also next to multiples
// of pi, where r is small). The parts are all positive, so that x = -0 keeps its sign in r
// (-(0 pi_k) + -0 is -0; a negative part would make it +0). |r| <= pi/2; sin(r) = r + r s P(s),
// s = r^2, P of degree 7 fitted to (sin(r) / r - 1) / s over [0, (pi/2)^2] (mpmath.chebyfit, fit
// error 3.4e-19), by Estrin's scheme. Measured max error over 8M arguments: 2.7 ulp (near
// |r| = pi/2, where r s P nearly cancels r; libmvec's measured 3.3, bound 4). Lanes beyond 2^20
// (and NaN, infinities) are libmvec's.
#pragma once

#include "own_math_constants.hpp"
#include "own_vectors.hpp"

namespace ik::simd::own {
namespace {

// Always inlined: the chain kernels compute sin inside their step loop (see own_exp.hpp).

// The lanes of x within the bound of sin_in_range.
template <class V>
[[gnu::always_inline]] inline Mask<V> sin_lanes_in_range(V x) {
    return magnitude_at_most(x, SinConstants::bound);
}
template <class V>
[[gnu::always_inline]] inline bool sin_fits(V x) {
    return every_lane(sin_lanes_in_range(x));
}

// sin of float64 lanes all within |x| <= 2^20 (garbage beyond). The JIT emits the same
// operations in the same order (jit/inline_math.cpp): a change here must be made there too.
template <class V>
[[gnu::always_inline]] inline V sin_in_range(V x) {
    static_assert(is_f64<V>, "float64 only");
    using C = SinConstants;
    auto c = [](double v) { return splat<V>(v); };
    // t = x / pi + 1.5 * 2^52 rounds x / pi to the integer q held in t's low bits (the last one
    // its parity: the sign of the result).
    const V shifter = c(C::shifter);
    const V t = fmadd(x, c(C::inverse_pi), shifter);
    const V q = t - shifter;
    V r = fnmadd(q, c(C::pi[0]), x);
    r = fnmadd(q, c(C::pi[1]), r);
    r = fnmadd(q, c(C::pi[2]), r);
    const V s = r * r, s2 = s * s, s4 = s2 * s2;
    const V a0 = fmadd(s, c(C::odd[0]), c(C::even[0]));
    const V a1 = fmadd(s, c(C::odd[1]), c(C::even[1]));
    const V a2 = fmadd(s, c(C::odd[2]), c(C::even[2]));
    const V a3 = fmadd(s, c(C::odd[3]), c(C::even[3]));
    const V p = fmadd(s4, fmadd(s2, a3, a2), fmadd(s2, a1, a0));
    // r + r s P has the sign of r, but for r = -0 the sum is +0: the sign bit of r goes in again.
    const V y = fmadd(r, s * p, r);
    return from_bits<V>((bits(y) | sign_bits(r)) ^ (bits(t) << 63));
}

// The lanes beyond the bound (and NaN, infinities) take libmvec's result.
template <class V>
inline V sin(V x) {
    return own_where_in_range(
        x, sin_lanes_in_range(x), [](V v) { return sin_in_range(v); }, [](V v) { return libmvec_sin(v); });
}

}  // namespace
}  // namespace ik::simd::own
