// Per-element semantics of every exact op, as NumPy defines them, for each C element type.
// A struct per op; `ok<T>` says whether the op exists for T, `f` computes one element.
// Integer arithmetic wraps (computed in the unsigned type: no undefined behaviour); float
// comparisons are quiet (no invalid flag for NaN operands), as NumPy's.
#pragma once
// Compiled once per instruction set (see kernels_impl.inc): the namespace carries the ISA name so
// that no inline function compiled for AVX-512 can be merged into another ISA's code by the linker.
#ifndef IK_ISA
#error "define IK_ISA before including scalar_ops.hpp"
#endif

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "eval/fp_flags.hpp"

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

// ---- unary -------------------------------------------------------------------------------------
struct Negative {
    template <class T>
    static constexpr bool ok = !is_bool<T>;
    template <class T>
    static T f(T a) {
        if constexpr (is_fp<T>)
            return -a;
        else
            return wrap_sub<T>(T(0), a);
    }
};
struct Positive {
    template <class T>
    static constexpr bool ok = !is_bool<T>;
    template <class T>
    static T f(T a) {
        return a;
    }
};
struct Absolute {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static T f(T a) {
        if constexpr (is_fp<T>)
            return std::fabs(a);
        else if constexpr (is_bool<T> || std::is_unsigned_v<T>)
            return a;
        else
            return a < 0 ? wrap_sub<T>(T(0), a) : a;
    }
};
struct Square {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static T f(T a) {
        if constexpr (is_fp<T>)
            return a * a;
        else if constexpr (is_bool<T>)
            return a;
        else
            return wrap_mul(a, a);
    }
};
struct Reciprocal {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a) {
        return T(1) / a;
    }
};
struct Sqrt {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a) {
        return std::sqrt(a);
    }
};
struct Floor {
    template <class T>
    static constexpr bool ok = true;  // bool and integers: unchanged, as NumPy
    template <class T>
    static T f(T a) {
        if constexpr (is_fp<T>) {
            if (bits_isnan(a)) return a + a;  // quiet, invalid for a signalling NaN, as NumPy's
            return std::floor(a);
        } else
            return a;
    }
};
struct Ceil {
    template <class T>
    static constexpr bool ok = true;  // bool and integers: unchanged, as NumPy
    template <class T>
    static T f(T a) {
        if constexpr (is_fp<T>) {
            if (bits_isnan(a)) return a + a;  // quiet, invalid for a signalling NaN, as NumPy's
            return std::ceil(a);
        } else
            return a;
    }
};
struct Trunc {
    template <class T>
    static constexpr bool ok = true;  // bool and integers: unchanged, as NumPy
    template <class T>
    static T f(T a) {
        if constexpr (is_fp<T>) {
            if (bits_isnan(a)) return a + a;  // quiet, invalid for a signalling NaN, as NumPy's
            return std::trunc(a);
        } else
            return a;
    }
};
struct Rint {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a) {
        return std::nearbyint(a);
    }
};
struct Sign {
    template <class T>
    static constexpr bool ok = !is_bool<T>;
    template <class T>
    static T f(T a) {
        if constexpr (is_fp<T>)
            return quiet_greater(a, T(0)) ? T(1) : quiet_less(a, T(0)) ? T(-1) : a == T(0) ? T(0) : a;
        else if constexpr (std::is_unsigned_v<T>)
            return a > 0 ? T(1) : T(0);
        else
            return static_cast<T>((a > 0) - (a < 0));
    }
};
struct LogicalNot {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a) {
        return a == T(0);
    }  // (== not !: GCC vectorises it on bool)
};
struct Invert {
    template <class T>
    static constexpr bool ok = !is_fp<T>;
    template <class T>
    static T f(T a) {
        if constexpr (is_bool<T>)
            return a == false;  // (as LogicalNot)
        else
            return static_cast<T>(~a);
    }
};
struct IsNan {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a) {
        if constexpr (is_fp<T>)
            return bits_isnan(a);
        else
            return false;
    }
};
struct IsInf {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a) {
        if constexpr (is_fp<T>)
            return bits_isinf(a);
        else
            return false;
    }
};
struct IsFinite {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a) {
        if constexpr (is_fp<T>)
            return bits_isfinite(a);
        else
            return true;
    }
};
struct SignBit {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static bool f(T a) {
        return std::signbit(a);
    }
};
struct Deg2Rad {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a) {
        return a * (static_cast<T>(3.141592653589793238462643383279502884) / T(180));
    }
};
struct Rad2Deg {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a) {
        return a * (T(180) / static_cast<T>(3.141592653589793238462643383279502884));
    }
};
// The distance to the next representable value away from zero (towards +inf from either zero),
// NumPy's spacing: libm's nextafter gives the same flags (overflow past the largest value); NaN
// for infinities.
struct Spacing {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a) {
        if (bits_isinf(a)) return std::numeric_limits<T>::quiet_NaN();
        if (bits_isnan(a)) return a;
        const T away =
            a == T(0) ? std::numeric_limits<T>::infinity() : std::copysign(std::numeric_limits<T>::infinity(), a);
        return std::nextafter(a, away) - a;
    }
};
struct FrexpMantissa {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a) {
        int e;
        return std::frexp(a, &e);
    }
};
struct FrexpExponent {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static std::int32_t f(T a) {
        int e = 0;
        std::frexp(a, &e);
        return bits_isfinite(a) ? e : 0;
    }
};
struct Real {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static T f(T a) {
        return a;
    }
};
struct Imag {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static T f(T) {
        return T(0);
    }
};
struct Conjugate {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static T f(T a) {
        return a;
    }
};

