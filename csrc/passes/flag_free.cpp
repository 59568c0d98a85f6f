// Lowering, flag-free analysis: which values can be computed on every lane without a warning.
#include "lowering.hpp"

namespace ik::passes {

using ir::Node;
using ir::Op;

namespace {

// Ops that raise no floating-point flag for any operand (quiet comparisons raise invalid for a
// signaling NaN only, as NumPy's own do), on real or bool operands. Every op is listed, so that a
// new op fails to build until it is placed.
bool raises_no_flag(Op op) {
    switch (op) {
        case Op::input: case Op::constant: case Op::where:
        case Op::negative: case Op::positive: case Op::absolute: case Op::copysign:
        case Op::greater: case Op::greater_equal: case Op::less: case Op::less_equal: case Op::equal:
        case Op::not_equal: case Op::logical_and: case Op::logical_or: case Op::logical_xor: case Op::logical_not:
        case Op::isnan: case Op::isinf: case Op::isfinite: case Op::signbit:
            return true;
        // May raise a flag for some operand (a cast that overflows, 0 / 0, an integer division by
        // zero, a math function's invalid or overflow), or not studied yet.
        case Op::cast:
        case Op::square: case Op::reciprocal: case Op::sqrt: case Op::floor: case Op::ceil: case Op::trunc:
        case Op::rint: case Op::sign: case Op::invert: case Op::deg2rad: case Op::rad2deg: case Op::conjugate:
        case Op::real: case Op::imag: case Op::spacing: case Op::frexp_mantissa: case Op::frexp_exponent:
        case Op::sin: case Op::cos: case Op::tan: case Op::arcsin: case Op::arccos: case Op::arctan: case Op::sinh:
        case Op::cosh: case Op::tanh: case Op::arcsinh: case Op::arccosh: case Op::arctanh: case Op::exp:
        case Op::exp2: case Op::expm1: case Op::log: case Op::log2: case Op::log10: case Op::log1p: case Op::cbrt:
        case Op::add: case Op::subtract: case Op::multiply: case Op::divide: case Op::floor_divide:
        case Op::remainder: case Op::fmod: case Op::maximum: case Op::minimum: case Op::fmax: case Op::fmin:
        case Op::bitwise_and: case Op::bitwise_or: case Op::bitwise_xor: case Op::left_shift: case Op::right_shift:
        case Op::nextafter: case Op::heaviside: case Op::ldexp:
        case Op::power: case Op::arctan2: case Op::hypot: case Op::logaddexp: case Op::logaddexp2:
        case Op::count:
            break;
    }
    return false;
}

}  // namespace

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
        bool free = raises_no_flag(n.op) && !ir::is_complex(n.dtype);
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
