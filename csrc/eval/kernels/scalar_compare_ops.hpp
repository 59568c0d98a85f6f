// Per-element semantics of the extrema, the comparisons and the logical ops (see scalar_ops.hpp).
#pragma once
// Compiled once per instruction set, as every header of scalar_ops.hpp (which says why).
#ifndef IK_ISA
#error "define IK_ISA before including scalar_ops.hpp"
#endif

#include "scalar_primitives.hpp"

namespace ik::eval::IK_ISA::ops {

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

}  // namespace ik::eval::IK_ISA::ops
