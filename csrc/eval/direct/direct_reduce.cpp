// One-reduction gufunc bodies, reduced straight from the operand: which plans are, and the call
// of the loops (direct_reduce_impl.inc, compiled per instruction set with the kernels).
#include "direct_reduce.hpp"

#include <algorithm>
#include <cfenv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <type_traits>
#include <vector>

#include "eval/kernels/kernels.hpp"
#include "eval/gufunc/reduce.hpp"

namespace ik::eval {
namespace {

bool has_direct_loop(ir::DType t) { return t != ir::DType::float16 && !ir::is_complex(t) && ir::is_valid(t); }

}  // namespace

namespace {

std::optional<DirectReduction> find_direct_reduction(const GufuncPlan& plan) {
    std::optional<std::size_t> pass;
    for (std::size_t s = 0; s < plan.stages.size(); ++s)
        if (plan.stages[s].pass) {
            if (pass) return std::nullopt;
            pass = s;
        }
    if (!pass) return std::nullopt;
    const Stage& stage = plan.stages[*pass];
    if (stage.inputs.size() != 1 || stage.inputs[0].kind != StageInput::vector_input || stage.outputs.size() != 1 ||
        stage.outputs[0].kind != StageOutput::reduce_into_table)
        return std::nullopt;
    const Program& program = *stage.program;
    if (program.regions.size() != 1 || !program.constants.empty() || program.input_registers.size() != 1 ||
        program.output_registers.size() != 1)
        return std::nullopt;
    const std::int32_t in = program.input_registers[0], result = program.output_registers[0];
    const std::vector<Instr>& code = program.regions[0].code;
    const bool as_is = code.empty() && in == result;
    const bool cast = code.size() == 1 && code[0].kind == InstrKind::compute && code[0].op == ir::Op::cast &&
                      code[0].src[0] == in && code[0].dst == result;
    if (in < 0 || !(as_is || cast)) return std::nullopt;
    const StageOutput& out = stage.outputs[0];
    DirectReduction d{*pass, out.reduce, program.registers[static_cast<std::size_t>(in)].dtype, out.value_dtype,
                      stage.inputs[0].index};
    if (!has_direct_loop(d.source) || !has_direct_loop(d.value)) return std::nullopt;
    const bool whole = ir::is_int(d.source) || d.source == ir::DType::bool_;
    switch (d.kind) {
        case Reduce::sum:
            if (d.value == d.source && d.source != ir::DType::bool_) return d;
            if (whole && (d.value == ir::DType::int64 || d.value == ir::DType::uint64 || d.value == ir::DType::float64))
                return d;
            return std::nullopt;
        case Reduce::max:
        case Reduce::min:
        case Reduce::argmax:
        case Reduce::argmin:
            if (d.value == d.source) return d;
            return std::nullopt;
        case Reduce::any:
        case Reduce::all:
            if (d.value == ir::DType::bool_) return d;
            return std::nullopt;
        case Reduce::prod:            // NumPy's product of a contiguous row is not in row order
        case Reduce::sequential_sum:  // float16 np.dot only
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

void set_direct_reduction(GufuncPlan& plan) {
    plan.direct = find_direct_reduction(plan);
    // The threads' threshold weighs work in ns per element: about a read from memory.
    if (plan.direct) plan.cost_per_element = std::max(plan.cost_per_element, 0.2);
}

bool direct_reduction_runs(const DirectReduction& d, const char* data, std::ptrdiff_t row_step, std::ptrdiff_t n,
                           std::ptrdiff_t step) {
    if (n < 1) return false;
    const auto align = static_cast<std::ptrdiff_t>(ir::itemsize(d.source));
    if (reinterpret_cast<std::uintptr_t>(data) % static_cast<std::uintptr_t>(align) != 0 || row_step % align != 0 ||
        step % align != 0)
        return false;
    // NumPy 1.26 sums a row in buffers (numpy_sum_block): the evaluator's path follows them.
    const std::ptrdiff_t block = numpy_sum_block();
    return !(d.kind == Reduce::sum && ir::is_float(d.value) && block > 0 && n > block);
}

void reduce_rows(const DirectReduction& d, const char* data, std::ptrdiff_t rows, std::ptrdiff_t row_step,
                 std::ptrdiff_t n, std::ptrdiff_t step, char* out, std::ptrdiff_t out_step) {
    // Extrema compare NaNs with < and >, which raise the invalid flag; NumPy's np.max raises none.
    const bool comparing =
        d.kind != Reduce::sum && d.kind != Reduce::any && d.kind != Reduce::all && ir::is_float(d.source);
    std::fexcept_t flags;
    if (comparing) std::fegetexceptflag(&flags, FE_ALL_EXCEPT);
    reduce_rows_kernel(d.kind, d.source, d.value, data, rows, row_step, n, step, out, out_step);
    if (comparing) std::fesetexceptflag(&flags, FE_ALL_EXCEPT);
}

}  // namespace ik::eval
