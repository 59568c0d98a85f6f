// Fused chains of steps on raw buffers: each step rounds as alone, math calls, selects, min/max,
// multiply-then steps, exp and sin steps, the lanes a comparison selects.
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "eval/evaluator.hpp"
#include "eval/kernels/kernels.hpp"
#include "evaluator_helpers.hpp"
#include "graph_helpers.hpp"
#include "passes/passes.hpp"

using namespace ik;
using ir::DType;
using ir::Op;
using test::normal;
using test::run1;

TEST(Evaluator, ChainsRoundEveryStepAsAlone) {
    // ((0.5 * x - 1.5) * x + 0.25) / x, fused into one chain: the same bits as scalar code, at
    // lengths around the tile of vectors and the chunk.
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    auto v = test::op(b, Op::multiply, DType::float64, test::f64(b, 0.5), x);
    v = test::op(b, Op::subtract, DType::float64, v, test::f64(b, 1.5));
    v = test::op(b, Op::multiply, DType::float64, v, x);
    v = test::op(b, Op::add, DType::float64, v, test::f64(b, 0.25));
    b.add_output(test::op(b, Op::divide, DType::float64, v, x));
    const eval::Program p = passes::compile(b.finish());
    ASSERT_EQ(p.regions[0].code.size(), 1u);
    ASSERT_EQ(p.regions[0].code[0].kind, eval::InstrKind::chain);
    for (std::size_t n : {1u, 31u, 32u, 33u, 255u, 256u, 257u, 1023u, 1024u, 1025u, 5000u}) {
        const auto in = normal(n, 3);
        std::vector<double> out(n);
        run1(p, in.data(), 8, out.data(), 8, static_cast<std::ptrdiff_t>(n));
        for (std::size_t i = 0; i < n; ++i) {
            volatile double e = 0.5 * in[i];  // volatile: one rounding per operation, as NumPy
            e = e - 1.5;
            e = e * in[i];
            e = e + 0.25;
            e = e / in[i];
            ASSERT_EQ(out[i], e) << n << " " << i;
        }
    }
}

TEST(Chain, CallsAMathFunctionNextToASquareRootWithTheBitsOfItsOwnPass) {
    // load x, sqrt (and sin y as the side value, by a call or inline), op the side value (either
    // order): against the same steps with sin(y) computed first by the math kernel, at lengths
    // around the tile and the vector.
    const eval::ChainRoutine sin_routine = eval::find_chain_math(Op::sin, DType::float64);
    if (!sin_routine) GTEST_SKIP() << "no vector math routines for this CPU's chain kernels";
    const eval::ChainKernel chain = eval::find_chain_kernel(DType::float64);
    const eval::Kernel sin_kernel = eval::find_kernel(Op::sin, DType::float64);
    for (const eval::ChainOp op :
         {eval::ChainOp::add, eval::ChainOp::subtract, eval::ChainOp::multiply, eval::ChainOp::divide}) {
        for (const bool swapped : {false, true})
            for (const bool inline_side : {false, true}) {
                if (inline_side && !eval::chain_inlines(Op::sin, DType::float64)) continue;
                eval::ChainStep load{eval::ChainOp::load}, root{eval::ChainOp::sqrt}, combine{op, swapped};
                std::vector<eval::ChainStep> exact = {load, root, combine};
                root.side = sin_routine;
                if (inline_side) root.side_inline = eval::ChainOp::sin;
                combine.from_side = true;
                std::vector<eval::ChainStep> steps = {load, root, combine};
                for (auto* list : {&steps, &exact}) {
                    const std::size_t arity[] = {1, 2, 1};  // sqrt: a placeholder and the side value's input
                    std::uint8_t arg = 0;
                    for (std::size_t k = 0; k < 3; ++k) {
                        (*list)[k].code = eval::chain_code((*list)[k], k != 1);
                        (*list)[k].arg = arg;
                        arg = static_cast<std::uint8_t>(arg + arity[k]);
                    }
                }
                EXPECT_EQ(steps[1].code, inline_side ? eval::chain_sqrt_with_inline_side_code(eval::ChainOp::sin)
                                                     : eval::chain_sqrt_with_side_code);
                for (std::size_t n : {1u, 3u, 4u, 31u, 32u, 33u, 37u, 256u}) {
                    auto x = normal(n, 5), y = normal(n, 6);
                    for (auto& v : x) v = std::fabs(v);
                    std::vector<double> sin_y(n), fused(n, -1.0), separate(n, -2.0);
                    const void* in[1] = {y.data()};
                    sin_kernel(in, sin_y.data(), static_cast<std::ptrdiff_t>(n));
                    const void* fused_operands[] = {x.data(), nullptr, y.data(), sin_y.data()};
                    chain(steps.data(), steps.size(), fused_operands, fused.data(), static_cast<std::ptrdiff_t>(n),
                          false);
                    chain(exact.data(), exact.size(), fused_operands, separate.data(), static_cast<std::ptrdiff_t>(n),
                          false);
                    for (std::size_t i = 0; i < n; ++i)
                        ASSERT_EQ(std::memcmp(&fused[i], &separate[i], sizeof(double)), 0)
                            << static_cast<int>(op) << " " << swapped << " " << inline_side << " " << n << " " << i;
                }
            }
    }
}

