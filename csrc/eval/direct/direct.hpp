// Programs run straight over the arrays: one-op programs as their kernel (Program::direct), others as their JIT code
// (Program::jit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "eval/program.hpp"

namespace ik::eval {

// The direct form of a program that is one compute instruction of the ufunc's inputs and
// constants into its one output, else nothing.
std::optional<DirectForm> find_direct_form(const Program& p);

// Evaluates elements [begin, end) by the program's direct form when the arrays allow it: every
// input contiguous or of stride 0, the output contiguous, all aligned to their element size, and
// the output the very elements of an input or apart from it. Returns false, having written
// nothing, otherwise (or when the program has no direct form, or IK_DIRECT=0 turned it off).
// Throws std::bad_alloc when the memory for a repeated operand cannot be had.
bool run_direct(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin,
                std::ptrdiff_t end);

// Calls of at most this many elements fit one block: never threaded, never streamed.
inline constexpr std::ptrdiff_t short_call_elements = 256;

// A short call of a one-op body over contiguous arrays, straight to its kernel: the calls NumPy
// makes once per run of selected elements of a where= mask (two elements on average at 50%
// density), where run()'s general checks cost more than the kernel. Inline, so the ufunc loop
// reaches the kernel in one indirect call. Returns false, having written nothing, when the call
// is longer, an operand is a constant, strided or misaligned, or the output overlaps an input
// other than as its very elements: run() then decides.
inline bool run_short_direct(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t n) {
    if (n > short_call_elements || !p.direct || !p.direct->short_calls) return false;
    const DirectForm& form = *p.direct;
    const auto misaligned = [](const char* base, std::size_t size) {
        return (reinterpret_cast<std::uintptr_t>(base) & (size - 1)) != 0;  // sizes are powers of 2
    };
    const auto o = static_cast<std::size_t>(p.n_inputs);
    char* out = args[o];
    if (steps[o] != static_cast<std::ptrdiff_t>(form.output_size) || misaligned(out, form.output_size)) return false;
    const char* out_end = out + n * steps[o];
    const void* operand[3];
    for (int k = 0; k < form.arity; ++k) {
        const auto i = static_cast<std::size_t>(form.input[k]);
        const std::size_t size = form.operand_size[k];
        const char* base = args[i];
        if (steps[i] != static_cast<std::ptrdiff_t>(size) || misaligned(base, size)) return false;
        if (base != out && base < out_end && out < base + n * steps[i]) return false;
        operand[k] = base;
    }
    form.kernel(operand, out, n);
    return true;
}

// IK_JIT=0 turns the JIT off: no machine code is made (compile()) nor run (tests, comparisons).
bool jit_enabled();

// Evaluates elements [begin, end) by the program's JIT code when the arrays allow it: every input
// it reads contiguous and aligned to its element size, or of stride 0 where the JIT has code for
// that pattern (JitCode::for_stride0), the output contiguous and aligned too, and the output the
// very elements of an input or apart from it. Returns false, having written nothing,
// otherwise (or when the program has no JIT code, or IK_JIT=0 turned it off). stream: write the
// output with non-temporal stores, fenced before returning (run_serial's stream_outputs).
// Code that calls math routines unchecked (JitCode::checks_flags) runs in pieces, and a piece
// that raised a flag runs again with `evaluators` (run_evaluators, passed in: the evaluators
// call run_jit), which raise NumPy's flags for it.
using RunEvaluators = void (*)(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin,
                               std::ptrdiff_t end, bool stream);
bool run_jit(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin, std::ptrdiff_t end,
             bool stream, RunEvaluators evaluators);

}  // namespace ik::eval
