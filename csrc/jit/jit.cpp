// The JIT: orders, guards and allocates a graph's values, emits the loop with the emitter table
// (emitters_x86.cpp), and maps the code read+execute (W^X). Adapted from the prototype
// benchmarks/prototypes/jit_xbyak.cpp (measured there: 1.1-1.5x the interpreter at 1e5, 50 µs to compile).
#include "jit.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "assembler.hpp"
#include "eval/kernels/kernels.hpp"
#include "simd/dispatch.hpp"

namespace ik::jit {

using namespace Xbyak;
using ir::Op;

namespace {

// General registers holding the input pointers, by input position. rcx: the element index,
// rdx: n, rsi: out, rbp: the stream flag, r11 and rax: scratch. rbx, rbp and r12-r15 are saved
// by the prologue.
const int input_gprs[max_inputs] = {Operand::R8,  Operand::R9,  Operand::R10, Operand::R12, Operand::R13,
                                    Operand::R14, Operand::R15, Operand::RBX, Operand::RDI};

bool is_comparison(Op op) {
    return op == Op::greater || op == Op::greater_equal || op == Op::less || op == Op::less_equal || op == Op::equal ||
           op == Op::not_equal;
}

constexpr std::size_t max_nodes = 1000;

}  // namespace

Assembler::Assembler(const ir::Graph& graph, ir::DType dtype, int unroll, std::uint32_t stride0_inputs)
    : CodeGenerator(64 * 1024, DontSetProtectRWE),  // emitted here, never executed here (see map_code)
      graph_(graph),
      dtype_(dtype),
      f64_(dtype == ir::DType::float64),
      unroll_(unroll),
      lanes_(f64_ ? 8 : 16),
      itemsize_(f64_ ? 8 : 4),
      stride0_inputs_(stride0_inputs) {}

Zmm Assembler::dst(int u, int k) const {
    Zmm d = z(current_, u);
    if (k) d = d | Opmask(k) | T_z;  // zeroing: lanes outside the mask raise nothing
    return d;
}

Zmm Assembler::reg(int i, int u) {
    if (!in_memory(i)) return z(i, u);
    const Address value = memory_operand(i, ptr);
    if (f64_)
        vbroadcastsd(zmm0, value);
    else
        vbroadcastss(zmm0, value);
    count();
    return zmm0;
}

Address Assembler::memory_operand(int i, const AddressFrame& frame) {
    if (is_constant(i)) return frame[rip + *const_label_[static_cast<std::size_t>(i)]];
    return frame[Reg64(input_gprs[node(i).value.as<std::int32_t>()])];
}

void Assembler::kmov(const Opmask& d, const Opmask& s) { f64_ ? kmovb(d, s) : kmovw(d, s); }
void Assembler::knot(const Opmask& d, const Opmask& s) { f64_ ? knotb(d, s) : knotw(d, s); }
void Assembler::kand(const Opmask& d, const Opmask& a, const Opmask& b) { f64_ ? kandb(d, a, b) : kandw(d, a, b); }
void Assembler::kor(const Opmask& d, const Opmask& a, const Opmask& b) { f64_ ? korb(d, a, b) : korw(d, a, b); }

// Every live value is of the kernel's dtype, but comparisons (bool, operands of the dtype), which
// only conditions of where read; every op has an emitter; one output, computed.
bool Assembler::check_types() {
    if (graph_.outputs.size() != 1 || graph_.nodes.size() > max_nodes) return false;
    output_ = graph_.outputs[0];
    if (in_memory(output_)) return false;
    for (std::size_t i = 0; i < graph_.nodes.size(); ++i) {
        const ir::Node& n = graph_.nodes[i];
        if (!ir::is_valid(n.op) || !emitter_row(n.op).emit) return false;
        if (is_comparison(n.op)) {
            if (n.dtype != ir::DType::bool_ || node(n.args[0]).dtype != dtype_ || node(n.args[1]).dtype != dtype_)
                return false;
        } else if (n.dtype != dtype_) {
            return false;
        }
        if (n.op == Op::where && !is_comparison(node(n.args[0]).op)) return false;
        if (n.op == Op::input) n_inputs_ = std::max(n_inputs_, n.value.as<std::int32_t>() + 1);
    }
    // A comparison read by anything but a where's condition would need a bool value.
    for (const ir::Node& n : graph_.nodes)
        for (int k = 0; k < n.arity(); ++k)
            if (is_comparison(node(n.args[k]).op) && !(n.op == Op::where && k == 0)) return false;
    return n_inputs_ <= max_inputs && !is_comparison(node(output_).op);
}

// Depth-first from the output, a where's condition first: a branch's nodes, which run under the
// condition's mask, then come after it (the graph's own order does not promise that).
void Assembler::order_nodes() {
    position_.assign(graph_.nodes.size(), -1);
    std::vector<std::pair<int, int>> stack = {{output_, 0}};  // (node, next operand)
    std::vector<bool> seen(graph_.nodes.size(), false);
    seen[static_cast<std::size_t>(output_)] = true;
    while (!stack.empty()) {
        auto& [i, k] = stack.back();
        const ir::Node& n = node(i);
        if (k < n.arity()) {
            const int a = n.args[k++];
            if (!seen[static_cast<std::size_t>(a)]) {
                seen[static_cast<std::size_t>(a)] = true;
                stack.push_back({a, 0});
            }
            continue;
        }
        position_[static_cast<std::size_t>(i)] = static_cast<int>(order_.size());
        order_.push_back(i);
        stack.pop_back();
    }
}

// Which lanes a node must be computed on: every lane (-1), or those where the condition guard_
// (negated or not) selects it, when every reader is the where's branch under that condition. A
// node both branches of one where read is needed on every lane. Nested lazy branches and a node
// under two different conditions are not covered (computing them eagerly could change the flags).
bool Assembler::compute_guards() {
    const std::size_t count = graph_.nodes.size();
    guard_.assign(count, -2);  // -2: no reader seen yet
    guard_negated_.assign(count, false);
    guard_[static_cast<std::size_t>(output_)] = -1;
    auto merge = [&](int node, int g, bool negated) {
        int& guard = guard_[static_cast<std::size_t>(node)];
        if (in_memory(node)) {  // a memory operand: nothing to compute
            guard = -1;
            return true;
        }
        if (guard == -2) {
            guard = g;
            guard_negated_[static_cast<std::size_t>(node)] = negated;
        } else if (guard == -1 || g == -1) {
            guard = -1;
        } else if (guard != g) {
            if (this->node(node).op != Op::input) return false;
            guard = -1;  // a load raises no flag: on every lane
        } else if (guard_negated_[static_cast<std::size_t>(node)] != negated) {
            guard = -1;  // both branches: every lane, as NumPy computes it
        }
        return true;
    };
    // Backwards through the emission order: every reader of a node comes before it, so its guard
    // is final when its operands take it.
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
        const int i = *it;
        const ir::Node& n = node(i);
        const int g = guard_[static_cast<std::size_t>(i)];
        const bool negated = guard_negated_[static_cast<std::size_t>(i)];
        if (n.op == Op::where && g != -1) {
            // A where inside a lazy branch (np.clip's nested form): its branches are computed on
            // every lane of the outer branch, which raises nothing only when they are values
            // already (inputs, constants). Nested lazy branches: not in this slice.
            for (int k = 1; k < 3; ++k)
                if (node(n.args[k]).op != Op::input && !is_constant(n.args[k])) return false;
            for (int k = 0; k < 3; ++k)
                if (!merge(n.args[k], g, negated)) return false;
        } else if (n.op == Op::where) {
            if (!merge(n.args[0], g, negated) || !merge(n.args[1], n.args[0], false) ||
                !merge(n.args[2], n.args[0], true))
                return false;
        } else {
            for (int k = 0; k < n.arity(); ++k)
                if (!merge(n.args[k], g, negated)) return false;
        }
    }
    return true;
}

