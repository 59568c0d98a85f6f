// Math inline: own_exp.hpp's and own_sin.hpp's in-range paths as instructions, for steps whose
// selected lanes are all within their bounds; a step with a lane beyond calls the routine, as
// every math function does (calls.cpp). The call cost more than the function: `np.exp(x) + 0.0`,
// float64, one thread, 1e5 elements on an Ice Lake Xeon took 1.74 ns an element as a call per
// vector against 1.02 in the evaluators, whose chains inline the same function; and a square root
// or division beside a call did not overlap it (`1 / x + np.exp(x)`: 1.88 ns, inline 1.01).
#include <cstdint>
#include <cstring>

#include "assembler.hpp"
#include "simd/own_math_constants.hpp"

namespace ik::jit {

using namespace Xbyak;

namespace {

using Exp64 = simd::own::ExpConstants<double>;
using Exp32 = simd::own::ExpConstants<float>;
using Sin = simd::own::SinConstants;

// The scratch registers (allocate() keeps them from values in graphs with inline math).
const Zmm s0(inline_scratch), s1(inline_scratch + 1), s2(inline_scratch + 2), s3(inline_scratch + 3),
    s4(inline_scratch + 4), s5(inline_scratch + 5), s6(inline_scratch + 6), s7(inline_scratch + 7);

// The instructions of the kernel's width the bodies below are written in.
struct Ops {
    Assembler& j;
    Address c(double v) { return j.math_constant(v); }  // broadcast from the constants after the code
    void set(const Zmm& d, double v) {
        j.f64() ? j.vbroadcastsd(d, j.math_constant(v, false)) : j.vbroadcastss(d, j.math_constant(v, false));
        j.count();
    }
    void fma(const Zmm& d, const Zmm& a, const Operand& b) {  // d = a b + d, rounded once
        j.f64() ? j.vfmadd231pd(d, a, b) : j.vfmadd231ps(d, a, b);
        j.count();
    }
    void fnma(const Zmm& d, const Zmm& a, const Operand& b) {  // d = -(a b) + d, rounded once
        j.f64() ? j.vfnmadd231pd(d, a, b) : j.vfnmadd231ps(d, a, b);
        j.count();
    }
    void mul(const Zmm& d, const Zmm& a, const Operand& b) {
        j.f64() ? j.vmulpd(d, a, b) : j.vmulps(d, a, b);
        j.count();
    }
    void sub(const Zmm& d, const Zmm& a, const Operand& b) {
        j.f64() ? j.vsubpd(d, a, b) : j.vsubps(d, a, b);
        j.count();
    }
    void add(const Zmm& d, const Zmm& a, const Operand& b) {
        j.f64() ? j.vaddpd(d, a, b) : j.vaddps(d, a, b);
        j.count();
    }
};

// d = exp(s0), s0's lanes within the bound: exp_in_range (own_exp.hpp), operation for operation.
void exp_in_range(Assembler& j, const Zmm& d) {
    Ops o{j};
    const bool f64 = j.f64();
    const double shifter = f64 ? Exp64::shifter : Exp32::shifter;
    const auto taylor = [&](int t) { return f64 ? Exp64::taylor[t] : Exp32::taylor[t % Exp32::terms]; };
    // d = r taylor[odd] + taylor[odd - 1]
    const auto pair = [&](const Zmm& to, int odd) {
        o.set(to, taylor(odd - 1));
        o.fma(to, s0, o.c(taylor(odd)));
    };
    o.set(s1, shifter);
    o.fma(s1, s0, o.c(f64 ? Exp64::inverse_ln2 : Exp32::inverse_ln2));  // t = x / ln 2 + shifter
    o.sub(s2, s1, o.c(shifter));                                        // k
    o.fnma(s0, s2, o.c(f64 ? Exp64::ln2_hi : Exp32::ln2_hi));           // r = x - k ln2_hi - k ln2_lo
    o.fnma(s0, s2, o.c(f64 ? Exp64::ln2_lo : Exp32::ln2_lo));
    o.mul(s2, s0, s0);  // r2
    o.mul(s3, s2, s2);  // r4
    pair(s4, 1);        // a0
    pair(s5, 3);        // a1
    if (f64) {
        o.fma(s4, s2, s5);  // b0 = r2 a1 + a0
        pair(s5, 5);        // a2
        pair(s6, 7);        // a3
        o.fma(s5, s2, s6);  // b1 = r2 a3 + a2
        pair(s6, 9);        // a4
        pair(s7, 11);       // a5
        o.fma(s6, s2, s7);  // b2 = r2 a5 + a4
        o.mul(s7, s3, s3);  // r8
        o.fma(s4, s3, s5);  // r4 b1 + b0
        o.fma(s4, s7, s6);  // q = r8 b2 + (r4 b1 + b0)
    } else {
        pair(s6, 5);        // a2
        o.fma(s4, s2, s5);  // r2 a1 + a0
        o.fma(s4, s3, s6);  // q = r4 a2 + (r2 a1 + a0)
    }
    o.fma(s0, s2, s4);        // r2 q + r
    o.add(s0, s0, o.c(1.0));  // p
    // 2^k: k, t's low bits, added to p's exponent
    f64 ? j.vpsllq(s1, s1, Exp64::mantissa_bits) : j.vpslld(s1, s1, Exp32::mantissa_bits);
    f64 ? j.vpaddq(d, s0, s1) : j.vpaddd(d, s0, s1);
    j.count(2);
}

// d = sin(s0), float64, s0's lanes within the bound: sin_in_range (own_sin.hpp), operation for operation.
void sin_in_range(Assembler& j, const Zmm& d) {
    Ops o{j};
    const auto pair = [&](const Zmm& to, int k) {  // a_k = s odd[k] + even[k]
        o.set(to, Sin::even[k]);
        o.fma(to, s3, o.c(Sin::odd[k]));
    };
    o.set(s1, Sin::shifter);
    o.fma(s1, s0, o.c(Sin::inverse_pi));                          // t = x / pi + shifter
    o.sub(s2, s1, o.c(Sin::shifter));                             // q
    for (const double part : Sin::pi) o.fnma(s0, s2, o.c(part));  // r = x - q pi
    o.mul(s3, s0, s0);                                            // s
    o.mul(s4, s3, s3);                                            // s^2
    o.mul(s5, s4, s4);                                            // s^4
    pair(s2, 0);
    pair(s6, 1);
    o.fma(s2, s4, s6);  // s^2 a1 + a0
    pair(s6, 2);
    pair(s7, 3);
    o.fma(s6, s4, s7);          // s^2 a3 + a2
    o.fma(s2, s5, s6);          // P
    o.mul(s3, s3, s2);          // s P
    j.vfmadd213pd(s3, s0, s0);  // y = r (s P) + r
    // r's sign bit (r = -0 gives y = +0), and the sign of the result: q's parity, t's last bit
    j.vpandq(s4, s0, j.sign_mask());
    j.vporq(s3, s3, s4);
    j.vpsllq(s1, s1, 63);
    j.vpxorq(d, s3, s1);
    j.count(5);
}

}  // namespace

bool inlines_math(ir::Op op, bool f64) { return op == ir::Op::exp || (op == ir::Op::sin && f64); }

Address Assembler::math_constant(double v, bool broadcast) {
    std::size_t at = 0;  // bit for bit: -0.0 is not 0.0
    while (at < math_constants_.size() && std::memcmp(&math_constants_[at], &v, sizeof v) != 0) ++at;
    if (at == math_constants_.size()) math_constants_.push_back(v);
    const RegRip where = rip + math_label_ + static_cast<int>(at) * itemsize_;
    return broadcast ? ptr_b[where] : ptr[where];
}

// Unselected lanes compute the function of 0, so what they hold raises nothing. When a selected
// lane of any copy is beyond the bound (or NaN), the node's copies are calls of the routine
// instead (emit_call), which takes such lanes to libmvec.
void Assembler::emit_inline_math(int i, Emit call, int copies) {
    const ir::Op op = node(i).op;
    const int a = node(i).args[0];
    const double bound = op == ir::Op::sin ? Sin::bound : f64_ ? Exp64::bound : Exp32::bound;
    Label beyond, done;
    for (int u = 0; u < copies; ++u) {
        const int k = mask_for(i, u, tail_);
        const Zmm x = reg(a, u);
        f64_ ? vandpd(s0, x, abs_mask()) : vandps(s0, x, abs_mask());
        const Opmask out = k ? k0 | Opmask(k) : k0;
        constexpr int not_at_most = 0x16;  // NLE_UQ: |x| > bound, or NaN; quiet
        f64_ ? vcmppd(out, s0, math_constant(bound), not_at_most) : vcmpps(out, s0, math_constant(bound), not_at_most);
        f64_ ? kortestb(k0, k0) : kortestw(k0, k0);
        jnz(beyond, T_NEAR);
        count(4);
    }
    for (int u = 0; u < copies; ++u) {
        const int k = mask_for(i, u, tail_);
        const Zmm x = reg(a, u);
        const Zmm to = k ? s0 | Opmask(k) | T_z : s0;
        f64_ ? vmovapd(to, x) : vmovaps(to, x);
        count();
        op == ir::Op::sin ? sin_in_range(*this, dst(u, k)) : exp_in_range(*this, dst(u, k));
    }
    jmp(done, T_NEAR);
    L(beyond);
    emit_call(i, call, copies);
    L(done);
    count();
}

}  // namespace ik::jit
