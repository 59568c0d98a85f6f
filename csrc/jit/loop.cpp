// The loop the JIT emits around the body: prologue, the unrolled main loop with ordinary or
// non-temporal stores, the masked head and tail, the epilogue and the constants after the code.
#include <bit>
#include <cstdint>
#include <memory>

#include "assembler.hpp"

namespace ik::jit {

using namespace Xbyak;

void Assembler::emit_body(int copies, bool tail) {
    // A run of consecutive nodes under the same condition is skipped as a whole when it selects
    // no lane (their registers then hold values no where reads).
    int previous = -1;
    std::unique_ptr<Label> run_end;
    tail_ = tail;
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
        const EmitterRow row = emitter_row(n.op);
        if (row.calls) {
            inlines_math(n.op, f64_) ? emit_inline_math(i, row.emit, copies) : emit_call(i, row.emit, copies);
            continue;
        }
        for (int u = 0; u < copies; ++u) row.emit(*this, n, u, mask_for(i, u, tail));
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

// Streamed calls read inputs far larger than the caches. With a step's loads issued together (the
// body is emitted op by op over the unrolled vectors), the hardware prefetchers alone kept a
// core's reads behind: a degree-5 polynomial of 1e8 float64 elements, 4 vectors per step, took
// 94 ms on one thread against 72 ms for the same loop one vector at a time (and 76 ms for the
// memory floor); prefetching every line 1 KiB ahead brought it to 69 ms (2 threads: 49 -> 35 ms;
// 512 B and 2 KiB ahead as good, 4 KiB 10% slower, 8 KiB no help). Only streamed calls prefetch:
// cached data does not need it.
void Assembler::emit_stream_prefetches() {
    constexpr int ahead = 1024;
    std::uint32_t done = 0;
    for (const int i : order_) {
        const ir::Node& n = node(i);
        if (n.op != ir::Op::input || in_memory(i)) continue;
        const auto input = n.value.as<std::int32_t>();
        if (done >> input & 1) continue;
        done |= std::uint32_t{1} << input;
        for (int line = 0; line < unroll_ * 64; line += 64)
            prefetcht0(ptr[Reg64(input_gprs[input]) + rcx * itemsize_ + ahead + line]);
        count(unroll_);
    }
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
    if (calls_) enter_frame();
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
        if (nontemporal) emit_stream_prefetches();
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
    if (calls_) leave_frame();
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
    L(half_label_);
    data(0x3fe0000000000000ULL, 0x3f000000U);
    L(tiny_label_);  // the smallest normal number
    data(0x0010000000000000ULL, 0x00800000U);
    L(math_label_);
    for (const double v : math_constants_)
        data(std::bit_cast<std::uint64_t>(v), std::bit_cast<std::uint32_t>(static_cast<float>(v)));
    ready();  // every label resolved; the code is position-independent (rip-relative, relative jumps)
    return true;
}

}  // namespace ik::jit
