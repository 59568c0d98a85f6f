// Constant folding with the run-time kernels.
#include <cfenv>

#include "passes.hpp"

namespace ik::passes {

using ir::Graph;
using ir::Node;
using ir::Op;

Graph fold_constants(const Graph& graph) {
    ir::GraphBuilder b(graph.n_inputs);
    std::vector<std::int32_t> map(graph.nodes.size());
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        Node n = graph.nodes[i];
        bool all_constant = n.op != Op::input && n.op != Op::constant && n.op != Op::where;
        for (int k = 0; k < n.arity(); ++k) {
            auto& a = n.args[static_cast<std::size_t>(k)];
            a = map[static_cast<std::size_t>(a)];
            all_constant = all_constant && b.node(a).op == Op::constant;
        }
        if (all_constant) {
            const ir::DType second = n.arity() > 1 ? b.node(n.args[1]).dtype : n.dtype;
            const eval::Kernel kernel = eval::kernel_for(n.op, n.dtype, b.node(n.args[0]).dtype, second);
            if (kernel) {
                const void* in[3];
                for (int k = 0; k < n.arity(); ++k)
                    in[k] = b.node(n.args[static_cast<std::size_t>(k)]).value.bytes.data();
                ir::Scalar result;
                std::fenv_t env;
                std::feholdexcept(&env);  // saves and clears the flags
                kernel(in, result.bytes.data(), 1);
                const bool raised = std::fetestexcept(FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID) != 0;
                std::fesetenv(&env);
                if (!raised) {
                    map[i] = b.constant(n.dtype, result);
                    continue;
                }
            }
        }
        map[i] = b.add(n);
    }
    for (auto o : graph.outputs) b.add_output(map[static_cast<std::size_t>(o)]);
    return b.finish();
}

}  // namespace ik::passes
