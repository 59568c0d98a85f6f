// Lowering, chain peephole: a math call read right after a chain's square root runs beside it.
#include <algorithm>

#include "lowering.hpp"

namespace ik::passes {

using eval::Instr;
using eval::InstrKind;
using ir::Op;

namespace {

void absorb_math_in(const eval::Program& p, eval::Region& region, const std::vector<int>& reads) {
    std::vector<std::int32_t> absorbed;
    for (Instr& chain : region.code) {
        if (chain.kind != InstrKind::chain) continue;
        std::size_t arg = eval::chain_arity(chain.chain_steps[0]);
        for (std::size_t k = 1; k < chain.chain_steps.size(); arg += eval::chain_arity(chain.chain_steps[k]), ++k) {
            eval::ChainStep& step = chain.chain_steps[k];
            eval::ChainStep& before = chain.chain_steps[k - 1];
            const std::int32_t operand = chain.chain_operands[arg];
            const bool binary = step.op == eval::ChainOp::add || step.op == eval::ChainOp::subtract ||
                                step.op == eval::ChainOp::multiply || step.op == eval::ChainOp::divide;
            if (!binary || before.op != eval::ChainOp::sqrt || before.side || operand < 0 ||
                step.pre != eval::ChainOp::none || step.pair != eval::ChainOp::none || step.scalar ||
                reads[static_cast<std::size_t>(operand)] != 1)
                continue;
            const auto math = std::find_if(region.code.begin(), region.code.end(), [&](const Instr& in) {
                return in.kind == InstrKind::compute && in.dst == operand && in.src[1] < 0 && in.src[0] >= 0 &&
                       dtype_of(p, in.src[0]) == dtype_of(p, operand);
            });
            if (math == region.code.end()) continue;
            const eval::ChainRoutine routine = eval::find_chain_math(math->op, dtype_of(p, operand));
            if (!routine) continue;
            before.side = routine;
            if (eval::chain_inlines(math->op, dtype_of(p, operand)))
                before.side_inline = math->op == Op::exp ? eval::ChainOp::exp : eval::ChainOp::sin;
            step.from_side = true;
            // The side value's input is the last operand of the step before, just before this step's.
            chain.chain_operands.insert(chain.chain_operands.begin() + static_cast<std::ptrdiff_t>(arg), math->src[0]);
            ++arg;
            chain.side_math.push_back({math->op, math->kernel, math->src[0], math->dst});
            absorbed.push_back(operand);
        }
    }
    std::erase_if(region.code, [&](const Instr& in) {
        return in.kind == InstrKind::compute && std::find(absorbed.begin(), absorbed.end(), in.dst) != absorbed.end();
    });
}

}  // namespace

// Reads: the chains of fuse_chains, reads. Writes: chains and region code.
// A math op (sin, exp, ...) whose one reader is a chain step right after a square root becomes a
// side value of that square root (ChainStep::side, Instr::side_math) and its instruction is
// dropped: the chunked evaluator then calls it vector by vector inside the chain, overlapped with
// the square root, instead of in a pass of its own. After a cheap step there is nothing to
// overlap, and a call per vector from the chain costs more than the pass (measured: logistic, exp
// after a constant load, 3-7% slower), so math ops stay passes there.
void absorb_math(eval::Program& program, const std::vector<int>& reads) {
    for (eval::Region& region : program.regions) absorb_math_in(program, region, reads);
}

}  // namespace ik::passes
