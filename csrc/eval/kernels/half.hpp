// IEEE binary16 conversions with round-to-nearest-even and NumPy's flags: overflow when a finite
// value becomes infinite, underflow when a value becomes subnormal or zero inexactly.
// Branch-free element code (so loops vectorise); flags are collected and raised once per call.
#pragma once

#include <cfenv>
#include <cstdint>
#include <cstring>

#include "ir/dtype.hpp"

#if defined(__F16C__) && defined(__AVX2__)
#include <immintrin.h>
#endif

#ifndef IK_ISA
#error "define IK_ISA before including half.hpp"
#endif

namespace ik::eval::IK_ISA::half {

inline float to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    const std::uint32_t mantissa = h & 0x3ffu;
    // Normal numbers rebias the exponent; inf/NaN keep all-ones and the payload.
    std::uint32_t bits =
        exponent == 0x1f ? (0x7f800000u | (mantissa << 13)) : (((exponent + 112u) << 23) | (mantissa << 13));
    float f;
    std::memcpy(&f, &bits, 4);
    // Zeros and subnormals: mantissa * 2**-24 is exact in float.
    if (exponent == 0) f = static_cast<float>(mantissa) * 5.9604644775390625e-08f;
    std::uint32_t out;
    std::memcpy(&out, &f, 4);
    out |= sign;
    std::memcpy(&f, &out, 4);
    return f;
}

// Rounds the magnitude `bits` of a value with `mantissa_bits` fraction bits and exponent bias
// `bias` to binary16; `flags` collects FE_OVERFLOW / FE_UNDERFLOW.
template <class U, int mantissa_bits, int bias>
inline std::uint16_t from_bits(U bits, int& flags) {
    constexpr int total = static_cast<int>(sizeof(U) * 8);
    const auto sign = static_cast<std::uint16_t>((bits >> (total - 16)) & 0x8000u);
    const U magnitude = bits & (~U(0) >> 1);
    const U inf = ((U(1) << (total - 1 - mantissa_bits)) - 1) << mantissa_bits;
    const U fraction_mask = (U(1) << mantissa_bits) - 1;
    if (magnitude > inf) {  // NaN: the top of the payload, signalling stays signalling, as NumPy's
        const auto payload = static_cast<std::uint16_t>((magnitude & fraction_mask) >> (mantissa_bits - 10));
        return static_cast<std::uint16_t>(sign | 0x7c00u | (payload == 0 ? 1u : payload));  // 0 would be inf
    }
    // 65520 and above round to infinity.
    const U overflow_at =
        (U(15 + bias) << mantissa_bits) | (U(0x3ffu) << (mantissa_bits - 10)) | (U(1) << (mantissa_bits - 11));
    if (magnitude >= overflow_at) {
        if (magnitude != inf) flags |= FE_OVERFLOW;
        return static_cast<std::uint16_t>(sign | 0x7c00u);
    }
    const int exponent = static_cast<int>(magnitude >> mantissa_bits) - bias;
    U significand = magnitude & fraction_mask;
    int shift;
    std::uint32_t result_high;
    if (exponent >= -14) {  // normal binary16
        shift = mantissa_bits - 10;
        result_high = static_cast<std::uint32_t>(exponent + 15) << 10;
    } else {  // subnormal or zero: value = k * 2**-24
        if (exponent < -25) {
            if (magnitude != 0) flags |= FE_UNDERFLOW;
            return sign;
        }
        significand |= U(1) << mantissa_bits;
        shift = mantissa_bits - 10 + (-14 - exponent);
        result_high = 0;
    }
    U k = significand >> shift;
    const U rest = significand & ((U(1) << shift) - 1);
    const U halfway = U(1) << (shift - 1);
    k += (rest > halfway) | ((rest == halfway) & (k & 1));
    if (result_high == 0 && rest != 0) flags |= FE_UNDERFLOW;
    return static_cast<std::uint16_t>(sign | (result_high + static_cast<std::uint32_t>(k)));
}

inline std::uint16_t from_float(float f, int& flags) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    return from_bits<std::uint32_t, 23, 127>(bits, flags);
}

