// What every per-element op of scalar_ops.hpp builds on: type predicates, quiet float
// comparisons, classification by the bits and wrapping integer arithmetic.
#pragma once
// Compiled once per instruction set, as every header of scalar_ops.hpp (which says why).
#ifndef IK_ISA
#error "define IK_ISA before including scalar_ops.hpp"
#endif

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ik::eval::IK_ISA::ops {

template <class T>
constexpr bool is_bool = std::is_same_v<T, bool>;
template <class T>
constexpr bool is_fp = std::is_floating_point_v<T>;
template <class T>
constexpr bool is_integer = std::is_integral_v<T> && !is_bool<T>;
template <class T>
using unsigned_of = std::make_unsigned_t<T>;

// Quiet ordered comparisons that stay quiet when vectorised: a vector "less than" on SSE/AVX
// raises the invalid flag for NaN lanes, so NaN lanes are replaced by 0 before comparing
// (only the quiet != tests NaN). NumPy's comparisons raise no flag for NaN operands.
template <class T>
inline bool either_nan(T a, T b) {
    return (a != a) | (b != b);
}
template <class T>
inline bool quiet_greater(T a, T b) {
    const bool nan = either_nan(a, b);
    return !nan & ((nan ? T(0) : a) > (nan ? T(0) : b));
}
template <class T>
inline bool quiet_greater_equal(T a, T b) {
    const bool nan = either_nan(a, b);
    return !nan & ((nan ? T(0) : a) >= (nan ? T(0) : b));
}
template <class T>
inline bool quiet_less(T a, T b) {
    return quiet_greater(b, a);
}
template <class T>
inline bool quiet_less_equal(T a, T b) {
    return quiet_greater_equal(b, a);
}

// Classification by the bits, which raises no flag whatever the value.
template <class T>
using bits_of = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
template <class T>
inline bits_of<T> magnitude_bits(T a) {
    bits_of<T> b;
    std::memcpy(&b, &a, sizeof(T));
    return b & (~bits_of<T>(0) >> 1);
}
template <class T>
constexpr bits_of<T> infinity_bits = sizeof(T) == 8 ? bits_of<T>(0x7ff0000000000000ull) : bits_of<T>(0x7f800000u);
template <class T>
inline bool bits_isnan(T a) {
    return magnitude_bits(a) > infinity_bits<T>;
}
template <class T>
inline bool bits_isinf(T a) {
    return magnitude_bits(a) == infinity_bits<T>;
}
template <class T>
inline bool bits_isfinite(T a) {
    return magnitude_bits(a) < infinity_bits<T>;
}

template <class T>
inline T wrap_add(T a, T b) {
    return static_cast<T>(static_cast<unsigned_of<T>>(a) + static_cast<unsigned_of<T>>(b));
}
template <class T>
inline T wrap_sub(T a, T b) {
    return static_cast<T>(static_cast<unsigned_of<T>>(a) - static_cast<unsigned_of<T>>(b));
}
template <class T>
inline T wrap_mul(T a, T b) {
    // Promote to at least unsigned int so that uint16 * uint16 does not overflow a signed int.
    using U = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, unsigned_of<T>>;
    return static_cast<T>(static_cast<U>(static_cast<unsigned_of<T>>(a)) *
                          static_cast<U>(static_cast<unsigned_of<T>>(b)));
}

}  // namespace ik::eval::IK_ISA::ops
