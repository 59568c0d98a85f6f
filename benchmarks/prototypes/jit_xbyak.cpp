// Prototype (a): AVX-512 machine code for a float64 typed graph, emitted with xbyak from one op table.
//
// Not ironkernel code: a standalone shared library driven by ctypes (see README.md). It reads the
// typed nodes ironkernel's tracer and typer make (op numbers from csrc/ir/ops.def, via op.hpp),
// keeps every value of a block of 8*unroll elements in zmm registers, and returns a function
//     void kernel(const double* const* inputs, double* out, int64_t n)
// over contiguous arrays. Every op is its own IEEE instruction (no FMA contraction), so results
// are NumPy's bits for the ops it covers. A `where` branch's ops run under the condition's mask
// (AVX-512 masked lanes raise no FP flags), and the last partial vector runs under a tail mask
// the same way, so no lane NumPy would not compute raises a flag. Anything it does not cover
// (another dtype, an op without an emitter, too many live values) makes ikp_compile return null:
// the caller keeps the interpreter.
#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <xbyak/xbyak.h>

#include "ir/op.hpp"

using ik::ir::Op;
using namespace Xbyak;

namespace {

// One typed node as the driver passes it: op number, operands, and for a constant its value, for
// an input its position (in `a`).
struct Node {
    std::int32_t op, a, b, c;
    double value;
};

constexpr int max_inputs = 9;
constexpr int lanes = 8;

constexpr int max_unroll = 8;

// Where each node's value lives: `unroll` zmm registers (float64) or opmask registers (bool).
// Constants live in memory after the code and are read as embedded broadcasts ({1to8}), so they
// take no register however many a body has.
struct Value {
    bool is_mask = false;
    int reg[max_unroll] = {-1, -1, -1, -1, -1, -1, -1, -1};
};

class Jit;

// The emitter table: one entry per op of ops.def, null where the JIT has no code (fallback).
// An emitter writes dst (for copy u) from its operands under the write mask `k` (0: none).
using Emit = void (*)(Jit&, const Node&, int u, int k);
std::array<Emit, ik::ir::op_count> make_emitters();
const std::array<const char*, ik::ir::op_count>& math_symbols();
const void* math_address(int op);

// The stack frame: zmm spills, math arguments and results (one per unrolled copy), GPRs, opmasks.
constexpr int frame_args = 64 * 32, frame_results = frame_args + 64 * max_unroll,
              frame_gprs = frame_results + 64 * max_unroll,
              frame_masks = frame_gprs + 64, frame_bytes = frame_masks + 64;

class Jit : public CodeGenerator {
   public:
    Jit(std::vector<Node> nodes, int output, int unroll)
        : CodeGenerator(64 * 1024, DontSetProtectRWE), nodes_(std::move(nodes)), output_(output), unroll_(unroll) {}

    // Returns false when the graph is outside what the JIT covers.
    bool build();

    // Used by the emitters. z: a computed value's register. src: any operand, a constant as a
    // broadcast memory operand (valid as the last source of an EVEX instruction). reg: any
    // operand in a register, a constant loaded into zmm0 (the scratch) first.
    Zmm z(int node, int u) const { return Zmm(values_[node].reg[u]); }
    bool is_constant(int node) const { return static_cast<Op>(nodes_[node].op) == Op::constant; }
    // Calls f with the operand itself (an Address or a Zmm: an Operand copy would lose which).
    template <class F>
    void with_src(int node, int u, F f) {
        if (is_constant(node))
            f(ptr_b[rip + *const_label_[node]]);
        else
            f(z(node, u));
    }
    Zmm reg(int node, int u) {
        if (!is_constant(node)) return z(node, u);
        vbroadcastsd(zmm0, ptr[rip + *const_label_[node]]);
        return zmm0;
    }
    Opmask km(int node, int u) const { return Opmask(values_[node].reg[u]); }
    Zmm dst(int node, int u, int k) const {
        Zmm d = z(node, u);
        if (k) d = d | Opmask(k) | T_z;  // zeroing: lanes outside the mask raise nothing
        return d;
    }
    Address abs_mask() { return ptr_b[rip + abs_label_]; }
    Address sign_mask() { return ptr_b[rip + sign_label_]; }
    int current_node_ = 0;
    int mask_for(int i, int u, bool tail);
    void emit_math(int i, const void* fn, int copies, bool tail);
    void skip_if_unselected(int i, int copies, bool tail, const Label& skip);

   private:
    bool allocate();
    bool compute_guards();
    void emit_body(int copies, bool tail);

