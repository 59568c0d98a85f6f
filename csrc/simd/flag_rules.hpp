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

// Classification on the bits (integer operations only, so the scan vectorises and raises no flag).
template <class T>
using Bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
template <class T>
constexpr Bits<T> inf_bits = sizeof(T) == 8 ? Bits<T>(0x7ff0000000000000ull) : Bits<T>(0x7f800000u);
template <class T>
constexpr Bits<T> min_normal_bits = sizeof(T) == 8 ? Bits<T>(0x0010000000000000ull) : Bits<T>(0x00800000u);
template <class T>
Bits<T> magnitude(T v) {
    Bits<T> b;
    std::memcpy(&b, &v, sizeof b);
    return b & (~Bits<T>(0) >> 1);
}

template <class T>
bool is_nan(T v) {
    return magnitude(v) > inf_bits<T>;
}
template <class T>
bool is_inf(T v) {
    return magnitude(v) == inf_bits<T>;
}
template <class T>
bool is_finite(T v) {
    return magnitude(v) < inf_bits<T>;
}

// The flag of an infinite result from finite operands, by the op's flags column (ir/ops.def); a
// pole is a first operand of 0 (for unary functions: every such result).
constexpr int infinity_flag(ir::Flags rule, bool pole) {
    switch (rule) {
        case ir::Flags::divide:
            return FE_DIVBYZERO;
        case ir::Flags::overflow:
            return FE_OVERFLOW;
        case ir::Flags::divide_or_overflow:
            return pole ? FE_DIVBYZERO : FE_OVERFLOW;
        case ir::Flags::none:
        case ir::Flags::some:
        case ir::Flags::invalid:
            break;
    }
    return 0;
}

template <class T>
int unary_flags(Unary f, const T* in, const T* out, std::ptrdiff_t n) {
    // Branch-free accumulation: one pass, no early exit, vectorised by the compiler.
    unsigned invalid = 0, infinite = 0, vanished = 0;
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        const Bits<T> x = magnitude(in[i]), y = magnitude(out[i]);
        invalid |= (y > inf_bits<T>)&(x <= inf_bits<T>);
        infinite |= (y == inf_bits<T>)&(x < inf_bits<T>);
        vanished |= (y < min_normal_bits<T>)&(x != 0) & (x < inf_bits<T>);
    }
    int flags = invalid ? FE_INVALID : 0;
    if (infinite) flags |= infinity_flag(ir::info(op_of(f)).flags, true);
    if (vanished && signals_underflow(f, sizeof(T) == 4)) flags |= FE_UNDERFLOW;
    return flags;
}

template <class T>
int binary_flags(Binary f, const T* a, const T* b, const T* out, std::ptrdiff_t n) {
    bool invalid = false, pole = false, overflow = false, vanished = false, zero_to_infinity = false;  // NOLINT
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        const Bits<T> x = magnitude(a[i]), y = magnitude(b[i]), r = magnitude(out[i]);
        invalid |= (r > inf_bits<T>)&(x <= inf_bits<T>)&(y <= inf_bits<T>);
        const bool infinite = (r == inf_bits<T>)&(x < inf_bits<T>)&(y < inf_bits<T>);
        pole |= infinite & (x == 0);
        // 0 to the power -inf is a pole too (NumPy's float32 and float64 power signal divide).
        zero_to_infinity |= (r == inf_bits<T>)&(x == 0) & (y == inf_bits<T>);
        overflow |= infinite & (x != 0);
        vanished |= (r < min_normal_bits<T>)&(x != 0) & (x < inf_bits<T>)&(y < inf_bits<T>);
    }
    const ir::OpInfo& op = ir::info(op_of(f));
    int flags = invalid ? FE_INVALID : 0;
    if (pole || (zero_to_infinity && op.flags == ir::Flags::divide_or_overflow)) flags |= infinity_flag(op.flags, true);
    if (overflow) flags |= infinity_flag(op.flags, false);
    if (vanished && op.underflow) flags |= FE_UNDERFLOW;
    return flags;
}

}  // namespace
}  // namespace ik::simd::IK_MATH_ISA
