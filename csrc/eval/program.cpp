// The program listing shown by ik.explain.
#include "program.hpp"

#include <algorithm>

#include <atomic>

#include "streaming.hpp"

namespace ik::eval {
namespace {

// "r7". (Appending, not "r" + ...: GCC 12 warns falsely about the inlined operator+.)
std::string name_of(std::int32_t r) {
    std::string name = "r";
    name += std::to_string(r);
    return name;
}

std::string reg(const Program& p, std::int32_t r) {
    return name_of(r) + ":" + std::string(ir::dtype_name(p.registers[static_cast<std::size_t>(r)].dtype));
}

// A chain as the nested expression it computes: sqrt(absolute(r4)), add(multiply(r1, r0), r3),
// where(greater(r0, r3), r3, r0); values it stores first as "r9 = ...; ".
std::string chain_expression(const Instr& in) {
    static const char* const names[] = {"add",      "subtract", "multiply", "divide", "negative",
                                        "absolute", "square",   "sqrt",     "exp",    "sin"};
    static const char* const compares[] = {"greater", "greater_equal", "less", "less_equal", "equal", "not_equal"};
    std::string stored, value;  // stored: "r9 = ...; " per store step
    for (std::size_t k = 0; k < in.chain_steps.size(); ++k) {
        const ChainStep step = in.chain_steps[k];
        auto operand = [&](int j) { return in.chain_operands[step.arg + static_cast<std::size_t>(j)]; };
        std::string next;
        if (step.op == ChainOp::store) {
            stored += name_of(operand(0)) + " = " + value + "; ";
            next = "";
        } else if (step.op == ChainOp::load) {  // the first value, or the next one after a store
            next = name_of(operand(0));
            if (step.pre != ChainOp::none) next = std::string(names[static_cast<int>(step.pre)]) + "(" + next + ")";
        } else if (step.min_max) {  // where(a > b, b, a) as MIN(b, a): see ChainStep::min_max
            next = std::string(step.compare == ChainCompare::less ? "max(" : "min(") + name_of(operand(1)) + ", " +
                   value + ")";
        } else if (step.op == ChainOp::select) {
            const std::string t = name_of(operand(2));
            next = "where(" + std::string(compares[static_cast<int>(step.compare)]) + "(" + name_of(operand(0)) + ", " +
                   name_of(operand(1)) + "), " + (step.swapped ? value + ", " + t : t + ", " + value) + ")";
        } else {
            std::string other = name_of(operand(0));
            if (step.pre != ChainOp::none) other = std::string(names[static_cast<int>(step.pre)]) + "(" + other + ")";
            if (step.pair != ChainOp::none)
                other =
                    std::string(names[static_cast<int>(step.pair)]) + "(" + other + ", " + name_of(operand(1)) + ")";
            for (const Instr::SideMath& m : in.side_math)  // a math call inside the chain
                if (step.from_side && m.dst == operand(0))
                    other = std::string(ir::info(m.op).name) + "(" + name_of(m.src) + ")";
            next = names[static_cast<int>(step.op)];
            next += '(';
            next += operand(0) < 0 ? value : step.swapped ? other + ", " + value : value + ", " + other;
            next += ')';
            if (step.then != ChainOp::none) {  // the constant added or subtracted next
                const std::string c = name_of(operand(1));
                next = std::string(names[static_cast<int>(step.then)]) + "(" +
                       (step.then_swapped ? c + ", " + next : next + ", " + c) + ")";
            }
        }
        value = std::move(next);
    }
    return stored + value;
}

void list_region(const Program& p, std::int32_t index, int depth, std::string& out) {
    const Region& r = p.regions[static_cast<std::size_t>(index)];
    const std::string pad(static_cast<std::size_t>(2 * depth), ' ');
    for (std::size_t i = 0; i < r.imports_inner.size(); ++i)
        out += pad + "r" + std::to_string(r.imports_inner[i]) + " <- r" + std::to_string(r.imports_outer[i]) +
               " (selected lanes)\n";
    for (const Instr& in : r.code) {
        if (in.kind == InstrKind::chain) {
            out += pad + reg(p, in.dst) + " = fused " + chain_expression(in) + "\n";
            continue;
        }
        out += pad + reg(p, in.dst) + " = " + std::string(ir::info(in.op).name);
        if (in.kind == InstrKind::compute) {
            for (int k = 0; k < 3 && in.src[k] >= 0; ++k) out += (k ? ", r" : " r") + std::to_string(in.src[k]);
            out += "\n";
            continue;
        }
        out += " r" + std::to_string(in.src[0]) + " ? ";
        for (int k = 0; k < 2; ++k) {
            if (in.region[k] >= 0)
                out += "[lazy region " + std::to_string(in.region[k]) + "]";
            else
                out += name_of(in.src[k + 1]);
            out += k == 0 ? " : " : "\n";
        }
        if (in.chain) out += pad + "  (split chunks: fused " + chain_expression(in) + ")\n";
        for (int k = 0; k < 2; ++k) {
            if (in.region[k] < 0) continue;
            out +=
                pad + "  region " + std::to_string(in.region[k]) + (k == 0 ? " (where true):\n" : " (where false):\n");
            list_region(p, in.region[k], depth + 2, out);
            out += pad + "    -> r" + std::to_string(p.regions[static_cast<std::size_t>(in.region[k])].result) + "\n";
        }
    }
}

// The estimated compute of one element in vector code, weighed against the bytes moved:
// cost_per_element (ops' costs for 8-byte lanes) times the widest value's size over 8, as a vector
// of narrower values computes more elements at once (a float32 polynomial: half a float64 one's).
double vector_cost_per_element(const Program& p) {
    std::size_t widest = 1;
    for (const auto& r : p.registers) widest = std::max(widest, ir::itemsize(r.dtype));
    return p.cost_per_element * static_cast<double>(std::min<std::size_t>(widest, 8)) / 8.0;
}

}  // namespace

std::size_t bytes_per_element(const Program& p, const std::ptrdiff_t* steps) {
    std::size_t bytes = 0;
    for (const std::int32_t r : p.output_registers)
        bytes += ir::itemsize(p.registers[static_cast<std::size_t>(r)].dtype);
    for (std::size_t i = 0; i < p.input_dtypes.size(); ++i)
        if (p.input_registers[i] >= 0 && (!steps || steps[i] != 0)) bytes += ir::itemsize(p.input_dtypes[i]);
    return bytes;
}

bool streams_large_outputs(const Program& p, const std::ptrdiff_t* steps) {
    return memory_bound(vector_cost_per_element(p), bytes_per_element(p, steps));
}

std::string to_string(const Program& p) {
    std::string out;
    for (std::size_t i = 0; i < p.input_registers.size(); ++i)
        if (p.input_registers[i] >= 0) out += reg(p, p.input_registers[i]) + " = input " + std::to_string(i) + "\n";
    for (const auto& [r, value] : p.constants) out += reg(p, r) + " = constant\n";
    list_region(p, 0, 0, out);
    out += "outputs:";
    for (auto r : p.output_registers) out += " r" + std::to_string(r);
    out += "\nblock " + std::to_string(p.block) + " elements" +
           (p.chunked ? " (chunks of " + std::to_string(p.chunk) + ")" : "") + ", " +
           std::to_string(p.registers.size()) + " registers, ~" + std::to_string(p.cost_per_element).substr(0, 4) +
           " ns/element\n";
    if (p.direct)
        out += std::string("one op: its kernel runs straight over contiguous arrays (no blocks)") +
               (p.jit ? "; the machine code below writes the outputs it streams\n" : "\n");
    if (!p.jit_uncovered.empty()) out += "no machine code (the evaluators run it): " + p.jit_uncovered + "\n";
    if (p.jit) {
        const std::string us = std::to_string(p.jit->compile_us);
        out += "jit: " + std::to_string(p.jit->instructions) + " instructions, compiled in " +
               us.substr(0, us.find('.') + 2) + " µs (AVX-512, " + std::to_string(p.jit->unroll) +
               " vectors per step, " + std::to_string(p.jit->code_bytes) +
               " bytes): runs straight over contiguous arrays" +
               (p.jit->broadcast.empty()
                    ? ""
                    : " and stride-0 inputs (" + std::to_string(p.jit->broadcast.size()) + " patterns)") +
               (p.jit->checks_flags ? "; math routines called unchecked, a piece that raises a flag runs again in the "
                                      "evaluators"
                                    : "") +
               (streams_large_outputs(p)
                    ? ", streaming outputs over " + std::to_string(streaming_threshold_bytes() >> 20) +
                          " MiB past the caches (non-temporal stores)\n"
                    : "\n");
    }
    return out;
}

std::uint64_t Program::next_layout_id() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace ik::eval
