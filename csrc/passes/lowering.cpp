// The start of a lowering, and the helpers the chain passes share: which ops a chain step computes.
#include <algorithm>

#include "lowering.hpp"

namespace ik::passes {

using ir::Op;

Lowering::Lowering(const ir::Graph& g)
    : graph(g), region_of(g.nodes.size(), -1), home(g.nodes.size(), -1) {
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

// Every op is listed (the build fails on a new op until it is placed here): a chain step is a
// float op that rounds each result alone and has a loop in the chain kernels.
bool chain_op(Op op, eval::ChainOp& out) {
    switch (op) {
        case Op::add: out = eval::ChainOp::add; return true;
        case Op::subtract: out = eval::ChainOp::subtract; return true;
        case Op::multiply: out = eval::ChainOp::multiply; return true;
        case Op::divide: out = eval::ChainOp::divide; return true;
        case Op::negative: out = eval::ChainOp::negative; return true;
        case Op::absolute: out = eval::ChainOp::absolute; return true;
        case Op::square: out = eval::ChainOp::square; return true;
        case Op::sqrt: out = eval::ChainOp::sqrt; return true;
        case Op::exp: out = eval::ChainOp::exp; return true;  // where chain_inlines: see fuse_chains
        case Op::sin: out = eval::ChainOp::sin; return true;
        // Not a chain step: structural ops, comparisons (select steps compute those, see
        // chain_compare), and ops without a loop in the chain kernels.
        case Op::input: case Op::constant: case Op::where: case Op::cast:
        case Op::greater: case Op::greater_equal: case Op::less: case Op::less_equal: case Op::equal:
        case Op::not_equal:
        case Op::positive: case Op::reciprocal: case Op::floor: case Op::ceil: case Op::trunc: case Op::rint:
        case Op::sign: case Op::logical_not: case Op::invert: case Op::isnan: case Op::isinf: case Op::isfinite:
        case Op::signbit: case Op::deg2rad: case Op::rad2deg: case Op::conjugate: case Op::real: case Op::imag:
        case Op::spacing: case Op::frexp_mantissa: case Op::frexp_exponent:
        case Op::cos: case Op::tan: case Op::arcsin: case Op::arccos: case Op::arctan: case Op::sinh: case Op::cosh:
        case Op::tanh: case Op::arcsinh: case Op::arccosh: case Op::arctanh: case Op::exp2: case Op::expm1:
        case Op::log: case Op::log2: case Op::log10: case Op::log1p: case Op::cbrt:
        case Op::floor_divide: case Op::remainder: case Op::fmod: case Op::maximum: case Op::minimum: case Op::fmax:
        case Op::fmin: case Op::logical_and: case Op::logical_or: case Op::logical_xor: case Op::bitwise_and:
        case Op::bitwise_or: case Op::bitwise_xor: case Op::left_shift: case Op::right_shift: case Op::copysign:
        case Op::nextafter: case Op::heaviside: case Op::ldexp:
        case Op::power: case Op::arctan2: case Op::hypot: case Op::logaddexp: case Op::logaddexp2:
        case Op::count:
            break;
    }
    return false;
}

// Every op is listed, as in chain_op: the six comparisons, quiet on quiet NaNs as NumPy's are.
bool chain_compare(Op op, eval::ChainCompare& out) {
    switch (op) {
        case Op::greater: out = eval::ChainCompare::greater; return true;
        case Op::greater_equal: out = eval::ChainCompare::greater_equal; return true;
        case Op::less: out = eval::ChainCompare::less; return true;
        case Op::less_equal: out = eval::ChainCompare::less_equal; return true;
        case Op::equal: out = eval::ChainCompare::equal; return true;
        case Op::not_equal: out = eval::ChainCompare::not_equal; return true;
        // Not a comparison.
        case Op::input: case Op::constant: case Op::where: case Op::cast:
        case Op::negative: case Op::positive: case Op::absolute: case Op::square: case Op::reciprocal: case Op::sqrt:
        case Op::floor: case Op::ceil: case Op::trunc: case Op::rint: case Op::sign: case Op::logical_not:
        case Op::invert: case Op::isnan: case Op::isinf: case Op::isfinite: case Op::signbit: case Op::deg2rad:
        case Op::rad2deg: case Op::conjugate: case Op::real: case Op::imag: case Op::spacing:
        case Op::frexp_mantissa: case Op::frexp_exponent:
        case Op::sin: case Op::cos: case Op::tan: case Op::arcsin: case Op::arccos: case Op::arctan: case Op::sinh:
        case Op::cosh: case Op::tanh: case Op::arcsinh: case Op::arccosh: case Op::arctanh: case Op::exp:
        case Op::exp2: case Op::expm1: case Op::log: case Op::log2: case Op::log10: case Op::log1p: case Op::cbrt:
        case Op::add: case Op::subtract: case Op::multiply: case Op::divide: case Op::floor_divide:
        case Op::remainder: case Op::fmod: case Op::maximum: case Op::minimum: case Op::fmax: case Op::fmin:
        case Op::logical_and: case Op::logical_or: case Op::logical_xor: case Op::bitwise_and: case Op::bitwise_or:
        case Op::bitwise_xor: case Op::left_shift: case Op::right_shift: case Op::copysign: case Op::nextafter:
        case Op::heaviside: case Op::ldexp:
        case Op::power: case Op::arctan2: case Op::hypot: case Op::logaddexp: case Op::logaddexp2:
        case Op::count:
            break;
    }
    return false;
}

bool is_chain_comparison(const eval::Program& program, const eval::Instr& c, ir::DType t) {
    eval::ChainCompare compare;
    return c.kind == eval::InstrKind::compute && chain_compare(c.op, compare) && dtype_of(program, c.src[0]) == t &&
           dtype_of(program, c.src[1]) == t;
}

}  // namespace ik::passes
