// Gufunc bodies that are one reduction of an input (np.sum(x), np.argmax(x), np.any(x), ...):
// rows reduced straight from the operand's memory, without the evaluator or chunk copies.
#pragma once

#include <cstddef>

#include "eval/gufunc/gufunc_plan.hpp"

namespace ik::eval {

// Sets plan.direct if the plan's pass is one reduction of an input with a direct loop (not of
// float16 or complex values, not prod or the sequential sum: those take the evaluator's path), and
// then the plan's cost per element to that of reading one: the pass's program costs nothing.
void set_direct_reduction(GufuncPlan& plan);

// Whether reduce_rows can run rows of n elements (n >= 1) at these byte steps: aligned for the
// source dtype, and (a float sum) NumPy sums such a row pairwise as a whole.
bool direct_reduction_runs(const DirectReduction& d, const char* data, std::ptrdiff_t row_step, std::ptrdiff_t n,
                           std::ptrdiff_t step);

// Reduces `rows` rows of n elements: element i of row r at data + r * row_step + i * step; the
// result of row r (of the reduction's result dtype: int64 for argmax/argmin) at out + r * out_step.
// The results have the bits of NumPy's np.<kind> of each row: sums pairwise as NumPy sums a row
// (whatever the steps), max/min and argmax/argmin as the evaluator's path (first NaN wins; ties
// keep the first). Rows whose neighbours lie closer than their elements (a transposed view) are
// reduced side by side, a block of rows per element, as NumPy reduces over a leading axis.
void reduce_rows(const DirectReduction& d, const char* data, std::ptrdiff_t rows, std::ptrdiff_t row_step,
                 std::ptrdiff_t n, std::ptrdiff_t step, char* out, std::ptrdiff_t out_step);

}  // namespace ik::eval
