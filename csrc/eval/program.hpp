// The program: a typed graph lowered to regions of flat instructions over block registers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "eval/kernels/kernels.hpp"

namespace ik::eval {

// An op has no kernel for the dtype the graph asks for; maps to NotImplementedError.
struct NoKernel : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A register holds one block of elements of one dtype. Registers are written once per block
// (no reuse), so a register may alias another register's memory or an input array.
struct Register {
    ir::DType dtype;
    std::int32_t slot = -1;  // the scratch memory it lives in; registers never live at once may share one
};

enum class InstrKind : std::uint8_t { compute, where, chain };

struct Instr {
    InstrKind kind = InstrKind::compute;
    ir::Op op = ir::Op::constant;  // for listings
    Kernel kernel = nullptr;       // compute: the typed loop
    ChunkKernel chunk = nullptr;   // compute: the same over one chunk, if there is that form
    std::int32_t dst = -1;
    std::int32_t src[3] = {-1, -1, -1};
    // where: the regions computing each branch lazily (-1: the branch is src[1] / src[2] as is).
    std::int32_t region[2] = {-1, -1};
    std::int32_t where_index = -1;  // where: which index scratch this instruction uses
    // where, in the chunked evaluator: with chain set, a chunk the condition splits runs the
    // where as that chain (its lazy branch's chain, then a select step that compares in
    // registers), and chain_count counts the lanes its condition selects, from the comparison's
    // operands (the select step's first two), instead of the condition's bools.
    ChainCount chain_count = nullptr;
    // A comparison whose one reader is such a where: the chunked evaluator skips it.
    bool chunk_skip = false;
    // chain: ops fused in registers (ChainKernel), the first one loading the start value; each
    // step's operand register, or -1 for a unary step. (Also a where's form for chunks, above.)
    ChainKernel chain = nullptr;
    std::vector<ChainStep> chain_steps;
    std::vector<std::int32_t> chain_operands;
    // chain: math ops the steps compute as side values (ChainStep::side). Those raise flags
    // NumPy may not, which only the chunked evaluator sorts out; the blocked evaluator computes
    // each as an instruction (exact flags) into dst and runs exact_steps, which read dst instead.
    struct SideMath {
        ir::Op op;
        Kernel kernel;
        std::int32_t src, dst;
    };
    std::vector<SideMath> side_math;
    // The steps the blocked evaluator runs when they differ from chain_steps: without side
    // values, and with MIN/MAX steps as the selects they are (ChainStep::min_max); else empty.
    std::vector<ChainStep> exact_steps;
};

// A region is code that runs over a subset of the lanes of its parent region: the lanes where
// an enclosing `where` selects its branch. The root region (index 0) runs over whole blocks.
struct Region {
    std::int32_t parent = -1;
    std::vector<Instr> code;
    // Registers of the parent region this code reads, and the register that holds each here.
    std::vector<std::int32_t> imports_outer, imports_inner;
    std::int32_t result = -1;  // the branch value, a register of this region (or an import)
    double cost = 0;           // estimated ns per element of this region's code, nested regions included
};

// A program that is one compute instruction from the ufunc's inputs and constants into its one
// output (a one-op body: np.add(x, y), x * 2.5, np.sin(x)): nothing to fuse, so it runs as that
// instruction's kernel straight over the arrays where they are contiguous (eval/direct/direct.cpp),
// without the copies and per-chunk work of the evaluators.
struct DirectForm {
    Kernel kernel = nullptr;
    // The kernel with 32-byte vectors (find_narrow_kernel) of an op that gains by it, for calls
    // whose inputs do not start on a cache line where the output does; else nullptr.
    Kernel narrow = nullptr;
    int arity = 0;
    std::int32_t input[3] = {-1, -1, -1};     // per operand: the ufunc input it reads, or -1
    std::int32_t constant[3] = {-1, -1, -1};  // per operand read from no input: its Program::constants entry
    std::size_t operand_size[3] = {0, 0, 0};  // bytes per element
    std::size_t output_size = 0;
    // Every operand reads an input array (no constant) and IK_DIRECT leaves the direct form on:
    // short calls may then go straight to the kernel (run_short_direct).
    bool short_calls = false;
    // The kernel for calls whose second operand is one value repeated, read from in[1] as that
    // one element (find_one_divisor_kernel: integer division), else nullptr.
    Kernel one_value_second = nullptr;
};

// Machine code for the whole program over contiguous arrays (csrc/jit): where the build has the
// JIT, the CPU has AVX-512 and every op of the graph has an emitter. Immutable once made.
struct JitCode {
    // stream: write the output with non-temporal stores (an unaligned head and the tail with
    // ordinary ones), then sfence; for outputs far larger than the caches (see run_serial).
    using Function = void (*)(const void* const* inputs, void* out, std::ptrdiff_t n, std::ptrdiff_t stream);
    Function function = nullptr;  // every input it reads contiguous
    // The same program for calls whose inputs of the mask (bit i: input i) have stride 0, each
    // such input passed as its one element and read as it broadcast; not every mask has code.
    struct Broadcast {
        std::uint32_t stride0_inputs;
        Function function;
    };
    std::vector<Broadcast> broadcast;
    // The code calls math routines unchecked (their flags may be spurious): run_jit checks the
    // flags of each piece and runs a piece that raised any again in the evaluators.
    bool checks_flags = false;
    std::shared_ptr<const void> pages;     // the read+execute mapping every function lives in
    ir::DType dtype = ir::DType::unknown;  // of every input read and of the output
    int instructions = 0, unroll = 0;
    std::size_t code_bytes = 0;
    double compile_us = 0;

