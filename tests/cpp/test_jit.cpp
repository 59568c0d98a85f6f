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
#include "simd/math.hpp"

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
    for (Op o : {Op::floor, Op::cast, Op::floor_divide, Op::power, Op::arctan2})
        EXPECT_EQ(ik::jit::emitter_row(o).emit, nullptr) << ik::ir::info(o).name;
}

// Every function of the math table is a call of its vector routine, and only those call.
TEST(EmitterTable, MathFunctionsAreCalls) {
    for (int f = 0; f < static_cast<int>(ik::simd::Unary::count); ++f) {
        const Op o = ik::simd::op_of(static_cast<ik::simd::Unary>(f));
        EXPECT_NE(ik::jit::emitter_row(o).emit, nullptr) << ik::ir::info(o).name;
        EXPECT_TRUE(ik::jit::emitter_row(o).calls) << ik::ir::info(o).name;
    }
    for (Op o : {Op::add, Op::sqrt, Op::where, Op::maximum}) EXPECT_FALSE(ik::jit::emitter_row(o).calls);
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
    ik::ir::GraphBuilder b(2);
    const auto x = b.input(0, DType::float64), y = b.input(1, DType::float64);
    b.add_output(op(b, Op::power, DType::float64, x, y));  // no vector routine of two vectors
    EXPECT_FALSE(ik::jit::compile(b.finish()).has_value());
    ik::ir::GraphBuilder i(1);
    const auto a = i.input(0, DType::int64);
    i.add_output(op(i, Op::add, DType::int64, a, a));
    EXPECT_FALSE(ik::jit::compile(i.finish()).has_value());
}

// Math calls: the code of f(x) for each function of the math table gives the bits of the
// table's array routine (what the evaluators run) at every tail length, on every lane of an
// unrolled step, and in float32 and float64.
template <class T>
std::vector<T> math_arguments(ik::simd::Unary f, std::size_t n) {
    std::vector<T> x(n);
    const bool unit = f == ik::simd::Unary::arcsin || f == ik::simd::Unary::arccos || f == ik::simd::Unary::arctanh;
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i % 97) / 97.0;
        x[i] = static_cast<T>(unit ? 1.8 * t - 0.9 : (f == ik::simd::Unary::arccosh ? 1.0 + 20 * t : 20 * t - 7.0));
        if (f >= ik::simd::Unary::log && f <= ik::simd::Unary::log10) x[i] = static_cast<T>(0.01 + 30 * t);
    }
    return x;
}

template <class T>
void expect_math_bits(ik::simd::Unary f) {
    const DType t = sizeof(T) == 8 ? DType::float64 : DType::float32;
    const Op o = ik::simd::op_of(f);
    ik::ir::GraphBuilder b(1);
    b.add_output(op(b, o, t, b.input(0, t)));
    const auto code = ik::jit::compile(b.finish());
    ASSERT_TRUE(code.has_value()) << ik::ir::info(o).name;
    EXPECT_TRUE(code->checks_flags);
    const auto& table = ik::simd::math_table();
    for (std::size_t n : {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 127, 200}) {
        const std::vector<T> x = math_arguments<T>(f, n);
        std::vector<T> expected(n), out(n + 16, T(7));
        if constexpr (sizeof(T) == 8)
            table.unary_f64[static_cast<int>(f)](x.data(), expected.data(), static_cast<std::ptrdiff_t>(n));
        else
            table.unary_f32[static_cast<int>(f)](x.data(), expected.data(), static_cast<std::ptrdiff_t>(n));
        const void* inputs[1] = {x.data()};
        code->function(inputs, out.data(), static_cast<std::ptrdiff_t>(n), 0);
        for (std::size_t i = 0; i < n; ++i)
            ASSERT_EQ(std::memcmp(&out[i], &expected[i], sizeof(T)), 0)
                << ik::ir::info(o).name << " n " << n << " i " << i << ": " << out[i] << " vs " << expected[i];
        for (std::size_t i = n; i < out.size(); ++i) EXPECT_EQ(out[i], T(7)) << "wrote past the end, n=" << n;
    }
}

TEST(JitMath, EveryFunctionGivesTheMathTablesBits) {
    if (!ik::jit::cpu_supported() || ik::simd::math_table().vector_bytes != 64) GTEST_SKIP() << "no AVX-512 math";
    for (int f = 0; f < static_cast<int>(ik::simd::Unary::count); ++f) {
        expect_math_bits<double>(static_cast<ik::simd::Unary>(f));
        expect_math_bits<float>(static_cast<ik::simd::Unary>(f));
    }
}

// The seed, where(x > 0, sqrt(abs(x)) + sin(x), 0): sin under the condition's mask, padded
// lanes raising nothing (sin(-inf) on an unselected lane would raise invalid).
TEST(JitMath, SeedComputesSinOnSelectedLanesOnly) {
    if (!ik::jit::cpu_supported() || ik::simd::math_table().vector_bytes != 64) GTEST_SKIP() << "no AVX-512 math";
    const auto code = ik::jit::compile(ik::test::seed_graph());
    ASSERT_TRUE(code.has_value());
    const auto sin = ik::simd::math_table().unary_f64[static_cast<int>(ik::simd::Unary::sin)];
    for (std::ptrdiff_t n = 0; n <= 70; ++n) {
        std::vector<double> x(static_cast<std::size_t>(n)), out(x.size() + 8, 7.0);
        for (std::size_t i = 0; i < x.size(); ++i)
            x[i] = i % 4 == 0 ? -INFINITY : (i % 3 == 0 ? 0.25 * static_cast<double>(i) : -static_cast<double>(i));
        const void* inputs[1] = {x.data()};
        std::feclearexcept(FE_ALL_EXCEPT);
        code->function(inputs, out.data(), n, 0);
        EXPECT_FALSE(std::fetestexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW)) << n;
        for (std::size_t i = 0; i < x.size(); ++i) {
            double s = 0;
            sin(&x[i], &s, 1);
            const double expected = x[i] > 0 ? std::sqrt(std::abs(x[i])) + s : 0.0;
            EXPECT_EQ(out[i], expected) << n << " " << i;
        }
        for (std::size_t i = x.size(); i < out.size(); ++i) EXPECT_EQ(out[i], 7.0) << "wrote past the end, n=" << n;
    }
}

