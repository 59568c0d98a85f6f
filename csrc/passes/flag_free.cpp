// Lowering, flag-free analysis: which values can be computed on every lane without a warning.
#include "lowering.hpp"

namespace ik::passes {

using ir::Node;
using ir::Op;

// Reads: the graph. Writes: flag_free, from_constants.
// flag_free[node]: the node and everything it is computed from raise no flag. A where branch of
// such a value is computed on every lane instead of lazily (place_in_regions): there is no flag to
// keep from unselected lanes, these ops cost less than sorting lanes, and the where can then join
// a chain as a select (np.where(x < lo, lo, np.where(x > hi, hi, x)) is one chain).
// from_constants[node]: an op other than a where whose operands are all constants or such ops,
// which place_in_regions computes on every call.
void find_flag_free(Lowering& lowering) {
    const ir::Graph& g = lowering.graph;
    std::vector<bool>& flag_free = lowering.flag_free;
    flag_free.assign(g.nodes.size(), false);
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        // ops.def's flags column: none for the ops that raise no flag on real or bool operands.
        bool free = ir::info(n.op).flags == ir::Flags::none && !ir::is_complex(n.dtype);
        for (int k = 0; k < n.arity() && free; ++k) {
            const auto arg = static_cast<std::size_t>(n.args[static_cast<std::size_t>(k)]);
            free = flag_free[arg] && !ir::is_complex(g.nodes[arg].dtype);
        }
        flag_free[i] = free;
    }
    std::vector<bool>& from_constants = lowering.from_constants;
    from_constants.assign(g.nodes.size(), false);
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        bool constant = n.op != Op::input && n.op != Op::where && n.arity() > 0;
        for (int k = 0; k < n.arity() && constant; ++k) {
            const auto arg = static_cast<std::size_t>(n.args[static_cast<std::size_t>(k)]);
            constant = g.nodes[arg].op == Op::constant || from_constants[arg];
        }
        from_constants[i] = constant;
    }
}

}  // namespace ik::passes
