// IR building, deduplication, verification and the byte format.
#include <gtest/gtest.h>

#include "graph_helpers.hpp"

using namespace ik;
using ir::DType;
using ir::Op;

TEST(GraphBuilder, MergesEqualNodes) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto s1 = test::op(b, Op::sin, DType::float64, x);
    const auto s2 = test::op(b, Op::sin, DType::float64, x);
    EXPECT_EQ(s1, s2);
    EXPECT_EQ(b.finish().nodes.size(), 2u);
}

TEST(GraphBuilder, KeepsSignedZerosApart) {
    ir::GraphBuilder b(0);
    EXPECT_NE(test::f64(b, 0.0), test::f64(b, -0.0));
    EXPECT_EQ(test::f64(b, 1.5), test::f64(b, 1.5));
}

TEST(Verify, AcceptsSeedExpression) { EXPECT_NO_THROW(ir::verify(test::seed_graph())); }

TEST(Verify, RejectsForwardOperand) {
    ir::Graph g = test::seed_graph();
    g.nodes[2].args[0] = 5;
    EXPECT_THROW(ir::verify(g), ir::InvalidGraph);
}

TEST(Verify, RejectsMixedOperandDtypes) {
    ir::GraphBuilder b(2);
    const auto x = b.input(0, DType::float64);
    const auto y = b.input(1, DType::float32);
    b.add_output(test::op(b, Op::add, DType::float64, x, y));
    EXPECT_THROW(ir::verify(b.finish()), ir::InvalidGraph);
}

TEST(Verify, RejectsNonBoolWhereCondition) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    b.add_output(test::op(b, Op::where, DType::float64, x, x, x));
    EXPECT_THROW(ir::verify(b.finish()), ir::InvalidGraph);
}

TEST(Serialize, RoundTripsExactly) {
    const ir::Graph g = test::seed_graph();
    const std::string bytes = ir::serialize(g);
    const ir::Graph back = ir::deserialize(bytes);
    EXPECT_EQ(ir::serialize(back), bytes);
    EXPECT_EQ(ir::to_string(back), ir::to_string(g));
}

TEST(Serialize, RejectsEveryTruncation) {
    const std::string bytes = ir::serialize(test::seed_graph());
    for (std::size_t n = 0; n < bytes.size(); ++n)
        EXPECT_THROW(ir::deserialize(bytes.substr(0, n)), ir::InvalidGraph) << n;
}

TEST(Serialize, RejectsBadMagicVersionAndTrailingBytes) {
    std::string bytes = ir::serialize(test::seed_graph());
    EXPECT_THROW(ir::deserialize(bytes + "x"), ir::InvalidGraph);
    std::string bad = bytes;
    bad[0] = 'X';
    EXPECT_THROW(ir::deserialize(bad), ir::InvalidGraph);
    bad = bytes;
    bad[4] = 99;
    EXPECT_THROW(ir::deserialize(bad), ir::InvalidGraph);
}

TEST(Serialize, SurvivesEverySingleByteCorruption) {
    const std::string bytes = ir::serialize(test::seed_graph());
    for (std::size_t i = 0; i < bytes.size(); ++i)
        for (int v : {0, 1, 0x7f, 0xff}) {
            std::string bad = bytes;
            bad[i] = static_cast<char>(v);
            try {
                ir::verify(ir::deserialize(bad));
            } catch (const ir::InvalidGraph&) {}
        }
}

// Found by tests/fuzz: a bool constant byte of 251 reached the cast kernel in constant folding,
// which reads it as a C++ bool (undefined behaviour; UBSan's report). NumPy bools are 0 or 1.
TEST(Verify, RejectsBoolConstantOtherThanZeroOrOne) {
    for (std::uint8_t byte : {2, 251}) {
        ir::GraphBuilder b(0);
        const auto c = b.constant(DType::bool_, ir::Scalar::of(byte));
        b.add_output(test::op(b, Op::cast, DType::float32, c));
        EXPECT_THROW(ir::verify(b.finish()), ir::InvalidGraph) << int(byte);
    }
}

// Two nodes for one input (of different dtypes: equal ones merge) leave one of them never loaded.
TEST(Verify, RejectsAnInputAppearingTwice) {
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto y = b.input(0, DType::float32);
    b.add_output(test::op(b, Op::add, DType::float64, x, test::op(b, Op::cast, DType::float64, y)));
    EXPECT_THROW(ir::verify(b.finish()), ir::InvalidGraph);
}

TEST(Printer, OneLinePerNode) {
    const std::string text = ir::to_string(test::seed_graph());
    EXPECT_NE(text.find("%0 = input #0 : float64"), std::string::npos);
    EXPECT_NE(text.find("where %2, %6, %1 : float64"), std::string::npos) << text;
}
