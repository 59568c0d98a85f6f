// The start of a lowering, and the helpers the chain passes share: which ops a chain step computes.
#include <algorithm>

#include "lowering.hpp"

namespace ik::passes {

using ir::Op;

Lowering::Lowering(const ir::Graph& g) : graph(g), region_of(g.nodes.size(), -1), home(g.nodes.size(), -1) {
    program.n_inputs = g.n_inputs;
    program.graph = g;
    program.regions.push_back(eval::Region{});
    program.chunked = true;  // until an instruction without a chunk kernel is emitted
}

namespace {

// r's entry among the program's constants, or their end.
auto find_constant(const eval::Program& program, std::int32_t r) {
    const auto& constants = program.constants;
    return std::find_if(constants.begin(), constants.end(), [&](const auto& c) { return c.first == r; });
}

}  // namespace

bool is_constant(const eval::Program& program, std::int32_t r) {
    return find_constant(program, r) != program.constants.end();
}

double constant_value(const eval::Program& program, std::int32_t r) {
    const auto c = find_constant(program, r);
    return dtype_of(program, r) == ir::DType::float32 ? c->second.as<float>() : c->second.as<double>();
}

// From ops.def's chain column (every op has a row, so a new op is placed there): a chain step is a
// float op that rounds each result alone and has a loop in the chain kernels, ChainOp of its name.
bool chain_op(Op op, eval::ChainOp& out) {
    switch (op) {
#define IK_CHAIN_step(name)        \
    case Op::name:                 \
        out = eval::ChainOp::name; \
        return true;
#define IK_CHAIN_select(name) \
    case Op::name:            \
        return false;
#define IK_CHAIN_no(name) \
    case Op::name:        \
        return false;
#define IK_OP(name, arity, result, cost, accuracy, flags, underflow, chain, libm) IK_CHAIN_##chain(name)
#include "ir/ops.def"
#undef IK_OP
        case Op::count:
            break;
    }
    return false;
}

// As chain_op, for the rows marked select: the six comparisons, quiet on quiet NaNs as NumPy's are.
bool chain_compare(Op op, eval::ChainCompare& out) {
    switch (op) {
#undef IK_CHAIN_select
#undef IK_CHAIN_step
#define IK_CHAIN_select(name)           \
    case Op::name:                      \
        out = eval::ChainCompare::name; \
        return true;
#define IK_CHAIN_step(name) \
    case Op::name:          \
        return false;
#define IK_OP(name, arity, result, cost, accuracy, flags, underflow, chain, libm) IK_CHAIN_##chain(name)
#include "ir/ops.def"
#undef IK_OP
        case Op::count:
            break;
    }
    return false;
}
#undef IK_CHAIN_step
#undef IK_CHAIN_select
#undef IK_CHAIN_no

bool is_chain_comparison(const eval::Program& program, const eval::Instr& c, ir::DType t) {
    eval::ChainCompare compare;
    return c.kind == eval::InstrKind::compute && chain_compare(c.op, compare) && dtype_of(program, c.src[0]) == t &&
           dtype_of(program, c.src[1]) == t;
}

}  // namespace ik::passes
