// Lowering: consecutive chains of one dtype become one chain with store steps between them.
#include "lowering.hpp"

namespace ik::passes {

using eval::Instr;
using eval::InstrKind;

namespace {

void merge_chains_in(eval::Region& region) {
    std::vector<Instr> code;
    for (Instr& in : region.code) {
        Instr* before = code.empty() ? nullptr : &code.back();
        if (before && in.kind == InstrKind::chain && before->kind == InstrKind::chain && before->chain == in.chain &&
            in.side_math.empty() && before->side_math.empty() &&
            before->chain_steps.size() + 1 + in.chain_steps.size() <= eval::max_chain_steps) {
            before->chain_steps.push_back({eval::ChainOp::store});
            before->chain_operands.push_back(before->dst);
            before->chain_steps.insert(before->chain_steps.end(), in.chain_steps.begin(), in.chain_steps.end());
            auto& operands = before->chain_operands;
            operands.insert(operands.end(), in.chain_operands.begin(), in.chain_operands.end());
            before->dst = in.dst;
            before->op = in.op;
            continue;
        }
        code.push_back(std::move(in));
    }
    region.code = std::move(code);
}

}  // namespace

// Reads and writes: each region's code (after the chain peepholes).
// Consecutive chains of one dtype become one, with a store step between them (ChainOp::store):
// the chunked evaluator then runs a tile of each in turn, and their work overlaps (the square root
// of sqrt(abs(a - d)) in the divider while a * b + c * d runs in the multiply and add units).
// Chains with math calls stay apart: their exact form runs the calls as instructions before the
// chain (Instr::side_math).
void merge_chains(eval::Program& program) {
    for (eval::Region& region : program.regions) merge_chains_in(region);
}

}  // namespace ik::passes
