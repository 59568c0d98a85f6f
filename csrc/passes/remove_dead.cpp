// Dead-code removal: the nodes no output depends on go.
#include "passes.hpp"

namespace ik::passes {

using ir::Graph;
using ir::Node;

Graph remove_dead(const Graph& graph) {
    std::vector<bool> live(graph.nodes.size(), false);
    for (auto o : graph.outputs) live[static_cast<std::size_t>(o)] = true;
    for (std::size_t i = graph.nodes.size(); i-- > 0;) {
        if (!live[i]) continue;
        const Node& n = graph.nodes[i];
        for (int k = 0; k < n.arity(); ++k) live[static_cast<std::size_t>(n.args[static_cast<std::size_t>(k)])] = true;
    }
    ir::GraphBuilder b(graph.n_inputs);
    std::vector<std::int32_t> map(graph.nodes.size(), -1);
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        if (!live[i]) continue;
        Node n = graph.nodes[i];
        for (int k = 0; k < n.arity(); ++k) {
            auto& a = n.args[static_cast<std::size_t>(k)];
            a = map[static_cast<std::size_t>(a)];
        }
        map[i] = b.add(n);
    }
    for (auto o : graph.outputs) b.add_output(map[static_cast<std::size_t>(o)]);
    return b.finish();
}

}  // namespace ik::passes