// Linear scan over the emission order: zmm1-31 for values (zmm0: the scratch), k2-k6 for
// comparisons (k1: the tail mask, k7 and k0: guard scratch). Constants take no register.
bool Assembler::allocate() {
    const std::size_t count = graph_.nodes.size();
    values_.assign(count, Value{});
    last_use_.assign(count, -1);
    for (const int i : order_) {
        const ir::Node& n = node(i);
        for (int k = 0; k < n.arity(); ++k)
            last_use_[static_cast<std::size_t>(n.args[k])] = position_[static_cast<std::size_t>(i)];
    }
    last_use_[static_cast<std::size_t>(output_)] = static_cast<int>(order_.size());
    std::vector<bool> zfree(32, true), kfree(8, true), freed(count, false);
    zfree[0] = false;
    kfree[0] = kfree[1] = kfree[7] = false;
    auto take = [](std::vector<bool>& pool) {
        for (std::size_t r = 0; r < pool.size(); ++r)
            if (pool[r]) {
                pool[r] = false;
                return static_cast<int>(r);
            }
        return -1;
    };
    for (const int i : order_) {
        const ir::Node& n = node(i);
        if (in_memory(i)) continue;
        // Operands read last here are freed first, so the result may take their register: an
        // emitter reads copy u's operands in the instruction that writes copy u's result.
        for (int k = 0; k < n.arity(); ++k) {
            const auto a = static_cast<std::size_t>(n.args[k]);
            if (last_use_[a] == position_[static_cast<std::size_t>(i)] && !in_memory(n.args[k]) && !freed[a]) {
                auto& pool = values_[a].is_mask ? kfree : zfree;
                for (int u = 0; u < unroll_; ++u) pool[static_cast<std::size_t>(values_[a].reg[u])] = true;
                freed[a] = true;
            }
        }
        Value& v = values_[static_cast<std::size_t>(i)];
        v.is_mask = is_comparison(n.op);
        for (int u = 0; u < unroll_; ++u)
            if ((v.reg[u] = take(v.is_mask ? kfree : zfree)) < 0) return false;
    }
    return true;
}

