// The code generator the emitter table writes through: jit.cpp drives it, emitters_x86.cpp is the table
// (analysis.cpp, assembler.cpp and loop.cpp define it).
#pragma once

#include <xbyak/xbyak.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "ir/graph.hpp"

namespace ik::jit {

constexpr int max_unroll = 8;
constexpr int inline_scratch = 24;  // zmm24-31: inline math's scratch (inline_math.cpp), in graphs with it
constexpr int max_inputs = 9;       // the general registers left for input pointers

// General registers holding the input pointers, by input position. rcx: the element index,
// rdx: n, rsi: out, rbp: the stream flag, r11 and rax: scratch. rbx, rbp and r12-r15 are saved
// by the prologue.
inline constexpr int input_gprs[max_inputs] = {Xbyak::Operand::R8,  Xbyak::Operand::R9,  Xbyak::Operand::R10,
                                               Xbyak::Operand::R12, Xbyak::Operand::R13, Xbyak::Operand::R14,
                                               Xbyak::Operand::R15, Xbyak::Operand::RBX, Xbyak::Operand::RDI};

// Whether the JIT computes op inline for lanes in range (inline_math.cpp) rather than by calls alone.
bool inlines_math(ir::Op op, bool f64);

inline bool is_comparison(ir::Op op) {
    using ir::Op;
    return op == Op::greater || op == Op::greater_equal || op == Op::less || op == Op::less_equal || op == Op::equal ||
           op == Op::not_equal;
}

// Compiles one float graph (every value of dtype float32 or float64, comparisons into bool) into
//     void kernel(const void* const* inputs, void* out, std::ptrdiff_t n, std::ptrdiff_t stream)
// over contiguous arrays (eval::JitCode::Function; stream: non-temporal stores), but for the
// inputs of the mask `stride0_inputs` (bit i: input i), of which the caller passes one element. Every value of a step
// of `unroll` vectors lives in zmm registers (comparisons in opmask registers); constants live after the code and are
// read as broadcast memory operands. A node only a `where` branch needs runs under that where's condition mask with
// zeroing, and the last partial vector runs every op under a tail mask: AVX-512 raises no flag in
// a masked-off lane, so no lane NumPy would not compute raises one.
class Assembler;
using Emit = void (*)(Assembler&, const ir::Node&, int u, int k);

class Assembler : public Xbyak::CodeGenerator {
   public:
    Assembler(const ir::Graph& graph, ir::DType dtype, int unroll, std::uint32_t stride0_inputs = 0);

    // Emits the kernel; false (having emitted something unusable) when the graph is outside what
    // the JIT covers or its values do not fit the registers at this unroll.
    bool build();
    int instructions() const { return instructions_; }

    // For the emitters: the node being emitted, its result and operands.
    const ir::Node& node(int i) const { return graph_.nodes[static_cast<std::size_t>(i)]; }
    bool is_constant(int i) const { return node(i).op == ir::Op::constant; }
    // A value read from memory as one element broadcast, where it is used: a constant, or an
    // input of stride 0. It has no register.
    bool in_memory(int i) const {
        if (is_constant(i)) return true;
        if (node(i).op != ir::Op::input) return false;
        // Any index a graph may hold (check_types refuses the ones past max_inputs later).
        const std::int32_t input = node(i).value.as<std::int32_t>();
        return input >= 0 && input < 32 && (stride0_inputs_ >> input & 1);
    }
    bool f64() const { return f64_; }
    // A computed value's register (copy u).
    Xbyak::Zmm z(int i, int u) const { return Xbyak::Zmm(values_[static_cast<std::size_t>(i)].reg[u]); }
    Xbyak::Opmask km(int i, int u) const { return Xbyak::Opmask(values_[static_cast<std::size_t>(i)].reg[u]); }
    // The current node's register for copy u, written under mask k (0: every lane) with zeroing.
    Xbyak::Zmm dst(int u, int k) const;
    // Any operand in a register: a value in memory is broadcast into zmm0 (the scratch) first.
    // (An emitter takes at most one operand so: any other is the memory operand.)
    Xbyak::Zmm reg(int i, int u);
    // Any operand as the last source of an EVEX instruction: a value in memory as a broadcast
    // memory operand.
    template <class F>
    void with_src(int i, int u, F f) {
        if (in_memory(i))
            f(memory_operand(i, ptr_b));
        else
            f(z(i, u));
    }
    // Where value i (in_memory) is, as an operand of the frame's kind (ptr: the element; ptr_b,
    // zword_b: broadcast to every lane, {1toN}).
    Xbyak::Address memory_operand(int i, const Xbyak::AddressFrame& frame);
    Xbyak::Address abs_mask() { return ptr_b[rip + abs_label_]; }
    Xbyak::Address sign_mask() { return ptr_b[rip + sign_label_]; }
    Xbyak::Address one() { return ptr[rip + one_label_]; }  // for vbroadcastsd/ss
    int current() const { return current_; }
    void count(int instructions = 1) { instructions_ += instructions; }
    // Loads input node i's copy u (under mask k, 0: none).
    void load_input(int i, int u, int k);

