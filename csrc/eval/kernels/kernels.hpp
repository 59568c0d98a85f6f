// Typed kernels: one tight loop per (op, dtype) over contiguous block registers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ir/dtype.hpp"
#include "ir/op.hpp"

namespace ik::eval {

// in[k] points at operand k's n elements; out receives n elements of the op's result dtype.
using Kernel = void (*)(const void* const* in, void* out, std::ptrdiff_t n);

// The same loop over a chunk of chunk_size elements (the chunked evaluator's unit of work).
using ChunkKernel = void (*)(const void* const* in, void* out);
inline constexpr std::ptrdiff_t chunk_size = 256;
// The chunk of a program whose chunks run chains only (Program::chunk): chains keep their values
// in registers, so a longer chunk costs no first-level cache and spreads the per-chunk work
// (pointers, the flag check, dispatch) over more elements. Measured at 1M elements, 2 threads:
// single-chain programs 7-32% faster than with chunks of 256; programs with passes between
// registers (logistic) 9% slower at 10M, so those keep chunk_size.
inline constexpr std::ptrdiff_t chain_chunk_size = 1024;

// A vector routine V (*)(V) of the chain kernels' vectors (simd::MathTable::VectorRoutine).
using ChainRoutine = void (*)();

// A chain: float ops of one dtype each consuming the previous one's result, run with the
// intermediate values in vector registers instead of a pass over memory per op. Step 0 (load)
// starts the value as its operand; a later step makes the value op(value, x), or op(x, value)
// when swapped, or op(value) for unary ops (no operand), where x is the operand or pre(operand)
// for a step with a unary `pre` (y * y in x * x + y * y). A select step reads three operands
// a, b, t and makes the value (a compare b) ? t : value, or (a compare b) ? value : t when
// swapped: a where whose condition is a quiet comparison. A scalar operand holds one value at
// every element (a constant's register): a step reads one vector of it, not one per element (a
// scalar select: b and t both).
// A math call (sin, exp, ...) can join a chain as a pair of steps: a square root step also
// computes side = f(its extra operand), vector by vector, with the vector routine `side`, and
// the next step takes side as its x (`from_side`). The call then runs in the multiply-add units
// while the square root of the same vector is in the divider, as in a hand-written loop; as a
// pass of its own, the two would take turns. Vector routines may raise flags NumPy would not,
// so only the chunked evaluator, which checks each chunk's flags and runs it again exactly,
// uses these steps (see Instr::exact_steps).
// A select that keeps the smaller or larger of its b and the value (min_max) runs as the x86
// MIN/MAX instruction: where(x > b, b, x) is MIN(b, x) bit for bit (for NaN and equal values
// both give x), one instruction for a compare and a blend. MIN/MAX raise invalid for a quiet
// NaN, which NumPy's where does not, so these steps too are for the chunked evaluator only
// (Instr::exact_steps has the select).
// A store step writes the value to its operand, a register that later steps may read, and the
// next step loads a new value: one chain computes several values, a tile of each in turn, so
// the work of one overlaps another's in the CPU (a square root in the divider while products
// of the next value run in the multiply units), which one chain after the other cannot.
// A multiply step may go on to add or subtract a constant (then): value * x + c, c + value * x,
// value * x - c or c - value * x. The Horner step of a polynomial, ((a * x + b) * x + c) * x ...,
// is then one step instead of two: half the dispatches, and a tile's multiplies and adds
// interleave in the multiply and add units instead of taking turns.
// An exp or sin step (where the chain kernels have them inline, chain_inlines) computes
// exp(value) or sin(value) in registers with the math table's own AVX2 routine, inlined.
// Arguments beyond the inline routine's range raise a flag, so the chunk runs again exactly,
// where the step applies the math instruction's kernel (`math`) to the tile: NumPy's flags, the
// same bits.
// IEEE operations each rounded as alone: the same bits and flags as the ops one by one.
enum class ChainOp : std::uint8_t {
    add,
    subtract,
    multiply,
    divide,
    negative,
    absolute,
    square,
    sqrt,
    exp,
    sin,
    load,
    select,
    store,
    none
};
constexpr bool is_inline_math(ChainOp op) { return op == ChainOp::exp || op == ChainOp::sin; }
enum class ChainCompare : std::uint8_t { greater, greater_equal, less, less_equal, equal, not_equal };
struct ChainStep {
    ChainOp op;
    bool swapped = false;
    ChainOp pre = ChainOp::none;                   // a unary op applied to the operand first, or none
    bool scalar = false;                           // the operand is one value repeated (see above)
    ChainCompare compare = ChainCompare::greater;  // select: the comparison
    bool from_side = false;                        // x is the previous step's side value
    // x is (operand pair second operand), a binary op of two registers (c * d in a * b + c * d),
    // or none. Each op is rounded alone, as everywhere in a chain.
    ChainOp pair = ChainOp::none;
    // Set when the chain is made: the loop that runs this step (chain_code) and the index of its
    // first operand among the chain's operands (chain_arity entries per step).
    std::uint8_t code = 0, arg = 0;
    ChainRoutine side = nullptr;  // sqrt: the vector routine computing side from its second operand
    // sqrt with side: exp or sin when the chain kernels compute the side inline (chain_inlines),
    // as an exp or sin step does, instead of calling `side` (which the scalar tail still calls:
    // the same bits); none otherwise.
    ChainOp side_inline = ChainOp::none;
    // select (greater or less, not swapped, t the same register as b): computed as MIN(b, value)
    // or MAX(b, value) (see above). Set by lowering, which checks it is exact.
    bool min_max = false;
    // multiply (not with pre, pair or side): then value = value then c, or c then value when
    // then_swapped, for add or subtract and c the step's second operand, a constant (see above).
    ChainOp then = ChainOp::none;
    bool then_swapped = false;
    // exp or sin in the exact form (Instr::exact_steps): the math instruction's Kernel, applied
    // to the tile in memory. nullptr: inline.
    ChainRoutine math = nullptr;
};
// How a step reads its operand; with the op and side, it picks the step's loop in a chain kernel.
enum class ChainOperand : std::uint8_t { memory, scalar, with_pre, with_pair };
// The step loops of the chain kernels, one per code, from the table chain_codes.def.
enum class ChainCode : std::uint8_t {
#define IK_CHAIN_CODE(name, needs) name,
#include "eval/chains/chain_codes.def"
#undef IK_CHAIN_CODE
};
inline constexpr std::size_t chain_codes = 0  // + 1 per row
#define IK_CHAIN_CODE(name, needs) +1
#include "eval/chains/chain_codes.def"
#undef IK_CHAIN_CODE
    ;
constexpr std::uint8_t code_of(ChainCode code) { return static_cast<std::uint8_t>(code); }
// Codes within a group of the table, from the group's first row (checked below).
constexpr std::uint8_t chain_load_code(ChainOperand kind) {
    return static_cast<std::uint8_t>(code_of(ChainCode::load_memory) + static_cast<int>(kind));
}
constexpr std::uint8_t chain_unary_code(ChainOp op) {
    const int index = static_cast<int>(op) - static_cast<int>(ChainOp::negative);
    return static_cast<std::uint8_t>(code_of(ChainCode::negative) + index);
}
constexpr std::uint8_t chain_binary_code(ChainOp op, bool swapped, ChainOperand kind) {
    return static_cast<std::uint8_t>(code_of(ChainCode::add_memory) + (static_cast<int>(op) * 2 + swapped) * 4 +
                                     static_cast<int>(kind));
}
constexpr std::uint8_t chain_select_code(ChainCompare compare, bool swapped) {
    return static_cast<std::uint8_t>(code_of(ChainCode::select_greater) + static_cast<int>(compare) * 2 + swapped);
}
// A square root computing a side value, and binary steps reading it.
inline constexpr std::uint8_t chain_sqrt_with_side_code = code_of(ChainCode::sqrt_with_side);
constexpr std::uint8_t chain_from_side_code(ChainOp op, bool swapped) {
    return static_cast<std::uint8_t>(code_of(ChainCode::add_from_side) + static_cast<int>(op) * 2 + swapped);
}
// A select as MIN (greater) or MAX (less), see min_max.
constexpr std::uint8_t chain_min_max_code(ChainCompare compare) {
    return static_cast<std::uint8_t>(code_of(ChainCode::min_max_greater) + (compare == ChainCompare::less));
}
inline constexpr std::uint8_t chain_store_code = code_of(ChainCode::store_step);
// A multiply that goes on to add or subtract a constant (ChainStep::then), x from memory or a
// constant.
constexpr std::uint8_t chain_multiply_then_code(const ChainStep& step) {
    return static_cast<std::uint8_t>(code_of(ChainCode::multiply_memory_then_add) + step.scalar * 8 + step.swapped * 4 +
                                     (step.then == ChainOp::subtract) * 2 + step.then_swapped);
}
// exp and sin inline, and either by its kernel (ChainStep::math).
inline constexpr std::uint8_t chain_exp_code = code_of(ChainCode::exp_step);
inline constexpr std::uint8_t chain_sin_code = code_of(ChainCode::sin_step);
inline constexpr std::uint8_t chain_math_by_kernel_code = code_of(ChainCode::math_by_kernel);
// A square root with an exp or sin side computed inline (ChainStep::side_inline).
constexpr std::uint8_t chain_sqrt_with_inline_side_code(ChainOp op) {
    return code_of(op == ChainOp::sin ? ChainCode::sqrt_with_sin_side : ChainCode::sqrt_with_exp_side);
}
// Every code the functions above give is the row of that name in chain_codes.def.
namespace chain_code_checks {
constexpr bool step_is(std::uint8_t code, ChainCode row) { return code == code_of(row); }
static_assert(step_is(chain_load_code(ChainOperand::memory), ChainCode::load_memory) &&
              step_is(chain_load_code(ChainOperand::scalar), ChainCode::load_scalar) &&
              step_is(chain_load_code(ChainOperand::with_pre), ChainCode::load_with_pre));
static_assert(step_is(chain_unary_code(ChainOp::negative), ChainCode::negative) &&
              step_is(chain_unary_code(ChainOp::absolute), ChainCode::absolute) &&
              step_is(chain_unary_code(ChainOp::square), ChainCode::square) &&
              step_is(chain_unary_code(ChainOp::sqrt), ChainCode::sqrt));
#define IK_CHECK_BINARY(OP, SWAPPED, NAME)                                                                       \
    static_assert(                                                                                               \
        step_is(chain_binary_code(ChainOp::OP, SWAPPED, ChainOperand::memory), ChainCode::NAME##_memory) &&      \
        step_is(chain_binary_code(ChainOp::OP, SWAPPED, ChainOperand::scalar), ChainCode::NAME##_scalar) &&      \
        step_is(chain_binary_code(ChainOp::OP, SWAPPED, ChainOperand::with_pre), ChainCode::NAME##_with_pre) &&  \
        step_is(chain_binary_code(ChainOp::OP, SWAPPED, ChainOperand::with_pair), ChainCode::NAME##_with_pair)); \
    static_assert(step_is(chain_from_side_code(ChainOp::OP, SWAPPED), ChainCode::NAME##_from_side));
IK_CHECK_BINARY(add, false, add)
IK_CHECK_BINARY(add, true, add_swapped)
IK_CHECK_BINARY(subtract, false, subtract)
IK_CHECK_BINARY(subtract, true, subtract_swapped)
IK_CHECK_BINARY(multiply, false, multiply)
IK_CHECK_BINARY(multiply, true, multiply_swapped)
IK_CHECK_BINARY(divide, false, divide)
IK_CHECK_BINARY(divide, true, divide_swapped)
#undef IK_CHECK_BINARY
#define IK_CHECK_SELECT(COMPARE)                                                                           \
    static_assert(step_is(chain_select_code(ChainCompare::COMPARE, false), ChainCode::select_##COMPARE) && \
                  step_is(chain_select_code(ChainCompare::COMPARE, true), ChainCode::select_##COMPARE##_swapped));
IK_CHECK_SELECT(greater)
IK_CHECK_SELECT(greater_equal)
IK_CHECK_SELECT(less)
IK_CHECK_SELECT(less_equal)
IK_CHECK_SELECT(equal)
IK_CHECK_SELECT(not_equal)
#undef IK_CHECK_SELECT
static_assert(step_is(chain_min_max_code(ChainCompare::greater), ChainCode::min_max_greater) &&
              step_is(chain_min_max_code(ChainCompare::less), ChainCode::min_max_less));
constexpr std::uint8_t then_code(bool scalar, bool swapped, ChainOp then, bool then_swapped) {
    ChainStep step{ChainOp::multiply, swapped};
    step.scalar = scalar;
    step.then = then;
    step.then_swapped = then_swapped;
    return chain_multiply_then_code(step);
}
#define IK_CHECK_THEN(SCALAR, SWAPPED, NAME)                                                              \
    static_assert(                                                                                        \
        step_is(then_code(SCALAR, SWAPPED, ChainOp::add, false), ChainCode::NAME##_then_add) &&           \
        step_is(then_code(SCALAR, SWAPPED, ChainOp::add, true), ChainCode::NAME##_then_add_swapped) &&    \
        step_is(then_code(SCALAR, SWAPPED, ChainOp::subtract, false), ChainCode::NAME##_then_subtract) && \
        step_is(then_code(SCALAR, SWAPPED, ChainOp::subtract, true), ChainCode::NAME##_then_subtract_swapped));
IK_CHECK_THEN(false, false, multiply_memory)
IK_CHECK_THEN(false, true, multiply_swapped_memory)
IK_CHECK_THEN(true, false, multiply_scalar)
IK_CHECK_THEN(true, true, multiply_swapped_scalar)
#undef IK_CHECK_THEN
}  // namespace chain_code_checks
constexpr std::uint8_t chain_code(const ChainStep& step, bool has_operand) {
    const ChainOperand kind = step.pair != ChainOp::none  ? ChainOperand::with_pair
                              : step.pre != ChainOp::none ? ChainOperand::with_pre
                              : step.scalar               ? ChainOperand::scalar
                                                          : ChainOperand::memory;
    if (step.op == ChainOp::load) return chain_load_code(kind);
    if (step.op == ChainOp::store) return chain_store_code;
    if (step.op == ChainOp::select)
        return step.min_max ? chain_min_max_code(step.compare) : chain_select_code(step.compare, step.swapped);
    if (is_inline_math(step.op))
        return step.math ? chain_math_by_kernel_code : step.op == ChainOp::exp ? chain_exp_code : chain_sin_code;
    if (step.side)
        return step.side_inline != ChainOp::none ? chain_sqrt_with_inline_side_code(step.side_inline)
                                                 : chain_sqrt_with_side_code;
    if (step.from_side) return chain_from_side_code(step.op, step.swapped);
    if (step.then != ChainOp::none) return chain_multiply_then_code(step);
    return has_operand ? chain_binary_code(step.op, step.swapped, kind) : chain_unary_code(step.op);
}
// Entries a step has among the chain's operands: three for a select, else one (-1 or nullptr
// for a unary op), one more for the second operand of a pair, one more for the input of a side
// value, and one more for the constant of a then.
constexpr std::size_t chain_arity(const ChainStep& step) {
    return (step.op == ChainOp::select ? 3 : 1) + (step.pair != ChainOp::none ? 1 : 0) + (step.side ? 1 : 0) +
           (step.then != ChainOp::none ? 1 : 0);
}
// With count_selected, the last step is a select, and the kernel returns the number of elements
// whose comparison held (as ChainCount would; it costs the chain little, a pass of its own more).
using ChainKernel = std::ptrdiff_t (*)(const ChainStep* steps, std::size_t count, const void* const* operands,
                                       void* out, std::ptrdiff_t n, bool count_selected);
// The number of elements k < n with a[k] compare b[k] (quiet: no flag for a quiet NaN).
using ChainCount = std::ptrdiff_t (*)(ChainCompare compare, const void* a, const void* b, std::ptrdiff_t n);
inline constexpr std::size_t max_chain_steps = 32;
inline constexpr std::size_t max_chain_operands = 3 * max_chain_steps;

// The vector routine (simd::MathTable::vector_f64/f32) a chain step may call for a math op on
// this dtype, or nullptr: none, or the chain kernels' vectors are not the math table's.
ChainRoutine find_chain_math(ir::Op op, ir::DType t);

// The chain kernel for float32 or float64, else nullptr.
ChainKernel find_chain_kernel(ir::DType t);
// Whether chain kernels compute op (exp, sin) on dtype t as a step inline, with the math table's
// own routine (AVX2 and AVX-512; sin for float64 only).
bool chain_inlines(ir::Op op, ir::DType t);
// Counting by a comparison of float32 or float64 operands, else nullptr.
ChainCount find_chain_count(ir::DType t);

// The kernel of a computing op for its operand dtype, or nullptr if ironkernel has none.
Kernel find_kernel(ir::Op op, ir::DType operand);
// The same kernel with 32-byte vectors where the chosen set's are 64 bytes (AVX-512), else
// nullptr. For cheap one-op calls over inputs that do not start on a cache line: each 64-byte
// load of such an input straddles two lines, half of the 32-byte ones do (run_direct).
Kernel find_narrow_kernel(ir::Op op, ir::DType operand);
// Integer floor_divide, remainder or fmod whose in[1] points at one divisor, the same for every
// element (a constant, a stride-0 input), else nullptr: the divisor's form is chosen once per
// call, where find_kernel's kernel checks that a block of divisors is one value, block by block.
Kernel find_one_divisor_kernel(ir::Op op, ir::DType operand);
// NumPy's remainder of in[0] by in[1] from their floor quotient in[2] (divmod's two outputs from
// one division), else nullptr: integers, and float32/64 with AVX2 or AVX-512 (fused multiply-add).
Kernel find_remainder_from_quotient(ir::DType t);
ChunkKernel find_chunk_remainder_from_quotient(ir::DType t);
// ldexp for a float dtype and an integer exponent dtype, or nullptr.
Kernel find_ldexp(ir::DType x, ir::DType exponent);
// Element conversion with NumPy's cast semantics, or nullptr.
Kernel find_cast(ir::DType from, ir::DType to);

// The kernel computing a node: op, its result dtype and its first two operands' dtypes
// (unused ones: any value). Casts and ldexp are looked up by more than their first operand.
Kernel kernel_for(ir::Op op, ir::DType result, ir::DType first, ir::DType second);

// Chunk kernels: bool, integer and float32/64 ops and casts among them. Math functions in this
// form may raise spurious floating-point flags (see simd::MathTable::unchecked). nullptr: none.
ChunkKernel find_chunk_kernel(ir::Op op, ir::DType operand);
ChunkKernel find_chunk_cast(ir::DType from, ir::DType to);
ChunkKernel chunk_kernel_for(ir::Op op, ir::DType result, ir::DType first, ir::DType second);

// Block data movement, by element size (1, 2, 4, 8 or 16 bytes).
void load_strided(std::size_t itemsize, const char* src, std::ptrdiff_t stride, void* dst, std::ptrdiff_t n);
void store_strided(std::size_t itemsize, const void* src, char* dst, std::ptrdiff_t stride, std::ptrdiff_t n);
void broadcast(std::size_t itemsize, const void* value, void* dst, std::ptrdiff_t n);
void gather(std::size_t itemsize, const void* src, const std::int32_t* index, void* dst, std::ptrdiff_t n);
void scatter(std::size_t itemsize, const void* src, const std::int32_t* index, void* dst, std::ptrdiff_t n);
void select(std::size_t itemsize, const bool* cond, const void* a, const void* b, void* out, std::ptrdiff_t n);

// The loops of a direct reduction (direct_reduce.hpp's reduce_rows, which states what they do).
enum class Reduce : std::uint8_t;
void reduce_rows_kernel(Reduce kind, ir::DType source, ir::DType value, const char* data, std::ptrdiff_t rows,
                        std::ptrdiff_t row_step, std::ptrdiff_t n, std::ptrdiff_t step, char* out,
                        std::ptrdiff_t out_step);

// The instruction set whose kernels were chosen for this CPU ("avx512", "avx2" or "baseline"): the
// best compiled at or below simd::chosen_isa().
const char* kernel_isa();

// Number of true entries of a bool block, and the positions of the true (or false) ones.
std::ptrdiff_t count_true(const bool* cond, std::ptrdiff_t n);
std::ptrdiff_t positions(const bool* cond, bool value, std::int32_t* index, std::ptrdiff_t n);

}  // namespace ik::eval
