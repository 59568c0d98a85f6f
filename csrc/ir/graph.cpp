// Graph building with structural deduplication, and the verifier.
#include "graph.hpp"

#include <functional>
#include <string_view>

namespace ik::ir {

std::size_t GraphBuilder::NodeHash::operator()(const Node& n) const {
    std::size_t h = static_cast<std::size_t>(n.op) * 131 + static_cast<std::size_t>(n.dtype);
    for (auto a : n.args) h = h * 1000003 + static_cast<std::size_t>(a + 1);
    h ^= std::hash<std::string_view>()(
        std::string_view(reinterpret_cast<const char*>(n.value.bytes.data()), n.value.bytes.size()));
    return h;
}

std::int32_t GraphBuilder::add(const Node& node) {
    auto [it, inserted] = index_of_.try_emplace(node, static_cast<std::int32_t>(graph_.nodes.size()));
    if (inserted) graph_.nodes.push_back(node);
    return it->second;
}

std::int32_t GraphBuilder::input(int position, DType dtype) {
    Node n;
    n.op = Op::input;
    n.dtype = dtype;
    n.value = Scalar::of<std::int32_t>(position);
    return add(n);
}

std::int32_t GraphBuilder::constant(DType dtype, Scalar value) {
    Node n;
    n.op = Op::constant;
    n.dtype = dtype;
    // Only the dtype's own bytes are significant; clear the rest so equal constants dedupe.
    for (std::size_t i = itemsize(dtype); i < value.bytes.size(); ++i) value.bytes[i] = 0;
    n.value = value;
    return add(n);
}

namespace {

[[noreturn]] void fail(std::size_t index, const std::string& what) {
    throw InvalidGraph("invalid IR at node " + std::to_string(index) + ": " + what);
}

}  // namespace

void verify(const Graph& graph) {
    // A ufunc has at most NumPy's 64 operands (the tracer refuses more at decoration), but a gufunc
    // stage's program also reads row values: any count the format's u16 holds.
    if (graph.n_inputs < 0 || graph.n_inputs > 0xFFFF) throw InvalidGraph("invalid IR: bad input count");
    if (graph.outputs.empty()) throw InvalidGraph("invalid IR: no outputs");
    std::vector<bool> seen_input(static_cast<std::size_t>(graph.n_inputs), false);
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        const Node& n = graph.nodes[i];
        if (!is_valid(n.op)) fail(i, "unknown op");
        if (!is_valid(n.dtype)) fail(i, "untyped or unknown dtype");
        const int arity = n.arity();
        for (int k = 0; k < 3; ++k) {
            const auto a = n.args[static_cast<std::size_t>(k)];
            if (k < arity) {
                if (a < 0 || static_cast<std::size_t>(a) >= i) fail(i, "operand is not an earlier node");
            } else if (a != -1) {
                fail(i, "too many operands for " + std::string(info(n.op).name));
            }
        }
        auto arg_dtype = [&](int k) {
            return graph.nodes[static_cast<std::size_t>(n.args[static_cast<std::size_t>(k)])].dtype;
        };
        switch (n.op) {
            case Op::input: {
                const auto pos = n.value.as<std::int32_t>();
                if (pos < 0 || pos >= graph.n_inputs) fail(i, "input position out of range");
                // One node per input: the evaluator loads each input into one register.
                if (seen_input[static_cast<std::size_t>(pos)])
                    fail(i, "input " + std::to_string(pos) + " appears twice");
                seen_input[static_cast<std::size_t>(pos)] = true;
                break;
            }
            case Op::constant:
                // Kernels read bool elements as C++ bool: any byte but 0 or 1 is undefined behaviour.
                if (n.dtype == DType::bool_ && n.value.bytes[0] > 1) fail(i, "bool constant is neither 0 nor 1");
                break;
            case Op::cast:
                break;
            case Op::where:
                if (arg_dtype(0) != DType::bool_) fail(i, "where condition is not bool");
                if (arg_dtype(1) != n.dtype || arg_dtype(2) != n.dtype) fail(i, "where branches differ from its dtype");
                break;
            default: {
                const DType operand = arity > 0 ? arg_dtype(0) : n.dtype;
                if (n.op == Op::ldexp) {
                    if (!is_float(operand) || !is_int(arg_dtype(1))) fail(i, "ldexp needs a float and an integer");
                } else {
                    for (int k = 1; k < arity; ++k)
                        if (arg_dtype(k) != operand) fail(i, "operands of different dtypes");
                }
                const DType expected = result_dtype(n.op, operand);
                if (n.dtype != expected) fail(i, "result dtype does not match the op");
                break;
            }
        }
    }
    for (auto o : graph.outputs)
        if (o < 0 || static_cast<std::size_t>(o) >= graph.nodes.size())
            throw InvalidGraph("invalid IR: bad output index");
}

}  // namespace ik::ir