// The write mask for copy u of node i: k1 (the tail's lanes) and the node's condition, combined
// in k7. 0: none.
int Assembler::mask_for(int i, int u, bool tail) {
    if (guard_[static_cast<std::size_t>(i)] < 0) return tail ? 1 : 0;
    load_guard(k7, i, u, tail);
    return 7;
}

// Sets k to node i's condition on the lanes of copy u (negated for an else branch), and to the
// tail's lanes of it with `tail`.
void Assembler::load_guard(const Opmask& k, int i, int u, bool tail) {
    const int g = guard_[static_cast<std::size_t>(i)];
    if (guard_negated_[static_cast<std::size_t>(i)])
        knot(k, km(g, u));
    else
        kmov(k, km(g, u));
    count();
    if (tail) {
        kand(k, k, k1);
        count();
    }
}

// Jumps to `skip` when node i's condition selects no lane of any copy.
void Assembler::skip_if_unselected(int i, int copies, bool tail, const Label& skip) {
    for (int u = 0; u < copies; ++u) {
        const Opmask k = u == 0 ? k7 : k0;  // k0 cannot mask, but can hold a value
        load_guard(k, i, u, tail);
        if (u > 0) {
            kor(k7, k7, k0);
            count();
        }
    }
    f64_ ? kortestb(k7, k7) : kortestw(k7, k7);
    jz(skip, T_NEAR);
    count(2);
}

void Assembler::load_input(int i, int u, int k) {
    const Reg64 base(input_gprs[node(i).value.as<std::int32_t>()]);
    const Address src = ptr[base + rcx * itemsize_ + 64 * u];
    const Zmm d = k ? dst(u, k) : z(i, u);
    if (f64_)
        vmovupd(d, src);
    else
        vmovups(d, src);
    count();
}

