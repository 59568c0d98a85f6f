// The JIT (csrc/jit): the emitter table decides every op, and the code computes over raw buffers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstring>
#include <vector>

#include "graph_helpers.hpp"
#include "jit/assembler.hpp"
#include "jit/jit.hpp"

namespace {

using ik::ir::DType;
using ik::ir::Op;
using ik::test::f64;
using ik::test::op;

// An op added to ops.def is a decision: emitted, or listed as falling back with the reason.
TEST(EmitterTable, EveryOpIsEmittedOrListedAsFallingBack) {
    for (int k = 0; k < ik::ir::op_count; ++k) {
        const auto row = ik::jit::emitter_row(static_cast<Op>(k));
        EXPECT_NE(row.emit == nullptr, row.fallback == nullptr) << ik::ir::info(static_cast<Op>(k)).name;
    }
}

TEST(EmitterTable, TheFirstSliceIsEmitted) {
    for (Op o : {Op::input,     Op::constant,   Op::where,         Op::negative, Op::positive,   Op::absolute,
                 Op::square,    Op::reciprocal, Op::sqrt,          Op::add,      Op::subtract,   Op::multiply,
                 Op::divide,    Op::greater,    Op::greater_equal, Op::less,     Op::less_equal, Op::equal,
                 Op::not_equal, Op::maximum,    Op::minimum,       Op::fmax,     Op::fmin})
        EXPECT_NE(ik::jit::emitter_row(o).emit, nullptr) << ik::ir::info(o).name;
    for (Op o : {Op::sin, Op::floor, Op::cast, Op::floor_divide}) EXPECT_EQ(ik::jit::emitter_row(o).emit, nullptr);
}

// where(y != 0, x / y, -1) * 2.5 + x in float64.
ik::ir::Graph divide_graph() {
    ik::ir::GraphBuilder b(2);
    const auto x = b.input(0, DType::float64), y = b.input(1, DType::float64);
    const auto cond = op(b, Op::not_equal, DType::bool_, y, f64(b, 0.0));
    const auto w = op(b, Op::where, DType::float64, cond, op(b, Op::divide, DType::float64, x, y), f64(b, -1.0));
    b.add_output(op(b, Op::add, DType::float64, op(b, Op::multiply, DType::float64, w, f64(b, 2.5)), x));
    return b.finish();
}

TEST(Jit, ComputesEveryTailLengthWithoutFlagsFromUnselectedLanes) {
    if (!ik::jit::cpu_supported()) GTEST_SKIP() << "no AVX-512";
    const auto code = ik::jit::compile(divide_graph());
    ASSERT_TRUE(code.has_value());
    for (std::ptrdiff_t n = 0; n <= 70; ++n) {
        std::vector<double> x(static_cast<std::size_t>(n)), y(x.size()), out(x.size() + 8, 7.0);
        for (std::size_t i = 0; i < x.size(); ++i) {
            x[i] = static_cast<double>(i) - 3.5;
            y[i] = i % 3 == 0 ? 0.0 : static_cast<double>(i % 5) - 2.0;
        }
        const void* inputs[2] = {x.data(), y.data()};
        std::feclearexcept(FE_ALL_EXCEPT);
        code->function(inputs, out.data(), n, 0);
        EXPECT_FALSE(std::fetestexcept(FE_DIVBYZERO | FE_INVALID)) << n;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double w = y[i] != 0.0 ? x[i] / y[i] : -1.0;
            EXPECT_EQ(out[i], w * 2.5 + x[i]) << n << " " << i;
        }
        for (std::size_t i = x.size(); i < out.size(); ++i) EXPECT_EQ(out[i], 7.0) << "wrote past the end, n=" << n;
    }
}

