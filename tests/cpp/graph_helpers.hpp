// Small builders shared by the core tests.
#pragma once

#include "ir/graph.hpp"

namespace ik::test {

inline std::int32_t op(ir::GraphBuilder& b, ir::Op o, ir::DType t, std::int32_t a, std::int32_t c = -1,
                       std::int32_t d = -1) {
    ir::Node n;
    n.op = o;
    n.dtype = t;
    n.args = {a, c, d};
    return b.add(n);
}

inline std::int32_t f64(ir::GraphBuilder& b, double v) { return b.constant(ir::DType::float64, ir::Scalar::of(v)); }

// where(x > 0, sqrt(abs(x)) + sin(x), 0) in float64: the seed expression.
inline ir::Graph seed_graph() {
    using ir::DType;
    using ir::Op;
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto zero = f64(b, 0.0);
    const auto cond = op(b, Op::greater, DType::bool_, x, zero);
    const auto root = op(b, Op::sqrt, DType::float64, op(b, Op::absolute, DType::float64, x));
    const auto sum = op(b, Op::add, DType::float64, root, op(b, Op::sin, DType::float64, x));
    b.add_output(op(b, Op::where, DType::float64, cond, sum, zero));
    return b.finish();
}

}  // namespace ik::test