void Assembler::emit_body(int copies, bool tail) {
    // A run of consecutive nodes under the same condition is skipped as a whole when it selects
    // no lane (their registers then hold values no where reads).
    int previous = -1;
    std::unique_ptr<Label> run_end;
    for (const int i : order_) {
        const ir::Node& n = node(i);
        if (in_memory(i)) continue;
        const auto g = static_cast<std::size_t>(i);
        if (run_end && (guard_[g] != guard_[static_cast<std::size_t>(previous)] ||
                        guard_negated_[g] != guard_negated_[static_cast<std::size_t>(previous)])) {
            L(*run_end);
            run_end.reset();
        }
        if (guard_[g] >= 0 && !run_end) {
            run_end = std::make_unique<Label>();
            skip_if_unselected(i, copies, tail, *run_end);
        }
        previous = i;
        current_ = i;
        const Emit emit = emitter_row(n.op).emit;
        for (int u = 0; u < copies; ++u) emit(*this, n, u, mask_for(i, u, tail));
    }
    if (run_end) L(*run_end);
}

// With the stream flag: the elements before out's first 64-byte boundary (at most a vector's
// lanes minus one; out is aligned to the element size), as one vector under k1 with an ordinary
// masked store, so that every non-temporal store of the main loop is aligned. Leaves rcx at the
// first element of the main loop.
void Assembler::emit_stream_head(const Label& main_loop) {
    test(rbp, rbp);
    jz(main_loop, T_NEAR);
    mov(rax, rsi);
    neg(rax);
    and_(eax, 63);
    shr(eax, f64_ ? 3 : 2);  // elements to the boundary
    cmp(rax, rdx);
    cmovg(rax, rdx);
    test(eax, eax);
    jz(main_loop, T_NEAR);
    mov(r11d, f64_ ? 0xff : 0xffff);
    bzhi(r11d, r11d, eax);
    f64_ ? kmovb(k1, r11d) : kmovw(k1, r11d);
    count(13);
    emit_body(1, true);
    if (f64_)
        vmovupd(ptr[rsi] | k1, z(output_, 0));
    else
        vmovups(ptr[rsi] | k1, z(output_, 0));
    mov(rcx, rax);
    count(2);
}

