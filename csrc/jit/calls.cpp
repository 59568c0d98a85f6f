// Calls from JIT code (a math routine per vector): the frame, and the values saved around a call.
// Simplest sound design first: every value live across the node is stored before its copies'
// calls and loaded after them; a math routine costs 20-100 instructions per vector, the saves
// one store and one load per live value and copy.
#include <cstdint>
#include <iterator>

#include "assembler.hpp"

namespace ik::jit {

using namespace Xbyak;

namespace {

// The general registers a call may change that hold the loop's state: rax (the head's count),
// rcx (the element index), rdx (n), rsi (out) and the input pointers rdi, r8, r9, r10.
// (r11 is scratch between nodes; rbx, rbp and r12-r15 the callee keeps.)
const Reg64 clobbered_gprs[] = {util::rax, util::rcx, util::rdx, util::rsi, util::rdi, util::r8, util::r9, util::r10};

}  // namespace

// Below the pushes: the frame, 64-byte aligned (so rsp is 16-byte aligned at every call, as
// the System V ABI asks), the stack pointer before it saved at its end.
void Assembler::enter_frame() {
    mov(rax, rsp);
    sub(rsp, frame_bytes);
    and_(rsp, -64);
    mov(ptr[rsp + frame_rsp], rax);
    count(4);
}

void Assembler::leave_frame() {
    mov(rsp, ptr[rsp + frame_rsp]);
    count();
}

void Assembler::call_routine(const void* fn) {
    mov(rax, reinterpret_cast<std::uint64_t>(fn));
    call(rax);
    count(2);
    gprs_clobbered_ = true;
}

// The general registers as saved: once after a node's calls, and before an input pointer is
// read between them (load_saved).
void Assembler::reload_gprs() {
    for (std::size_t r = 0; r < std::size(clobbered_gprs); ++r)
        mov(clobbered_gprs[r], ptr[rsp + frame_gprs + 8 * static_cast<int>(r)]);
    count(static_cast<int>(std::size(clobbered_gprs)));
    gprs_clobbered_ = false;
}

void Assembler::save_live(int at, int copies) {
    for (std::size_t r = 0; r < std::size(clobbered_gprs); ++r)
        mov(ptr[rsp + frame_gprs + 8 * static_cast<int>(r)], clobbered_gprs[r]);
    count(static_cast<int>(std::size(clobbered_gprs)));
    if (tail_) {
        kmovq(mask_slot(1), k1);
        count();
    }
    for (int p = 0; p < at; ++p) {
        const int v = order_[static_cast<std::size_t>(p)];
        if (in_memory(v) || last_use_[static_cast<std::size_t>(v)] < at) continue;
        const Value& value = values_[static_cast<std::size_t>(v)];
        for (int u = 0; u < copies; ++u) {
            if (value.is_mask)
                kmovq(mask_slot(value.reg[u]), Opmask(value.reg[u]));
            else
                vmovups(zmm_slot(value.reg[u]), Zmm(value.reg[u]));
            count();
        }
    }
}

void Assembler::reload_live(int at, int copies) {
    if (tail_) {
        kmovq(k1, mask_slot(1));
        count();
    }
    for (int p = 0; p < at; ++p) {
        const int v = order_[static_cast<std::size_t>(p)];
        if (in_memory(v) || last_use_[static_cast<std::size_t>(v)] <= at) continue;
        const Value& value = values_[static_cast<std::size_t>(v)];
        for (int u = 0; u < copies; ++u) {
            if (value.is_mask)
                kmovq(Opmask(value.reg[u]), mask_slot(value.reg[u]));
            else
                vmovups(Zmm(value.reg[u]), zmm_slot(value.reg[u]));
            count();
        }
    }
}

// A node with calls: its copies one after the other, each result kept in the frame until the
// last call is done, then the live values and the results back in their registers (a result's
// register is none of a live value's: the allocator gave it out after the operands it reads last).
void Assembler::emit_call(int i, Emit emit, int copies) {
    const int at = position_[static_cast<std::size_t>(i)];
    save_live(at, copies);
    for (int u = 0; u < copies; ++u) emit(*this, node(i), u, call_lanes(u));
    reload_gprs();
    reload_live(at, copies);
    for (int u = 0; u < copies; ++u) vmovups(z(i, u), result_slot(u));
    count(copies);
}

int Assembler::call_lanes(int u) {
    if (tail_) {
        kmovq(k1, mask_slot(1));
        count();
    }
    const int g = guard_[static_cast<std::size_t>(current_)];
    if (g >= 0) {
        const int reg = values_[static_cast<std::size_t>(g)].reg[u];
        kmovq(Opmask(reg), mask_slot(reg));
        count();
    }
    return mask_for(current_, u, tail_);
}

void Assembler::load_saved(const Zmm& d, int i, int u, int k) {
    const Zmm to = k ? d | Opmask(k) : d;
    if (in_memory(i)) {
        if (gprs_clobbered_ && !is_constant(i)) reload_gprs();  // a stride-0 input's pointer
        // (No broadcast memory operand for a masked move: through zmm31, which a call frees.)
        const Zmm value = k ? zmm31 : d;
        f64_ ? vbroadcastsd(value, memory_operand(i, ptr)) : vbroadcastss(value, memory_operand(i, ptr));
        if (k) f64_ ? vmovapd(to, value) : vmovaps(to, value);
        count(k ? 2 : 1);
        return;
    }
    const Address slot = zmm_slot(values_[static_cast<std::size_t>(i)].reg[u]);
    f64_ ? vmovupd(to, slot) : vmovups(to, slot);
    count();
}

}  // namespace ik::jit