TEST(Chain, ItsLastSelectStepCountsTheLanesItsComparisonHolds) {
    // value = x + 0.5, then (x > 3) ? 3 : value (a select that is not last: not counted), then
    // the counted select (x compare b) ? t : value, or the other way round when swapped. The
    // count is ChainCount's and the values are the scalar reference's (and the uncounted
    // chain's), for every comparison, both sides, constant or array b and t, with NaN and signed
    // zeros, at lengths around the vector, the tile and the chunk.
    const eval::ChainKernel chain = eval::find_chain_kernel(DType::float64);
    const eval::ChainCount count = eval::find_chain_count(DType::float64);
    ASSERT_NE(chain, nullptr);
    const double nan = std::nan("");
    std::vector<double> x = normal(300, 10), b = normal(300, 11), t = normal(300, 12);
    x[0] = nan, b[1] = nan, x[2] = -0.0, b[2] = 0.0, x[3] = b[3] = 1.5, x[4] = 7.0, x[33] = nan, x[255] = nan;
    // A constant's register holds the constant at every element, as the evaluator broadcasts it.
    const std::vector<double> half(300, 0.5), three(300, 3.0), b_constant(300, 0.25), t_constant(300, -2.0);
    for (int compare = 0; compare < 6; ++compare) {
        for (const bool swapped : {false, true}) {
            for (const bool scalar : {false, true}) {
                eval::ChainStep load{eval::ChainOp::load}, add{eval::ChainOp::add}, clamp{eval::ChainOp::select},
                    last{eval::ChainOp::select};
                add.scalar = clamp.scalar = true;
                last.compare = static_cast<eval::ChainCompare>(compare), last.swapped = swapped, last.scalar = scalar;
                std::vector<eval::ChainStep> steps = {load, add, clamp, last};
                const std::uint8_t args[] = {0, 1, 2, 5};
                for (std::size_t k = 0; k < steps.size(); ++k)
                    steps[k].code = eval::chain_code(steps[k], true), steps[k].arg = args[k];
                const std::vector<double>& b_of = scalar ? b_constant : b;
                const std::vector<double>& t_of = scalar ? t_constant : t;
                const void* operands[] = {x.data(),     half.data(), x.data(),    three.data(),
                                          three.data(), x.data(),    b_of.data(), t_of.data()};
                for (std::ptrdiff_t n : {0, 1, 3, 4, 5, 31, 32, 33, 37, 256, 300}) {
                    std::vector<double> counted(static_cast<std::size_t>(n), -1.0),
                        plain(static_cast<std::size_t>(n), -2.0);
                    std::feclearexcept(FE_ALL_EXCEPT);
                    const std::ptrdiff_t hits = chain(steps.data(), steps.size(), operands, counted.data(), n, true);
                    EXPECT_FALSE(std::fetestexcept(FE_INVALID)) << "a quiet NaN raised invalid";
                    EXPECT_EQ(chain(steps.data(), steps.size(), operands, plain.data(), n, false), 0);
                    EXPECT_EQ(hits, count(last.compare, x.data(), b_of.data(), n))
                        << compare << " " << swapped << " " << scalar << " " << n;
                    for (std::size_t i = 0; i < counted.size(); ++i) {
                        volatile double value = x[i] + 0.5;
                        if (x[i] > 3.0) value = 3.0;
                        const double a = x[i], c = b_of[i];
                        const bool holds[] = {a > c, a >= c, a < c, a <= c, a == c, a != c};
                        const double expected = holds[compare] != swapped ? t_of[i] : value;
                        ASSERT_EQ(std::memcmp(&counted[i], &expected, sizeof(double)), 0)
                            << compare << " " << n << " " << i;
                        ASSERT_EQ(std::memcmp(&plain[i], &expected, sizeof(double)), 0)
                            << compare << " " << n << " " << i;
                    }
                }
            }
        }
    }
}