bool Assembler::build() {
    if (!check_types()) return false;
    order_nodes();
    if (!compute_guards() || !allocate()) return false;
    const_label_.resize(graph_.nodes.size());
    for (const int i : order_)
        if (is_constant(i)) const_label_[static_cast<std::size_t>(i)] = std::make_unique<Label>();

    push(rbx);
    push(rbp);
    push(r12);
    push(r13);
    push(r14);
    push(r15);
    mov(rbp, rcx);  // the stream flag, for the whole call
    // The input pointers in order: rdi (the pointer array) is the last one's register.
    for (int j = 0; j < n_inputs_; ++j) mov(Reg64(input_gprs[j]), ptr[rdi + 8 * j]);
    xor_(ecx, ecx);
    count(8 + n_inputs_);

    const int step = lanes_ * unroll_;
    Label main_loop, main_done, tail_loop, done, stream_stores;
    emit_stream_head(main_loop);
    L(main_loop);  // while rcx + step <= n
    lea(r11, ptr[rcx + step]);
    cmp(r11, rdx);
    jg(main_done, T_NEAR);
    count(3);
    emit_body(unroll_, false);
    // One predictable branch per step chooses the stores; the body is emitted once.
    test(rbp, rbp);
    jnz(stream_stores, T_NEAR);
    count(2);
    // The unrolled vectors' stores, ordinary or non-temporal, then the next iteration.
    const auto store_and_loop = [&](bool nontemporal) {
        for (int u = 0; u < unroll_; ++u) {
            const auto to = ptr[rsi + rcx * itemsize_ + 64 * u];
            if (nontemporal)
                f64_ ? vmovntpd(to, z(output_, u)) : vmovntps(to, z(output_, u));
            else
                f64_ ? vmovupd(to, z(output_, u)) : vmovups(to, z(output_, u));
        }
        add(rcx, step);
        jmp(main_loop, T_NEAR);
        count(unroll_ + 2);
    };
    store_and_loop(false);
    L(stream_stores);  // aligned here: the head brought out + rcx to a 64-byte boundary
    store_and_loop(true);
    L(main_done);
    L(tail_loop);  // one vector at a time under k1 = the lanes below n
    cmp(rcx, rdx);
    jge(done, T_NEAR);
    mov(r11, rdx);
    sub(r11, rcx);
    mov(eax, f64_ ? 0xff : 0xffff);
    bzhi(r11d, eax, r11d);  // the low min(n - i, lanes) bits (n - i < 256 here)
    f64_ ? kmovb(k1, r11d) : kmovw(k1, r11d);
    count(7);
    emit_body(1, true);
    if (f64_)
        vmovupd(ptr[rsi + rcx * itemsize_] | k1, z(output_, 0));
    else
        vmovups(ptr[rsi + rcx * itemsize_] | k1, z(output_, 0));
    add(rcx, lanes_);
    jmp(tail_loop, T_NEAR);
    count(3);
    L(done);
    // Non-temporal stores are weakly ordered: make them visible before the call returns (and
    // before another thread, or the caller, reads the output).
    Label fenced;
    test(rbp, rbp);
    jz(fenced);
    sfence();
    L(fenced);
    vzeroupper();
    pop(r15);
    pop(r14);
    pop(r13);
    pop(r12);
    pop(rbp);
    pop(rbx);
    ret();
    count(11);
    // The constants, after the code (read-only once mapped).
    align(8);
    auto data = [&](std::uint64_t bits64, std::uint32_t bits32) { f64_ ? dq(bits64) : dd(bits32); };
    for (const int i : order_)
        if (is_constant(i)) {
            L(*const_label_[static_cast<std::size_t>(i)]);
            const ir::Scalar& v = node(i).value;
            data(v.as<std::uint64_t>(), v.as<std::uint32_t>());
        }
    L(abs_label_);
    data(0x7fffffffffffffffULL, 0x7fffffffU);
    L(sign_label_);
    data(0x8000000000000000ULL, 0x80000000U);
    L(one_label_);
    data(0x3ff0000000000000ULL, 0x3f800000U);
    ready();  // every label resolved; the code is position-independent (rip-relative, relative jumps)
    return true;
}

namespace {

// Copies the code into pages of its own, read+write, then read+execute only (W^X). Null when the
// system refuses (SELinux execmem, PaX): the interpreter runs the program instead.
std::shared_ptr<const void> map_code(const std::vector<std::uint8_t>& code) {
    const long page = sysconf(_SC_PAGESIZE);
    const std::size_t size = code.size();
    const std::size_t bytes =
        (size + static_cast<std::size_t>(page) - 1) / static_cast<std::size_t>(page) * static_cast<std::size_t>(page);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    std::memcpy(p, code.data(), size);
    if (mprotect(p, bytes, PROT_READ | PROT_EXEC) != 0) {
        munmap(p, bytes);
        return nullptr;
    }
    return std::shared_ptr<const void>(p, [bytes](const void* q) { munmap(const_cast<void*>(q), bytes); });
}

// The longest chain of dependent ops: past 20, 8 vectors per step hide the latency better than 4
// (the prototype's measurements); shorter bodies gain nothing from 8.
int chain_depth(const ir::Graph& g) {
    std::vector<int> depth(g.nodes.size(), 0);
    int deepest = 0;
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        for (int k = 0; k < g.nodes[i].arity(); ++k)
            depth[i] = std::max(depth[i], depth[static_cast<std::size_t>(g.nodes[i].args[k])] + 1);
        deepest = std::max(deepest, depth[i]);
    }
    return deepest;
}