    const std::vector<Node> nodes_;
    int output_;
    int unroll_;
    std::vector<Value> values_;
    std::vector<int> last_use_;
    std::vector<int> guard_;  // -1: computed on every lane; else the node index of a condition
    std::vector<bool> guard_negated_;
    std::vector<std::pair<int, int>> input_slots_;  // (node, gpr) of each input pointer
    std::vector<std::unique_ptr<Label>> const_label_;  // per constant node: its 8 bytes after the code
    Label abs_label_, sign_label_;
};

// GPRs that hold the input pointers, in order. rcx: the element index, rdx: n, rsi: out,
// r11 and rax: scratch. rbx and r12-r15 are saved by the prologue.
const int input_gprs[max_inputs] = {Operand::R8,  Operand::R9,  Operand::R10, Operand::R12, Operand::R13,
                                    Operand::R14, Operand::R15, Operand::RBX, Operand::RDI};

bool is_bool_op(Op op) {
    return op == Op::greater || op == Op::greater_equal || op == Op::less || op == Op::less_equal ||
           op == Op::equal || op == Op::not_equal;
}

#include "jit_xbyak_registers.inc"  // compute_guards, allocate

// The node's computation for `copies` unrolled copies. tail: one copy under k1.
// Jumps to `skip` when no lane of any copy is selected by node i's where-condition.
void Jit::skip_if_unselected(int i, int copies, bool tail, const Label& skip) {
    for (int u = 0; u < copies; ++u) {
        const Opmask cond = km(guard_[i], u);
        const Opmask k = u == 0 ? k7 : k0;  // k0 cannot mask, but can be computed into
        if (guard_negated_[i])
            knotb(k, cond);
        else
            kmovb(k, cond);
        if (tail) kandb(k, k, k1);
        if (u > 0) korb(k7, k7, k0);
    }
    kortestb(k7, k7);
    jz(skip, T_NEAR);
}

void Jit::emit_body(int copies, bool tail) {
    static const auto emitters = make_emitters();
    const int count = static_cast<int>(nodes_.size());
    // A run of consecutive nodes under the same where-condition is skipped as a whole when the
    // condition selects no lane (their registers then hold values the where never reads).
    auto same_guard = [&](int a, int b) { return guard_[a] == guard_[b] && guard_negated_[a] == guard_negated_[b]; };
    int prev = -1;
    std::unique_ptr<Label> run_end;
    for (int i = 0; i < count; ++i) {
        if (last_use_[i] < 0) continue;
        const Node& n = nodes_[i];
        const Op op = static_cast<Op>(n.op);
        if (op == Op::constant) continue;
        if (run_end && !same_guard(prev, i)) {
            L(*run_end);
            run_end.reset();
        }
        if (guard_[i] >= 0 && !run_end) {
            run_end = std::make_unique<Label>();
            skip_if_unselected(i, copies, tail, *run_end);
        }
        prev = i;
        current_node_ = i;
        if (math_symbols()[n.op]) {
            emit_math(i, math_address(n.op), copies, tail);
            continue;
        }
        for (int u = 0; u < copies; ++u) {
            const int k = mask_for(i, u, tail);
            if (op == Op::input) {
                const Reg64 base(input_slots_[n.a].second);
                const Address src = ptr[base + rcx * 8 + 64 * u];
                if (k)
                    vmovupd(dst(i, u, k), src);
                else
                    vmovupd(z(i, u), src);
                continue;
            }
            emitters[n.op](*this, n, u, k);
        }
    }
    if (run_end) L(*run_end);
}

// The write mask for copy u of node i: k1 (tail lanes) and the node's where-condition, combined
// in k7 (reserved as scratch: build() refuses an allocation that hands it to a value). 0: none.
int Jit::mask_for(int i, int u, bool tail) {
    if (guard_[i] < 0) return tail ? 1 : 0;
    const Opmask cond = km(guard_[i], u);
    if (guard_negated_[i])
        knotb(k7, cond);
    else
        kmovb(k7, cond);
    if (tail) kandb(k7, k7, k1);
    return 7;
}

// A vector-ABI math call for every copy of node i at once. The ABI clobbers every zmm, opmask
// and caller-saved GPR: what is live across it is spilled once, around the `copies` calls.
// Lanes outside the mask get 0.0 (sin(0) raises no flag), so the calls raise only the flags a
// lazy where would.
void Jit::emit_math(int i, const void* fn, int copies, bool tail) {
    const Node& n = nodes_[i];
    for (int u = 0; u < copies; ++u) {
        const int k = mask_for(i, u, tail);
        const Zmm arg = reg(n.a, u);
        if (k)
            vmovapd(zmm0 | Opmask(k) | T_z, arg);
        else if (arg.getIdx() != 0)
            vmovapd(zmm0, arg);
        vmovupd(ptr[rsp + frame_args + 64 * u], zmm0);
    }
    // Live across the calls: the tail mask and values made before this node that are read after
    // it (its operand, read only here, is in the argument slots).
    std::vector<int> zl, kl = {1};
    for (int j = 0; j < i; ++j) {
        const Value& v = values_[j];
        if (is_constant(j) || last_use_[j] <= i) continue;
        for (int c = 0; c < unroll_; ++c) (v.is_mask ? kl : zl).push_back(v.reg[c]);
    }
    const int gprs[] = {Operand::RCX, Operand::RDX, Operand::RSI, Operand::R8,
                        Operand::R9,  Operand::R10, Operand::RDI};
    for (int j = 0; j < 7; ++j) mov(ptr[rsp + frame_gprs + 8 * j], Reg64(gprs[j]));
    for (std::size_t j = 0; j < kl.size(); ++j) kmovq(ptr[rsp + frame_masks + 8 * j], Opmask(kl[j]));
    for (std::size_t j = 0; j < zl.size(); ++j) vmovupd(ptr[rsp + 64 * j], Zmm(zl[j]));
    for (int u = 0; u < copies; ++u) {
        vmovupd(zmm0, ptr[rsp + frame_args + 64 * u]);
        mov(r11, reinterpret_cast<std::uint64_t>(fn));
        call(r11);
        vmovupd(ptr[rsp + frame_results + 64 * u], zmm0);
    }
    for (std::size_t j = 0; j < kl.size(); ++j) kmovq(Opmask(kl[j]), ptr[rsp + frame_masks + 8 * j]);
    for (std::size_t j = 0; j < zl.size(); ++j) vmovupd(Zmm(zl[j]), ptr[rsp + 64 * j]);
    for (int j = 0; j < 7; ++j) mov(Reg64(gprs[j]), ptr[rsp + frame_gprs + 8 * j]);
    for (int u = 0; u < copies; ++u) {
        const int k = mask_for(i, u, tail);
        if (k)
            vmovupd(dst(i, u, k), ptr[rsp + frame_results + 64 * u]);
        else
            vmovupd(z(i, u), ptr[rsp + frame_results + 64 * u]);
    }
}

bool Jit::build() {
    const int count = static_cast<int>(nodes_.size());
    int n_inputs = 0;
    static const auto emitters = make_emitters();
    for (const Node& n : nodes_) {
        const Op op = static_cast<Op>(n.op);
        if (!ik::ir::is_valid(op)) return false;
        if (op == Op::input)
            n_inputs = std::max(n_inputs, n.a + 1);
        else if (op != Op::constant && !emitters[n.op] && !(math_symbols()[n.op] && math_address(n.op))) {
            if (std::getenv("IKP_DEBUG")) std::fprintf(stderr, "ikp_compile: no emitter for op %d\n", n.op);
            return false;  // no emitter: the interpreter runs this kernel
        }
    }
    const bool debug = std::getenv("IKP_DEBUG") != nullptr;
    if (n_inputs > max_inputs || is_constant(output_)) return false;
    const_label_.resize(count);
    for (int i = 0; i < count; ++i) {
        if (is_constant(i)) const_label_[i] = std::make_unique<Label>();
        const Node& n = nodes_[i];
        const Op op = static_cast<Op>(n.op);
        if (op == Op::input || op == Op::constant) continue;
        // Two constant operands would both need zmm0 (the passes fold such nodes anyway).
        const int args[3] = {n.a, n.b, n.c};
        int constants = 0;
        for (int j = 0; j < ik::ir::info(op).arity; ++j) constants += is_constant(args[j]);
        if (constants > 1 && op != Op::where) return false;
    }
    if (!compute_guards()) {
        if (debug) std::fprintf(stderr, "ikp_compile: a value under two where conditions\n");
        return false;
    }
    if (!allocate()) {
        if (debug) std::fprintf(stderr, "ikp_compile: out of registers at unroll %d\n", unroll_);
        return false;
    }
    // k7 is the guard scratch: refuse if allocation handed it to a value.
    for (const Value& v : values_)
        if (v.is_mask)
            for (int u = 0; u < unroll_; ++u)
                if (v.reg[u] == 7) return false;
    for (int i = 0; i < count; ++i)
        if (static_cast<Op>(nodes_[i].op) == Op::input) input_slots_.push_back({i, 0});
    // input_slots_ indexed by input position
    std::vector<std::pair<int, int>> by_position(n_inputs, {-1, -1});
    for (int j = 0; j < n_inputs; ++j) by_position[j] = {j, input_gprs[j]};
    input_slots_ = by_position;

    // Prologue: save callee-saved GPRs, align a frame for call spills, materialise constants.
    push(rbp);
    mov(rbp, rsp);
    push(rbx);
    push(r12);
    push(r13);
    push(r14);
    push(r15);
    sub(rsp, frame_bytes + 64);
    and_(rsp, -64);
    // Input pointers, the last first: rdi (the pointer array) is the last slot.
    for (int j = n_inputs - 1; j >= 0; --j) mov(Reg64(input_gprs[j]), ptr[rdi + 8 * j]);
    xor_(ecx, ecx);

    const int step = lanes * unroll_;
    Label main_loop, main_done, tail_loop, done;
    // main loop: while rcx + step <= n
    L(main_loop);
    lea(r11, ptr[rcx + step]);
    cmp(r11, rdx);
    jg(main_done, T_NEAR);
    emit_body(unroll_, false);
    for (int u = 0; u < unroll_; ++u) vmovupd(ptr[rsi + rcx * 8 + 64 * u], z(output_, u));
    add(rcx, step);
    jmp(main_loop, T_NEAR);
    L(main_done);
    // tail: one vector at a time under k1 = lanes below n
    L(tail_loop);
    cmp(rcx, rdx);
    jge(done, T_NEAR);
    mov(r11, rdx);
    sub(r11, rcx);
    mov(eax, 0xff);
    bzhi(r11d, eax, r11d);  // the low min(n - i, 8) bits
    kmovb(k1, r11d);
    emit_body(1, true);
    vmovupd(ptr[rsi + rcx * 8] | k1, z(output_, 0));
    add(rcx, lanes);
    jmp(tail_loop, T_NEAR);
    L(done);
    vzeroupper();
    lea(rsp, ptr[rbp - 40]);
    pop(r15);
    pop(r14);
    pop(r13);
    pop(r12);
    pop(rbx);
    pop(rbp);
    ret();
    // The constants, after the code (read-only once the pages are read+execute).
    align(8);
    for (int i = 0; i < count; ++i)
        if (is_constant(i)) {
            std::uint64_t bits;
            std::memcpy(&bits, &nodes_[i].value, 8);
            L(*const_label_[i]);
            dq(bits);
        }
    L(abs_label_);
    dq(0x7fffffffffffffffULL);
    L(sign_label_);
    dq(0x8000000000000000ULL);
    ready();
    setProtectModeRE();  // W^X: the buffer was read+write while emitting, now read+execute only
    return true;
}

#include "jit_xbyak_emitters.inc"  // the emitter table, math routines

}  // namespace

