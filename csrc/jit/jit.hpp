// Machine code for a whole program over contiguous arrays, generated at compile() time (x86-64, AVX-512).
#pragma once

#include <optional>
#include <string>

#include "eval/program.hpp"
#include "ir/graph.hpp"

namespace ik::jit {

// Whether this CPU runs the JIT's code: AVX-512 F, DQ, BW and VL and BMI2, where IK_SIMD allows AVX-512.
bool cpu_supported();

// The kernel of a graph (the optimised graph a program was lowered from) whose one output and
// every input are float32 or float64 of one dtype and whose ops all have an emitter; nothing
// otherwise (the interpreter runs it), nor when the CPU lacks AVX-512 or the system refuses
// executable memory. The code is immutable once made: any thread may call it.
std::optional<eval::JitCode> compile(const ir::Graph& graph);

// Why the JIT does not cover a float32/float64 graph for one of its ops ("power: two-argument
// math: ..."), from the emitter table's fallback column; empty when every op has an emitter.
std::string uncovered_op(const ir::Graph& graph);

}  // namespace ik::jit
