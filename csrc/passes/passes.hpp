// The optimisation passes, each a function from graph to graph, and the pipeline that orders them.
#pragma once

#include <string>

#include "eval/program.hpp"
#include "ir/graph.hpp"

namespace ik::passes {

// Evaluates nodes whose operands are all constants, with the run-time kernels (so a folded value
// is bit-identical to the unfolded one). A node whose evaluation raises a floating-point flag is
// kept, so that the warning still comes at call time as in NumPy.
ir::Graph fold_constants(const ir::Graph& graph);

// Rewrites that are exact in IEEE arithmetic: where with a constant condition or equal branches,
// casts to the same dtype, where(x == y, x, maximum(x, y)) (np.clip's) to one extremum.
ir::Graph simplify(const ir::Graph& graph);

// Keeps only nodes the outputs depend on (and renumbers them in order).
ir::Graph remove_dead(const ir::Graph& graph);

// Lowers an optimised graph to a program by the lowering passes (lowering.hpp, in pipeline.cpp's
// order); throws eval::NoKernel if an op has no kernel for its dtype.
eval::Program lower(const ir::Graph& graph);

// The whole pipeline (pipeline.cpp), in order: verify, simplify, fold, simplify, remove dead, lower,
// and the program's direct form (eval::find_direct_form), else its JIT code (jit::compile).
eval::Program compile(const ir::Graph& graph);

// Whether compile() makes JIT code in this process, and if not why, for ik.show_config().
std::string jit_status();

}  // namespace ik::passes