    // The function for calls whose inputs of the mask have stride 0, or null.
    Function for_stride0(std::uint32_t stride0_inputs) const {
        if (stride0_inputs == 0) return function;
        for (const Broadcast& b : broadcast)
            if (b.stride0_inputs == stride0_inputs) return b.function;
        return nullptr;
    }
};

struct Program {
    int n_inputs = 0;
    std::vector<Register> registers;
    std::vector<Region> regions;                                 // regions[0] is the root
    std::vector<std::int32_t> input_registers;                   // per ufunc input (-1 if unused)
    std::vector<ir::DType> input_dtypes;                         // per ufunc input
    std::vector<std::int32_t> output_registers;                  // per ufunc output
    std::vector<std::pair<std::int32_t, ir::Scalar>> constants;  // registers filled once per call
    std::int32_t n_where = 0;                                    // where instructions (each needs index scratch)
    std::vector<std::size_t> slot_itemsize;                      // per scratch slot: bytes per element
    double cost_per_element = 0;                                 // estimated ns per element, for threading
    std::ptrdiff_t block = 1024;                                 // elements per block
    bool chunked = false;                                        // every compute instruction has a chunk kernel
    std::ptrdiff_t chunk = chunk_size;  // elements per chunk: chain_chunk_size if chunks run chains only
    std::optional<DirectForm> direct;   // set by find_direct_form: a one-instruction program
    std::optional<JitCode> jit;         // set by jit::compile when covered (run_jit)
    std::string jit_uncovered;          // else, for a float body, the op the JIT lacks and why (explain)
    ir::Graph graph;                    // the optimised graph it came from (for explain)
    // Distinct for every program made (copies share it, and their layout): lets a thread's
    // scratch memory know it is already laid out for this program.
    std::uint64_t layout_id = next_layout_id();

    static std::uint64_t next_layout_id();
};

// The bytes one element of a call moves: every output's, and every input's the program reads that
// advances (steps: the call's, inputs first; without them every input read advances).
std::size_t bytes_per_element(const Program& p, const std::ptrdiff_t* steps = nullptr);

// Whether calls of p over contiguous operands stream outputs larger than the cache: memory, not
// compute, bounds them (streaming.hpp). steps: a call's, as for bytes_per_element.
bool streams_large_outputs(const Program& p, const std::ptrdiff_t* steps = nullptr);

// A readable listing of the program: regions, instructions, registers.
std::string to_string(const Program& program);

}  // namespace ik::eval
