// The floating-point flags NumPy raises for a transcendental function, computed from the inputs
// and outputs instead of trusted from a vector routine. Included inside one ISA's translation
// unit (namespace IK_MATH_ISA), so nothing here is shared between instruction sets.
#pragma once

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "math.hpp"

namespace ik::simd::IK_MATH_ISA {
namespace {

// Sets the caller's flags aside for the duration of a call and restores them, plus the flags
// the call should raise.
class FlagGuard {
   public:
    FlagGuard() {
        std::fegetexceptflag(&saved_, FE_ALL_EXCEPT);
        std::feclearexcept(FE_ALL_EXCEPT);
    }
    ~FlagGuard() {
        std::fesetexceptflag(&saved_, FE_ALL_EXCEPT);
        if (raise_) std::feraiseexcept(raise_);
    }
    void add(int flags) const { raise_ |= flags; }

   private:
    std::fexcept_t saved_;
    mutable int raise_ = 0;
};

// What an infinite result from finite inputs means for each function: a pole (divide by zero) or
// overflow; and whether results that vanish from non-zero inputs signal underflow.
enum class Infinity { none, divide, overflow };

constexpr Infinity infinity_rule(Unary f) {
    switch (f) {
        case Unary::log:
        case Unary::log2:
        case Unary::log10:
        case Unary::log1p:
        case Unary::arctanh:
            return Infinity::divide;
        case Unary::exp:
        case Unary::exp2:
        case Unary::expm1:
        case Unary::sinh:
        case Unary::cosh:
            return Infinity::overflow;
        default:
            return Infinity::none;
    }
}

constexpr bool signals_underflow(Unary f) { return f == Unary::exp || f == Unary::exp2; }

template <class T> bool is_nan(T v) { return v != v; }
template <class T> bool is_inf(T v) { return std::fabs(v) == std::numeric_limits<T>::infinity(); }
template <class T> bool is_finite(T v) { return !is_nan(v) && !is_inf(v); }
template <class T> bool is_tiny(T v) { return std::fabs(v) < std::numeric_limits<T>::min(); }

template <class T> int unary_flags(Unary f, const T* in, const T* out, std::ptrdiff_t n) {
    bool invalid = false, infinite = false, vanished = false;
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        const T x = in[i], y = out[i];
        invalid |= is_nan(y) && !is_nan(x);
        infinite |= is_inf(y) && is_finite(x);
        vanished |= is_tiny(y) && x != T(0) && is_finite(x);
    }
    int flags = invalid ? FE_INVALID : 0;
    if (infinite) {
        if (infinity_rule(f) == Infinity::divide) flags |= FE_DIVBYZERO;
        if (infinity_rule(f) == Infinity::overflow) flags |= FE_OVERFLOW;
    }
    if (vanished && signals_underflow(f)) flags |= FE_UNDERFLOW;
    return flags;
}

template <class T> int binary_flags(Binary f, const T* a, const T* b, const T* out, std::ptrdiff_t n) {
    bool invalid = false, pole = false, overflow = false, vanished = false;
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        const T x = a[i], y = b[i], r = out[i];
        invalid |= is_nan(r) && !is_nan(x) && !is_nan(y);
        const bool infinite = is_inf(r) && is_finite(x) && is_finite(y);
        pole |= infinite && x == T(0);
        overflow |= infinite && x != T(0);
        vanished |= is_tiny(r) && x != T(0) && is_finite(x) && is_finite(y);
    }
    int flags = invalid ? FE_INVALID : 0;
    if (f == Binary::power) {
        if (pole) flags |= FE_DIVBYZERO;
        if (overflow) flags |= FE_OVERFLOW;
        if (vanished) flags |= FE_UNDERFLOW;
    } else if (f == Binary::hypot && (pole || overflow)) {
        flags |= FE_OVERFLOW;
    }
    return flags;
}

}  // namespace
}  // namespace ik::simd::IK_MATH_ISA
