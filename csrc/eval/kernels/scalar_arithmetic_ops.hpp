// Per-element semantics of + - * /, the floor and truncated divisions and integer powers (see
// scalar_ops.hpp); integer division by zero raises the divide flag, as NumPy's.
#pragma once
// Compiled once per instruction set, as every header of scalar_ops.hpp (which says why).
#ifndef IK_ISA
#error "define IK_ISA before including scalar_ops.hpp"
#endif

#include <cfenv>
#include <cmath>
#include <limits>

#include "eval/fp_flags.hpp"
#include "scalar_primitives.hpp"

namespace ik::eval::IK_ISA::ops {

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
// The signs compared as NumPy does (less than 0, false for NaN): with std::signbit, a NaN divisor
// and a NaN remainder of different signs added b, whose NaN came back (NumPy's remainder of NaN
// and -NaN is +NaN).
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
        if (quiet_less(b, T(0)) != quiet_less(mod, T(0))) {
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

// The remainder of float_divmod alone, without its quotient: (a - mod) / b can overflow (a huge,
// b tiny) where the remainder raises nothing, and a compiler that keeps floating-point operations
// whose flags may be read (clang with -ffp-exception-behavior=maytrap) would raise it.
template <class T>
inline T float_remainder(T a, T b) {
    const T mod = std::fmod(a, b);
    if (mod == T(0)) return std::copysign(T(0), b);
    return quiet_less(b, T(0)) != quiet_less(mod, T(0)) ? mod + b : mod;
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
            return float_remainder(a, b);
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
