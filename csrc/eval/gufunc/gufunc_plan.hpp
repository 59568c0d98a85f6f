// The plan of a gufunc (signatures such as (n),(n)->() or (n)->(n)): element-wise programs run in
// passes over each row, with reductions folded between passes. Data only: gufunc.hpp runs it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eval/program.hpp"

namespace ik::eval {

// The reductions of a row, in their stable numbering (Python reads it through _core). sequential_sum
// adds the values one after the other from +0, as NumPy's float16 np.dot does (sum is pairwise, as
// np.sum); its chunks must be reduced in row order.
#define IK_REDUCTIONS(X) X(sum) X(prod) X(max) X(min) X(any) X(all) X(argmax) X(argmin) X(sequential_sum)

enum class Reduce : std::uint8_t {
#define IK_X(name) name,
    IK_REDUCTIONS(IK_X)
#undef IK_X
};

// The reduction's name above ("sum", "argmax"), for ik.explain and _core.
std::string_view reduce_name(Reduce kind);
// NumPy's error for this reduction of an empty row when it has no identity (max, argmax, ...);
// empty if it has one.
std::string_view empty_row_error(Reduce kind);

// Where a stage reads or writes a value. Row values ("table" slots) are the scalars of one row:
// scalar inputs, the core length, reduction results and scalars computed from them.
struct StageInput {
    enum Kind : std::uint8_t { vector_input, table } kind;
    std::int32_t index;  // gufunc input, or table slot
};
struct StageOutput {
    enum Kind : std::uint8_t { reduce_into_table, table, vector_output } kind;
    std::int32_t index;  // table slot, or gufunc output
    Reduce reduce = Reduce::sum;
    ir::DType value_dtype = ir::DType::float64;  // reduce_into_table: of the reduced values (argmax: not the table's)
};

struct Stage {
    bool pass = false;  // a pass runs over the row's core elements; otherwise one element
    std::shared_ptr<const Program> program;
    std::vector<StageInput> inputs;    // one per program input
    std::vector<StageOutput> outputs;  // one per program output
};

// A plan whose one pass reads gufunc input `input` and reduces it, as it is or cast to value
// (np.sum of int8 sums int64, np.mean of int32 sums float64, np.any of floats reduces x != 0):
// its rows are reduced straight from the operand (direct_reduce.hpp).
struct DirectReduction {
    std::size_t stage;  // the pass among the plan's stages
    Reduce kind;
    ir::DType source, value;  // the input's dtype; the dtype reduced (the cast's, or source)
    int input;
};

// NumPy's most operands of a ufunc (NPY_MAXARGS in NumPy 2): a plan has at most this many inputs
// and outputs together, so that a row's operand pointers fit in a fixed array.
constexpr int max_operands = 64;

struct GufuncPlan {
    int nin = 0, nout = 0;
    std::vector<bool> input_has_core, output_has_core;
    std::vector<ir::DType> table;           // dtype of each row value
    std::vector<std::int32_t> input_slot;   // per input without core dimension: its table slot (-1 otherwise)
    std::vector<std::int32_t> output_slot;  // per output without core dimension: the table slot it copies
    std::int32_t length_slot = -1;          // the core length as int64, if the body uses it
    std::vector<Stage> stages;
    double cost_per_element = 0;  // of all passes, for threading
    // Non-empty when a reduction has no identity (max, argmax, ...): NumPy's error for empty rows.
    std::string empty_row_error;
    std::optional<DirectReduction> direct;  // set by set_direct_reduction
};

// What a stage reads and writes, in words, for ik.explain: per program input its source ("gufunc
// input 0", "row value t2"), per program output its target ("sum into row value t1").
std::vector<std::string> describe_inputs(const Stage& stage);
std::vector<std::string> describe_outputs(const Stage& stage);

// NumPy's gufunc loop steps are one outer step per operand, then one core step per operand that
// has the core dimension, in operand order. The core step of every operand (0 for those without).
std::vector<std::ptrdiff_t> core_steps(const GufuncPlan& plan, const std::ptrdiff_t* steps);

}  // namespace ik::eval