// Blocks of n values each way: the functions above element by element, or with the F16C
// conversion instructions where the build has them, giving the same bits and flags. vcvtph2ps is
// exact, but quiets a signalling NaN, which the float32 kernel must see as signalling (its flags
// are NumPy's), so those lanes go through it quiet and lose the quiet bit after. vcvtps2ph rounds
// as from_bits does (to nearest even, the top of a NaN's payload), but quiets a signalling NaN
// (those vectors are converted element by element instead), and its flags are not
// NumPy's: it detects tininess after rounding (a value just below 2**-14 that rounds to it raises
// no underflow; NumPy's npy_float_to_half raises one) and raises invalid for a signalling NaN and
// inexact. So its flags are discarded and overflow and underflow computed from the lanes, as
// from_bits does: overflow where a finite value became infinite, underflow where a value below
// 2**-14 did not come back exactly.
inline void to_float_block(const std::uint16_t* h, float* f, std::ptrdiff_t n) {
    std::ptrdiff_t i = 0;
#if defined(__F16C__) && defined(__AVX2__)
    const __m256i magnitude_mask = _mm256_set1_epi32(0x7fff);
    for (; i + 8 <= n; i += 8) {
        const __m256i bits = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i)));
        const __m256i magnitude = _mm256_and_si256(bits, magnitude_mask);
        const __m256i signalling = _mm256_and_si256(_mm256_cmpgt_epi32(magnitude, _mm256_set1_epi32(0x7c00)),
                                                    _mm256_cmpgt_epi32(_mm256_set1_epi32(0x7e00), magnitude));
        const __m256i quieted = _mm256_or_si256(bits, _mm256_and_si256(signalling, _mm256_set1_epi32(0x200)));
        const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(quieted), _mm256_extracti128_si256(quieted, 1));
        const __m256i converted = _mm256_castps_si256(_mm256_cvtph_ps(packed));
        const __m256i result =
            _mm256_andnot_si256(_mm256_and_si256(signalling, _mm256_set1_epi32(0x400000)), converted);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(f + i), result);
    }
#endif
    for (; i < n; ++i) f[i] = to_float(h[i]);
}

inline void from_float_block(const float* f, std::uint16_t* h, std::ptrdiff_t n, int& flags) {
    std::ptrdiff_t i = 0;
#if defined(__F16C__) && defined(__AVX2__)
    if (n >= 8) {
        const unsigned before = _mm_getcsr();
        const __m256i magnitude_mask = _mm256_set1_epi32(0x7fffffff);
        __m256i overflow = _mm256_setzero_si256(), underflow = _mm256_setzero_si256();
        for (; i + 8 <= n; i += 8) {
            const __m256 x = _mm256_loadu_ps(f + i);
            const __m128i r = _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT);
            const __m256i magnitude = _mm256_and_si256(_mm256_castps_si256(x), magnitude_mask);
            const __m256i back = _mm256_and_si256(_mm256_castps_si256(_mm256_cvtph_ps(r)), magnitude_mask);
            const __m256i r_magnitude = _mm256_and_si256(_mm256_cvtepu16_epi32(r), _mm256_set1_epi32(0x7fff));
            overflow =
                _mm256_or_si256(overflow, _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(0x7f800000), magnitude),
                                                           _mm256_cmpeq_epi32(r_magnitude, _mm256_set1_epi32(0x7c00))));
            underflow = _mm256_or_si256(
                underflow, _mm256_andnot_si256(_mm256_cmpeq_epi32(back, magnitude),
                                               _mm256_cmpgt_epi32(_mm256_set1_epi32(0x38800000), magnitude)));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i), r);
            // A signalling NaN, which vcvtps2ph quiets: these lanes element by element.
            const __m256i signalling = _mm256_andnot_si256(
                _mm256_slli_epi32(magnitude, 9), _mm256_cmpgt_epi32(magnitude, _mm256_set1_epi32(0x7f800000)));
            if (!_mm256_testz_si256(signalling, _mm256_set1_epi32(std::int32_t(0x80000000u))))
                for (int k = 0; k < 8; ++k) h[i + k] = from_float(f[i + k], flags);
        }
        _mm_setcsr(before);
        if (!_mm256_testz_si256(overflow, overflow)) flags |= FE_OVERFLOW;
        if (!_mm256_testz_si256(underflow, underflow)) flags |= FE_UNDERFLOW;
    }
#endif
    for (; i < n; ++i) h[i] = from_float(f[i], flags);
}

inline std::uint16_t from_double(double d, int& flags) {
    std::uint64_t bits;
    std::memcpy(&bits, &d, 8);
    return from_bits<std::uint64_t, 52, 1023>(bits, flags);
}

// The next binary16 after a towards b, on the bits, as NumPy's npy_half_nextafter: unlike C's
// nextafter it returns a (not b) when a == b, so nextafter(-0.0, 0.0) is -0.0; any NaN operand
// gives the default NaN 0x7e00 (not the operand's payload); and only overflow is signalled (no
// underflow for a subnormal step).
inline std::uint16_t next_after(std::uint16_t a, std::uint16_t b, int& flags) {
    const bool a_nan = (a & 0x7fffu) > 0x7c00u, b_nan = (b & 0x7fffu) > 0x7c00u;
    if (a_nan || b_nan) return 0x7e00u;
    const float fa = to_float(a), fb = to_float(b);
    if (fa == fb) return a;
    std::uint16_t r;
    if ((a & 0x7fffu) == 0)
        r = static_cast<std::uint16_t>((b & 0x8000u) | 1u);
    else if ((fa < fb) == ((a & 0x8000u) == 0))
        r = static_cast<std::uint16_t>(a + 1);
    else
        r = static_cast<std::uint16_t>(a - 1);
    if ((r & 0x7fffu) == 0x7c00u) flags |= FE_OVERFLOW;
    return r;
}

}  // namespace ik::eval::IK_ISA::half
