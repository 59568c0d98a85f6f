// Programs run straight over the arrays: one-op programs as their kernel (Program::direct), others as their JIT code (Program::jit).
#pragma once

#include <cstddef>
#include <optional>

#include "program.hpp"

namespace ik::eval {

// The direct form of a program that is one compute instruction of the ufunc's inputs and
// constants into its one output, else nothing.
std::optional<DirectForm> find_direct_form(const Program& p);

// Evaluates elements [begin, end) by the program's direct form when the arrays allow it: every
// input contiguous or of stride 0, the output contiguous, all aligned to their element size, and
// the output the very elements of an input or apart from it. Returns false, having written
// nothing, otherwise (or when the program has no direct form, or IK_DIRECT=0 turned it off).
// Throws std::bad_alloc when the memory for a repeated operand cannot be had.
bool run_direct(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin, std::ptrdiff_t end);

// IK_JIT=0 turns the JIT off: no machine code is made (compile()) nor run (tests, comparisons).
bool jit_enabled();

// Evaluates elements [begin, end) by the program's JIT code when the arrays allow it: every input
// it reads contiguous and aligned to its element size, or of stride 0 where the JIT has code for
// that pattern (JitCode::for_stride0), the output contiguous and aligned too, and the output the
// very elements of an input or apart from it. Returns false, having written nothing,
// otherwise (or when the program has no JIT code, or IK_JIT=0 turned it off). stream: write the
// output with non-temporal stores, fenced before returning (run_serial's stream_outputs).
bool run_jit(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin, std::ptrdiff_t end,
             bool stream = false);

}  // namespace ik::eval
