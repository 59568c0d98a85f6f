// Lowering, chain fusion: float ops that each consume the previous one's result become one chain.
#include <algorithm>

#include "lowering.hpp"

namespace ik::passes {

using eval::Instr;
using eval::InstrKind;
using eval::Program;
using eval::Region;
using ir::Op;

std::vector<int> count_reads(const Program& program) {
    std::vector<int> reads(program.registers.size(), 0);
    auto count = [&](std::int32_t r) {
        if (r >= 0) ++reads[static_cast<std::size_t>(r)];
    };
    for (const Region& region : program.regions) {
        for (const Instr& in : region.code)
            for (auto r : in.src) count(r);
        for (auto r : region.imports_outer) count(r);
        count(region.result);
    }
    for (auto r : program.output_registers) count(r);
    return reads;
}

namespace {

// One region's fusion. Intermediate values of a chain live in vector registers instead of a
// block register each. A value whose one reader can extend it is held back and emitted at that
// reader, fused with it: nothing between them reads it, and its operands are computed before it,
// so moving it down keeps every instruction after its operands.
class Fusion {
   public:
    Fusion(const Program& program, Region& region, const std::vector<int>& reads)
        : p_(program), region_(region), reads_(reads) {
        for (std::size_t i = region.code.size(); i-- > 0;) {
            definition_[region.code[i].dst] = i;
            for (auto r : region.code[i].src)
                if (r >= 0) reader_[r] = i;
        }
    }

    void run() {
        std::map<std::size_t, std::vector<Instr>> held;  // reader index -> values held back for it
        std::vector<Instr> code;
        for (std::size_t i = 0; i < region_.code.size(); ++i) {
            Instr in = region_.code[i];
            std::vector<Instr> waiting;
            if (auto it = held.find(i); it != held.end()) waiting = std::move(it->second);
            if (fusible(in)) {
                // A square root's chain goes on before the other values `in` reads: a bare math
                // op among them (sin(x) in sqrt(a) + sin(x)) then becomes the root's side
                // (absorb_math), computed while the root is in the divider.
                std::stable_partition(waiting.begin(), waiting.end(), [](const Instr& w) {
                    return w.kind == InstrKind::chain && w.chain_steps.back().op == eval::ChainOp::sqrt;
                });
                for (auto w = waiting.begin(); w != waiting.end(); ++w) {
                    if (!reads_value(in, w->dst) || w->chain_steps.size() >= eval::max_chain_steps) continue;
                    Instr chain = std::move(*w);
                    waiting.erase(w);
                    extend_chain(chain, in);
                    absorb_operand(chain, waiting);
                    in = std::move(chain);
                    break;
                }
            }
            for (Instr& w : waiting) code.push_back(std::move(w));
            const auto r = reader_.find(in.dst);
            const bool hold = (fusible(in) || in.kind == InstrKind::chain) &&
                              reads_[static_cast<std::size_t>(in.dst)] == 1 && r != reader_.end() && r->second > i &&
                              fusible(region_.code[r->second]) && dtype(region_.code[r->second].dst) == dtype(in.dst);
            if (hold)
                held[r->second].push_back(std::move(in));
            else
                code.push_back(std::move(in));
        }
        std::erase_if(code, [&](const Instr& in) {
            return std::find(absorbed_.begin(), absorbed_.end(), in.dst) != absorbed_.end();
        });
        region_.code = std::move(code);
    }

   private:
    ir::DType dtype(std::int32_t r) const { return dtype_of(p_, r); }
    bool is_constant(std::int32_t r) const { return passes::is_constant(p_, r); }

    // The comparison computing a where's condition, if the where can be a select step: both
    // values at hand, the condition read by nothing else, operands of the where's dtype.
    const Instr* condition_of(const Instr& w) const {
        if (w.kind != InstrKind::where || w.region[0] >= 0 || w.region[1] >= 0 || w.src[1] == w.src[2] ||
            reads_[static_cast<std::size_t>(w.src[0])] != 1 || dtype(w.src[1]) != dtype(w.dst) ||
            dtype(w.src[2]) != dtype(w.dst))
            return nullptr;
        const auto d = definition_.find(w.src[0]);
        if (d == definition_.end()) return nullptr;  // an import: computed in the parent region
        const Instr& c = region_.code[d->second];
        return is_chain_comparison(p_, c, dtype(w.dst)) ? &c : nullptr;
    }

    // An exp or sin is a step only where the chain kernels compute it inline (chain_inlines);
    // elsewhere it stays an instruction (and may become a side value, absorb_math).
    bool fusible(const Instr& in) const {
        eval::ChainOp op = eval::ChainOp::none;
        if (!eval::find_chain_kernel(dtype(in.dst))) return false;
        if (in.kind == InstrKind::where) return condition_of(in) != nullptr;
        return in.kind == InstrKind::compute && chain_op(in.op, op) && dtype(in.src[0]) == dtype(in.dst) &&
               (!eval::is_inline_math(op) || eval::chain_inlines(in.op, dtype(in.dst)));
    }

    // Reads r as a value to compute with (for a where: a branch value, not the condition).
    static bool reads_value(const Instr& in, std::int32_t r) {
        return in.kind == InstrKind::where ? in.src[1] == r || in.src[2] == r : in.src[0] == r || in.src[1] == r;
    }

