// The operations ironkernel's own vector math (own_exp.hpp, own_sin.hpp) is written in, for
// AVX2 vectors (__m256d, __m256) and, where the file is compiled for it, AVX-512 vectors
// (__m512d, __m512). Arithmetic uses GCC's vector operators (exact IEEE operations: the build
// never contracts them), fused multiply-adds are explicit, and only lane masks and libmvec's
// names differ per width. Each routine so does the same operations in the same order on every
// width: AVX2 and AVX-512 give the same bits.
//
// Everything here is in an unnamed namespace: each instruction set's files are compiled with
// their own -march, and an AVX-512 copy of an inline function must never be the one the linker
// keeps for the AVX2 code.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

extern "C" {
__m256d _ZGVdN4v_exp(__m256d);
__m256 _ZGVdN8v_expf(__m256);
__m256d _ZGVdN4v_sin(__m256d);
#if defined(__AVX512F__)
__m512d _ZGVeN8v_exp(__m512d);
__m512 _ZGVeN16v_expf(__m512);
__m512d _ZGVeN8v_sin(__m512d);
#endif
}

namespace ik::simd::own {
namespace {

// Element type, same-size unsigned integer lanes (for bit operations: they wrap, as the integer
// instructions do) and lane mask of a vector type.
template <class V>
struct Lanes;
template <>
struct Lanes<__m256d> {
    using T = double;
    typedef std::uint64_t Bits __attribute__((vector_size(32)));
    using Mask = __m256d;  // all bits set in a selected lane
};
template <>
struct Lanes<__m256> {
    using T = float;
    typedef std::uint32_t Bits __attribute__((vector_size(32)));
    using Mask = __m256;
};
#if defined(__AVX512F__)
template <>
struct Lanes<__m512d> {
    using T = double;
    typedef std::uint64_t Bits __attribute__((vector_size(64)));
    using Mask = __mmask8;  // a bit per lane
};
template <>
struct Lanes<__m512> {
    using T = float;
    typedef std::uint32_t Bits __attribute__((vector_size(64)));
    using Mask = __mmask16;
};
#endif

template <class V>
using Elem = typename Lanes<V>::T;
template <class V>
using Bits = typename Lanes<V>::Bits;
template <class V>
using Mask = typename Lanes<V>::Mask;
template <class V>
constexpr bool is_f64 = sizeof(Elem<V>) == 8;
template <class V>
using Int = std::conditional_t<is_f64<V>, std::uint64_t, std::uint32_t>;  // one lane's bits
template <class V>
constexpr Int<V> sign_bit = Int<V>(1) << (8 * sizeof(Int<V>) - 1);

template <class V>
[[gnu::always_inline]] inline Bits<V> bits(V x) {
    return (Bits<V>)x;
}
template <class V>
[[gnu::always_inline]] inline V from_bits(Bits<V> b) {
    return (V)b;
}
template <class V>
[[gnu::always_inline]] inline V splat(Elem<V> v) {
    V r{};
    for (std::size_t k = 0; k < sizeof(V) / sizeof(v); ++k) r[k] = v;
    return r;
}
// The sign bit of each lane, alone.
template <class V>
[[gnu::always_inline]] inline Bits<V> sign_bits(V x) {
    return bits(x) & sign_bit<V>;
}
template <class V>
[[gnu::always_inline]] inline V magnitude(V x) {
    return from_bits<V>(bits(x) & Int<V>(~sign_bit<V>));
}

// a * b + c, rounded once.
[[gnu::always_inline]] inline __m256d fmadd(__m256d a, __m256d b, __m256d c) { return _mm256_fmadd_pd(a, b, c); }
[[gnu::always_inline]] inline __m256 fmadd(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
// c - a * b, rounded once.
[[gnu::always_inline]] inline __m256d fnmadd(__m256d a, __m256d b, __m256d c) { return _mm256_fnmadd_pd(a, b, c); }
[[gnu::always_inline]] inline __m256 fnmadd(__m256 a, __m256 b, __m256 c) { return _mm256_fnmadd_ps(a, b, c); }
// a * b - c, rounded once (with c = a * b rounded: that product's error, exactly).
[[gnu::always_inline]] inline __m256 fmsub(__m256 a, __m256 b, __m256 c) { return _mm256_fmsub_ps(a, b, c); }

// The lanes with |x| <= bound (not NaN).
[[gnu::always_inline]] inline __m256d magnitude_at_most(__m256d x, double bound) {
    return _mm256_cmp_pd(magnitude(x), splat<__m256d>(bound), _CMP_LE_OQ);
}
[[gnu::always_inline]] inline __m256 magnitude_at_most(__m256 x, float bound) {
    return _mm256_cmp_ps(magnitude(x), splat<__m256>(bound), _CMP_LE_OQ);
}
[[gnu::always_inline]] inline bool every_lane(__m256d m) { return _mm256_movemask_pd(m) == 0xf; }
[[gnu::always_inline]] inline bool every_lane(__m256 m) { return _mm256_movemask_ps(m) == 0xff; }
// x in the selected lanes, 0 in the others.
[[gnu::always_inline]] inline __m256d zero_outside(__m256d x, __m256d m) { return _mm256_and_pd(x, m); }
[[gnu::always_inline]] inline __m256 zero_outside(__m256 x, __m256 m) { return _mm256_and_ps(x, m); }
// yes in the selected lanes, no in the others.
[[gnu::always_inline]] inline __m256d choose(__m256d m, __m256d yes, __m256d no) {
    return _mm256_blendv_pd(no, yes, m);
}
[[gnu::always_inline]] inline __m256 choose(__m256 m, __m256 yes, __m256 no) { return _mm256_blendv_ps(no, yes, m); }

inline __m256d libmvec_exp(__m256d x) { return _ZGVdN4v_exp(x); }
inline __m256 libmvec_exp(__m256 x) { return _ZGVdN8v_expf(x); }
inline __m256d libmvec_sin(__m256d x) { return _ZGVdN4v_sin(x); }

#if defined(__AVX512F__)
[[gnu::always_inline]] inline __m512d fmadd(__m512d a, __m512d b, __m512d c) { return _mm512_fmadd_pd(a, b, c); }
[[gnu::always_inline]] inline __m512 fmadd(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
[[gnu::always_inline]] inline __m512d fnmadd(__m512d a, __m512d b, __m512d c) { return _mm512_fnmadd_pd(a, b, c); }
[[gnu::always_inline]] inline __m512 fnmadd(__m512 a, __m512 b, __m512 c) { return _mm512_fnmadd_ps(a, b, c); }
[[gnu::always_inline]] inline __m512 fmsub(__m512 a, __m512 b, __m512 c) { return _mm512_fmsub_ps(a, b, c); }
[[gnu::always_inline]] inline __mmask8 magnitude_at_most(__m512d x, double bound) {
    return _mm512_cmp_pd_mask(magnitude(x), splat<__m512d>(bound), _CMP_LE_OQ);
}
[[gnu::always_inline]] inline __mmask16 magnitude_at_most(__m512 x, float bound) {
    return _mm512_cmp_ps_mask(magnitude(x), splat<__m512>(bound), _CMP_LE_OQ);
}
[[gnu::always_inline]] inline bool every_lane(__mmask8 m) { return m == 0xff; }
[[gnu::always_inline]] inline bool every_lane(__mmask16 m) { return m == 0xffff; }
[[gnu::always_inline]] inline __m512d zero_outside(__m512d x, __mmask8 m) { return _mm512_maskz_mov_pd(m, x); }
[[gnu::always_inline]] inline __m512 zero_outside(__m512 x, __mmask16 m) { return _mm512_maskz_mov_ps(m, x); }
[[gnu::always_inline]] inline __m512d choose(__mmask8 m, __m512d yes, __m512d no) {
    return _mm512_mask_blend_pd(m, no, yes);
}
[[gnu::always_inline]] inline __m512 choose(__mmask16 m, __m512 yes, __m512 no) {
    return _mm512_mask_blend_ps(m, no, yes);
}

inline __m512d libmvec_exp(__m512d x) { return _ZGVeN8v_exp(x); }
inline __m512 libmvec_exp(__m512 x) { return _ZGVeN16v_expf(x); }
inline __m512d libmvec_sin(__m512d x) { return _ZGVeN8v_sin(x); }
#endif

// The element-wise helpers of own_exp2.hpp and own_power.hpp, written once on the lanes' bits
// (GCC's vector operators): a lane mask there is a Bits<V> with all bits set in a selected lane.
// Comparisons of floating-point lanes are == and != only (quiet: a NaN raises nothing); order
// is compared on the magnitude bits, as unsigned integers.
// yes in the lanes of m, no in the others.
template <class V>
[[gnu::always_inline]] inline V select(Bits<V> m, V yes, V no) {
    return from_bits<V>((m & bits(yes)) | (~m & bits(no)));
}

// Whether every lane / any lane of an integer lane mask is set.
[[gnu::always_inline]] inline bool all_set(__m256i m) { return _mm256_testc_si256(m, _mm256_set1_epi32(-1)); }
[[gnu::always_inline]] inline bool any_set(__m256i m) { return !_mm256_testz_si256(m, m); }
template <class B>
[[gnu::always_inline]] inline __m256i as_integer_vector(B m)
    requires(sizeof(B) == 32)
{
    return (__m256i)m;
}
#if defined(__AVX512F__)
[[gnu::always_inline]] inline bool all_set(__m512i m) {
    return _mm512_cmpneq_epi64_mask(m, _mm512_set1_epi64(-1)) == 0;
}
[[gnu::always_inline]] inline bool any_set(__m512i m) { return _mm512_test_epi64_mask(m, m) != 0; }
template <class B>
[[gnu::always_inline]] inline __m512i as_integer_vector(B m)
    requires(sizeof(B) == 64)
{
    return (__m512i)m;
}
#endif
template <class B>
[[gnu::always_inline]] inline bool every_lane_set(B m) {
    return all_set(as_integer_vector(m));
}
template <class B>
[[gnu::always_inline]] inline bool some_lane_set(B m) {
    return any_set(as_integer_vector(m));
}

// x limited to [lo, hi], NaN kept (max and min return their second operand for a NaN).
[[gnu::always_inline]] inline __m256 clamp(__m256 x, float lo, float hi) {
    return _mm256_min_ps(splat<__m256>(hi), _mm256_max_ps(splat<__m256>(lo), x));
}
[[gnu::always_inline]] inline __m256d clamp(__m256d x, double lo, double hi) {
    return _mm256_min_pd(splat<__m256d>(hi), _mm256_max_pd(splat<__m256d>(lo), x));
}

// float32 lanes and the float64 lanes of their halves: exact widening, and narrowing rounded
// once to nearest, which raises overflow and underflow as a float32 operation would.
template <class V>
struct Wider;
template <>
struct Wider<__m256> {
    using type = __m256d;
};
template <class V>
using Wide = typename Wider<V>::type;
[[gnu::always_inline]] inline __m256d widen_low(__m256 x) { return _mm256_cvtps_pd(_mm256_castps256_ps128(x)); }
[[gnu::always_inline]] inline __m256d widen_high(__m256 x) { return _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)); }
[[gnu::always_inline]] inline __m256 narrow(__m256d low, __m256d high) {
    return _mm256_set_m128(_mm256_cvtpd_ps(high), _mm256_cvtpd_ps(low));
}

#if defined(__AVX512F__)
[[gnu::always_inline]] inline __m512 clamp(__m512 x, float lo, float hi) {
    return _mm512_min_ps(splat<__m512>(hi), _mm512_max_ps(splat<__m512>(lo), x));
}
[[gnu::always_inline]] inline __m512d clamp(__m512d x, double lo, double hi) {
    return _mm512_min_pd(splat<__m512d>(hi), _mm512_max_pd(splat<__m512d>(lo), x));
}
template <>
struct Wider<__m512> {
    using type = __m512d;
};
[[gnu::always_inline]] inline __m512d widen_low(__m512 x) { return _mm512_cvtps_pd(_mm512_castps512_ps256(x)); }
[[gnu::always_inline]] inline __m512d widen_high(__m512 x) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(x, 1)); }
[[gnu::always_inline]] inline __m512 narrow(__m512d low, __m512d high) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(low)), _mm512_cvtpd_ps(high), 1);
}
#endif

