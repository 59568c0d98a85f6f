// Per-element semantics of the two-operand float functions computed exactly or with libm:
// copysign, nextafter, heaviside, logaddexp and logaddexp2 (see scalar_ops.hpp).
#pragma once
// Compiled once per instruction set, as every header of scalar_ops.hpp (which says why).
#ifndef IK_ISA
#error "define IK_ISA before including scalar_ops.hpp"
#endif

#include <cmath>

#include "scalar_primitives.hpp"

namespace ik::eval::IK_ISA::ops {

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

}  // namespace ik::eval::IK_ISA::ops