// Streamed: every output start within a 64-byte line (the unaligned head), every tail length;
// the same values, no flag from a lane outside [0, n), nothing written outside it.
TEST(Jit, StreamsEveryHeadAndTailWithoutWritingOutside) {
    if (!ik::jit::cpu_supported()) GTEST_SKIP() << "no AVX-512";
    const auto code = ik::jit::compile(divide_graph());
    ASSERT_TRUE(code.has_value());
    constexpr std::size_t guard = 16;
    for (std::size_t head = 0; head < 8; ++head) {
        for (std::ptrdiff_t n = 0; n <= 70; ++n) {
            std::vector<double> x(static_cast<std::size_t>(n)), y(x.size());
            for (std::size_t i = 0; i < x.size(); ++i) {
                x[i] = static_cast<double>(i) - 3.5;
                y[i] = i % 3 == 0 ? 0.0 : static_cast<double>(i % 5) - 2.0;
            }
            alignas(64) double memory[guard + 8 + 70 + guard];
            std::fill(std::begin(memory), std::end(memory), 7.0);
            double* out = memory + guard + head;
            const void* inputs[2] = {x.data(), y.data()};
            std::feclearexcept(FE_ALL_EXCEPT);
            code->function(inputs, out, n, 1);
            EXPECT_FALSE(std::fetestexcept(FE_DIVBYZERO | FE_INVALID)) << n;
            for (std::size_t i = 0; i < x.size(); ++i) {
                const double w = y[i] != 0.0 ? x[i] / y[i] : -1.0;
                EXPECT_EQ(out[i], w * 2.5 + x[i]) << "head " << head << " n " << n << " i " << i;
            }
            for (double* p = memory; p < out; ++p) EXPECT_EQ(*p, 7.0) << "wrote before the start, n=" << n;
            for (double* p = out + n; p < std::end(memory); ++p) EXPECT_EQ(*p, 7.0) << "wrote past the end, n=" << n;
        }
    }
}

// Inputs of stride 0: one element, read as it broadcast, alone or both (every pattern of two inputs).
TEST(Jit, ReadsStrideZeroInputsAsOneValue) {
    if (!ik::jit::cpu_supported()) GTEST_SKIP() << "no AVX-512";
    const auto code = ik::jit::compile(divide_graph());
    ASSERT_TRUE(code.has_value());
    ASSERT_EQ(code->broadcast.size(), 3u);
    for (const double one_y : {0.0, -4.0}) {
        for (std::uint32_t pattern = 1; pattern < 4; ++pattern) {
            const auto function = code->for_stride0(pattern);
            ASSERT_NE(function, nullptr) << pattern;
            for (std::ptrdiff_t n = 0; n <= 70; ++n) {
                std::vector<double> x(static_cast<std::size_t>(n)), y(x.size(), one_y), out(x.size() + 8, 7.0);
                for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i) - 3.5;
                if (pattern & 1) std::fill(x.begin(), x.end(), 2.0);
                const double x0 = 2.0;
                const void* inputs[2] = {pattern & 1 ? &x0 : static_cast<const void*>(x.data()),
                                         pattern & 2 ? &one_y : y.data()};
                std::feclearexcept(FE_ALL_EXCEPT);
                function(inputs, out.data(), n, 0);
                EXPECT_FALSE(std::fetestexcept(FE_DIVBYZERO | FE_INVALID)) << n;
                for (std::size_t i = 0; i < x.size(); ++i) {
                    const double w = y[i] != 0.0 ? x[i] / y[i] : -1.0;
                    EXPECT_EQ(out[i], w * 2.5 + x[i]) << "pattern " << pattern << " n " << n << " i " << i;
                }
                for (std::size_t i = x.size(); i < out.size(); ++i)
                    EXPECT_EQ(out[i], 7.0) << "wrote past the end, n=" << n;
            }
        }
    }
    EXPECT_EQ(code->for_stride0(4), nullptr);  // no third input
}

TEST(Jit, RefusesWhatItDoesNotCover) {
    ik::ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    b.add_output(op(b, Op::sin, DType::float64, x));
    EXPECT_FALSE(ik::jit::compile(b.finish()).has_value());
    EXPECT_FALSE(ik::jit::compile(ik::test::seed_graph()).has_value());  // sin: vector math is not in the first slice
    ik::ir::GraphBuilder i(1);
    const auto a = i.input(0, DType::int64);
    i.add_output(op(i, Op::add, DType::int64, a, a));
    EXPECT_FALSE(ik::jit::compile(i.finish()).has_value());
}

}  // namespace