extern "C" {

// Compiles nodes[0..count) (output: the node index of the result) with `unroll` vectors per
// iteration (1..8). Returns an owning handle, or null when the graph is outside what the JIT
// covers. *seconds: the code-generation time.
void* ikp_compile(const Node* nodes, int count, int output, int unroll, double* seconds) {
    const auto t0 = std::chrono::steady_clock::now();
    if (unroll < 1 || unroll > max_unroll) return nullptr;
    auto* jit = new Jit(std::vector<Node>(nodes, nodes + count), output, unroll);
    bool ok = false;
    try {
        ok = jit->build();
    } catch (const std::exception& e) {
        if (std::getenv("IKP_DEBUG")) std::fprintf(stderr, "ikp_compile: %s\n", e.what());
        ok = false;
    }
    if (!ok) {
        delete jit;
        jit = nullptr;
    }
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return jit;
}

// Makes op (a vector-math op of the table) call fn: V (*)(V) with V 8 doubles in zmm0, which is
// the shape of ironkernel's simd::MathTable::vector_f64 entries on AVX-512. null: libmvec again.
void ikp_set_math(int op, const void* fn) {
    if (op >= 0 && op < ik::ir::op_count && math_symbols()[op]) math_overrides[op] = fn;
}

const void* ikp_entry(void* handle) { return static_cast<Jit*>(handle)->getCode(); }
int ikp_code_size(void* handle) { return static_cast<int>(static_cast<Jit*>(handle)->getSize()); }
void ikp_free(void* handle) { delete static_cast<Jit*>(handle); }

using Kernel = void (*)(const double* const*, double*, std::int64_t);

// Times `fn` (any kernel of the signature above, JIT or LLVM): `samples` batches of `inner`
// calls; writes each batch's ns per call to out_ns.
void ikp_bench(const void* fn, const double* const* inputs, double* out, std::int64_t n, int inner, int samples,
               double* out_ns) {
    const auto kernel = reinterpret_cast<Kernel>(const_cast<void*>(fn));
    for (int s = 0; s < samples; ++s) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < inner; ++i) kernel(inputs, out, n);
        out_ns[s] = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / inner;
    }
}
}
