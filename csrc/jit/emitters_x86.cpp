// The emitter table: per op of ir/ops.def, the AVX-512 instructions that compute it, or why it
// falls back to the interpreter. Each op is one IEEE instruction (never an FMA), so results are
// NumPy's bits, or a call of the math table's vector routine, so results are the evaluators';
// a switch with no default makes a new op in ops.def a decision here.
#include <cstdint>
#include <optional>

#include "assembler.hpp"
#include "simd/math.hpp"

namespace ik::jit {
namespace {

using ir::Op;
using Xbyak::CodeGenerator;
using Xbyak::Operand;
using Xbyak::Opmask;
using Xbyak::Xmm;
using Xbyak::Zmm;

using Ins = void (CodeGenerator::*)(const Xmm&, const Operand&, const Operand&);

// a OP b. A value in memory (constant, stride-0 input) is the broadcast memory operand: the
// second source, or for a commutative op whose first operand is in memory, swapped there.
template <Ins F64, Ins F32, bool Commutative>
void binary(Assembler& j, const ir::Node& n, int u, int k) {
    const Zmm d = j.dst(u, k);
    const bool swap = Commutative && j.in_memory(n.args[0]);
    const Zmm first = j.reg(n.args[swap ? 1 : 0], u);
    j.with_src(n.args[swap ? 0 : 1], u, [&](const Operand& second) { (j.*(j.f64() ? F64 : F32))(d, first, second); });
    j.count();
}

// Quiet predicates (_OQ, and _UQ for not_equal): a NaN operand raises no invalid flag, as NumPy's
// comparisons raise none.
template <int Predicate>
void compare(Assembler& j, const ir::Node& n, int u, int k) {
    Opmask d = j.km(j.current(), u);
    if (k) d = d | Opmask(k);
    const Zmm first = j.reg(n.args[0], u);
    j.with_src(n.args[1], u, [&](const Operand& second) {
        if (j.f64())
            j.vcmppd(d, first, second, Predicate);
        else
            j.vcmpps(d, first, second, Predicate);
    });
    j.count();
}

// Sign-bit operations, as NumPy's own loops do them (a NaN keeps its payload).
template <Ins F64, Ins F32>
void sign_bits(Assembler& j, const ir::Node& n, int u, int k, const Xbyak::Address& mask) {
    (j.*(j.f64() ? F64 : F32))(j.dst(u, k), j.reg(n.args[0], u), mask);
    j.count();
}

void absolute(Assembler& j, const ir::Node& n, int u, int k) {
    sign_bits<&CodeGenerator::vandpd, &CodeGenerator::vandps>(j, n, u, k, j.abs_mask());
}
void negative(Assembler& j, const ir::Node& n, int u, int k) {
    sign_bits<&CodeGenerator::vxorpd, &CodeGenerator::vxorps>(j, n, u, k, j.sign_mask());
}
void positive(Assembler& j, const ir::Node& n, int u, int k) {
    const Zmm a = j.reg(n.args[0], u);
    if (j.f64())
        j.vmovapd(j.dst(u, k), a);
    else
        j.vmovaps(j.dst(u, k), a);
    j.count();
}
void square(Assembler& j, const ir::Node& n, int u, int k) {
    const Zmm a = j.reg(n.args[0], u);
    if (j.f64())
        j.vmulpd(j.dst(u, k), a, a);
    else
        j.vmulps(j.dst(u, k), a, a);
    j.count();
}
void reciprocal(Assembler& j, const ir::Node& n, int u, int k) {  // NumPy's: 1 / x, rounded once
    if (j.f64())
        j.vbroadcastsd(Zmm(0), j.one());
    else
        j.vbroadcastss(Zmm(0), j.one());
    j.with_src(n.args[0], u, [&](const Operand& a) {
        if (j.f64())
            j.vdivpd(j.dst(u, k), Zmm(0), a);
        else
            j.vdivps(j.dst(u, k), Zmm(0), a);
    });
    j.count(2);
}
void square_root(Assembler& j, const ir::Node& n, int u, int k) {
    j.with_src(n.args[0], u, [&](const Operand& a) {
        if (j.f64())
            j.vsqrtpd(j.dst(u, k), a);
        else
            j.vsqrtps(j.dst(u, k), a);
    });
    j.count();
}
// NumPy's extrema, as the evaluator's kernels compute them (eval/kernels/kernels_impl.inc): maximum(a, b)
// is a where a > b or a is NaN, else b (so a tie, -0.0 against 0.0 too, gives b); minimum the
// same with <; fmax and fmin take a where b is NaN instead. Here b is taken where !(a > b)
// (NGT_UQ; NLT_UQ for <: quiet, a NaN raises no flag, and unordered lanes count) and the NaN
// test (vfpclass QNaN|SNaN, which raises nothing) of the operand kept when NaN is false. Only
// the compare is under the write mask; the blend, the one write of the result, comes after every
// operand was read (the result may take an operand's register).
template <int NotBeyond, bool NanOfFirst>
void extremum(Assembler& j, const ir::Node& n, int u, int k) {
    const int b = n.args[1];
    const Zmm a = j.reg(n.args[0], u);
    const Opmask take_b(7), beyond_not(0);  // k7: guard scratch, reloaded for every copy (mask_for)
    j.with_src(b, u, [&](const Operand& second) {
        const Opmask d = k ? beyond_not | Opmask(k) : beyond_not;
        if (j.f64())
            j.vcmppd(d, a, second, NotBeyond);
        else
            j.vcmpps(d, a, second, NotBeyond);
    });
    constexpr std::uint8_t nan = 0x81;  // QNaN | SNaN
    auto nan_test = [&](const Operand& x) { j.f64() ? j.vfpclasspd(take_b, x, nan) : j.vfpclassps(take_b, x, nan); };
    if (NanOfFirst)
        nan_test(a);
    else if (j.in_memory(b))
        nan_test(j.memory_operand(b, j.zword_b));
    else
        nan_test(j.z(b, u));
    j.f64() ? j.kandnb(take_b, take_b, beyond_not) : j.kandnw(take_b, take_b, beyond_not);
    const Zmm d = j.z(j.current(), u) | take_b;
    j.with_src(b, u, [&](const Operand& second) {
        if (j.f64())
            j.vblendmpd(d, a, second);
        else
            j.vblendmps(d, a, second);
    });
    j.count(4);
}

// cond ? b : c. A blend raises no flag, so it needs no mask; the branches were computed lazily.
void where(Assembler& j, const ir::Node& n, int u, int) {
    const Zmm otherwise = j.reg(n.args[2], u);
    const Zmm d = j.z(j.current(), u) | j.km(n.args[0], u);
    j.with_src(n.args[1], u, [&](const Operand& b) {
        if (j.f64())
            j.vblendmpd(d, otherwise, b);
        else
            j.vblendmps(d, otherwise, b);
    });
    j.count();
}
// The math table's function of simd::Unary f: op_of's inverse.
std::optional<simd::Unary> unary_of(Op op) {
    for (int f = 0; f < static_cast<int>(simd::Unary::count); ++f)
        if (simd::op_of(static_cast<simd::Unary>(f)) == op) return static_cast<simd::Unary>(f);
    return std::nullopt;
}

// Whether the routine may return a vanishing result (subnormal or zero) from a non-zero finite
// argument without raising underflow where NumPy signals it: the rule of math_vector.inc's
// may_vanish_silently (ironkernel's own exp, and sin for float64, raise it for every such
// result; libmvec's routines need not). test_jit.py checks the flags of each function's
// vanishing argument, so that a change there fails here.
bool may_vanish_silently(simd::Unary f, bool f64) {
    const bool own = f == simd::Unary::exp || (f == simd::Unary::sin && f64);
    return !own && simd::signals_underflow(f, !f64);
}

// A math function through its vector routine (math_routine), on zmm0, the node's live values
// saved around it (Assembler::emit_call). Lanes outside the write mask hold a value the
// function raises nothing on (1; 0.5 for arctanh, whose pole 1 is), so a lane NumPy would not
// compute raises no flag. The routine is the unchecked one: it may raise flags NumPy would not
// (its range reduction), and run_jit runs a piece again in the evaluators when any flag was
// raised, as the chunked evaluator does; a result that vanished silently raises underflow here,
// so that such a piece runs again too.
void math_call(Assembler& j, const ir::Node& n, int u, int k) {
    const simd::Unary f = *unary_of(n.op);
    const int a = n.args[0];
    const Zmm x(0), scratch(1);
    if (k) {
        const Xbyak::Address pad = f == simd::Unary::arctanh ? j.half() : j.one();
        j.f64() ? j.vbroadcastsd(x, pad) : j.vbroadcastss(x, pad);
        j.count();
    }
    j.load_saved(x, a, u, k);
    j.call_routine(math_routine(n.op, j.f64() ? ir::DType::float64 : ir::DType::float32));
    if (may_vanish_silently(f, j.f64())) {
        const int lanes = j.call_lanes(u);
        const Opmask vanished(2), special(3);  // free: every mask is saved around a call
        constexpr std::uint8_t subnormal_or_zero = 0x26, zero_inf_or_nan = 0x9f;
        const Opmask into = lanes ? vanished | Opmask(lanes) : vanished;
        j.f64() ? j.vfpclasspd(into, x, subnormal_or_zero) : j.vfpclassps(into, x, subnormal_or_zero);
        j.load_saved(scratch, a, u, 0);
        j.f64() ? j.vfpclasspd(special, scratch, zero_inf_or_nan) : j.vfpclassps(special, scratch, zero_inf_or_nan);
        j.f64() ? j.kandnb(vanished, special, vanished) : j.kandnw(vanished, special, vanished);
        // The smallest normal number squared underflows: raised on the vanished lanes only.
        j.f64() ? j.vbroadcastsd(scratch, j.min_normal()) : j.vbroadcastss(scratch, j.min_normal());
        const Zmm raise = scratch | vanished | j.T_z;
        j.f64() ? j.vmulpd(raise, scratch, scratch) : j.vmulps(raise, scratch, scratch);
        j.count(5);
    }
    j.f64() ? j.vmovupd(j.result_slot(u), x) : j.vmovups(j.result_slot(u), x);
    j.count();
}

// (A stride-0 input, like a constant, is read where used, as a broadcast memory operand.)
void input(Assembler& j, const ir::Node&, int u, int k) { j.load_input(j.current(), u, k); }
void constant(Assembler&, const ir::Node&, int, int) {}

constexpr const char* two_argument_math =
    "two-argument math: the math table has no vector routine of two vectors (the evaluators call its array routine)";
constexpr const char* integer_only = "integer or bool operands only";
constexpr const char* not_written = "not written yet";

}  // namespace

EmitterRow emitter_row(Op op) {
    switch (op) {
        case Op::input:
            return {input};
        case Op::constant:
            return {constant};
        case Op::where:
            return {where};
        case Op::negative:
            return {negative};
        case Op::positive:
            return {positive};
        case Op::absolute:
            return {absolute};
        case Op::square:
            return {square};
        case Op::reciprocal:
            return {reciprocal};
        case Op::sqrt:
            return {square_root};
        case Op::add:
            return {binary<&CodeGenerator::vaddpd, &CodeGenerator::vaddps, true>};
        case Op::subtract:
            return {binary<&CodeGenerator::vsubpd, &CodeGenerator::vsubps, false>};
        case Op::multiply:
            return {binary<&CodeGenerator::vmulpd, &CodeGenerator::vmulps, true>};
        case Op::divide:
            return {binary<&CodeGenerator::vdivpd, &CodeGenerator::vdivps, false>};
        case Op::greater:
            return {compare<0x1e>};  // GT_OQ
        case Op::greater_equal:
            return {compare<0x1d>};  // GE_OQ
        case Op::less:
            return {compare<0x11>};  // LT_OQ
        case Op::less_equal:
            return {compare<0x12>};  // LE_OQ
        case Op::equal:
            return {compare<0x00>};  // EQ_OQ
        case Op::not_equal:
            return {compare<0x04>};  // NEQ_UQ: true for NaN, as NumPy's !=
        case Op::cast:
            return {nullptr, "casts: the first slice has one dtype per kernel"};
        case Op::floor:
        case Op::ceil:
        case Op::trunc:
        case Op::rint:
            return {nullptr, "vrndscale: not written yet"};
        case Op::maximum:
            return {extremum<0x1a, true>};  // NGT_UQ
        case Op::minimum:
            return {extremum<0x15, true>};  // NLT_UQ
        case Op::fmax:
            return {extremum<0x1a, false>};
        case Op::fmin:
            return {extremum<0x15, false>};
        case Op::copysign:
            return {nullptr, "bit operations: not written yet"};
        case Op::sign:
        case Op::heaviside:
        case Op::isnan:
        case Op::isinf:
        case Op::isfinite:
        case Op::signbit:
        case Op::deg2rad:
        case Op::rad2deg:
        case Op::spacing:
        case Op::nextafter:
        case Op::frexp_mantissa:
        case Op::frexp_exponent:
        case Op::ldexp:
        case Op::floor_divide:
        case Op::remainder:
        case Op::fmod:
            return {nullptr, not_written};
        case Op::conjugate:
        case Op::real:
        case Op::imag:
            return {nullptr, "complex operands"};
        case Op::logical_not:
        case Op::logical_and:
        case Op::logical_or:
        case Op::logical_xor:
        case Op::invert:
        case Op::bitwise_and:
        case Op::bitwise_or:
        case Op::bitwise_xor:
        case Op::left_shift:
        case Op::right_shift:
            return {nullptr, integer_only};
            // The math table's one-argument functions (simd/math.hpp, from ops.def): calls of their
            // vector routines.
            // clang-format off
#define IK_X(name) case Op::name:
            IK_SIMD_UNARY_FUNCTIONS(IK_X)
#undef IK_X
            // clang-format on
            return {math_call, nullptr, true};
        case Op::power:
        case Op::arctan2:
        case Op::hypot:
        case Op::logaddexp:
        case Op::logaddexp2:
            return {nullptr, two_argument_math};
        case Op::count:
            break;  // not an op
    }
    return {nullptr, "not an op"};
}

const void* math_routine(Op op, ir::DType dtype) {
    const std::optional<simd::Unary> f = unary_of(op);
    const simd::MathTable& table = simd::math_table();
    if (!f || table.vector_bytes != 64) return nullptr;  // 64: AVX-512's vectors, as the JIT's
    if (dtype != ir::DType::float64 && dtype != ir::DType::float32) return nullptr;
    const auto routines = dtype == ir::DType::float64 ? table.vector_f64 : table.vector_f32;
    return reinterpret_cast<const void*>(routines[static_cast<int>(*f)]);
}

}  // namespace ik::jit
