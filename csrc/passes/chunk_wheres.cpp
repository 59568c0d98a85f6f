// Lowering: a where whose lazy branch is one chain gets a form for chunks, that chain and a select.
#include <algorithm>

#include "lowering.hpp"

namespace ik::passes {

using eval::Instr;
using eval::InstrKind;
using eval::Region;

namespace {

void chain_for_chunks(eval::Program& p, Region& region, Instr& w, const std::vector<int>& reads) {
    if (w.kind != InstrKind::where || (w.region[0] >= 0) == (w.region[1] >= 0) ||
        reads[static_cast<std::size_t>(w.src[0])] != 1)
        return;
    const int lazy = w.region[0] >= 0 ? 0 : 1;
    const std::int32_t other = w.src[lazy == 0 ? 2 : 1];
    const Region& branch = p.regions[static_cast<std::size_t>(w.region[lazy])];
    if (branch.code.size() != 1 || branch.code[0].kind != InstrKind::chain || branch.code[0].dst != branch.result ||
        branch.code[0].chain_steps.size() >= eval::max_chain_steps || dtype_of(p, other) != dtype_of(p, w.dst))
        return;
    const auto condition = std::find_if(region.code.begin(), region.code.end(), [&](const Instr& in) {
        return in.dst == w.src[0] && is_chain_comparison(p, in, dtype_of(p, w.dst));
    });
    if (condition == region.code.end()) return;
    const Instr& chain = branch.code[0];
    w.chain = chain.chain;
    w.chain_count = eval::find_chain_count(dtype_of(p, w.dst));
    w.chain_steps = chain.chain_steps;
    w.chain_operands.clear();
    auto outside = [&](std::int32_t r) {  // a register of the branch as the where's region has it
        const auto import = std::find(branch.imports_inner.begin(), branch.imports_inner.end(), r);
        if (import == branch.imports_inner.end()) return r;
        return branch.imports_outer[static_cast<std::size_t>(import - branch.imports_inner.begin())];
    };
    for (const std::int32_t r : chain.chain_operands) w.chain_operands.push_back(outside(r));
    w.side_math = chain.side_math;  // for listings: chunks never run the math separately
    for (Instr::SideMath& m : w.side_math) m.src = outside(m.src);
    // where(c, branch, other) keeps the value where c holds (swapped); where(c, other, branch) takes other there.
    eval::ChainStep select{eval::ChainOp::select, lazy == 0};
    chain_compare(condition->op, select.compare);
    select.scalar = is_constant(p, condition->src[1]) && is_constant(p, other);
    select.arg = static_cast<std::uint8_t>(w.chain_operands.size());
    select.code = eval::chain_code(select, true);
    w.chain_steps.push_back(select);
    w.chain_operands.insert(w.chain_operands.end(), {condition->src[0], condition->src[1], other});
    condition->chunk_skip = true;
}

}  // namespace

// Reads: the encoded chains (encode_chains), reads. Writes: where instructions' chain form
// (Instr::chain, chain_count, chain_steps, chain_operands, side_math) and chunk_skip of their
// comparisons.
// A where with one lazy branch computed by a single chain, and a condition that is a float
// comparison nothing else reads, gets a form for chunks (Instr::chain_count): that chain reading
// the branch's imports from the where's region, then the where as a select step. A chunk the
// condition splits then runs one pass instead of four (the comparison into bools, counting them,
// the branch, the blend), and the comparison is skipped in chunks.
void chain_wheres_for_chunks(eval::Program& program, const std::vector<int>& reads) {
    for (Region& region : program.regions)
        for (Instr& in : region.code) chain_for_chunks(program, region, in, reads);
}

}  // namespace ik::passes
