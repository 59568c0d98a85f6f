// The lowering passes (graph -> program), what they hand each other, and the helpers the chain
// passes share. pipeline.cpp's lower() runs them in order; each file states what its pass reads
// and writes.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "eval/program.hpp"
#include "ir/graph.hpp"

namespace ik::passes {

// The program under construction and the facts about the graph that placement and emission
// need. Every vector indexed by node has one entry per node of `graph`.
struct Lowering {
    // program: the graph (for explain), its input count, the root region (0), and chunked set
    // until an instruction without a chunk kernel is emitted.
    explicit Lowering(const ir::Graph& graph);

    const ir::Graph& graph;
    eval::Program program;
    // find_flag_free: the node and everything it is computed from raise no floating-point flag.
    std::vector<bool> flag_free;
    // find_flag_free: an op (not a where) computed from constants only.
    std::vector<bool> from_constants;
    // place_in_regions: the deepest region containing every use of the node; -1 if unused.
    std::vector<std::int32_t> region_of;
    // place_in_regions: where node -> its (where true, where false) branch regions.
    std::map<std::int32_t, std::pair<std::int32_t, std::int32_t>> branch_regions;
    // emit_instructions: the register holding the node in its own region.
    std::vector<std::int32_t> home;
};

// The lowering passes, in pipeline order (see each file for its contract).
void find_flag_free(Lowering& lowering);     // flag_free.cpp
void place_in_regions(Lowering& lowering);   // place_in_regions.cpp
void emit_instructions(Lowering& lowering);  // emit_instructions.cpp
// The chain passes: reads[r] is how many times register r is read in the program as emitted
// (count_reads), which they check "read by nothing else" against.
std::vector<int> count_reads(const eval::Program& program);                           // fuse_chains.cpp
void fuse_chains(eval::Program& program, const std::vector<int>& reads);              // fuse_chains.cpp
void absorb_math(eval::Program& program, const std::vector<int>& reads);              // absorb_math.cpp
void use_min_max(eval::Program& program);                                             // min_max.cpp
void use_multiply_then(eval::Program& program);                                       // multiply_then.cpp
void merge_chains(eval::Program& program);                                            // merge_chains.cpp
void encode_chains(eval::Program& program);                                           // encode_chains.cpp
void chain_wheres_for_chunks(eval::Program& program, const std::vector<int>& reads);  // chunk_wheres.cpp
void assign_slots(eval::Program& program);                                            // assign_slots.cpp
void choose_block_size(eval::Program& program);                                       // block_size.cpp

// Helpers of the chain passes (lowering.cpp).
inline ir::DType dtype_of(const eval::Program& program, std::int32_t r) {
    return program.registers[static_cast<std::size_t>(r)].dtype;
}
// Whether r is a constant register: one value for every lane, which a chain reads once.
bool is_constant(const eval::Program& program, std::int32_t r);
// A constant register's value (chains are of float32 or float64).
double constant_value(const eval::Program& program, std::int32_t r);
// The chain step computing op, if there is one (out is left as it is otherwise).
bool chain_op(ir::Op op, eval::ChainOp& out);
// The select step's comparison computing op, if there is one (out is left as it is otherwise).
bool chain_compare(ir::Op op, eval::ChainCompare& out);
// A comparison a select step can compute in registers: quiet, of two operands of dtype t.
bool is_chain_comparison(const eval::Program& program, const eval::Instr& c, ir::DType t);

}  // namespace ik::passes
