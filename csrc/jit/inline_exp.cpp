// exp inline: own_exp.hpp's exp_in_range as instructions, for steps whose selected lanes are all
// within its bound. The call of the routine cost more than the routine itself: `np.exp(x) + 0.0`,
// float64, one thread, 1e5 elements on an Ice Lake Xeon took 1.74 ns an element as a call per
// vector against 1.02 in the evaluators, whose chains inline the same function.
#include <cstdint>
#include <cstring>

#include "assembler.hpp"
#include "simd/own_exp_constants.hpp"

namespace ik::jit {

using namespace Xbyak;

namespace {

using C64 = simd::own::ExpConstants<double>;
using C32 = simd::own::ExpConstants<float>;

// The scratch registers of the inline exp (allocate() keeps them from values when a graph has exp).
const Zmm s0(exp_scratch), s1(exp_scratch + 1), s2(exp_scratch + 2), s3(exp_scratch + 3), s4(exp_scratch + 4),
    s5(exp_scratch + 5), s6(exp_scratch + 6), s7(exp_scratch + 7);

}  // namespace

Address Assembler::exp_constant(ExpConstant c) { return ptr_b[rip + exp_labels_[static_cast<int>(c)]]; }

// The in-range path of own::exp (own_exp.hpp), the same operations in the same order, so the
// routine's bits: a change there must be made here too (test_jit_math_calls.py compares them).
// Unselected lanes compute exp(0), so what they hold raises nothing. When a selected lane of
// any copy is beyond the bound (or NaN), the node's copies are calls of the routine instead
// (emit_call), which takes such lanes to libmvec.
void Assembler::emit_inline_exp(int i, Emit call, int copies) {
    const int a = node(i).args[0];
    Label beyond, done;
    for (int u = 0; u < copies; ++u) {
        const int k = mask_for(i, u, tail_);
        const Zmm x = reg(a, u);
        f64_ ? vandpd(s0, x, abs_mask()) : vandps(s0, x, abs_mask());
        const Opmask out = k ? k0 | Opmask(k) : k0;
        constexpr int not_at_most = 0x16;  // NLE_UQ: |x| > bound, or NaN; quiet
        f64_ ? vcmppd(out, s0, exp_constant(ExpConstant::bound), not_at_most)
             : vcmpps(out, s0, exp_constant(ExpConstant::bound), not_at_most);
        f64_ ? kortestb(k0, k0) : kortestw(k0, k0);
        jnz(beyond, T_NEAR);
        count(4);
    }
    using Fma = void (CodeGenerator::*)(const Xmm&, const Xmm&, const Operand&);
    const Fma fma = f64_ ? &CodeGenerator::vfmadd231pd : &CodeGenerator::vfmadd231ps;
    const Fma fnma = f64_ ? &CodeGenerator::vfnmadd231pd : &CodeGenerator::vfnmadd231ps;
    const auto broadcast = [&](const Zmm& d, ExpConstant c) {
        const Address at = ptr[rip + exp_labels_[static_cast<int>(c)]];
        f64_ ? vbroadcastsd(d, at) : vbroadcastss(d, at);
    };
    const auto mul = [&](const Zmm& d, const Zmm& p, const Zmm& q) { f64_ ? vmulpd(d, p, q) : vmulps(d, p, q); };
    // d = r * taylor[odd] + taylor[odd - 1]
    const auto pair = [&](const Zmm& d, int odd) {
        broadcast(d, taylor(odd - 1));
        (this->*fma)(d, s0, exp_constant(taylor(odd)));
    };
    for (int u = 0; u < copies; ++u) {
        const int k = mask_for(i, u, tail_);
        const Zmm x = reg(a, u);
        if (k)
            f64_ ? vmovapd(s0 | Opmask(k) | T_z, x) : vmovaps(s0 | Opmask(k) | T_z, x);
        else
            f64_ ? vmovapd(s0, x) : vmovaps(s0, x);
        broadcast(s1, ExpConstant::shifter);
        (this->*fma)(s1, s0, exp_constant(ExpConstant::inverse_ln2));  // t = x / ln 2 + shifter
        f64_ ? vsubpd(s2, s1, exp_constant(ExpConstant::shifter))
             : vsubps(s2, s1, exp_constant(ExpConstant::shifter));      // k = t - shifter
        (this->*fnma)(s0, s2, exp_constant(ExpConstant::ln2_hi));      // r = x - k ln2_hi
        (this->*fnma)(s0, s2, exp_constant(ExpConstant::ln2_lo));      // r -= k ln2_lo
        mul(s2, s0, s0);                                               // r2
        mul(s3, s2, s2);                                               // r4
        pair(s4, 1);                                                   // a0
        pair(s5, 3);                                                   // a1
        if (f64_) {
            (this->*fma)(s4, s2, s5);  // b0 = r2 a1 + a0
            pair(s5, 5);               // a2
            pair(s6, 7);               // a3
            (this->*fma)(s5, s2, s6);  // b1 = r2 a3 + a2
            pair(s6, 9);               // a4
            pair(s7, 11);              // a5
            (this->*fma)(s6, s2, s7);  // b2 = r2 a5 + a4
            mul(s7, s3, s3);           // r8
            (this->*fma)(s4, s3, s5);  // r4 b1 + b0
            (this->*fma)(s4, s7, s6);  // q = r8 b2 + (r4 b1 + b0)
            count(24);
        } else {
            pair(s6, 5);               // a2
            (this->*fma)(s4, s2, s5);  // r2 a1 + a0
            (this->*fma)(s4, s3, s6);  // q = r4 a2 + (r2 a1 + a0)
            count(14);
        }
        (this->*fma)(s0, s2, s4);  // r2 q + r
        f64_ ? vaddpd(s0, s0, ptr_b[rip + one_label_]) : vaddps(s0, s0, ptr_b[rip + one_label_]);  // p = 1 + ...
        // 2^k: k (t's low bits) added to p's exponent.
        f64_ ? vpsllq(s1, s1, C64::mantissa_bits) : vpslld(s1, s1, C32::mantissa_bits);
        f64_ ? vpaddq(dst(u, k), s0, s1) : vpaddd(dst(u, k), s0, s1);
        count(4);
    }
    jmp(done, T_NEAR);
    L(beyond);
    emit_call(i, call, copies);
    L(done);
    count();
}

// The constants after the code, one label each, in the kernel's element type.
void Assembler::emit_exp_constants() {
    const auto put = [&](ExpConstant c, double v64, float v32) {
        L(exp_labels_[static_cast<int>(c)]);
        if (f64_) {
            std::uint64_t b;
            std::memcpy(&b, &v64, sizeof b);
            dq(b);
        } else {
            std::uint32_t b;
            std::memcpy(&b, &v32, sizeof b);
            dd(b);
        }
    };
    put(ExpConstant::bound, C64::bound, C32::bound);
    put(ExpConstant::shifter, C64::shifter, C32::shifter);
    put(ExpConstant::inverse_ln2, C64::inverse_ln2, C32::inverse_ln2);
    put(ExpConstant::ln2_hi, C64::ln2_hi, C32::ln2_hi);
    put(ExpConstant::ln2_lo, C64::ln2_lo, C32::ln2_lo);
    const int terms = f64_ ? 12 : 6;  // float32's series ends at 1/7!
    for (int t = 0; t < terms; ++t) put(taylor(t), C64::taylor[t], C32::taylor[t % 6]);
}

}  // namespace ik::jit