// ---- binary ------------------------------------------------------------------------------------
struct Add {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static T f(T a, T b) {
        if constexpr (is_fp<T>)
            return a + b;
        else if constexpr (is_bool<T>)
            return a || b;
        else
            return wrap_add(a, b);
    }
};
struct Subtract {
    template <class T>
    static constexpr bool ok = !is_bool<T>;
    template <class T>
    static T f(T a, T b) {
        if constexpr (is_fp<T>)
            return a - b;
        else
            return wrap_sub(a, b);
    }
};
struct Multiply {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static T f(T a, T b) {
        if constexpr (is_fp<T>)
            return a * b;
        else if constexpr (is_bool<T>)
            return a && b;
        else
            return wrap_mul(a, b);
    }
};
struct Divide {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a, T b) {
        return a / b;
    }
};

// Python-style division of floats: the quotient is floored and the remainder takes the divisor's sign.
template <class T>
struct FloatDivmod {
    T quotient, remainder;
};
template <class T>
inline FloatDivmod<T> float_divmod(T a, T b) {
    if (b == T(0)) return {a / b, std::fmod(a, b)};
    T mod = std::fmod(a, b);
    T div = (a - mod) / b;
    if (mod != T(0)) {
        if (std::signbit(b) != std::signbit(mod)) {
            mod += b;
            div -= T(1);
        }
    } else {
        mod = std::copysign(T(0), b);
    }
    T floordiv;
    if (div != T(0)) {
        floordiv = std::floor(div);
        if (quiet_greater(div - floordiv, T(0.5))) floordiv += T(1);
    } else {
        floordiv = std::copysign(T(0), a / b);
    }
    return {floordiv, mod};
}

