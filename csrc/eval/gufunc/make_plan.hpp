// Making a gufunc plan from the description _gufunc.py computes (the stages of a typed body),
// checking its numbers first: every kind known, every index inside what it indexes.
#pragma once

#include <memory>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "gufunc_plan.hpp"

namespace ik::eval {

// A description that is not a plan (an index out of range, an unknown kind, a stage that does not
// fit its program). Its message says what is wrong; the binding raises it as ValueError.
struct InvalidPlan : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// One stage as numbers: (StageInput::Kind, index) per program input, (StageOutput::Kind, index,
// Reduce) per program output; the fields of Stage otherwise.
struct StageSpec {
    bool pass = false;
    std::shared_ptr<const Program> program;
    std::vector<std::pair<int, int>> inputs;
    std::vector<std::tuple<int, int, int>> outputs;
};

// The fields of GufuncPlan that the caller decides, as numbers (table: ir::DType codes).
struct PlanSpec {
    int nin = 0, nout = 0;
    std::vector<bool> input_has_core, output_has_core;
    std::vector<int> table;
    std::vector<int> input_slot, output_slot;
    int length_slot = -1;
    std::vector<StageSpec> stages;
};

// The plan, with what follows from the spec filled in: each reduction's value dtype, NumPy's
// error for empty rows, the cost per element, the direct reduction. Throws InvalidPlan.
std::shared_ptr<GufuncPlan> make_plan(const PlanSpec& spec);

}  // namespace ik::eval