    // Calls (calls.cpp), for a node whose row `calls` a routine: the callee owns every zmm and
    // opmask register and the caller-saved general registers, so the values live across the node
    // are saved in a frame on the stack (64-byte aligned) and reloaded after it. Their emitter gets,
    // for each copy, the write mask of call_lanes and leaves its result in result_slot(u).
    bool has_calls() const { return calls_; }
    // Calls fn (arguments and result in zmm0, the System V convention); every zmm and opmask
    // register and the caller-saved general registers hold garbage after it (emit_call and
    // load_saved reload what they need).
    void call_routine(const void* fn);
    // The current node's write mask for copy u (as mask_for), its masks reloaded from the frame.
    int call_lanes(int u);
    // Node i's copy u as it was before the call (its saved register, or broadcast from memory)
    // into d; under mask k (0: none), merging into what d holds.
    void load_saved(const Xbyak::Zmm& d, int i, int u, int k);
    Xbyak::Address result_slot(int u) { return ptr[rsp + frame_results + 64 * u]; }
    Xbyak::Address half() { return ptr[rip + half_label_]; }        // 0.5, for vbroadcastsd/ss
    Xbyak::Address min_normal() { return ptr[rip + tiny_label_]; }  // for vbroadcastsd/ss
    // Inline math's constant v (exact in the kernel's dtype) after the code: as a broadcast memory
    // operand, or the element (for vbroadcastsd/ss).
    Xbyak::Address math_constant(double v, bool broadcast = true);

   private:
    struct Value {
        bool is_mask = false;
        int reg[max_unroll] = {-1, -1, -1, -1, -1, -1, -1, -1};
    };

    // The frame of a body with calls (offsets from rsp): the general registers a call clobbers,
    // the opmask and zmm registers by number, the results of a call per copy, and the stack
    // pointer before the frame.
    static constexpr int frame_gprs = 0;
    static constexpr int frame_masks = 64;
    static constexpr int frame_zmm = 128;
    static constexpr int frame_results = frame_zmm + 32 * 64;
    static constexpr int frame_rsp = frame_results + max_unroll * 64;
    static constexpr int frame_bytes = frame_rsp + 64;

    bool check_types();
    void order_nodes();
    bool compute_guards();
    bool allocate();
    void emit_body(int copies, bool tail);
    void emit_call(int i, Emit emit, int copies);
    void emit_inline_math(int i, Emit call, int copies);
    void enter_frame();
    void reload_gprs();
    void leave_frame();
    // Saves every value computed before position `at` and read at or after it (reloads those read
    // after it), and in a tail the tail mask k1.
    void save_live(int at, int copies);
    void reload_live(int at, int copies);
    Xbyak::Address mask_slot(int k) { return ptr[rsp + frame_masks + 8 * k]; }
    Xbyak::Address zmm_slot(int r) { return ptr[rsp + frame_zmm + 64 * r]; }
    void emit_stream_head(const Xbyak::Label& main_loop);
    void emit_stream_prefetches();
    int mask_for(int i, int u, bool tail);
    void load_guard(const Xbyak::Opmask& k, int i, int u, bool tail);
    void skip_if_unselected(int i, int copies, bool tail, const Xbyak::Label& skip);
    // Opmask instructions of the vector's width: 8 lanes (float64) or 16 (float32).
    void kmov(const Xbyak::Opmask& d, const Xbyak::Opmask& s);
    void knot(const Xbyak::Opmask& d, const Xbyak::Opmask& s);
    void kand(const Xbyak::Opmask& d, const Xbyak::Opmask& a, const Xbyak::Opmask& b);
    void kor(const Xbyak::Opmask& d, const Xbyak::Opmask& a, const Xbyak::Opmask& b);

    const ir::Graph& graph_;
    const ir::DType dtype_;
    const bool f64_;
    const int unroll_, lanes_, itemsize_;
    const std::uint32_t stride0_inputs_;
    int output_ = -1, n_inputs_ = 0, current_ = 0, instructions_ = 0;
    bool calls_ = false;           // some node calls a routine: the code keeps a frame (calls.cpp)
    bool inline_math_ = false;     // some node inlines math (inline_math.cpp): its scratch kept free
    bool tail_ = false;            // emitting the body of a masked tail (emit_body)
    bool gprs_clobbered_ = false;  // a call since the general registers were last reloaded
    std::vector<int> order_;       // live nodes in emission order (a where's condition before its branches)
    std::vector<int> position_;    // per node: its place in order_, -1 if dead
    std::vector<Value> values_;    // per node
    std::vector<int> last_use_;    // per node: the position of its last reader
    std::vector<int> guard_;       // per node: -1 computed on every lane, else the condition node it runs under
    std::vector<bool> guard_negated_;
    std::vector<std::unique_ptr<Xbyak::Label>> const_label_;  // per constant node: its value after the code
    Xbyak::Label abs_label_, sign_label_, one_label_, half_label_, tiny_label_;
    Xbyak::Label math_label_;             // inline math's constants, after the code
    std::vector<double> math_constants_;  // (in the kernel's dtype there)
};

// One row of the emitter table: how an op is emitted for copy u under write mask k (0: none),
// or why it falls back to the interpreter. Exactly one of the two is set. `calls`: emit calls a
// routine, and the Assembler saves the live values around the node (emit_call).
struct EmitterRow {
    Emit emit = nullptr;
    const char* fallback = nullptr;
    bool calls = false;
};
EmitterRow emitter_row(ir::Op op);

// The vector routine of the math table a call of op computes on dtype with (the one the
// evaluators' kernels run: the same bits), or null: not a math function of one argument, or
// this process's math table has no AVX-512 vector routines.
const void* math_routine(ir::Op op, ir::DType dtype);

}  // namespace ik::jit