// Float32 lanes of the fast path of own_power.hpp: its checks as native lane masks, the exponent
// and fraction of positive normal x, and lookups in tables of 32 floats (AVX2 gathers them, AVX-512
// permutes two registers; the same values either way).
// The lanes whose bits, as unsigned integers, are below bound.
[[gnu::always_inline]] inline __m256 lanes_below(Bits<__m256> a, std::uint32_t bound) { return (__m256)(a < bound); }
[[gnu::always_inline]] inline __m256 both(__m256 a, __m256 b) { return _mm256_and_ps(a, b); }
// The lanes with x positive and normal and y finite.
[[gnu::always_inline]] inline __m256 positive_normal_and_finite(__m256 x, __m256 y) {
    return both(lanes_below(bits(x) - 0x00800000u, 0x7f000000u), lanes_below(bits(y) & 0x7fffffffu, 0x7f800000u));
}
// x = 2^e m, m in [1, 2), for positive normal x (e and m exact).
[[gnu::always_inline]] inline void split_exponent(__m256 x, __m256& e, __m256& m) {
    e = _mm256_cvtepi32_ps((__m256i)(bits(x) >> 23)) - splat<__m256>(127.0f);
    m = from_bits<__m256>((bits(x) & 0x007fffffu) | 0x3f800000u);
}
// table[index % 32] in each lane.
[[gnu::always_inline]] inline __m256 lookup32(const float* table, Bits<__m256> index) {
    return _mm256_i32gather_ps(table, (__m256i)(index & 31u), 4);
}
#if defined(__AVX512F__)
[[gnu::always_inline]] inline __mmask16 lanes_below(Bits<__m512> a, std::uint32_t bound) {
    return _mm512_cmplt_epu32_mask((__m512i)a, _mm512_set1_epi32(static_cast<int>(bound)));
}
[[gnu::always_inline]] inline __mmask16 both(__mmask16 a, __mmask16 b) { return a & b; }
[[gnu::always_inline]] inline __mmask16 positive_normal_and_finite(__m512 x, __m512 y) {
    // fpclass 0xff: NaN, zero, infinity, subnormal or negative; 0x99: NaN or infinity
    return static_cast<__mmask16>(~(_mm512_fpclass_ps_mask(x, 0xff) | _mm512_fpclass_ps_mask(y, 0x99)));
}
[[gnu::always_inline]] inline void split_exponent(__m512 x, __m512& e, __m512& m) {
    e = _mm512_getexp_ps(x);
    m = _mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
}
[[gnu::always_inline]] inline __m512 lookup32(const float* table, Bits<__m512> index) {
    return _mm512_permutex2var_ps(_mm512_load_ps(table), (__m512i)index, _mm512_load_ps(table + 16));
}
#endif

// Raises underflow (and inexact), for a routine whose vanishing result may be exact: the checked
// tables then settle the flags by NumPy's rules (flag_rules.hpp), which signal underflow for
// every result that vanishes.
inline void raise_underflow() {
    float tiny = 0x1p-100f;
    asm volatile("" : "+x"(tiny));  // a multiplication at run time, not folded
    tiny *= tiny;
    asm volatile("" : : "x"(tiny));
}

// Lane by lane, so that a result never depends on its neighbours: own(x) in the lanes in range;
// in the others, libmvec's result (own computes them from 0 there, raising nothing).
template <class V, class Own, class Libmvec>
inline V own_where_in_range(V x, Mask<V> in_range, Own own, Libmvec libmvec) {
    if (every_lane(in_range)) return own(x);
    return choose(in_range, own(zero_outside(x, in_range)), libmvec(x));
}

}  // namespace
}  // namespace ik::simd::own
