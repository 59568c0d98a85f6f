// The blocked evaluator on raw buffers: values, strides, lazy where, flags, recurrences, threads.
// Its chains are tested in test_chains.cpp, its row sums in test_reduce.cpp. (The thread grant's
// test stays here, after calls of one thread: it needs no calls met within the last 20 ms.)
#include <gtest/gtest.h>

#include <atomic>
#include <cfenv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <new>
#include <thread>
#include <vector>

#include "eval/evaluator.hpp"
#include "eval/threads/parallel.hpp"
#include "eval/threads/parallel_for.hpp"
#include "evaluator_helpers.hpp"
#include "graph_helpers.hpp"
#include "passes/passes.hpp"

using namespace ik;
using ir::DType;
using ir::Op;
using test::normal;
using test::run1;

namespace {

double seed(double x) { return x > 0 ? std::sqrt(std::fabs(x)) + std::sin(x) : 0.0; }

}  // namespace

TEST(Evaluator, SeedExpressionMatchesScalarCode) {
    const eval::Program p = passes::compile(test::seed_graph());
    for (std::size_t n : {0u, 1u, 7u, 1023u, 1024u, 1025u, 5000u}) {
        const auto x = normal(n);
        std::vector<double> out(n, -7.0);
        run1(p, x.data(), 8, out.data(), 8, static_cast<std::ptrdiff_t>(n));
        for (std::size_t i = 0; i < n; ++i)
            ASSERT_NEAR(out[i], seed(x[i]), 4e-16 * (1 + std::fabs(out[i]))) << n << " " << i;
    }
}

TEST(Evaluator, HandlesZeroNegativeAndOddStrides) {
    const eval::Program p = passes::compile(test::seed_graph());
    const auto x = normal(3000);
    std::vector<double> out(3000);
    run1(p, x.data() + 2999, -8, out.data(), 8, 3000);  // reversed input
    for (std::size_t i = 0; i < 3000; ++i) ASSERT_NEAR(out[i], seed(x[2999 - i]), 1e-15);
    run1(p, x.data(), 0, out.data(), 16, 1500);  // broadcast input, strided output
    for (std::size_t i = 0; i < 1500; ++i) ASSERT_NEAR(out[2 * i], seed(x[0]), 1e-15);
}

TEST(Evaluator, UnselectedBranchRaisesNoFlags) {
    // where(x > 0, sqrt(x), 0): sqrt of the negative lanes must never run.
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    const auto zero = test::f64(b, 0.0);
    b.add_output(test::op(b, Op::where, DType::float64, test::op(b, Op::greater, DType::bool_, x, zero),
                          test::op(b, Op::sqrt, DType::float64, x), zero));
    const eval::Program p = passes::compile(b.finish());
    for (std::size_t n : {10u, 5000u}) {
        auto v = normal(n);
        std::vector<double> out(n);
        std::feclearexcept(FE_ALL_EXCEPT);
        run1(p, v.data(), 8, out.data(), 8, static_cast<std::ptrdiff_t>(n));
        EXPECT_EQ(std::fetestexcept(FE_INVALID), 0);
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], v[i] > 0 ? std::sqrt(v[i]) : 0.0);
    }
    // ... but the selected lanes still report theirs: where(x < 0, sqrt(x), 0) is invalid.
    ir::GraphBuilder b2(1);
    const auto x2 = b2.input(0, DType::float64);
    const auto zero2 = test::f64(b2, 0.0);
    b2.add_output(test::op(b2, Op::where, DType::float64, test::op(b2, Op::less, DType::bool_, x2, zero2),
                           test::op(b2, Op::sqrt, DType::float64, x2), zero2));
    const eval::Program p2 = passes::compile(b2.finish());
    auto v = normal(100);
    std::vector<double> out(100);
    std::feclearexcept(FE_ALL_EXCEPT);
    run1(p2, v.data(), 8, out.data(), 8, 100);
    EXPECT_NE(std::fetestexcept(FE_INVALID), 0);
}

TEST(Evaluator, WorkerThreadFlagsReachTheCaller) {
    // 1/x with a single zero far into the array, on forced threads: the worker's divide flag
    // must be raised on the calling thread.
    ir::GraphBuilder b(1);
    const auto x = b.input(0, DType::float64);
    b.add_output(test::op(b, Op::divide, DType::float64, test::f64(b, 1.0), x));
    const eval::Program p = passes::compile(b.finish());
    std::vector<double> v(200000, 2.0), out(200000);
    v[199000] = 0.0;
    eval::set_num_threads(2);
    eval::set_parallel_threshold_ns(0);
    std::feclearexcept(FE_ALL_EXCEPT);
    run1(p, v.data(), 8, out.data(), 8, 200000);
    EXPECT_NE(std::fetestexcept(FE_DIVBYZERO), 0);
    EXPECT_TRUE(std::isinf(out[199000]));
    eval::set_parallel_threshold_ns(20000);
    eval::set_num_threads(0);
}

