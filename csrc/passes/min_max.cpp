// Lowering, chain peephole: selects that clamp the chain's value run as MIN/MAX in chunks.
#include "lowering.hpp"

namespace ik::passes {

namespace {

void use_min_max_in(const eval::Program& p, eval::Instr& chain) {
    std::vector<eval::ChainStep>& steps = chain.chain_steps;
    const std::int32_t a = chain.chain_operands[0];
    if (steps.size() < 2 || steps[0].op != eval::ChainOp::load || steps[0].pre != eval::ChainOp::none ||
        steps[0].scalar)
        return;
    std::size_t arg = eval::chain_arity(steps[0]);
    std::int32_t first_bound = -1;  // the b of the first MIN/MAX step
    for (std::size_t k = 1; k < 3 && k < steps.size(); arg += eval::chain_arity(steps[k]), ++k) {
        eval::ChainStep& step = steps[k];
        const std::int32_t* operands = &chain.chain_operands[arg];  // a, b, t
        if (step.op != eval::ChainOp::select || step.swapped || operands[0] != a || operands[1] != operands[2] ||
            (step.compare != eval::ChainCompare::greater && step.compare != eval::ChainCompare::less))
            return;
        if (k == 2) {
            const eval::ChainStep& first = steps[1];
            const bool upper_first = first.compare == eval::ChainCompare::greater;  // MIN(hi, x), then lo
            if (first.compare == step.compare || !first.scalar || !step.scalar ||
                !(upper_first ? constant_value(p, operands[1]) <= constant_value(p, first_bound)
                              : constant_value(p, first_bound) <= constant_value(p, operands[1])))
                return;
        }
        step.min_max = true;
        first_bound = operands[1];
    }
}

}  // namespace

// Reads: chains (after absorb_math), the program's constants. Writes: ChainStep::min_max.
// Selects that keep the smaller or the larger of the chain's value and their b run as MIN/MAX in
// chunks (ChainStep::min_max) where that gives the select's bits: a strict comparison of the
// value itself with b, t being b, the value kept where it fails. The value is a itself right
// after the chain's load of a: where(x > b, b, x) is MIN(b, x). A second select on a clamps the
// other side: where(x < lo, lo, MIN(hi, x)) is MAX(lo, MIN(hi, x)) for constants lo <= hi, since
// MIN(hi, x) is below lo exactly where x is (and NaN where x is); the same mirrored.
void use_min_max(eval::Program& program) {
    for (eval::Region& region : program.regions)
        for (eval::Instr& in : region.code)
            if (in.kind == eval::InstrKind::chain) use_min_max_in(program, in);
}

}  // namespace ik::passes
