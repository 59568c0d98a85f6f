// Facts about a gufunc plan: what its runners (gufunc.cpp, short_rows.cpp) share, its words.
#include "gufunc_plan.hpp"

namespace ik::eval {

std::string_view reduce_name(Reduce kind) {
    switch (kind) {
#define IK_X(name)     \
    case Reduce::name: \
        return #name;
        IK_REDUCTIONS(IK_X)
#undef IK_X
    }
    return "?";
}

std::string_view empty_row_error(Reduce kind) {
    switch (kind) {
        case Reduce::max:
            return "zero-size array to reduction operation maximum which has no identity";
        case Reduce::min:
            return "zero-size array to reduction operation minimum which has no identity";
        case Reduce::argmax:
            return "attempt to get argmax of an empty sequence";
        case Reduce::argmin:
            return "attempt to get argmin of an empty sequence";
        case Reduce::sum:
        case Reduce::sequential_sum:
        case Reduce::prod:
        case Reduce::any:
        case Reduce::all:
            return "";
    }
    return "";
}

std::vector<std::string> describe_inputs(const Stage& stage) {
    std::vector<std::string> sources;
    for (const StageInput& i : stage.inputs)
        sources.push_back((i.kind == StageInput::vector_input ? "gufunc input " : "row value t") +
                          std::to_string(i.index));
    return sources;
}

std::vector<std::string> describe_outputs(const Stage& stage) {
    std::vector<std::string> targets;
    for (const StageOutput& o : stage.outputs) {
        const std::string slot = "row value t" + std::to_string(o.index);
        switch (o.kind) {
            case StageOutput::reduce_into_table:
                targets.push_back(std::string(reduce_name(o.reduce)) + " into " + slot);
                break;
            case StageOutput::table:
                targets.push_back(slot);
                break;
            case StageOutput::vector_output:
                targets.push_back("gufunc output " + std::to_string(o.index));
                break;
        }
    }
    return targets;
}

std::vector<std::ptrdiff_t> core_steps(const GufuncPlan& plan, const std::ptrdiff_t* steps) {
    const int nargs = plan.nin + plan.nout;
    std::vector<std::ptrdiff_t> core(static_cast<std::size_t>(nargs), 0);
    std::size_t k = static_cast<std::size_t>(nargs);
    for (int i = 0; i < nargs; ++i) {
        const bool has_core = i < plan.nin ? plan.input_has_core[static_cast<std::size_t>(i)]
                                           : plan.output_has_core[static_cast<std::size_t>(i - plan.nin)];
        if (has_core) core[static_cast<std::size_t>(i)] = steps[k++];
    }
    return core;
}

}  // namespace ik::eval
