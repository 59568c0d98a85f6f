// What the JIT computes where, before any code: the graph's types checked, its nodes ordered,
// the lanes each node runs on (a where's lazy branches) and the registers of every value.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "assembler.hpp"

namespace ik::jit {

using ir::Op;

namespace {

constexpr std::size_t max_nodes = 1000;

}  // namespace

// Every live value is of the kernel's dtype, but comparisons (bool, operands of the dtype), which
// only conditions of where read; every op has an emitter; one output, computed.
bool Assembler::check_types() {
    if (graph_.outputs.size() != 1 || graph_.nodes.size() > max_nodes) return false;
    output_ = graph_.outputs[0];
    if (in_memory(output_)) return false;
    for (std::size_t i = 0; i < graph_.nodes.size(); ++i) {
        const ir::Node& n = graph_.nodes[i];
        if (!ir::is_valid(n.op) || !emitter_row(n.op).emit) return false;
        if (emitter_row(n.op).calls) {
            if (!math_routine(n.op, dtype_)) return false;
            calls_ = true;
            inline_math_ = inline_math_ || inlines_math(n.op, f64_);
        }
        if (is_comparison(n.op)) {
            if (n.dtype != ir::DType::bool_ || node(n.args[0]).dtype != dtype_ || node(n.args[1]).dtype != dtype_)
                return false;
        } else if (n.dtype != dtype_) {
            return false;
        }
        if (n.op == Op::where && !is_comparison(node(n.args[0]).op)) return false;
        if (n.op == Op::input) n_inputs_ = std::max(n_inputs_, n.value.as<std::int32_t>() + 1);
    }
    // A comparison read by anything but a where's condition would need a bool value.
    for (const ir::Node& n : graph_.nodes)
        for (int k = 0; k < n.arity(); ++k)
            if (is_comparison(node(n.args[k]).op) && !(n.op == Op::where && k == 0)) return false;
    return n_inputs_ <= max_inputs && !is_comparison(node(output_).op);
}

// Depth-first from the output, a where's condition first: a branch's nodes, which run under the
// condition's mask, then come after it (the graph's own order does not promise that).
void Assembler::order_nodes() {
    position_.assign(graph_.nodes.size(), -1);
    std::vector<std::pair<int, int>> stack = {{output_, 0}};  // (node, next operand)
    std::vector<bool> seen(graph_.nodes.size(), false);
    seen[static_cast<std::size_t>(output_)] = true;
    while (!stack.empty()) {
        auto& [i, k] = stack.back();
        const ir::Node& n = node(i);
        if (k < n.arity()) {
            const int a = n.args[k++];
            if (!seen[static_cast<std::size_t>(a)]) {
                seen[static_cast<std::size_t>(a)] = true;
                stack.push_back({a, 0});
            }
            continue;
        }
        position_[static_cast<std::size_t>(i)] = static_cast<int>(order_.size());
        order_.push_back(i);
        stack.pop_back();
    }
}

// Which lanes a node must be computed on: every lane (-1), or those where the condition guard_
// (negated or not) selects it, when every reader is the where's branch under that condition. A
// node both branches of one where read is needed on every lane. Nested lazy branches and a node
// under two different conditions are not covered (computing them eagerly could change the flags).
bool Assembler::compute_guards() {
    const std::size_t count = graph_.nodes.size();
    guard_.assign(count, -2);  // -2: no reader seen yet
    guard_negated_.assign(count, false);
    guard_[static_cast<std::size_t>(output_)] = -1;
    auto merge = [&](int node, int g, bool negated) {
        int& guard = guard_[static_cast<std::size_t>(node)];
        if (in_memory(node)) {  // a memory operand: nothing to compute
            guard = -1;
            return true;
        }
        if (guard == -2) {
            guard = g;
            guard_negated_[static_cast<std::size_t>(node)] = negated;
        } else if (guard == -1 || g == -1) {
            guard = -1;
        } else if (guard != g) {
            if (this->node(node).op != Op::input) return false;
            guard = -1;  // a load raises no flag: on every lane
        } else if (guard_negated_[static_cast<std::size_t>(node)] != negated) {
            guard = -1;  // both branches: every lane, as NumPy computes it
        }
        return true;
    };
    // Backwards through the emission order: every reader of a node comes before it, so its guard
    // is final when its operands take it.
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
        const int i = *it;
        const ir::Node& n = node(i);
        const int g = guard_[static_cast<std::size_t>(i)];
        const bool negated = guard_negated_[static_cast<std::size_t>(i)];
        if (n.op == Op::where && g != -1) {
            // A where inside a lazy branch (np.clip's nested form): its branches are computed on
            // every lane of the outer branch, which raises nothing only when they are values
            // already (inputs, constants). Nested lazy branches: not in this slice.
            for (int k = 1; k < 3; ++k)
                if (node(n.args[k]).op != Op::input && !is_constant(n.args[k])) return false;
            for (int k = 0; k < 3; ++k)
                if (!merge(n.args[k], g, negated)) return false;
        } else if (n.op == Op::where) {
            if (!merge(n.args[0], g, negated) || !merge(n.args[1], n.args[0], false) ||
                !merge(n.args[2], n.args[0], true))
                return false;
        } else {
            for (int k = 0; k < n.arity(); ++k)
                if (!merge(n.args[k], g, negated)) return false;
        }
    }
    return true;
}

// Linear scan over the emission order: zmm1-31 for values (zmm0: the scratch; zmm24-31 inline
// math's, in graphs with it), k2-k6 for comparisons (k1: the tail mask, k7 and k0: guard
// scratch). Constants take no register.
bool Assembler::allocate() {
    const std::size_t count = graph_.nodes.size();
    values_.assign(count, Value{});
    last_use_.assign(count, -1);
    for (const int i : order_) {
        const ir::Node& n = node(i);
        for (int k = 0; k < n.arity(); ++k)
            last_use_[static_cast<std::size_t>(n.args[k])] = position_[static_cast<std::size_t>(i)];
    }
    last_use_[static_cast<std::size_t>(output_)] = static_cast<int>(order_.size());
    std::vector<bool> zfree(32, true), kfree(8, true), freed(count, false);
    zfree[0] = false;
    if (inline_math_)
        for (int r = inline_scratch; r < 32; ++r) zfree[static_cast<std::size_t>(r)] = false;
    kfree[0] = kfree[1] = kfree[7] = false;
    auto take = [](std::vector<bool>& pool) {
        for (std::size_t r = 0; r < pool.size(); ++r)
            if (pool[r]) {
                pool[r] = false;
                return static_cast<int>(r);
            }
        return -1;
    };
    for (const int i : order_) {
        const ir::Node& n = node(i);
        if (in_memory(i)) continue;
        // Operands read last here are freed first, so the result may take their register: an
        // emitter reads copy u's operands in the instruction that writes copy u's result.
        for (int k = 0; k < n.arity(); ++k) {
            const auto a = static_cast<std::size_t>(n.args[k]);
            if (last_use_[a] == position_[static_cast<std::size_t>(i)] && !in_memory(n.args[k]) && !freed[a]) {
                auto& pool = values_[a].is_mask ? kfree : zfree;
                for (int u = 0; u < unroll_; ++u) pool[static_cast<std::size_t>(values_[a].reg[u])] = true;
                freed[a] = true;
            }
        }
        Value& v = values_[static_cast<std::size_t>(i)];
        v.is_mask = is_comparison(n.op);
        for (int u = 0; u < unroll_; ++u)
            if ((v.reg[u] = take(v.is_mask ? kfree : zfree)) < 0) return false;
    }
    return true;
}

}  // namespace ik::jit
