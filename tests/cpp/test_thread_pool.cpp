// The worker pool under parallel_for: every index once, late workers, exceptions, flags, nesting.
#include <gtest/gtest.h>

#include <atomic>
#include <cfenv>
#include <chrono>
#include <cstddef>
#include <new>
#include <thread>
#include <vector>

#include "eval/threads/parallel.hpp"
#include "eval/threads/parallel_for.hpp"
#include "eval/threads/thread_pool.hpp"

using namespace ik;

namespace {

// parallel_for as a call runs it: under a ThreadGrant (one parallel loop at a time).
template <class Body>
void threaded_for(int threads, std::ptrdiff_t count, Body body) {
    const eval::ThreadGrant grant(threads);
    eval::parallel_for(grant.threads(), count, [] { return 0; }, [&](int, std::ptrdiff_t k) { body(k); });
}

}  // namespace

TEST(ThreadPool, ManyTinyJobsRunEveryIndexOnce) {
    // Jobs far shorter than a worker's wake-up: workers join some, come late to most. A late
    // worker must neither run an index of a finished job nor touch its (gone) stack frame.
    std::vector<std::atomic<int>> runs(8);
    for (int job = 0; job < 20000; ++job) {
        const std::ptrdiff_t count = 1 + job % 8;
        threaded_for(2 + job % 3, count, [&](std::ptrdiff_t k) { ++runs[static_cast<std::size_t>(k)]; });
        for (std::ptrdiff_t k = 0; k < count; ++k)
            ASSERT_EQ(runs[static_cast<std::size_t>(k)].exchange(0), 1) << job << " " << k;
    }
}

TEST(ThreadPool, WorkersHelpWithLongJobs) {
    // A job of a few milliseconds: the worker wakes in time and takes its share, also after the
    // tiny jobs above taught the pool that workers come late (a probe finds them in time; probes
    // come every 64th call at the rarest, so more attempts than two of those spans).
    const auto caller = std::this_thread::get_id();
    bool helped = false;
    for (int attempt = 0; attempt < 150 && !helped && eval::pool_capacity() > 0; ++attempt) {
        std::atomic<int> by_workers{0};
        threaded_for(2, 64, [&](std::ptrdiff_t) {
            std::this_thread::sleep_for(std::chrono::microseconds(100));
            if (std::this_thread::get_id() != caller) ++by_workers;
        });
        helped = by_workers.load() > 0;
    }
    EXPECT_TRUE(helped || eval::pool_capacity() == 0);
}

TEST(ThreadPool, AFailingIterationIsReportedOnTheCallerAfterTheOthersRan) {
    for (int threads : {2, 3}) {
        std::vector<std::atomic<int>> runs(100);
        EXPECT_THROW(threaded_for(threads, 100,
                                  [&](std::ptrdiff_t k) {
                                      ++runs[static_cast<std::size_t>(k)];
                                      if (k == 37 || k == 90) throw std::bad_alloc();
                                  }),
                     std::bad_alloc);
        for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
        // The pool is usable afterwards.
        std::atomic<int> total{0};
        threaded_for(threads, 100, [&](std::ptrdiff_t) { ++total; });
        EXPECT_EQ(total.load(), 100);
    }
}

TEST(ThreadPool, WorkerFlagsAreRaisedOnTheCaller) {
    const auto caller = std::this_thread::get_id();
    bool worker_ran = false;
    for (int attempt = 0; attempt < 50 && !worker_ran && eval::pool_capacity() > 0; ++attempt) {
        std::feclearexcept(FE_ALL_EXCEPT);
        std::atomic<bool> on_worker{false};
        threaded_for(2, 64, [&](std::ptrdiff_t) {
            std::this_thread::sleep_for(std::chrono::microseconds(50));
            if (std::this_thread::get_id() != caller) {
                on_worker = true;
                volatile double zero = 0.0;
                volatile double inf = 1.0 / zero;  // raises divide-by-zero on the worker
                (void)inf;
            }
        });
        worker_ran = on_worker.load();
        if (worker_ran) {
            EXPECT_NE(std::fetestexcept(FE_DIVBYZERO), 0);
        }
    }
    std::feclearexcept(FE_ALL_EXCEPT);
}

TEST(ThreadPool, NestedCallsRunSeriallyOnTheirThread) {
    // A body that starts a loop of its own (a kernel called from a kernel) gets no threads,
    // on the caller and on the workers alike.
    std::atomic<int> granted_more{0}, total{0};
    threaded_for(2, 16, [&](std::ptrdiff_t) {
        const eval::ThreadGrant inner(2);
        if (inner.threads() > 1) ++granted_more;
        eval::parallel_for(inner.threads(), 10, [] { return 0; }, [&](int, std::ptrdiff_t) { ++total; });
    });
    EXPECT_EQ(granted_more.load(), 0);
    EXPECT_EQ(total.load(), 160);
}

TEST(ThreadPool, CallersOnSeveralThreadsShareOnePool) {
    // Four threads calling at once: one at a time gets the pool, the others run serially; every
    // index of every call runs once.
    std::atomic<int> wrong{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t)
        callers.emplace_back([&] {
            std::vector<std::atomic<int>> runs(33);
            for (int job = 0; job < 2000; ++job) {
                threaded_for(2, 33, [&](std::ptrdiff_t k) { ++runs[static_cast<std::size_t>(k)]; });
                for (auto& r : runs)
                    if (r.exchange(0) != 1) ++wrong;
            }
        });
    for (auto& c : callers) c.join();
    EXPECT_EQ(wrong.load(), 0);
}
