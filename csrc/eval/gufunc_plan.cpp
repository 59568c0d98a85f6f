// Facts about a gufunc plan that its runners (gufunc.cpp, short_rows.cpp) share.
#include "gufunc_plan.hpp"

namespace ik::eval {

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
