// Making a gufunc plan from its description, checked (see make_plan.hpp).
#include "make_plan.hpp"

#include <string>

#include "eval/direct/direct_reduce.hpp"

namespace ik::eval {
namespace {

void check(bool holds, const std::string& what) {
    if (!holds) throw InvalidPlan("invalid gufunc plan: " + what);
}

bool slot_or_none(int slot, std::size_t slots) {
    return slot == -1 || (slot >= 0 && static_cast<std::size_t>(slot) < slots);
}
bool index_in(int index, std::size_t size) { return index >= 0 && static_cast<std::size_t>(index) < size; }

constexpr int reduction_count = 0
#define IK_X(name) +1
    IK_REDUCTIONS(IK_X)
#undef IK_X
    ;

Stage make_stage(const StageSpec& spec, const GufuncPlan& plan, std::size_t k) {
    const std::string which = "stage " + std::to_string(k) + ": ";
    check(spec.program != nullptr, which + "no program");
    const Program& program = *spec.program;
    check(spec.inputs.size() == static_cast<std::size_t>(program.n_inputs), which + "not one source per program input");
    check(spec.outputs.size() == program.output_registers.size(), which + "not one target per program output");
    Stage stage;
    stage.pass = spec.pass;
    stage.program = spec.program;
    for (const auto& [kind, index] : spec.inputs) {
        if (kind == StageInput::vector_input)
            check(index_in(index, static_cast<std::size_t>(plan.nin)), which + "no such gufunc input");
        else
            check(kind == StageInput::table && index_in(index, plan.table.size()), which + "bad source");
        stage.inputs.push_back({static_cast<StageInput::Kind>(kind), index});
    }
    for (std::size_t j = 0; j < spec.outputs.size(); ++j) {
        const auto& [kind, index, reduce] = spec.outputs[j];
        if (kind == StageOutput::vector_output)
            check(index_in(index, static_cast<std::size_t>(plan.nout)), which + "no such gufunc output");
        else
            check((kind == StageOutput::reduce_into_table || kind == StageOutput::table) &&
                      index_in(index, plan.table.size()),
                  which + "bad target");
        check(reduce >= 0 && reduce < reduction_count, which + "unknown reduction");
        const auto value_dtype = program.registers[static_cast<std::size_t>(program.output_registers[j])].dtype;
        stage.outputs.push_back(
            {static_cast<StageOutput::Kind>(kind), index, static_cast<Reduce>(reduce), value_dtype});
    }
    return stage;
}

}  // namespace

std::shared_ptr<GufuncPlan> make_plan(const PlanSpec& spec) {
    check(spec.nin >= 0 && spec.nout >= 1 && spec.nin + spec.nout <= max_operands, "bad operand count");
    check(spec.input_has_core.size() == static_cast<std::size_t>(spec.nin) &&
              spec.input_slot.size() == spec.input_has_core.size(),
          "not one entry per input");
    check(spec.output_has_core.size() == static_cast<std::size_t>(spec.nout) &&
              spec.output_slot.size() == spec.output_has_core.size(),
          "not one entry per output");
    auto plan = std::make_shared<GufuncPlan>();
    plan->nin = spec.nin;
    plan->nout = spec.nout;
    plan->input_has_core = spec.input_has_core;
    plan->output_has_core = spec.output_has_core;
    for (const int code : spec.table) {
        const auto dtype = static_cast<ir::DType>(code);
        check(code >= 0 && ir::is_valid(dtype), "bad dtype in the table");
        plan->table.push_back(dtype);
    }
    for (const int slot : spec.input_slot)
        check(slot_or_none(slot, plan->table.size()), "an input's slot is not in the table");
    for (const int slot : spec.output_slot)
        check(slot_or_none(slot, plan->table.size()), "an output's slot is not in the table");
    check(slot_or_none(spec.length_slot, plan->table.size()), "the length's slot is not in the table");
    plan->input_slot.assign(spec.input_slot.begin(), spec.input_slot.end());
    plan->output_slot.assign(spec.output_slot.begin(), spec.output_slot.end());
    plan->length_slot = spec.length_slot;
    for (std::size_t k = 0; k < spec.stages.size(); ++k) {
        Stage stage = make_stage(spec.stages[k], *plan, k);
        for (const StageOutput& o : stage.outputs)
            if (o.kind == StageOutput::reduce_into_table && plan->empty_row_error.empty())
                plan->empty_row_error = empty_row_error(o.reduce);
        if (stage.pass) plan->cost_per_element += stage.program->cost_per_element;
        plan->stages.push_back(std::move(stage));
    }
    set_direct_reduction(*plan);
    return plan;
}

}  // namespace ik::eval
