// The lowering passes one at a time (passes/lowering.hpp), on graphs small enough to check by hand.
#include <gtest/gtest.h>

#include "graph_helpers.hpp"
#include "passes/lowering.hpp"

using namespace ik;
using ir::DType;
using ir::Op;

namespace {

// where(x > 0, abs(x), sqrt(x)) in float64; the node indices of abs, sqrt and the where.
struct AbsOrSqrt {
    ir::Graph graph;
    std::int32_t abs, sqrt, where;
};

AbsOrSqrt abs_or_sqrt() {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto cond = test::op(b, Op::greater, DType::bool_, x, test::f64(b, 0.0));
    AbsOrSqrt g;
    g.abs = test::op(b, Op::absolute, DType::float64, x);
    g.sqrt = test::op(b, Op::sqrt, DType::float64, x);
    g.where = test::op(b, Op::where, DType::float64, cond, g.abs, g.sqrt);
    b.add_output(g.where);
    g.graph = b.finish();
    return g;
}

// The program of `graph` as emitted, before any chain pass.
eval::Program emitted(const ir::Graph& graph) {
    passes::Lowering lowering(graph);
    passes::find_flag_free(lowering);
    passes::place_in_regions(lowering);
    passes::emit_instructions(lowering);
    return std::move(lowering.program);
}

}  // namespace

TEST(FindFlagFree, MarksValuesComputedFromFlagFreeOpsOnly) {
    const AbsOrSqrt g = abs_or_sqrt();
    passes::Lowering lowering(g.graph);
    passes::find_flag_free(lowering);
    EXPECT_TRUE(lowering.flag_free[static_cast<std::size_t>(g.abs)]);
    EXPECT_FALSE(lowering.flag_free[static_cast<std::size_t>(g.sqrt)]);   // invalid for x < 0
    EXPECT_FALSE(lowering.flag_free[static_cast<std::size_t>(g.where)]);  // reads the square root
}

TEST(PlaceInRegions, PutsOnlyTheBranchThatMayRaiseInItsBranchRegion) {
    const AbsOrSqrt g = abs_or_sqrt();
    passes::Lowering lowering(g.graph);
    passes::find_flag_free(lowering);
    passes::place_in_regions(lowering);
    const auto [where_true, where_false] = lowering.branch_regions.at(g.where);
    EXPECT_EQ(lowering.region_of[static_cast<std::size_t>(g.where)], 0);
    EXPECT_EQ(lowering.region_of[static_cast<std::size_t>(g.abs)], 0);  // computed on every lane
    EXPECT_EQ(lowering.region_of[static_cast<std::size_t>(g.sqrt)], where_false);
    EXPECT_EQ(lowering.program.regions[static_cast<std::size_t>(where_true)].parent, 0);
}

TEST(UseMultiplyThen, JoinsTheAddOfAConstantToTheMultiplyBeforeIt) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto product = test::op(b, Op::multiply, DType::float64, x, test::f64(b, 2.5));
    b.add_output(test::op(b, Op::add, DType::float64, product, test::f64(b, 1.0)));
    eval::Program p = emitted(b.finish());
    if (!eval::find_chain_kernel(DType::float64)) GTEST_SKIP() << "no chain kernels in this build";
    passes::fuse_chains(p, passes::count_reads(p));
    ASSERT_EQ(p.regions[0].code.size(), 1u);
    ASSERT_EQ(p.regions[0].code[0].chain_steps.size(), 3u);  // load x, multiply, add
    passes::use_multiply_then(p);
    const auto& steps = p.regions[0].code[0].chain_steps;
    ASSERT_EQ(steps.size(), 2u);
    EXPECT_EQ(steps[1].op, eval::ChainOp::multiply);
    EXPECT_EQ(steps[1].then, eval::ChainOp::add);
}

TEST(AssignSlots, GivesAResultTheSlotOfAnOperandReadForTheLastTime) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto s = test::op(b, Op::sin, DType::float64, x);
    const auto c = test::op(b, Op::cos, DType::float64, s);
    b.add_output(test::op(b, Op::exp, DType::float64, c));
    eval::Program p = emitted(b.finish());
    passes::assign_slots(p);
    const auto& code = p.regions[0].code;
    ASSERT_EQ(code.size(), 3u);  // sin, cos, exp
    const auto slot = [&](std::int32_t r) { return p.registers[static_cast<std::size_t>(r)].slot; };
    EXPECT_EQ(slot(code[1].dst), slot(code[0].dst));  // cos overwrites sin(x), read by cos only
    EXPECT_NE(slot(code[2].dst), slot(code[1].dst));  // an output keeps a slot of its own
    EXPECT_NE(slot(code[0].dst), slot(p.input_registers[0]));
}
