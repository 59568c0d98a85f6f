// The Assembler's operand helpers: registers, memory operands, opmask instructions of the
// vector's width, the guards' write masks and the input loads the emitters and the loop share.
#include <cstdint>

#include "assembler.hpp"

namespace ik::jit {

using namespace Xbyak;

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

}  // namespace ik::jit
