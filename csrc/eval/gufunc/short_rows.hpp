// Gufunc calls whose rows are shorter than a chunk, evaluated a group of rows at a time.
#pragma once

#include <cstddef>

#include "gufunc_plan.hpp"

namespace ik::eval {

// Runs the whole call (NumPy's gufunc loop arguments) and returns true, or returns false without
// doing anything when rows are long enough (n >= chunk), empty, or there is only one.
bool run_short_rows(const GufuncPlan& plan, char* const* args, const std::ptrdiff_t* dims, const std::ptrdiff_t* steps,
                    std::ptrdiff_t chunk, int threads);

}  // namespace ik::eval