TEST(Chain, SelectsAsMinMaxGiveTheSelectsBits) {
    // load x, then (x > b) ? b : value and (x < b) ? b : value as MIN/MAX steps (ChainStep::
    // min_max), against the same steps as selects: bit for bit, with NaN, signed zeros and
    // infinities in x and in b, constant or array b, at lengths around the vector and the tile.
    const eval::ChainKernel chain = eval::find_chain_kernel(DType::float64);
    ASSERT_NE(chain, nullptr);
    const double nan = std::nan(""), inf = INFINITY;
    std::vector<double> x = normal(300, 13), b = normal(300, 14);
    const double special[] = {nan, -nan, 0.0, -0.0, inf, -inf, 1.0, -1.0};
    for (std::size_t i = 0; i < 64; ++i) x[i] = special[i % 8], b[i] = special[(i / 8) % 8];
    for (const double constant : {0.0, -0.0, 1.0, nan}) {
        const std::vector<double> b_constant(300, constant);
        for (const auto compare : {eval::ChainCompare::greater, eval::ChainCompare::less}) {
            for (const bool scalar : {false, true}) {
                eval::ChainStep load{eval::ChainOp::load}, select{eval::ChainOp::select};
                select.compare = compare, select.scalar = scalar;
                std::vector<eval::ChainStep> selects = {load, select}, min_max = selects;
                min_max[1].min_max = true;
                for (auto* steps : {&selects, &min_max})
                    for (std::size_t k = 0; k < 2; ++k)
                        (*steps)[k].code = eval::chain_code((*steps)[k], true), (*steps)[k].arg = k ? 1 : 0;
                const std::vector<double>& b_of = scalar ? b_constant : b;
                const void* operands[] = {x.data(), x.data(), b_of.data(), b_of.data()};
                for (std::ptrdiff_t n : {1, 3, 4, 5, 31, 32, 33, 64, 300}) {
                    std::vector<double> want(static_cast<std::size_t>(n)), got(static_cast<std::size_t>(n));
                    chain(selects.data(), 2, operands, want.data(), n, false);
                    chain(min_max.data(), 2, operands, got.data(), n, false);
                    ASSERT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(double)), 0)
                        << static_cast<int>(compare) << " " << scalar << " " << constant << " " << n;
                }
            }
        }
    }
}

