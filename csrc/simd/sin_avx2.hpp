// sin of float64 AVX2 vectors, inlined into the math table's loops (math_avx2.cpp) and into
// chains (ChainOp::sin): libmvec's sin is a call per vector, which makes a chain keep its tile in
// memory around it. Measured over 1024 float64 in the first-level cache, one core, minimum of 15
// alternations: 1.01-1.11 against libmvec's 1.14-1.31 ns/element.
//
// sin(x) = (-1)^q sin(r), q = round(x / pi), r = x - q pi with pi in three parts: the first
// product is exact (q pi_1 and x are multiples of 2^-52 and r is below 2), the others carry the
// rest of pi to 2^-159, so r is right to its last bit up to |x| = 2^20 (also next to multiples
// of pi, where r is small). The parts are all positive, so that x = -0 keeps its sign in r
// (-(0 pi_k) + -0 is -0; a negative part would make it +0). |r| <= pi/2; sin(r) = r + r s P(s), s = r^2, P of degree 7 fitted to
// (sin(r) / r - 1) / s over [0, (pi/2)^2] (mpmath.chebyfit, fit error 3.4e-19), by Estrin's
// scheme. Measured max error over 8M arguments: 2.7 ulp (near |r| = pi/2, where r s P nearly
// cancels r; libmvec's measured 3.3, bound 4). Lanes beyond 2^20 (and NaN, infinities) are
// libmvec's.
#pragma once

#include <immintrin.h>

extern "C" __m256d _ZGVdN4v_sin(__m256d);

namespace ik::simd::avx2 {

// Always inlined: the chain kernels compute sin inside their step loop (see exp_avx2.hpp).

// The lanes of x within the bound of sin_in_range (all bits set; clear for NaN).
[[gnu::always_inline]] inline __m256d sin_lanes_in_range(__m256d x) {
    return _mm256_cmp_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), x), _mm256_set1_pd(0x1p20), _CMP_LE_OQ);
}
[[gnu::always_inline]] inline bool sin_fits(__m256d x) { return _mm256_movemask_pd(sin_lanes_in_range(x)) == 0xf; }

// sin of lanes all within |x| <= 2^20 (garbage beyond).
[[gnu::always_inline]] inline __m256d sin_in_range(__m256d x) {
    auto c = [](double v) { return _mm256_set1_pd(v); };
    // t = x / pi + 1.5 * 2^52 rounds x / pi to the integer q held in t's low bits (the last one
    // its parity: the sign of the result).
    const __m256d shifter = c(0x1.8p52);
    const __m256d t = _mm256_fmadd_pd(x, c(0x1.45f306dc9c883p-2), shifter);
    const __m256d q = _mm256_sub_pd(t, shifter);
    __m256d r = _mm256_fnmadd_pd(q, c(0x1.921fb54442d18p1), x);
    r = _mm256_fnmadd_pd(q, c(0x1.1a62633145c06p-53), r);
    r = _mm256_fnmadd_pd(q, c(0x1.c1cd129024e09p-106), r);
    const __m256d s = _mm256_mul_pd(r, r), s2 = _mm256_mul_pd(s, s), s4 = _mm256_mul_pd(s2, s2);
    const __m256d a0 = _mm256_fmadd_pd(s, c(0x1.1111111111107p-7), c(-0x1.5555555555555p-3));
    const __m256d a1 = _mm256_fmadd_pd(s, c(0x1.71de3a5456716p-19), c(-0x1.a01a01a018aadp-13));
    const __m256d a2 = _mm256_fmadd_pd(s, c(0x1.6124015b5ee3ap-33), c(-0x1.ae6455a1d7087p-26));
    const __m256d a3 = _mm256_fmadd_pd(s, c(0x1.89a4866f527ebp-49), c(-0x1.ae5138c1216b3p-41));
    const __m256d p = _mm256_fmadd_pd(s4, _mm256_fmadd_pd(s2, a3, a2), _mm256_fmadd_pd(s2, a1, a0));
    // r + r s P has the sign of r, but for r = -0 the sum is +0: the sign bit of r goes in again.
    __m256d y = _mm256_fmadd_pd(r, _mm256_mul_pd(s, p), r);
    y = _mm256_or_pd(y, _mm256_and_pd(r, c(-0.0)));
    const __m256i odd = _mm256_slli_epi64(_mm256_castpd_si256(t), 63);
    return _mm256_xor_pd(y, _mm256_castsi256_pd(odd));
}

// Lane by lane, as exp_f64: the lanes beyond the bound take libmvec's result.
inline __m256d sin_f64(__m256d x) {
    const __m256d in_range = sin_lanes_in_range(x);
    if (_mm256_movemask_pd(in_range) == 0xf) return sin_in_range(x);
    return _mm256_blendv_pd(_ZGVdN4v_sin(x), sin_in_range(_mm256_and_pd(x, in_range)), in_range);
}

}  // namespace ik::simd::avx2
