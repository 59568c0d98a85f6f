// Constant folding, simplification, dead-code removal and lowering.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfenv>
#include <cmath>

#include "graph_helpers.hpp"
#include "passes/passes.hpp"

using namespace ik;
using ir::DType;
using ir::Op;

TEST(Fold, FoldsConstantArithmeticBitExactly) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto c = test::op(b, Op::divide, DType::float64, test::f64(b, 1.0), test::f64(b, 3.0));
    b.add_output(test::op(b, Op::multiply, DType::float64, x, c));
    const ir::Graph g = passes::remove_dead(passes::fold_constants(b.finish()));
    ASSERT_EQ(g.nodes.size(), 3u);
    EXPECT_EQ(g.nodes[1].op, Op::constant);
    volatile double one = 1.0, three = 3.0;
    EXPECT_EQ(g.nodes[1].value.as<double>(), one / three);
}

TEST(Fold, KeepsNodesThatRaiseFlags) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto bad = test::op(b, Op::sqrt, DType::float64, test::f64(b, -1.0));
    b.add_output(test::op(b, Op::add, DType::float64, x, bad));
    std::feclearexcept(FE_ALL_EXCEPT);
    const ir::Graph g = passes::fold_constants(b.finish());
    EXPECT_EQ(std::fetestexcept(FE_INVALID), 0) << "folding must not leak flags";
    bool has_sqrt = false;
    for (const auto& n : g.nodes) has_sqrt |= n.op == Op::sqrt;
    EXPECT_TRUE(has_sqrt);
}

TEST(Simplify, WhereWithConstantConditionPicksBranch) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto t = b.constant(DType::bool_, ir::Scalar::of(true));
    b.add_output(test::op(b, Op::where, DType::float64, t, test::op(b, Op::sin, DType::float64, x), test::f64(b, 2.0)));
    const ir::Graph g = passes::remove_dead(passes::simplify(b.finish()));
    EXPECT_EQ(g.nodes[static_cast<std::size_t>(g.outputs[0])].op, Op::sin);
    EXPECT_EQ(g.nodes.size(), 2u);
}

TEST(RemoveDead, DropsUnusedNodes) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    test::op(b, Op::cos, DType::float64, x);
    b.add_output(test::op(b, Op::sin, DType::float64, x));
    EXPECT_EQ(passes::remove_dead(b.finish()).nodes.size(), 2u);
}

TEST(Lower, PutsExclusiveBranchWorkInALazyRegion) {
    const eval::Program p = passes::compile(test::seed_graph());
    ASSERT_EQ(p.regions[0].code.size(), 2u);  // greater, where
    const eval::Instr& w = p.regions[0].code[1];
    ASSERT_EQ(w.kind, eval::InstrKind::where);
    ASSERT_GE(w.region[0], 0);
    EXPECT_EQ(w.region[1], -1);  // the constant 0 needs no region
    const auto& branch = p.regions[static_cast<std::size_t>(w.region[0])].code;
    if (!eval::find_chain_math(Op::sin, DType::float64)) {  // no vector sin: a pass of its own
        // sin, then sqrt(abs(x)) + sin as one chain: abs and sqrt are held back for the add
        ASSERT_EQ(branch.size(), 2u);
        EXPECT_EQ(branch[0].op, Op::sin);
        EXPECT_EQ(branch[1].kind, eval::InstrKind::chain);
        EXPECT_EQ(branch[1].chain_steps.size(), 4u);  // load x, absolute, sqrt, add
        return;
    }
    // sqrt(abs(x)) + sin(x) as one chain whose square root step also calls sin
    ASSERT_EQ(branch.size(), 1u);
    const eval::Instr& chain = branch[0];
    ASSERT_EQ(chain.kind, eval::InstrKind::chain);
    ASSERT_EQ(chain.chain_steps.size(), 4u);  // load x, absolute, sqrt (and sin x), add
    EXPECT_NE(chain.chain_steps[2].side, nullptr);
    // computed inline where the chain kernels have sin (the scalar tail still calls `side`)
    EXPECT_EQ(chain.chain_steps[2].side_inline,
              eval::chain_inlines(Op::sin, DType::float64) ? eval::ChainOp::sin : eval::ChainOp::none);
    EXPECT_TRUE(chain.chain_steps[3].from_side);
    ASSERT_EQ(chain.side_math.size(), 1u);
    EXPECT_EQ(chain.side_math[0].op, Op::sin);
    EXPECT_EQ(chain.chain_operands[chain.chain_steps[2].arg + 1u], chain.side_math[0].src);  // sin's input, x
    // For the blocked evaluator: the same steps without the call, the add reading sin's register.
    ASSERT_EQ(chain.exact_steps.size(), 4u);
    EXPECT_EQ(chain.exact_steps[2].side, nullptr);
    EXPECT_EQ(chain.exact_steps[2].side_inline, eval::ChainOp::none);
    EXPECT_FALSE(chain.exact_steps[3].from_side);
    EXPECT_EQ(chain.exact_steps[3].arg, chain.chain_steps[3].arg);
    EXPECT_EQ(chain.chain_operands[chain.exact_steps[3].arg], chain.side_math[0].dst);
}

