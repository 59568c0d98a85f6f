// exp of AVX2 and AVX-512 vectors, inlined into the math tables' loops (math_avx2.cpp,
// math_avx512.cpp) and into chains (ChainOp::exp): libmvec's exp is a call per vector with a
// stack frame and a table gather; this is a dozen fused multiply-adds. Measured over 1024 float64
// in the first-level cache, one core, AVX2: 0.95 against 1.2-1.5 ns/element (float32: 0.31
// against 0.50).
//
// exp(x) = 2^k * exp(r), k = round(x / ln 2), r = x - k ln 2 (ln 2 in two parts, so r is exact
// to the last bits), |r| <= ln(2) / 2; exp(r) = 1 + (r + r^2 q(r)) with q the Taylor series
// from 1/2! on (to 13! for float64, 7! for float32: the remainder is below a tenth of an ULP),
// evaluated by Estrin's scheme; 2^k is added to the exponent bits. Lanes with |x| <= 708
// (float32: 87) take this path, where every result is a normal number; the others (overflow,
// underflow to subnormals or zero, NaN, infinities) are libmvec's.
#pragma once

#include "own_math_constants.hpp"
#include "own_vectors.hpp"

namespace ik::simd::own {
namespace {

// Always inlined: the chain kernels compute exp inside their step loop, where a call would make
// GCC keep the tile in memory (eval/chains/chain_impl.inc).

// The lanes of x within the bounds of exp_in_range.
template <class V>
[[gnu::always_inline]] inline Mask<V> exp_lanes_in_range(V x) {
    return magnitude_at_most(x, ExpConstants<Elem<V>>::bound);
}
template <class V>
[[gnu::always_inline]] inline bool exp_fits(V x) {
    return every_lane(exp_lanes_in_range(x));
}

// exp of lanes all within the bound (garbage beyond). The JIT emits the same operations in the
// same order (jit/inline_math.cpp): a change here must be made there too (test_jit_math_calls.py
// compares the two).
template <class V>
[[gnu::always_inline]] inline V exp_in_range(V x) {
    using C = ExpConstants<Elem<V>>;
    auto c = [](Elem<V> v) { return splat<V>(v); };
    const V shifter = c(C::shifter);
    const V t = fmadd(x, c(C::inverse_ln2), shifter);
    const V k = t - shifter;
    V r = fnmadd(k, c(C::ln2_hi), x);
    r = fnmadd(k, c(C::ln2_lo), r);
    const V r2 = r * r, r4 = r2 * r2;
    // q(r) = 1/2! + r/3! + ..., pairs of coefficients first (Estrin's scheme)
    const V a0 = fmadd(r, c(C::taylor[1]), c(C::taylor[0]));
    const V a1 = fmadd(r, c(C::taylor[3]), c(C::taylor[2]));
    const V a2 = fmadd(r, c(C::taylor[5]), c(C::taylor[4]));
    V q;
    if constexpr (is_f64<V>) {  // to r^11/13!
        const V r8 = r4 * r4;
        const V a3 = fmadd(r, c(C::taylor[7]), c(C::taylor[6]));
        const V a4 = fmadd(r, c(C::taylor[9]), c(C::taylor[8]));
        const V b0 = fmadd(r2, a1, a0);
        const V b1 = fmadd(r2, a3, a2);
        const V a5 = fmadd(r, c(C::taylor[11]), c(C::taylor[10]));
        const V b2 = fmadd(r2, a5, a4);
        q = fmadd(r8, b2, fmadd(r4, b1, b0));
    } else {  // to r^5/7!
        q = fmadd(r4, a2, fmadd(r2, a1, a0));
    }
    const V p = c(Elem<V>(1)) + fmadd(r2, q, r);
    return from_bits<V>(bits(p) + (bits(t) << C::mantissa_bits));
}

// The lanes beyond the bound take libmvec's result.
template <class V>
inline V exp(V x) {
    return own_where_in_range(
        x, exp_lanes_in_range(x), [](V v) { return exp_in_range(v); }, [](V v) { return libmvec_exp(v); });
}

}  // namespace
}  // namespace ik::simd::own
