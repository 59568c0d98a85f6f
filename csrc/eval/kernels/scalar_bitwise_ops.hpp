// Per-element semantics of the bitwise ops and shifts of bool and integers (see scalar_ops.hpp).
#pragma once
// Compiled once per instruction set, as every header of scalar_ops.hpp (which says why).
#ifndef IK_ISA
#error "define IK_ISA before including scalar_ops.hpp"
#endif

#include <type_traits>

#include "scalar_primitives.hpp"

namespace ik::eval::IK_ISA::ops {

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

}  // namespace ik::eval::IK_ISA::ops
