// Exact rewrites: each replaces a node by an equal value, never changing a bit or a flag.
#include "passes.hpp"

namespace ik::passes {

using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Op;

namespace {

// where(x == y, x, maximum(x, y)) (and the same with minimum), which the tracer writes for np.clip
// with constant bounds: an extremum that returns x on ties. NumPy's float32/float64 maximum and
// minimum return their second operand on ties and propagate a NaN of either operand, so this is
// maximum(y, x), bit for bit; float16's and integers' return the first (or an equal value), so it
// is maximum(x, y). Complex values stay as written. -1 when the node is not of that form.
std::int32_t extremum_keeping_first_on_ties(ir::GraphBuilder& b, const Node& where) {
    const Node& cond = b.node(where.args[0]);
    const Node& extremum = b.node(where.args[2]);
    const std::int32_t x = where.args[1];
    if (cond.op != Op::equal || (extremum.op != Op::maximum && extremum.op != Op::minimum)) return -1;
    if (cond.args[0] != x || extremum.args[0] != x || cond.args[1] != extremum.args[1]) return -1;
    if (where.dtype != extremum.dtype || ir::is_complex(extremum.dtype)) return -1;
    if (extremum.dtype != DType::float32 && extremum.dtype != DType::float64) return where.args[2];
    Node swapped = extremum;
    std::swap(swapped.args[0], swapped.args[1]);
    return b.add(swapped);
}

}  // namespace

Graph simplify(const Graph& graph) {
    ir::GraphBuilder b(graph.n_inputs);
    std::vector<std::int32_t> map(graph.nodes.size());
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        Node n = graph.nodes[i];
        for (int k = 0; k < n.arity(); ++k) {
            auto& a = n.args[static_cast<std::size_t>(k)];
            a = map[static_cast<std::size_t>(a)];
        }
        std::int32_t replacement = -1;
        if (n.op == Op::where) {
            const Node& cond = b.node(n.args[0]);
            if (cond.op == Op::constant)
                replacement = cond.value.bytes[0] ? n.args[1] : n.args[2];
            else if (n.args[1] == n.args[2])
                replacement = n.args[1];
            else
                replacement = extremum_keeping_first_on_ties(b, n);
        } else if (n.op == Op::cast && b.node(n.args[0]).dtype == n.dtype) {
            replacement = n.args[0];
        }
        map[i] = replacement >= 0 ? replacement : b.add(n);
    }
    for (auto o : graph.outputs) b.add_output(map[static_cast<std::size_t>(o)]);
    return b.finish();
}

}  // namespace ik::passes