struct FloorDivide {
    template <class T>
    static constexpr bool ok = !is_bool<T>;
    template <class T>
    static T f(T a, T b) {
        if constexpr (is_fp<T>) {
            if (b == T(0)) return a / b;
            return float_divmod(a, b).quotient;
        } else {
            if (b == 0) {
                fp::raise(FE_DIVBYZERO);
                return 0;
            }
            if constexpr (std::is_signed_v<T>) {
                if (a == std::numeric_limits<T>::min() && b == T(-1)) {
                    fp::raise(FE_OVERFLOW);
                    return a;
                }
                T q = static_cast<T>(a / b);
                if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
                return q;
            } else {
                return static_cast<T>(a / b);
            }
        }
    }
};
struct Remainder {
    template <class T>
    static constexpr bool ok = !is_bool<T>;
    template <class T>
    static T f(T a, T b) {
        if constexpr (is_fp<T>) {
            if (b == T(0)) return std::fmod(a, b);
            return float_divmod(a, b).remainder;
        } else {
            if (b == 0) {
                fp::raise(FE_DIVBYZERO);
                return 0;
            }
            if constexpr (std::is_signed_v<T>) {
                if (b == T(-1)) return 0;
                T r = static_cast<T>(a % b);
                if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
                return r;
            } else {
                return static_cast<T>(a % b);
            }
        }
    }
};
struct Fmod {
    template <class T>
    static constexpr bool ok = !is_bool<T>;
    template <class T>
    static T f(T a, T b) {
        if constexpr (is_fp<T>)
            return std::fmod(a, b);
        else {
            if (b == 0) {
                fp::raise(FE_DIVBYZERO);
                return 0;
            }
            if constexpr (std::is_signed_v<T>) {
                if (b == T(-1)) return 0;
            }
            return static_cast<T>(a % b);
        }
    }
};
// NaN-propagating extrema; on ties (including -0.0 vs 0.0) the second operand wins, as NumPy.
struct Maximum {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static T f(T a, T b) {
        if constexpr (is_fp<T>)
            return (quiet_greater(a, b) || bits_isnan(a)) ? a : b;
        else
            return a > b ? a : b;
    }
};
struct Minimum {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static T f(T a, T b) {
        if constexpr (is_fp<T>)
            return (quiet_less(a, b) || bits_isnan(a)) ? a : b;
        else
            return a < b ? a : b;
    }
};
// NaN-ignoring extrema.
struct Fmax {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static T f(T a, T b) {
        if constexpr (is_fp<T>)
            return (quiet_greater(a, b) || bits_isnan(b)) ? a : b;
        else
            return a > b ? a : b;
    }
};
struct Fmin {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static T f(T a, T b) {
        if constexpr (is_fp<T>)
            return (quiet_less(a, b) || bits_isnan(b)) ? a : b;
        else
            return a < b ? a : b;
    }
};
struct Greater {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a, T b) {
        if constexpr (is_fp<T>)
            return quiet_greater(a, b);
        else
            return a > b;
    }
};
struct GreaterEqual {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a, T b) {
        if constexpr (is_fp<T>)
            return quiet_greater_equal(a, b);
        else
            return a >= b;
    }
};
struct Less {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a, T b) {
        if constexpr (is_fp<T>)
            return quiet_less(a, b);
        else
            return a < b;
    }
};
struct LessEqual {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a, T b) {
        if constexpr (is_fp<T>)
            return quiet_less_equal(a, b);
        else
            return a <= b;
    }
};
struct Equal {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a, T b) {
        return a == b;
    }
};
struct NotEqual {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a, T b) {
        return a != b;
    }
};
struct LogicalAnd {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a, T b) {
        return (a != T(0)) & (b != T(0));
    }  // & |: no branch per element
};
struct LogicalOr {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a, T b) {
        return (a != T(0)) | (b != T(0));
    }
};
struct LogicalXor {
    template <class T>
    static constexpr bool ok = true;
    template <class T>
    static bool f(T a, T b) {
        return (a != T(0)) != (b != T(0));
    }
};
struct BitwiseAnd {
    template <class T>
    static constexpr bool ok = !is_fp<T>;
    template <class T>
    static T f(T a, T b) {
        return static_cast<T>(a & b);
    }
};
struct BitwiseOr {
    template <class T>
    static constexpr bool ok = !is_fp<T>;
    template <class T>
    static T f(T a, T b) {
        return static_cast<T>(a | b);
    }
};
struct BitwiseXor {
    template <class T>
    static constexpr bool ok = !is_fp<T>;
    template <class T>
    static T f(T a, T b) {
        return static_cast<T>(a ^ b);
    }
};
// Shifts by the operand's width or more (or by a negative amount) give 0, or -1 for a right
// shift of a negative number, as NumPy.
struct LeftShift {
    template <class T>
    static constexpr bool ok = is_integer<T>;
    template <class T>
    static T f(T a, T b) {
        using U = unsigned_of<T>;
        if (static_cast<std::make_unsigned_t<decltype(+b)>>(b) >= sizeof(T) * 8) return 0;
        return static_cast<T>(static_cast<U>(static_cast<U>(a) << b));
    }
};
struct RightShift {
    template <class T>
    static constexpr bool ok = is_integer<T>;
    template <class T>
    static T f(T a, T b) {
        if (static_cast<std::make_unsigned_t<decltype(+b)>>(b) >= sizeof(T) * 8) return a < 0 ? T(-1) : T(0);
        return static_cast<T>(a >> b);
    }
};
struct CopySign {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a, T b) {
        return std::copysign(a, b);
    }
};
struct NextAfter {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a, T b) {
        return std::nextafter(a, b);
    }
};
struct Heaviside {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a, T b) {
        if (quiet_less(a, T(0))) return T(0);
        if (quiet_greater(a, T(0))) return T(1);
        if (a == T(0)) return b;
        return a;  // NaN
    }
};
// log(exp(a) + exp(b)) without overflow, as NumPy's npy_logaddexp.
struct LogAddExp {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a, T b) {
        if (a == b) return a + static_cast<T>(0.693147180559945309417232121458176568);
        const T d = a - b;
        // Ordered (signalling) comparisons, as NumPy's: a NaN operand raises the invalid flag.
        if (d > T(0)) return a + std::log1p(std::exp(-d));
        if (d <= T(0)) return b + std::log1p(std::exp(d));
        return d;
    }
};
struct LogAddExp2 {
    template <class T>
    static constexpr bool ok = is_fp<T>;
    template <class T>
    static T f(T a, T b) {
        constexpr T log2e = static_cast<T>(1.442695040888963407359924681001892137);
        if (a == b) return a + T(1);
        const T d = a - b;
        if (d > T(0)) return a + std::log1p(std::exp2(-d)) * log2e;
        if (d <= T(0)) return b + std::log1p(std::exp2(d)) * log2e;
        return d;
    }
};

// Integer powers by repeated squaring, wrapping like multiplication. NumPy raises ValueError for
// negative exponents; a loop cannot raise, so this gives 0 with the invalid flag (a RuntimeWarning).
struct IntPower {
    template <class T>
    static constexpr bool ok = is_integer<T>;
    template <class T>
    static T f(T a, T b) {
        if constexpr (std::is_signed_v<T>) {
            if (b < 0) {
                fp::raise(FE_INVALID);
                return 0;
            }
        }
        T result = 1;
        for (auto e = static_cast<unsigned_of<T>>(b); e != 0; e >>= 1) {
            if (e & 1) result = wrap_mul(result, a);
            a = wrap_mul(a, a);
        }
        return result;
    }
};

}  // namespace ik::eval::IK_ISA::ops
