// The pipeline: the one place the order of the passes is written.
#include <string>

#include "eval/direct/direct.hpp"
#include "eval/environment.hpp"
#if IK_HAVE_JIT
#include "jit/jit.hpp"
#endif
#include "lowering.hpp"
#include "passes.hpp"

namespace ik::passes {

namespace {

// IK_CHAINS=0: no fused chains (tests and comparisons).
bool chains_enabled() {
    static const bool enabled = eval::switch_on("IK_CHAINS");
    return enabled;
}

}  // namespace

eval::Program lower(const ir::Graph& graph) {
    Lowering lowering(graph);
    find_flag_free(lowering);
    place_in_regions(lowering);
    emit_instructions(lowering);
    eval::Program program = std::move(lowering.program);
    if (chains_enabled()) {
        // Reads as emitted: what the chain passes check "read by nothing else" against.
        const std::vector<int> reads = count_reads(program);
        fuse_chains(program, reads);
        absorb_math(program, reads);
        use_min_max(program);
        use_multiply_then(program);
        merge_chains(program);
        encode_chains(program);
        chain_wheres_for_chunks(program, reads);
    }
    assign_slots(program);
    choose_block_size(program);
    return program;
}

eval::Program compile(const ir::Graph& graph) {
    ir::verify(graph);
    eval::Program program = lower(remove_dead(simplify(fold_constants(simplify(graph)))));
    program.direct = eval::find_direct_form(program);
#if IK_HAVE_JIT
    // A one-op body runs as its kernel (the direct form), but for outputs it streams past the
    // caches: the kernels store through the cache, so those calls take the JIT's non-temporal
    // stores (sqrt of 1e8 float64 took 1.4x NumPy's time through the evaluators' streamed copy).
    const bool one_op = program.direct.has_value();
    if ((!one_op || eval::streams_large_outputs(program)) && eval::jit_enabled() && !program.graph.outputs.empty()) {
        program.jit = jit::compile(program.graph);
        const ir::DType out = program.graph.nodes[static_cast<std::size_t>(program.graph.outputs[0])].dtype;
        if (!one_op && !program.jit && jit::cpu_supported() && (out == ir::DType::float64 || out == ir::DType::float32))
            program.jit_uncovered = jit::uncovered_op(program.graph);
    }
#endif
    return program;
}

std::string jit_status() {
#if IK_HAVE_JIT
    if (!eval::jit_enabled()) return "off (IK_JIT=0)";
    if (!jit::cpu_supported()) return "off (this CPU lacks AVX-512 F/DQ/BW/VL or BMI2, or IK_SIMD caps it)";
    return "on (AVX-512)";
#else
    return "not built (x86-64 Linux with xbyak's headers only)";
#endif
}

}  // namespace ik::passes
