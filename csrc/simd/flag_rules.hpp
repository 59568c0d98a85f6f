// The floating-point flags NumPy raises for a transcendental function, computed from the inputs
// and outputs instead of trusted from a vector routine. Included inside one ISA's translation
// unit (namespace IK_MATH_ISA), so nothing here is shared between instruction sets.
#pragma once

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "math.hpp"

namespace ik::simd::IK_MATH_ISA {
namespace {

constexpr int numpy_flags = FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW;

// Sets the caller's flags aside for a vector call, and afterwards keeps the call's flags only if
// it raised any: then they are replaced by those NumPy's semantics give (see `settle`). A call
// that raised nothing needs nothing (vector routines raise at least the flags C's functions do,
// but for underflow: may_vanish_silently), which keeps the common case to two flag reads.
class FlagGuard {
   public:
    FlagGuard() : before_(std::fetestexcept(numpy_flags)) {
        if (before_) std::feclearexcept(before_);
    }
    ~FlagGuard() {
        if (before_) std::feraiseexcept(before_);
    }
    // After the vector routine: nonzero if it raised flags that `settle` must sort out.
    int raised() const { return std::fetestexcept(numpy_flags); }
    void settle(int raised, int wanted) const {
        std::feclearexcept(raised);
        if (wanted) std::feraiseexcept(wanted);
    }

   private:
    int before_;
};

// What an infinite result from finite inputs means for each function: a pole (divide by zero) or
// overflow. (Whether results that vanish from non-zero inputs signal underflow: signals_underflow.)
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

// Classification on the bits (integer operations only, so the scan vectorises and raises no flag).
template <class T> using Bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
template <class T> constexpr Bits<T> inf_bits = sizeof(T) == 8 ? Bits<T>(0x7ff0000000000000ull) : Bits<T>(0x7f800000u);
template <class T> constexpr Bits<T> min_normal_bits = sizeof(T) == 8 ? Bits<T>(0x0010000000000000ull) : Bits<T>(0x00800000u);
template <class T> Bits<T> magnitude(T v) {
    Bits<T> b;
    std::memcpy(&b, &v, sizeof b);
    return b & (~Bits<T>(0) >> 1);
}

template <class T> bool is_nan(T v) { return magnitude(v) > inf_bits<T>; }
template <class T> bool is_inf(T v) { return magnitude(v) == inf_bits<T>; }
template <class T> bool is_finite(T v) { return magnitude(v) < inf_bits<T>; }

template <class T> int unary_flags(Unary f, const T* in, const T* out, std::ptrdiff_t n) {
    // Branch-free accumulation: one pass, no early exit, vectorised by the compiler.
    unsigned invalid = 0, infinite = 0, vanished = 0;
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        const Bits<T> x = magnitude(in[i]), y = magnitude(out[i]);
        invalid |= (y > inf_bits<T>) & (x <= inf_bits<T>);
        infinite |= (y == inf_bits<T>) & (x < inf_bits<T>);
        vanished |= (y < min_normal_bits<T>) & (x != 0) & (x < inf_bits<T>);
    }
    int flags = invalid ? FE_INVALID : 0;
    if (infinite) {
        if (infinity_rule(f) == Infinity::divide) flags |= FE_DIVBYZERO;
        if (infinity_rule(f) == Infinity::overflow) flags |= FE_OVERFLOW;
    }
    if (vanished && signals_underflow(f, sizeof(T) == 4)) flags |= FE_UNDERFLOW;
    return flags;
}

template <class T> int binary_flags(Binary f, const T* a, const T* b, const T* out, std::ptrdiff_t n) {
    bool invalid = false, pole = false, overflow = false, vanished = false;  // NOLINT
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        const Bits<T> x = magnitude(a[i]), y = magnitude(b[i]), r = magnitude(out[i]);
        invalid |= (r > inf_bits<T>) & (x <= inf_bits<T>) & (y <= inf_bits<T>);
        const bool infinite = (r == inf_bits<T>) & (x < inf_bits<T>) & (y < inf_bits<T>);
        pole |= infinite & (x == 0);
        overflow |= infinite & (x != 0);
        vanished |= (r < min_normal_bits<T>) & (x != 0) & (x < inf_bits<T>) & (y < inf_bits<T>);
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
