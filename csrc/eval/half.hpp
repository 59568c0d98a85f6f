// IEEE binary16 conversions with round-to-nearest-even and NumPy's flags: overflow when a finite
// value becomes infinite, underflow when a value becomes subnormal or zero inexactly.
// Branch-free element code (so loops vectorise); flags are collected and raised once per call.
#pragma once

#include <cfenv>
#include <cstdint>
#include <cstring>

#include "ir/dtype.hpp"

#ifndef IK_ISA
#error "define IK_ISA before including half.hpp"
#endif

namespace ik::eval::IK_ISA::half {

inline float to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    const std::uint32_t mantissa = h & 0x3ffu;
    // Normal numbers rebias the exponent; inf/NaN keep all-ones and the payload.
    std::uint32_t bits = exponent == 0x1f ? (0x7f800000u | (mantissa << 13)) : (((exponent + 112u) << 23) | (mantissa << 13));
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
    if (magnitude > inf)  // NaN: keep it NaN (quiet) with the top of the payload
        return static_cast<std::uint16_t>(sign | 0x7e00u | ((magnitude & fraction_mask) >> (mantissa_bits - 10)));
    // 65520 and above round to infinity.
    const U overflow_at = (U(15 + bias) << mantissa_bits) | (U(0x3ffu) << (mantissa_bits - 10)) | (U(1) << (mantissa_bits - 11));
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
    if ((a & 0x7fffu) == 0) r = static_cast<std::uint16_t>((b & 0x8000u) | 1u);
    else if ((fa < fb) == ((a & 0x8000u) == 0)) r = static_cast<std::uint16_t>(a + 1);
    else r = static_cast<std::uint16_t>(a - 1);
    if ((r & 0x7fffu) == 0x7c00u) flags |= FE_OVERFLOW;
    return r;
}

}  // namespace ik::eval::IK_ISA::half
