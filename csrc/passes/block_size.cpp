// Lowering, block sizing: the chunk and block lengths the evaluator walks the arrays in.
#include <algorithm>
#include <cstdlib>

#include "lowering.hpp"

namespace ik::passes {

namespace {

// Whether a chunk of this region runs chains only (see eval::chain_chunk_size): chain
// instructions, comparisons skipped in chunks, and wheres with a form for chunks whose branches
// (run alone on uniform chunks) do the same.
bool runs_chains_only(const eval::Program& program, const eval::Region& region) {
    for (const eval::Instr& in : region.code) {
        if (in.kind == eval::InstrKind::chain || in.chunk_skip) continue;
        if (in.kind != eval::InstrKind::where || !in.chain) return false;
        for (const std::int32_t r : in.region)
            if (r >= 0 && !runs_chains_only(program, program.regions[static_cast<std::size_t>(r)])) return false;
    }
    return true;
}

}  // namespace

// Reads: the final code, chunked, slot_itemsize (assign_slots). Writes: Program::chunk, block.
// A program that runs in chunks and only chains there takes chunks of chain_chunk_size. Blocks as
// large as possible while all slots of one block fit in about half of L2... of L1-sized working
// sets: measured best around 32 KiB of live data on this class of CPU. IK_BLOCK=n forces blocks
// of n elements (at least 16).
void choose_block_size(eval::Program& program) {
    if (program.chunked && runs_chains_only(program, program.regions[0])) program.chunk = eval::chain_chunk_size;
    std::size_t bytes_per_element = 0;
    for (auto size : program.slot_itemsize) bytes_per_element += size;
    constexpr std::size_t budget = 48 * 1024;
    std::ptrdiff_t block = static_cast<std::ptrdiff_t>(budget / std::max<std::size_t>(bytes_per_element, 1));
    // A chunk runs in a block's scratch memory: a program that runs in chunks has blocks of at
    // least one chunk.
    block = std::clamp<std::ptrdiff_t>(block, program.chunked ? program.chunk : 256, 4096) / 64 * 64;
    if (const char* env = std::getenv("IK_BLOCK")) block = std::max(16L, std::atol(env));
    program.block = block;
}

}  // namespace ik::passes
