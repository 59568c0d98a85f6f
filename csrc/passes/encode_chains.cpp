// Lowering: each chain step's loop and operands, and the exact form of chains the blocked evaluator runs.
#include <algorithm>

#include "lowering.hpp"

namespace ik::passes {

// Reads: the chains as the chain passes before it left them. Writes: ChainStep::code and arg of
// every step, and Instr::exact_steps.
// A chain with side values, MIN/MAX steps or inline math gets exact_steps: the same steps without
// math calls and MIN/MAX, and with exp and sin by their kernels, over the same operands, for the
// blocked evaluator's exact flags (see Instr::side_math, ChainStep::min_max, ChainOp::exp).
void encode_chains(eval::Program& program) {
    for (eval::Region& region : program.regions)
        for (eval::Instr& in : region.code) {
            std::size_t arg = 0;
            for (eval::ChainStep& step : in.chain_steps) {
                const bool has_operand = in.chain_operands[arg] >= 0;
                step.code = eval::chain_code(step, has_operand);
                step.arg = static_cast<std::uint8_t>(arg);
                arg += eval::chain_arity(step);
            }
            const auto& steps = in.chain_steps;
            const bool min_max = std::any_of(steps.begin(), steps.end(), [](const auto& s) { return s.min_max; });
            const bool math =
                std::any_of(steps.begin(), steps.end(), [](const auto& s) { return eval::is_inline_math(s.op); });
            if (in.side_math.empty() && !min_max && !math) continue;
            in.exact_steps = in.chain_steps;
            for (eval::ChainStep& step : in.exact_steps) {
                step.side = nullptr;
                step.side_inline = eval::ChainOp::none;
                step.from_side = false;
                step.min_max = false;
                if (eval::is_inline_math(step.op)) {
                    const ir::Op op = step.op == eval::ChainOp::exp ? ir::Op::exp : ir::Op::sin;
                    step.math = reinterpret_cast<eval::ChainRoutine>(eval::find_kernel(op, dtype_of(program, in.dst)));
                }
                step.code = eval::chain_code(step, in.chain_operands[step.arg] >= 0);
            }
        }
}

}  // namespace ik::passes