TEST(Lower, MakesSinASideOfTheSquareRootWhicheverOperandComesFirst) {
    // sin(x) + sqrt(abs(x)): sin, an inline step where the kernels have it, could start a chain
    // of its own; the square root's chain goes on instead and computes sin as its side.
    if (!eval::find_chain_math(Op::sin, DType::float64)) GTEST_SKIP() << "no vector sin on this CPU";
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto sine = test::op(b, Op::sin, DType::float64, x);
    const auto root = test::op(b, Op::sqrt, DType::float64, test::op(b, Op::absolute, DType::float64, x));
    b.add_output(test::op(b, Op::add, DType::float64, sine, root));
    const eval::Program p = passes::compile(b.finish());
    ASSERT_EQ(p.regions[0].code.size(), 1u);
    const eval::Instr& chain = p.regions[0].code[0];
    ASSERT_EQ(chain.kind, eval::InstrKind::chain);
    ASSERT_EQ(chain.chain_steps.size(), 4u);  // load x, absolute, sqrt (and sin x), add (swapped)
    EXPECT_NE(chain.chain_steps[2].side, nullptr);
    EXPECT_TRUE(chain.chain_steps[3].from_side);
    EXPECT_TRUE(chain.chain_steps[3].swapped);
}

TEST(Lower, GivesAWhereWithOneChainBranchAChainForChunks) {
    // The branch sqrt(abs(x)) + sin(x) is one chain where sin is a vector call the chain can make.
    if (!eval::find_chain_math(Op::sin, DType::float64)) GTEST_SKIP() << "no vector sin on this CPU";
    const eval::Program p = passes::compile(test::seed_graph());
    const auto& code = p.regions[0].code;
    ASSERT_EQ(code.size(), 2u);  // greater, where
    const eval::Instr& w = code[1];
    ASSERT_NE(w.chain, nullptr);
    ASSERT_NE(w.chain_count, nullptr);
    EXPECT_TRUE(code[0].chunk_skip);  // the comparison: computed by the select step in chunks
    const auto& branch = p.regions[static_cast<std::size_t>(w.region[0])];
    const eval::Instr& chain = branch.code[0];
    // The branch's steps reading the where's region's registers (x, not its import), then a select.
    ASSERT_EQ(w.chain_steps.size(), chain.chain_steps.size() + 1);
    EXPECT_EQ(w.chain_operands[0], p.input_registers[0]);
    EXPECT_EQ(chain.chain_operands[0], branch.imports_inner[0]);
    const eval::ChainStep& select = w.chain_steps.back();
    EXPECT_EQ(select.op, eval::ChainOp::select);
    EXPECT_EQ(select.compare, eval::ChainCompare::greater);
    EXPECT_TRUE(select.swapped);  // where(x > 0, branch, 0) keeps the branch where x > 0
    EXPECT_TRUE(select.scalar);   // compared with 0 and choosing 0: constants
    EXPECT_EQ(w.chain_operands[select.arg], p.input_registers[0]);
    EXPECT_EQ(w.chain_operands[select.arg + 1u], code[0].src[1]);
    EXPECT_EQ(w.chain_operands[select.arg + 2u], w.src[2]);
}

TEST(Lower, LeavesAWhereWhoseConditionHasOtherReadersAsItIs) {
    // where(x > 0, sqrt(x) * 2, 0) + (x > 0): the bools are needed, so the comparison stays.
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto zero = test::f64(b, 0.0);
    const auto positive = test::op(b, Op::greater, DType::bool_, x, zero);
    const auto branch =
        test::op(b, Op::multiply, DType::float64, test::op(b, Op::sqrt, DType::float64, x), test::f64(b, 2.0));
    const auto w = test::op(b, Op::where, DType::float64, positive, branch, zero);
    b.add_output(test::op(b, Op::add, DType::float64, w, test::op(b, Op::cast, DType::float64, positive)));
    const eval::Program p = passes::compile(b.finish());
    int wheres = 0;
    for (const eval::Instr& in : p.regions[0].code) {
        EXPECT_FALSE(in.chunk_skip);
        if (in.kind != eval::InstrKind::where) continue;
        ++wheres;
        EXPECT_GE(in.region[0], 0);
        EXPECT_EQ(in.chain, nullptr);
    }
    EXPECT_EQ(wheres, 1);
}