TEST(Chain, MultiplyThenStepsGiveTheTwoStepsBitsAndFlags) {
    // load x, then x * b (b * x when swapped) followed by + c, c +, - c or c - as one step
    // (ChainStep::then), against the same as two steps: bit for bit and flag for flag, with NaN,
    // signed zeros, infinities and overflow in x, in b and in c, b an array or a constant, at
    // lengths around the vector and the tile.
    const eval::ChainKernel chain = eval::find_chain_kernel(DType::float64);
    ASSERT_NE(chain, nullptr);
    const double nan = std::nan(""), inf = INFINITY;
    std::vector<double> x = normal(300, 15), b = normal(300, 16);
    const double special[] = {nan, -nan, 0.0, -0.0, inf, -inf, 1.0, 1e300};
    for (std::size_t i = 0; i < 64; ++i) x[i] = special[i % 8], b[i] = special[(i / 8) % 8];
    for (const double constant : {0.0, -0.0, 1.5, nan, -inf}) {
        const std::vector<double> c(300, constant), b_constant(300, 2.5);
        for (int form = 0; form < 16; ++form) {
            const bool scalar = form & 8, swapped = form & 4, subtract = form & 2, then_swapped = form & 1;
            const eval::ChainOp then = subtract ? eval::ChainOp::subtract : eval::ChainOp::add;
            eval::ChainStep load{eval::ChainOp::load}, multiply{eval::ChainOp::multiply, swapped},
                step{then, then_swapped};
            multiply.scalar = scalar, step.scalar = true;
            std::vector<eval::ChainStep> two = {load, multiply, step}, one = {load, multiply};
            one[1].then = then, one[1].then_swapped = then_swapped;
            for (auto* steps : {&two, &one})
                for (std::size_t k = 0; k < steps->size(); ++k)
                    (*steps)[k].code = eval::chain_code((*steps)[k], true),
                    (*steps)[k].arg = static_cast<std::uint8_t>(k);
            EXPECT_EQ(one[1].code, eval::chain_multiply_then_code(one[1]));
            const void* operands[] = {x.data(), scalar ? b_constant.data() : b.data(), c.data()};
            for (std::ptrdiff_t n : {1, 3, 4, 5, 31, 32, 33, 64, 300}) {
                std::vector<double> want(static_cast<std::size_t>(n)), got(static_cast<std::size_t>(n));
                std::feclearexcept(FE_ALL_EXCEPT);
                chain(two.data(), 3, operands, want.data(), n, false);
                const int want_flags = std::fetestexcept(FE_ALL_EXCEPT);
                std::feclearexcept(FE_ALL_EXCEPT);
                chain(one.data(), 2, operands, got.data(), n, false);
                EXPECT_EQ(std::fetestexcept(FE_ALL_EXCEPT), want_flags) << form << " " << constant << " " << n;
                // NaN equals NaN whatever its payload: the compiler may order the operands of a
                // commutative op either way, and x86 returns the first one's NaN when both are.
                for (std::size_t i = 0; i < want.size(); ++i)
                    ASSERT_TRUE(std::memcmp(&want[i], &got[i], sizeof(double)) == 0 ||
                                (std::isnan(want[i]) && std::isnan(got[i])))
                        << form << " " << constant << " " << n << " " << i << ": " << want[i] << " " << got[i];
            }
        }
    }
}

