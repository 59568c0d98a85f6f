// Lowering, emission: one instruction per placed node, over registers, with its kernels resolved.
#include <string>

#include "lowering.hpp"

namespace ik::passes {

using eval::Instr;
using eval::InstrKind;
using ir::Node;
using ir::Op;

namespace {

class Emission {
   public:
    explicit Emission(Lowering& lowering) : l_(lowering), p_(lowering.program) {}

    void run() {
        const ir::Graph& g = l_.graph;
        p_.input_registers.assign(static_cast<std::size_t>(g.n_inputs), -1);
        p_.input_dtypes.assign(static_cast<std::size_t>(g.n_inputs), ir::DType::float64);
        for (std::size_t i = 0; i < g.nodes.size(); ++i)
            if (l_.region_of[i] >= 0) emit(static_cast<std::int32_t>(i));
        for (auto o : g.outputs) p_.output_registers.push_back(l_.home[static_cast<std::size_t>(o)]);
    }

   private:
    std::int32_t new_register(ir::DType t) {
        p_.registers.push_back({t});
        return static_cast<std::int32_t>(p_.registers.size() - 1);
    }

    // The register holding `node` as seen from `region`: its home, or an import chained through
    // the enclosing regions.
    std::int32_t reg_in(std::int32_t region, std::int32_t node) {
        if (l_.region_of[static_cast<std::size_t>(node)] == region) return l_.home[static_cast<std::size_t>(node)];
        auto key = std::make_pair(region, node);
        if (auto it = imported_.find(key); it != imported_.end()) return it->second;
        const std::int32_t outer = reg_in(p_.regions[static_cast<std::size_t>(region)].parent, node);
        const std::int32_t inner = new_register(l_.graph.nodes[static_cast<std::size_t>(node)].dtype);
        auto& r = p_.regions[static_cast<std::size_t>(region)];
        r.imports_outer.push_back(outer);
        r.imports_inner.push_back(inner);
        imported_[key] = inner;
        return inner;
    }

    void emit(std::int32_t i) {
        const Node& n = l_.graph.nodes[static_cast<std::size_t>(i)];
        const std::int32_t region = l_.region_of[static_cast<std::size_t>(i)];
        const std::int32_t dst = l_.home[static_cast<std::size_t>(i)] = new_register(n.dtype);
        const double cost = 0.1 * ir::info(n.op).cost;
        p_.cost_per_element += cost;
        for (std::int32_t r = region; r >= 0; r = p_.regions[static_cast<std::size_t>(r)].parent)
            p_.regions[static_cast<std::size_t>(r)].cost += cost;
        // Every op is listed, so that a new op fails to build until it is placed: the computing
        // ops all become one compute instruction with their kernel.
        switch (n.op) {
            case Op::input:
                p_.input_registers[static_cast<std::size_t>(n.value.as<std::int32_t>())] = dst;
                p_.input_dtypes[static_cast<std::size_t>(n.value.as<std::int32_t>())] = n.dtype;
                return;
            case Op::constant:
                p_.constants.emplace_back(dst, n.value);
                return;
            case Op::where:
                emit_where(i, n, region, dst);
                return;
            case Op::cast:
            case Op::negative:
            case Op::positive:
            case Op::absolute:
            case Op::square:
            case Op::reciprocal:
            case Op::sqrt:
            case Op::floor:
            case Op::ceil:
            case Op::trunc:
            case Op::rint:
            case Op::sign:
            case Op::logical_not:
            case Op::invert:
            case Op::isnan:
            case Op::isinf:
            case Op::isfinite:
            case Op::signbit:
            case Op::deg2rad:
            case Op::rad2deg:
            case Op::conjugate:
            case Op::real:
            case Op::imag:
            case Op::spacing:
            case Op::frexp_mantissa:
            case Op::frexp_exponent:
            case Op::sin:
            case Op::cos:
            case Op::tan:
            case Op::arcsin:
            case Op::arccos:
            case Op::arctan:
            case Op::sinh:
            case Op::cosh:
            case Op::tanh:
            case Op::arcsinh:
            case Op::arccosh:
            case Op::arctanh:
            case Op::exp:
            case Op::exp2:
            case Op::expm1:
            case Op::log:
            case Op::log2:
            case Op::log10:
            case Op::log1p:
            case Op::cbrt:
            case Op::add:
            case Op::subtract:
            case Op::multiply:
            case Op::divide:
            case Op::floor_divide:
            case Op::remainder:
            case Op::fmod:
            case Op::maximum:
            case Op::minimum:
            case Op::fmax:
            case Op::fmin:
            case Op::greater:
            case Op::greater_equal:
            case Op::less:
            case Op::less_equal:
            case Op::equal:
            case Op::not_equal:
            case Op::logical_and:
            case Op::logical_or:
            case Op::logical_xor:
            case Op::bitwise_and:
            case Op::bitwise_or:
            case Op::bitwise_xor:
            case Op::left_shift:
            case Op::right_shift:
            case Op::copysign:
            case Op::nextafter:
            case Op::heaviside:
            case Op::ldexp:
            case Op::power:
            case Op::arctan2:
            case Op::hypot:
            case Op::logaddexp:
            case Op::logaddexp2:
            case Op::count:  // not an op: the verifier rejects it before lowering
                if (n.op == Op::remainder && emit_remainder_from_quotient(i, n, region, dst)) return;
                emit_compute(n, region, dst);
                return;
        }
    }

