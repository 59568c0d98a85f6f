// Per-element semantics of the one-operand exact ops (see scalar_ops.hpp).
#pragma once
// Compiled once per instruction set, as every header of scalar_ops.hpp (which says why).
#ifndef IK_ISA
#error "define IK_ISA before including scalar_ops.hpp"
#endif

#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <limits>

#include "scalar_primitives.hpp"

namespace ik::eval::IK_ISA::ops {

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
        else if constexpr (sizeof(T) < sizeof(int))
            // abs of the promoted value, wrapped back (-128 stays -128 as in NumPy): compilers
            // vectorise this as one abs instruction (vpabsb/w), the select below as two or three.
            return static_cast<T>(std::abs(static_cast<int>(a)));
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

}  // namespace ik::eval::IK_ISA::ops