TEST(Lower, FusesOnlyAdjacentSingleUseFloatOps) {
    ir::GraphBuilder b(2);
    const auto x = b.input(0, DType::float64);
    const auto y = b.input(1, DType::float64);
    const auto t = test::op(b, Op::add, DType::float64, x, y);
    const auto u = test::op(b, Op::subtract, DType::float64, test::f64(b, 1.0), t);  // t on the right
    const auto v = test::op(b, Op::sqrt, DType::float64, u);
    b.add_output(test::op(b, Op::add, DType::float64, v, v));  // v used twice: the chain ends at v
    const eval::Program p = passes::compile(b.finish());
    const auto& code = p.regions[0].code;
    ASSERT_EQ(code.size(), 2u);
    ASSERT_EQ(code[0].kind, eval::InstrKind::chain);
    ASSERT_EQ(code[0].chain_steps.size(), 4u);  // load x, add, subtract (swapped), sqrt
    EXPECT_EQ(code[0].chain_steps[0].op, eval::ChainOp::load);
    EXPECT_EQ(code[0].chain_operands[0], p.input_registers[0]);
    EXPECT_EQ(code[0].chain_steps[2].op, eval::ChainOp::subtract);
    EXPECT_TRUE(code[0].chain_steps[2].swapped);
    EXPECT_EQ(code[0].chain_operands[3], -1);
    // The constant 1.0 is read as one value; the input y element by element.
    EXPECT_TRUE(code[0].chain_steps[2].scalar);
    EXPECT_FALSE(code[0].chain_steps[1].scalar);
    EXPECT_EQ(code[1].kind, eval::InstrKind::compute);
}

TEST(Lower, FusesAUnaryOpIntoTheOperandOfAStep) {
    // sqrt(x * x + y * y): y * y is applied to y inside the chain's add
    ir::GraphBuilder b(2);
    const auto x = b.input(0, DType::float64);
    const auto y = b.input(1, DType::float64);
    const auto xx = test::op(b, Op::multiply, DType::float64, x, x);
    const auto yy = test::op(b, Op::multiply, DType::float64, y, y);
    b.add_output(test::op(b, Op::sqrt, DType::float64, test::op(b, Op::add, DType::float64, xx, yy)));
    const eval::Program p = passes::compile(b.finish());
    const auto& code = p.regions[0].code;
    ASSERT_EQ(code.size(), 1u);
    ASSERT_EQ(code[0].chain_steps.size(), 4u);  // load x, multiply x, add square(y), sqrt
    EXPECT_EQ(code[0].chain_steps[2].pre, eval::ChainOp::square);
    EXPECT_EQ(code[0].chain_operands[2], p.input_registers[1]);
}

TEST(Lower, JoinsAMultiplyAndTheConstantAddedToItsResult) {
    // x * (0.25 + x * (0.5 * x - 1.5)) * y - x: a multiply whose result gets a constant added or
    // subtracted next is one step (ChainStep::then); a multiply followed by anything else is not.
    ir::GraphBuilder b(2);
    const auto x = b.input(0, DType::float64);
    const auto y = b.input(1, DType::float64);
    auto v = test::op(b, Op::multiply, DType::float64, test::f64(b, 0.5), x);
    v = test::op(b, Op::subtract, DType::float64, v, test::f64(b, 1.5));
    v = test::op(b, Op::multiply, DType::float64, x, v);
    v = test::op(b, Op::add, DType::float64, test::f64(b, 0.25), v);
    v = test::op(b, Op::multiply, DType::float64, x, v);
    v = test::op(b, Op::multiply, DType::float64, v, y);
    b.add_output(test::op(b, Op::subtract, DType::float64, v, x));
    const eval::Program p = passes::compile(b.finish());
    const auto& code = p.regions[0].code;
    ASSERT_EQ(code.size(), 1u);
    const auto& steps = code[0].chain_steps;
    ASSERT_EQ(steps.size(),
              6u);  // load 0.5, multiply then subtract, multiply then add, multiply x, multiply y, subtract x
    EXPECT_EQ(steps[1].op, eval::ChainOp::multiply);
    EXPECT_EQ(steps[1].then, eval::ChainOp::subtract);
    EXPECT_FALSE(steps[1].swapped || steps[1].then_swapped);
    EXPECT_EQ(steps[2].then, eval::ChainOp::add);
    EXPECT_TRUE(steps[2].swapped && steps[2].then_swapped);
    for (std::size_t k : {3u, 4u, 5u}) EXPECT_EQ(steps[k].then, eval::ChainOp::none) << k;
    const std::int32_t x_reg = p.input_registers[0];
    const std::vector<std::int32_t> operands(code[0].chain_operands.begin(), code[0].chain_operands.end());
    ASSERT_EQ(operands.size(), 8u);  // 0.5, x, 1.5, x, 0.25, x, y, x
    EXPECT_EQ(operands[1], x_reg);
    EXPECT_EQ(operands[3], x_reg);
    EXPECT_EQ(operands[6], p.input_registers[1]);
}

