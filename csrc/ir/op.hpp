// The op enumeration and its per-op facts, generated from ops.def.
#pragma once

#include <cstdint>
#include <string_view>

namespace ik::ir {

enum class Op : std::uint8_t {
#define IK_OP(name, arity, result, cost, accuracy) name,
#include "ops.def"
#undef IK_OP
    count
};

constexpr int op_count = static_cast<int>(Op::count);

enum class ResultType : std::uint8_t { same, bool_ };
enum class Accuracy : std::uint8_t { exact, math };

struct OpInfo {
    std::string_view name;
    int arity;
    ResultType result;
    int cost;
    Accuracy accuracy;
};

namespace detail {
constexpr ResultType result_same = ResultType::same;
constexpr ResultType result_bool = ResultType::bool_;
constexpr Accuracy accuracy_exact = Accuracy::exact;
constexpr Accuracy accuracy_math = Accuracy::math;
}  // namespace detail

inline constexpr OpInfo op_infos[op_count] = {
#define IK_OP(name, arity, result, cost, accuracy) \
    {#name, arity, detail::result_##result, cost, detail::accuracy_##accuracy},
#include "ops.def"
#undef IK_OP
};

constexpr const OpInfo& info(Op op) { return op_infos[static_cast<int>(op)]; }
constexpr bool is_valid(Op op) { return static_cast<int>(op) < op_count; }

}  // namespace ik::ir
