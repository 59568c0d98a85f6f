// Fused reductions over one core dimension (gufuncs such as (n),(n)->() or (n)->(n)): running a
// plan (gufunc_plan.hpp) over NumPy's gufunc loop arguments, rows in parallel.
#pragma once

#include <cstddef>

#include "gufunc_plan.hpp"

namespace ik::eval {

// The gufunc inner loop body: dims[0] rows, dims[1] core elements, NumPy's gufunc step layout.
// Returns false when out of memory, as run(): the caller must raise MemoryError.
bool run_gufunc(const GufuncPlan& plan, char* const* args, const std::ptrdiff_t* dims,
                const std::ptrdiff_t* steps) noexcept;

}  // namespace ik::eval