TEST(Chain, ExpAndSinStepsGiveTheirKernelsBitsAndSignalArgumentsBeyondTheirRange) {
    // load x, exp or sin (ChainOp::exp, ChainOp::sin): inline where the kernels have them, the
    // same bits as the math kernel on arguments within the inline range and a flag for any
    // other, so that the chunk runs again; by the kernel (ChainStep::math), its bits and NumPy's
    // flags everywhere.
    struct Case {
        ir::Op op;
        eval::ChainOp step;
        std::uint8_t code;
        double scale;
        std::vector<double> beyond;  // 0: none
    };
    const double nan = std::nan(""), inf = HUGE_VAL;
    const Case cases[] = {
        {ir::Op::exp, eval::ChainOp::exp, eval::chain_exp_code, 100, {0.0, 1000.0, -1000.0, nan, 710.0}},
        {ir::Op::sin, eval::ChainOp::sin, eval::chain_sin_code, 1e5, {0.0, 0x1.000001p20, -3e7, nan, inf, 1e300}}};
    for (const Case& c : cases) {
        if (!eval::chain_inlines(c.op, DType::float64)) GTEST_SKIP() << "chain kernels without inline math on this CPU";
        const eval::ChainKernel chain = eval::find_chain_kernel(DType::float64);
        const eval::Kernel kernel = eval::find_kernel(c.op, DType::float64);
        std::vector<double> x = normal(300, 21);
        for (double& v : x) v *= c.scale;
        for (const bool by_kernel : {false, true}) {
            eval::ChainStep load{eval::ChainOp::load}, math{c.step};
            if (by_kernel) math.math = reinterpret_cast<eval::ChainRoutine>(kernel);
            std::vector<eval::ChainStep> steps = {load, math};
            steps[0].code = eval::chain_code(steps[0], true), steps[1].code = eval::chain_code(steps[1], false);
            steps[1].arg = 1;
            EXPECT_EQ(steps[1].code, by_kernel ? eval::chain_math_by_kernel_code : c.code);
            const void* operands[] = {x.data(), nullptr};
            for (const double beyond : c.beyond) {
                std::vector<double> y = x;
                if (beyond != 0.0 || std::isnan(beyond)) y[100] = beyond;
                operands[0] = y.data();
                for (std::ptrdiff_t n : {1, 5, 33, 300}) {
                    std::vector<double> want(static_cast<std::size_t>(n)), got(static_cast<std::size_t>(n));
                    const void* in[] = {y.data()};
                    std::feclearexcept(FE_ALL_EXCEPT);
                    kernel(in, want.data(), n);
                    const int want_flags = std::fetestexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW);
                    std::feclearexcept(FE_ALL_EXCEPT);
                    chain(steps.data(), 2, operands, got.data(), n, false);
                    const int flags = std::fetestexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW);
                    const bool in_range = n <= 100 || beyond == 0.0;
                    if (by_kernel)
                        EXPECT_EQ(flags, want_flags) << beyond << " " << n;
                    else
                        EXPECT_EQ(flags != 0, !in_range) << beyond << " " << n;
                    if (!by_kernel && !in_range) continue;  // the chunk runs again: its values do not matter
                    for (std::size_t i = 0; i < want.size(); ++i)
                        ASSERT_TRUE(std::memcmp(&want[i], &got[i], sizeof(double)) == 0 ||
                                    (std::isnan(want[i]) && std::isnan(got[i])))
                            << ir::info(c.op).name << " " << by_kernel << " " << beyond << " " << n << " " << i << ": "
                            << want[i] << " " << got[i];
                }
            }
        }
    }
}

TEST(Chain, CountsWhatAComparisonSelectsQuietly) {
    const eval::ChainCount count = eval::find_chain_count(DType::float64);
    ASSERT_NE(count, nullptr);
    const double nan = std::nan("");
    std::vector<double> a = normal(37, 8), b = normal(37, 9);
    a[0] = nan, b[1] = nan, a[2] = -0.0, b[2] = 0.0, a[3] = b[3] = 1.5, a[36] = nan;
    const eval::ChainCompare compares[] = {eval::ChainCompare::greater, eval::ChainCompare::greater_equal,
                                           eval::ChainCompare::less,    eval::ChainCompare::less_equal,
                                           eval::ChainCompare::equal,   eval::ChainCompare::not_equal};
    for (const auto compare : compares) {
        for (std::ptrdiff_t n : {0, 1, 3, 4, 5, 36, 37}) {
            std::ptrdiff_t expected = 0;
            for (std::ptrdiff_t i = 0; i < n; ++i) {
                const double x = a[static_cast<std::size_t>(i)], y = b[static_cast<std::size_t>(i)];
                const bool table[] = {x > y, x >= y, x < y, x <= y, x == y, x != y};
                expected += table[static_cast<int>(compare)];
            }
            std::feclearexcept(FE_ALL_EXCEPT);
            EXPECT_EQ(count(compare, a.data(), b.data(), n), expected) << static_cast<int>(compare) << " " << n;
            EXPECT_FALSE(std::fetestexcept(FE_INVALID)) << "a quiet NaN raised invalid";
        }
    }
}
