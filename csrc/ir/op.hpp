// The op enumeration and its per-op facts, generated from ops.def.
#pragma once

#include <cstdint>
#include <string_view>

#include "dtype.hpp"

namespace ik::ir {

enum class Op : std::uint8_t {
#define IK_OP(name, ...) name,
#include "ops.def"
#undef IK_OP
    count
};

constexpr int op_count = static_cast<int>(Op::count);

// same: the operand dtype; bool_: bool; real: the operand's real dtype (float64 for complex128);
// int32: int32.
enum class ResultType : std::uint8_t { same, bool_, real, int32 };
enum class Accuracy : std::uint8_t { exact, math };
// The flags an op raises (ops.def's flags column, which says what each value means).
enum class Flags : std::uint8_t { none, some, invalid, divide, overflow, divide_or_overflow };
// What a fused chain does with the op (ops.def's chain column).
enum class Chain : std::uint8_t { step, select, no };

struct OpInfo {
    std::string_view name;
    int arity;
    ResultType result;
    int cost;
    Accuracy accuracy;
    Flags flags;
    bool underflow;  // a vanishing result signals underflow (for math functions: the C library's default)
    Chain chain;
    std::string_view libm;  // the C library function of a vector math function, empty for other ops
};

namespace detail {
constexpr ResultType result_same = ResultType::same;
constexpr ResultType result_bool = ResultType::bool_;
constexpr ResultType result_real = ResultType::real;
constexpr ResultType result_int32 = ResultType::int32;
constexpr Accuracy accuracy_exact = Accuracy::exact;
constexpr Accuracy accuracy_math = Accuracy::math;
constexpr bool underflow_yes = true;
constexpr bool underflow_no = false;
// The libm column as a name: its no is no name.
constexpr std::string_view libm_name(std::string_view libm) { return libm == "no" ? std::string_view() : libm; }
}  // namespace detail

inline constexpr OpInfo op_infos[op_count] = {
#define IK_OP(name, arity, result, cost, accuracy, flags, underflow, chain, libm) \
    {#name,                                                                       \
     arity,                                                                       \
     detail::result_##result,                                                     \
     cost,                                                                        \
     detail::accuracy_##accuracy,                                                 \
     Flags::flags,                                                                \
     detail::underflow_##underflow,                                               \
     Chain::chain,                                                                \
     detail::libm_name(#libm)},
#include "ops.def"
#undef IK_OP
};

constexpr const OpInfo& info(Op op) { return op_infos[static_cast<int>(op)]; }
// The dtype an op gives for operands of dtype `operand`.
constexpr DType result_dtype(Op op, DType operand) {
    switch (info(op).result) {
        case ResultType::same:
            return operand;
        case ResultType::bool_:
            return DType::bool_;
        case ResultType::real:
            return real_of(operand);
        case ResultType::int32:
            return DType::int32;
    }
    return operand;
}

constexpr bool is_valid(Op op) { return static_cast<int>(op) < op_count; }

}  // namespace ik::ir
