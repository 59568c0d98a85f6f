// Lowering, chain peephole: a multiply step and the add or subtract of a constant after it become one step.
#include "lowering.hpp"

namespace ik::passes {

namespace {

void use_multiply_then_in(eval::Instr& chain) {
    auto plain = [](const eval::ChainStep& s) {  // reads its operand as it is
        return s.pre == eval::ChainOp::none && s.pair == eval::ChainOp::none && !s.side && !s.from_side;
    };
    std::vector<eval::ChainStep>& steps = chain.chain_steps;
    std::size_t arg = eval::chain_arity(steps[0]);
    for (std::size_t k = 1; k + 1 < steps.size(); arg += eval::chain_arity(steps[k]), ++k) {
        eval::ChainStep& step = steps[k];
        const eval::ChainStep& next = steps[k + 1];
        if (step.op != eval::ChainOp::multiply || !plain(step) || chain.chain_operands[arg] < 0 ||
            (next.op != eval::ChainOp::add && next.op != eval::ChainOp::subtract) || !plain(next) || !next.scalar)
            continue;
        step.then = next.op;
        step.then_swapped = next.swapped;
        steps.erase(steps.begin() + static_cast<std::ptrdiff_t>(k) + 1);
    }
}

}  // namespace

// Reads and writes: chains' steps (after absorb_math, whose side values it leaves alone).
// A multiply step followed by an add or subtract of a constant becomes one step that does both
// (ChainStep::then): the Horner step of a polynomial in one dispatch. The two steps' operands, x
// and the constant, are already in the order the joined step reads them.
void use_multiply_then(eval::Program& program) {
    for (eval::Region& region : program.regions)
        for (eval::Instr& in : region.code)
            if (in.kind == eval::InstrKind::chain) use_multiply_then_in(in);
}

}  // namespace ik::passes