    void emit_where(std::int32_t i, const Node& n, std::int32_t region, std::int32_t dst) {
        Instr w;
        w.kind = InstrKind::where;
        w.op = n.op;
        w.dst = dst;
        w.src[0] = reg_in(region, n.args[0]);
        const auto [t, f] = l_.branch_regions.at(i);
        const std::int32_t branch_region[2] = {t, f};
        for (int k = 0; k < 2; ++k) {
            const std::int32_t value = n.args[static_cast<std::size_t>(k + 1)];
            if (l_.region_of[static_cast<std::size_t>(value)] == branch_region[k]) {
                // The branch has code of its own: evaluate it only on the lanes that select it.
                w.region[k] = branch_region[k];
                auto& branch = p_.regions[static_cast<std::size_t>(branch_region[k])];
                branch.result = l_.home[static_cast<std::size_t>(value)];
            } else {
                w.src[k + 1] = reg_in(region, value);
            }
        }
        w.where_index = p_.n_where++;
        p_.regions[static_cast<std::size_t>(region)].code.push_back(w);
    }

    // An integer remainder(a, b) where floor_divide(a, b) is computed on every lane it is (in its
    // region or an enclosing one) is a - q b from that quotient: divmod divides once, not twice
    // (unsigned divmod took twice NumPy's time). Returns false, having emitted nothing, otherwise.
    bool emit_remainder_from_quotient(std::int32_t i, const Node& n, std::int32_t region, std::int32_t dst) {
        const ir::Graph& g = l_.graph;
        const eval::Kernel kernel = eval::find_remainder_from_quotient(n.dtype);
        if (!kernel) return false;
        for (std::int32_t j = 0; j < i; ++j) {
            const Node& q = g.nodes[static_cast<std::size_t>(j)];
            if (q.op != Op::floor_divide || q.args != n.args || q.dtype != n.dtype) continue;
            const std::int32_t q_region = l_.region_of[static_cast<std::size_t>(j)];
            std::int32_t r = region;
            while (r >= 0 && r != q_region) r = p_.regions[static_cast<std::size_t>(r)].parent;
            if (q_region < 0 || r < 0) continue;
            Instr c;
            c.op = n.op;
            c.dst = dst;
            c.kernel = kernel;
            c.chunk = eval::find_chunk_remainder_from_quotient(n.dtype);
            if (!c.chunk) p_.chunked = false;
            c.src[0] = reg_in(region, n.args[0]);
            c.src[1] = reg_in(region, n.args[1]);
            c.src[2] = reg_in(region, j);
            p_.regions[static_cast<std::size_t>(region)].code.push_back(c);
            return true;
        }
        return false;
    }

    void emit_compute(const Node& n, std::int32_t region, std::int32_t dst) {
        const ir::Graph& g = l_.graph;
        Instr c;
        c.op = n.op;
        c.dst = dst;
        const ir::DType operand = g.nodes[static_cast<std::size_t>(n.args[0])].dtype;
        const ir::DType second = n.arity() > 1 ? g.nodes[static_cast<std::size_t>(n.args[1])].dtype : n.dtype;
        c.kernel = eval::kernel_for(n.op, n.dtype, operand, second);
        c.chunk = eval::chunk_kernel_for(n.op, n.dtype, operand, second);
        if (!c.chunk) p_.chunked = false;
        if (!c.kernel)
            throw eval::NoKernel("ironkernel has no " + std::string(ir::info(n.op).name) + " kernel for " +
                                 std::string(ir::dtype_name(operand)));
        for (int k = 0; k < n.arity(); ++k) c.src[k] = reg_in(region, n.args[static_cast<std::size_t>(k)]);
        p_.regions[static_cast<std::size_t>(region)].code.push_back(c);
    }

    Lowering& l_;
    eval::Program& p_;
    std::map<std::pair<std::int32_t, std::int32_t>, std::int32_t> imported_;  // (region, node) -> its import there
};

}  // namespace

// Reads: the graph, region_of, branch_regions. Writes: home, and in the program the registers
// (one per placed node, one per import into a region), inputs, constants, each region's code,
// imports and result, where counts, costs, chunked and the output registers. Throws
// eval::NoKernel if an op has no kernel for its dtypes.
// Nodes are emitted in graph order, so every instruction comes after its operands' in its region
// and every register is written once per block.
void emit_instructions(Lowering& lowering) { Emission(lowering).run(); }

}  // namespace ik::passes