// The stride-0 patterns a program gets code for (bit i: input i of stride 0), besides none: each
// input alone (a Python scalar or a broadcast row beside arrays), and with at most 3 inputs every
// combination. The code of each pattern costs a few kB and a fraction of the compile time.
std::vector<std::uint32_t> stride0_patterns(const ir::Graph& g) {
    std::uint32_t inputs = 0;
    for (const ir::Node& n : g.nodes)
        if (n.op == Op::input && n.value.as<std::int32_t>() < max_inputs) inputs |= 1u << n.value.as<std::int32_t>();
    std::vector<std::uint32_t> patterns;
    if (std::popcount(inputs) <= 3) {
        for (std::uint32_t m = inputs; m; m = (m - 1) & inputs) patterns.push_back(m);  // every non-empty subset
        std::reverse(patterns.begin(), patterns.end());
    } else {
        for (std::uint32_t m = inputs; m; m &= m - 1) patterns.push_back(std::uint32_t{1} << std::countr_zero(m));
    }
    return patterns;
}

// The code of one pattern at the widest step whose values fit the registers (fewer vectors per
// step otherwise), appended to `code` at a 64-byte boundary: its offset there, or -1 when the
// JIT does not cover it. Throws xbyak's errors (code too big, a bad encoding).
std::ptrdiff_t append_kernel(const ir::Graph& graph, ir::DType dtype, std::uint32_t stride0_inputs,
                             std::vector<std::uint8_t>& code, int& unroll, int& instructions) {
    for (unroll = chain_depth(graph) > 20 ? 8 : 4; unroll >= 1; unroll /= 2) {
        Assembler a(graph, dtype, unroll, stride0_inputs);
        if (!a.build()) continue;
        const std::size_t offset = (code.size() + 63) / 64 * 64;
        code.resize(offset);
        code.insert(code.end(), a.getCode(), a.getCode() + a.getSize());
        instructions = a.instructions();
        return static_cast<std::ptrdiff_t>(offset);
    }
    return -1;
}

}  // namespace

bool cpu_supported() {
    static const bool supported = simd::chosen_isa() >= simd::Isa::avx512;  // F, DQ, BW, VL and BMI2
    return supported;
}

std::optional<eval::JitCode> compile(const ir::Graph& graph) {
    const auto start = std::chrono::steady_clock::now();
    if (!cpu_supported() || graph.outputs.size() != 1) return std::nullopt;
    const ir::DType dtype = graph.nodes[static_cast<std::size_t>(graph.outputs[0])].dtype;
    if (dtype != ir::DType::float64 && dtype != ir::DType::float32) return std::nullopt;
    try {
        // Every pattern's code in one mapping: each is position-independent (rip-relative
        // constants after its code, relative jumps).
        std::vector<std::uint8_t> code;
        eval::JitCode jit;
        const std::ptrdiff_t contiguous = append_kernel(graph, dtype, 0, code, jit.unroll, jit.instructions);
        if (contiguous < 0) return std::nullopt;
        std::vector<std::pair<std::uint32_t, std::ptrdiff_t>> offsets;
        for (const std::uint32_t pattern : stride0_patterns(graph)) {
            int unroll = 0, instructions = 0;
            const std::ptrdiff_t offset = append_kernel(graph, dtype, pattern, code, unroll, instructions);
            if (offset >= 0) offsets.push_back({pattern, offset});
        }
        std::shared_ptr<const void> pages = map_code(code);
        if (!pages) return std::nullopt;
        const auto* base = static_cast<const std::uint8_t*>(pages.get());
        auto function_at = [&](std::ptrdiff_t offset) {
            return reinterpret_cast<eval::JitCode::Function>(const_cast<std::uint8_t*>(base + offset));
        };
        jit.function = function_at(contiguous);
        for (const auto& [pattern, offset] : offsets) jit.broadcast.push_back({pattern, function_at(offset)});
        jit.pages = std::move(pages);
        jit.dtype = dtype;
        jit.code_bytes = code.size();
        jit.compile_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
        return jit;
    } catch (...) {  // xbyak's errors (code too big, a bad encoding), std::bad_alloc: no JIT for this program
        return std::nullopt;
    }
}

}  // namespace ik::jit