    // A compute instruction as a chain: a load of its first operand, then its op. A where as a
    // chain: a load of the value it keeps where its condition is false, then a select.
    void start_chain(Instr& in) {
        const Instr source = in;
        in.kind = InstrKind::chain;
        in.chain = eval::find_chain_kernel(dtype(in.dst));
        in.kernel = nullptr;
        in.chunk = nullptr;
        in.src[0] = in.src[1] = in.src[2] = -1;
        in.region[0] = in.region[1] = -1;
        if (source.kind == InstrKind::where) {
            in.chain_steps = {{eval::ChainOp::load, false, eval::ChainOp::none, is_constant(source.src[2])}};
            in.chain_operands = {source.src[2]};
            append_select(in, *condition_of(source), source.src[1], false);
            return;
        }
        eval::ChainOp op = eval::ChainOp::none;
        chain_op(source.op, op);
        in.chain_steps = {{eval::ChainOp::load, false, eval::ChainOp::none, is_constant(source.src[0])},
                          {op, false, eval::ChainOp::none, is_constant(source.src[1])}};
        in.chain_operands = {source.src[0], source.src[1]};
    }

    // Appends `next`, which reads chain.dst, as a step of `chain`.
    void extend_chain(Instr& chain, const Instr& next) {
        if (chain.kind != InstrKind::chain) start_chain(chain);
        if (next.kind == InstrKind::where) {
            // where(c, t, value) keeps the value where c is false: value = c ? t : value; where(c,
            // value, t) the other way round (swapped).
            const bool swapped = next.src[1] == chain.dst;
            append_select(chain, *condition_of(next), swapped ? next.src[2] : next.src[1], swapped);
        } else {
            eval::ChainOp op = eval::ChainOp::none;
            chain_op(next.op, op);
            const bool swapped = next.src[1] == chain.dst;
            const std::int32_t operand = swapped ? next.src[0] : next.src[1];
            chain.chain_steps.push_back({op, swapped, eval::ChainOp::none, is_constant(operand)});
            chain.chain_operands.push_back(operand);
        }
        chain.dst = next.dst;
        chain.op = next.op;
    }

    // A select step: value = (a compare b) ? t : value (or value : t when swapped), a and b the
    // operands of the comparison `condition`, which the step computes from now on.
    void append_select(Instr& chain, const Instr& condition, std::int32_t t, bool swapped) {
        eval::ChainStep step{eval::ChainOp::select, swapped};
        step.scalar = is_constant(condition.src[1]) && is_constant(t);
        chain_compare(condition.op, step.compare);
        chain.chain_steps.push_back(step);
        chain.chain_operands.insert(chain.chain_operands.end(), {condition.src[0], condition.src[1], t});
        absorbed_.push_back(condition.dst);
    }

    // If the chain's last step reads a value that an op held in `waiting` computes, the step
    // computes that op itself and the op is dropped: a unary op (or y * y) as the step's pre
    // (x * x + y * y), a binary op as its pair (c * d in a * b + c * d).
    void absorb_operand(Instr& chain, std::vector<Instr>& waiting) const {
        eval::ChainStep& step = chain.chain_steps.back();
        const std::int32_t operand = chain.chain_operands.back();
        if (operand < 0 || step.op == eval::ChainOp::select) return;
        for (auto w = waiting.begin(); w != waiting.end(); ++w) {
            if (w->dst != operand || w->kind != InstrKind::compute) continue;
            eval::ChainOp op = eval::ChainOp::none;
            if (w->op == Op::multiply && w->src[0] == w->src[1])
                op = eval::ChainOp::square;
            else if (!chain_op(w->op, op) || eval::is_inline_math(op))
                continue;  // a step, not a pre
            const bool pair = w->src[1] >= 0 && op != eval::ChainOp::square;
            if (dtype(w->src[0]) != dtype(w->dst) || (pair && dtype(w->src[1]) != dtype(w->dst))) continue;
            chain.chain_operands.back() = w->src[0];
            if (pair) {
                step.pair = op;
                chain.chain_operands.push_back(w->src[1]);
            } else {
                step.pre = op;
                step.scalar = is_constant(w->src[0]);
            }
            waiting.erase(w);
            return;
        }
    }

    const Program& p_;
    Region& region_;
    const std::vector<int>& reads_;
    std::map<std::int32_t, std::size_t> reader_;      // register -> the first instruction reading it
    std::map<std::int32_t, std::size_t> definition_;  // register -> the instruction writing it
    std::vector<std::int32_t> absorbed_;              // conditions now computed inside select steps
};

}  // namespace

// Reads: the program as emitted (one instruction per op), reads. Writes: each region's code, where
// ops of one float dtype that each consume the result of another, which nothing else reads,
// become chain instructions (Instr::chain_steps, ChainKernel) and a where whose condition is a
// quiet comparison becomes a select step that computes the comparison (the comparison is then
// dropped). Step codes are set later (encode_chains).
void fuse_chains(Program& program, const std::vector<int>& reads) {
    for (Region& region : program.regions) Fusion(program, region, reads).run();
}

}  // namespace ik::passes