TEST(Lower, ComputesAFlagFreeBranchEagerlyAndChainsItsWhereAsASelect) {
    // np.where(x < -1, -1, np.where(x > 1, 1, x)): comparisons and selects raise no flag, so the
    // inner where is no lazy branch, and both wheres become select steps of one chain that
    // computes the comparisons itself.
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto lo = test::f64(b, -1.0), hi = test::f64(b, 1.0);
    const auto inner = test::op(b, Op::where, DType::float64, test::op(b, Op::greater, DType::bool_, x, hi), hi, x);
    b.add_output(test::op(b, Op::where, DType::float64, test::op(b, Op::less, DType::bool_, x, lo), lo, inner));
    const eval::Program p = passes::compile(b.finish());
    for (std::size_t r = 1; r < p.regions.size(); ++r) EXPECT_TRUE(p.regions[r].code.empty());  // no lazy branch
    const auto& code = p.regions[0].code;
    ASSERT_EQ(code.size(), 1u);
    ASSERT_EQ(code[0].kind, eval::InstrKind::chain);
    ASSERT_EQ(code[0].chain_steps.size(), 3u);  // load x, select (x > 1), select (x < -1)
    EXPECT_EQ(code[0].chain_steps[1].op, eval::ChainOp::select);
    EXPECT_EQ(code[0].chain_steps[1].compare, eval::ChainCompare::greater);
    EXPECT_EQ(code[0].chain_steps[2].compare, eval::ChainCompare::less);
    EXPECT_TRUE(code[0].chain_steps[2].scalar);  // compared with and choosing constants
    EXPECT_EQ(code[0].chain_steps[2].arg, 4u);   // after load (1 operand) and the first select (3)
    EXPECT_EQ(code[0].chain_operands.size(), 7u);
}

TEST(Lower, KeepsABranchThatMayRaiseLazy) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto zero = test::f64(b, 0.0);
    b.add_output(test::op(b, Op::where, DType::float64, test::op(b, Op::greater, DType::bool_, x, zero),
                          test::op(b, Op::multiply, DType::float64, x, test::f64(b, 0.5)), zero));
    const eval::Program p = passes::compile(b.finish());
    const auto& code = p.regions[0].code;
    ASSERT_EQ(code.size(), 2u);  // greater, where with x * 0.5 (may underflow) in its lazy region
    EXPECT_EQ(code[1].kind, eval::InstrKind::where);
    EXPECT_GE(code[1].region[0], 0);
}

TEST(Lower, ComputesAnOverflowingConstantCastForEveryBlockNotLazily) {
    // where(x > 0, x, float32(1e300)): NumPy casts the number on every call, so the cast (kept
    // by folding, as it overflows) runs in the root region, not in the where's lazy branch.
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float32);
    const auto zero = b.constant(DType::float32, ir::Scalar::of(0.0f));
    const auto huge = test::op(b, Op::cast, DType::float32, test::f64(b, 1e300));
    b.add_output(test::op(b, Op::where, DType::float32, test::op(b, Op::greater, DType::bool_, x, zero), x, huge));
    const eval::Program p = passes::compile(b.finish());
    const auto& code = p.regions[0].code;
    const auto cast = std::find_if(code.begin(), code.end(), [](const eval::Instr& in) { return in.op == Op::cast; });
    ASSERT_NE(cast, code.end()) << "the cast must run in the root region";
    for (std::size_t r = 1; r < p.regions.size(); ++r)
        for (const eval::Instr& in : p.regions[r].code) EXPECT_NE(in.op, Op::cast) << "in region " << r;
}

TEST(Lower, SharedSubexpressionStaysOutsideTheBranch) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto s = test::op(b, Op::sin, DType::float64, x);
    const auto cond = test::op(b, Op::greater, DType::bool_, s, test::f64(b, 0.0));
    b.add_output(test::op(b, Op::where, DType::float64, cond, test::op(b, Op::exp, DType::float64, s), s));
    const eval::Program p = passes::compile(b.finish());
    // sin feeds the condition, so it is computed once at the top; exp is lazy.
    EXPECT_EQ(p.regions[0].code.size(), 3u);
}

TEST(Lower, MissingKernelIsReported) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::int32);
    b.add_output(test::op(b, Op::sqrt, DType::int32, x));
    EXPECT_THROW(passes::compile(b.finish()), eval::NoKernel);
}