TEST(Evaluator, OverlappingOperandsRunAsARecurrence) {
    // out[i+1] = out[i] + x[i+1] when the output is the input shifted by one (ufunc.accumulate).
    ir::GraphBuilder b(2);
    const auto a = b.input(0, DType::float64);
    const auto c = b.input(1, DType::float64);
    b.add_output(test::op(b, Op::add, DType::float64, a, c));
    const eval::Program p = passes::compile(b.finish());
    std::vector<double> acc(3001, 0.0), x(3001, 1.0);
    char* args[3] = {reinterpret_cast<char*>(acc.data()), reinterpret_cast<char*>(x.data() + 1),
                     reinterpret_cast<char*>(acc.data() + 1)};
    const std::ptrdiff_t steps[3] = {8, 8, 8};
    eval::run(p, args, steps, 3000);
    EXPECT_EQ(acc[3000], 3000.0);
    // reduce: accumulator with stride 0 as both input 0 and the output
    double total = 0;
    char* rargs[3] = {reinterpret_cast<char*>(&total), reinterpret_cast<char*>(x.data()),
                      reinterpret_cast<char*>(&total)};
    const std::ptrdiff_t rsteps[3] = {0, 8, 0};
    eval::run(p, rargs, rsteps, 3001);
    EXPECT_EQ(total, 3001.0);
}

TEST(Evaluator, IntegerDivisionByZeroGivesZeroAndFlag) {
    ir::GraphBuilder b(2);
    const auto a = b.input(0, DType::int32);
    const auto c = b.input(1, DType::int32);
    b.add_output(test::op(b, Op::floor_divide, DType::int32, a, c));
    const eval::Program p = passes::compile(b.finish());
    std::int32_t x[4] = {7, -7, 5, 1}, y[4] = {2, 2, 0, -1}, out[4];
    char* args[3] = {reinterpret_cast<char*>(x), reinterpret_cast<char*>(y), reinterpret_cast<char*>(out)};
    const std::ptrdiff_t steps[3] = {4, 4, 4};
    std::feclearexcept(FE_ALL_EXCEPT);
    eval::run(p, args, steps, 4);
    EXPECT_EQ(out[0], 3);
    EXPECT_EQ(out[1], -4);
    EXPECT_EQ(out[2], 0);
    EXPECT_EQ(out[3], -1);
    EXPECT_NE(std::fetestexcept(FE_DIVBYZERO), 0);
}

TEST(ThreadGrant, OneCallAtATimeGetsThreads) {
    {
        const eval::ThreadGrant first(2);
        ASSERT_EQ(first.threads(), 2);
        const eval::ThreadGrant second(2);  // as a call from another thread would see it
        EXPECT_EQ(second.threads(), 1);
        const eval::ThreadGrant serial(1);
        EXPECT_EQ(serial.threads(), 1);
    }
    // Two calls met just now: for 20 ms every call runs on its caller's thread (many callers).
    const auto met = std::chrono::steady_clock::now();
    {
        const eval::ThreadGrant soon(2);
        if (std::chrono::steady_clock::now() - met < std::chrono::milliseconds(15)) EXPECT_EQ(soon.threads(), 1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    const eval::ThreadGrant again(2);  // released with its holder, and the meeting forgotten
    EXPECT_EQ(again.threads(), 2);
}

TEST(ParallelFor, EveryIndexRunsOnceAlsoWhenAThreadHasNoState) {
    // Each thread owns a share of the indices and then takes what is left of the others'; a
    // thread whose state cannot be made (allocation failure) takes none, and the others run its
    // share. Counted per index, for thread counts that do not divide the count.
    for (const int threads : {2, 3, 4}) {
        for (const std::ptrdiff_t count : {1, 2, 7, 64, 1001}) {
            for (const bool one_fails : {false, true}) {
                std::vector<std::atomic<int>> runs(static_cast<std::size_t>(count));
                const auto caller = std::this_thread::get_id();
                eval::parallel_for(
                    threads, count,
                    [&] {
                        if (one_fails && std::this_thread::get_id() != caller) throw std::bad_alloc();
                        return 0;
                    },
                    [&](int, std::ptrdiff_t k) { ++runs[static_cast<std::size_t>(k)]; });
                for (std::ptrdiff_t k = 0; k < count; ++k)
                    ASSERT_EQ(runs[static_cast<std::size_t>(k)].load(), 1)
                        << threads << " " << count << " " << one_fails << " " << k;
            }
        }
    }
}