// Values live across calls (in zmm and opmask registers, for every copy of an unrolled step, a
// stride-0 input's pointer in a register the callee may change) keep their values:
// where(x < y, exp(y) * x + cos(x) - y, log(x * x + 1) / y) - x * y, with y an array or one value.
TEST(JitMath, ValuesLiveAcrossCallsKeepTheirValues) {
    if (!ik::jit::cpu_supported() || ik::simd::math_table().vector_bytes != 64) GTEST_SKIP() << "no AVX-512 math";
    ik::ir::GraphBuilder b(2);
    const DType t = DType::float64;
    const auto x = b.input(0, t), y = b.input(1, t);
    const auto cond = op(b, Op::less, DType::bool_, x, y);
    const auto taken = op(b, Op::subtract, t,
                          op(b, Op::add, t, op(b, Op::multiply, t, op(b, Op::exp, t, y), x), op(b, Op::cos, t, x)), y);
    const auto other =
        op(b, Op::divide, t, op(b, Op::log, t, op(b, Op::add, t, op(b, Op::multiply, t, x, x), f64(b, 1.0))), y);
    b.add_output(op(b, Op::subtract, t, op(b, Op::where, t, cond, taken, other), op(b, Op::multiply, t, x, y)));
    const auto code = ik::jit::compile(b.finish());
    ASSERT_TRUE(code.has_value());
    const auto& table = ik::simd::math_table();
    auto call = [&](ik::simd::Unary f, double v) {
        double r = 0;
        table.unary_f64[static_cast<int>(f)](&v, &r, 1);
        return r;
    };
    for (const std::uint32_t pattern : {0u, 2u}) {
        const auto function = code->for_stride0(pattern);
        ASSERT_NE(function, nullptr);
        for (std::ptrdiff_t n = 0; n <= 90; ++n) {
            std::vector<double> xs(static_cast<std::size_t>(n)), ys(xs.size()), out(xs.size() + 8, 7.0);
            for (std::size_t i = 0; i < xs.size(); ++i) {
                xs[i] = static_cast<double>(i % 11) * 0.375 - 1.5;
                ys[i] = pattern ? 0.75 : static_cast<double>(i % 7) * 0.5 - 1.25;
            }
            const void* inputs[2] = {xs.data(), ys.data()};
            function(inputs, out.data(), n, 0);
            for (std::size_t i = 0; i < xs.size(); ++i) {
                const double a = xs[i], c = ys[i];
                const double w = a < c ? call(ik::simd::Unary::exp, c) * a + call(ik::simd::Unary::cos, a) - c
                                       : call(ik::simd::Unary::log, a * a + 1.0) / c;
                EXPECT_EQ(out[i], w - a * c) << "pattern " << pattern << " n " << n << " i " << i;
            }
            for (std::size_t i = xs.size(); i < out.size(); ++i) EXPECT_EQ(out[i], 7.0) << n;
        }
    }
}

// A libmvec routine may return a subnormal without raising underflow where NumPy signals it (the
// evaluators' checked routine then raises it): the code raises underflow for such a lane, so that
// run_jit runs the piece again, and raises nothing for it on an unselected lane.
TEST(JitMath, AVanishingResultRaisesUnderflow) {
    if (!ik::jit::cpu_supported() || ik::simd::math_table().vector_bytes != 64) GTEST_SKIP() << "no AVX-512 math";
    const bool signals = ik::simd::signals_underflow(ik::simd::Unary::arctan, false);
    ik::simd::set_signals_underflow(ik::simd::Unary::arctan, false, true);
    ik::ir::GraphBuilder b(1);
    const DType t = DType::float64;
    const auto x = b.input(0, t);
    const auto cond = op(b, Op::greater, DType::bool_, x, f64(b, 1e-300));
    b.add_output(op(b, Op::add, t, op(b, Op::arctan, t, x), op(b, Op::where, t, cond, op(b, Op::sinh, t, x), x)));
    const auto code = ik::jit::compile(b.finish());
    ik::simd::set_signals_underflow(ik::simd::Unary::arctan, false, signals);
    ASSERT_TRUE(code.has_value());
    for (const std::ptrdiff_t n : {1, 5, 8, 40}) {
        std::vector<double> xs(static_cast<std::size_t>(n), 0.5), out(xs.size());
        const void* inputs[1] = {xs.data()};
        std::feclearexcept(FE_ALL_EXCEPT);
        code->function(inputs, out.data(), n, 0);
        EXPECT_FALSE(std::fetestexcept(FE_UNDERFLOW)) << n;
        xs[static_cast<std::size_t>(n - 1)] = 3 * 4.9406564584124654e-324;  // arctan of it: subnormal
        code->function(inputs, out.data(), n, 0);
        EXPECT_TRUE(std::fetestexcept(FE_UNDERFLOW)) << n;
    }
}

}  // namespace
