// The process's worker threads (thread_pool.hpp): one pool, created lazily, whose workers join a
// call only while it still has work, so that the caller never waits for a thread that has not
// started.
#include "thread_pool.hpp"
#include "openmp_controls.hpp"

#include <algorithm>

#include <atomic>
#include <cfenv>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "eval/fp_flags.hpp"

namespace ik::eval {
namespace {

void cpu_relax() {
#if defined(__SSE2__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

// Spins until done() or `limit` has passed; true if done. Waking a sleeping thread costs tens of
// microseconds, the time of a whole small call: both sides spin briefly before they sleep.
template <class Done>
bool spin_until(Done done, std::chrono::microseconds limit) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 1;; ++i) {
        if (done()) return true;
        cpu_relax();
        if (i % 64 == 0 && std::chrono::steady_clock::now() - start > limit) return false;
    }
}

constexpr auto caller_spin = std::chrono::microseconds(200);
constexpr auto worker_spin = std::chrono::microseconds(100);

struct Pool {
    // The current job's generation times two, plus one while the job is open (workers may join).
    // Only the thread holding the ThreadGrant writes it; workers wait for it to change.
    std::atomic<std::uint32_t> state{0};
    // Workers between reading `state` and leaving the job it named. The caller returns (and its
    // job dies) only when this is zero after it closed the job: a worker counted here either saw
    // the job open (the caller waits for it) or sees it closed and touches nothing of it.
    std::atomic<int> inside{0};
    // The open job, written by the caller before it opens the job.
    PoolJob* job = nullptr;
    int helpers = 0;
    std::atomic<int> next_participant{1};
    // Workers asleep on `state` (their spin after the last job ran out): one offered a job must
    // wake first, tens of microseconds, longer than a short call.
    std::atomic<int> sleepers{0};
    std::atomic<bool> excused{false};              // the last call offered found them asleep (see run_on_pool)
    std::atomic<int> worker_flags{0};              // floating-point flags raised by the job's workers
    std::atomic<std::ptrdiff_t> worker_pieces{0};  // pieces of the job the workers took
    // Calls in a row that no worker helped with, and calls since the pool was last offered work
    // (only the ThreadGrant's holder reads and writes them).
    std::atomic<int> late_calls{0};
    std::atomic<int> unoffered{0};
    std::atomic<int> probe_interval{8};  // offer every this many calls while workers come late
    PoolStatistics statistics;

    std::mutex create;  // guards `workers`
    int workers = 0;
};

// Never destroyed: detached workers may still wait on it while the process exits.
Pool& the_pool() {
    static Pool* const pool = new Pool;
    return *pool;
}

void count(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

thread_local bool is_pool_worker = false;

std::atomic<bool> workers_started{false};
std::atomic<bool> workers_lost{false};
const bool fork_handler_installed = [] {
    pthread_atfork(nullptr, nullptr, [] {
        if (workers_started.load()) workers_lost.store(true);
    });
    return true;
}();

void worker_main(Pool& pool, std::uint32_t seen) {
    is_pool_worker = true;
    leave_signals_to_python_threads();
    std::uint32_t last_job = seen >> 1;  // the generation this worker last worked on
    for (;;) {
        if (!spin_until([&] { return pool.state.load(std::memory_order_relaxed) != seen; }, worker_spin)) {
            pool.sleepers.fetch_add(1);
            pool.state.wait(seen);
            pool.sleepers.fetch_sub(1);
        }
        pool.inside.fetch_add(1);
        seen = pool.state.load();
        if ((seen & 1) && (seen >> 1) != last_job) {
            last_job = seen >> 1;
            const int me = pool.next_participant.fetch_add(1);
            if (me <= pool.helpers) {
                std::feclearexcept(fp::numpy_flags);
                if (const std::ptrdiff_t took = pool.job->run(me)) pool.worker_pieces.fetch_add(took);
                if (const int raised = std::fetestexcept(fp::numpy_flags)) pool.worker_flags.fetch_or(raised);
            }
        }
        if (pool.inside.fetch_sub(1) == 1) pool.inside.notify_all();
    }
}

// Starts workers until the pool has `wanted` (at most pool_capacity()); returns how many it has.
int start_workers(Pool& pool, int wanted) {
    const std::lock_guard lock(pool.create);
    while (pool.workers < wanted) {
        // Workers are born with the asynchronous signals blocked (no window before they block
        // them themselves).
        sigset_t block, old;
        sigfillset(&block);
        for (const int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT}) sigdelset(&block, sig);
        pthread_sigmask(SIG_BLOCK, &block, &old);
        try {
            std::thread(worker_main, std::ref(pool), pool.state.load()).detach();
            ++pool.workers;
            workers_started.store(true);
        } catch (const std::system_error&) {  // no more threads: the pool stays as it is
            pthread_sigmask(SIG_SETMASK, &old, nullptr);
            break;
        }
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
    return pool.workers;
}

}  // namespace

int pool_capacity() {
    if (workers_lost.load()) return 0;
    static const int capacity = std::max(0, openmp::processors() - 1);
    return capacity;
}

bool on_pool_worker() { return is_pool_worker; }

PoolStatistics& pool_statistics() { return the_pool().statistics; }

bool pool_lost_in_fork() { return workers_lost.load(); }

void run_on_pool(int helpers, PoolJob& job) {
    Pool& pool = the_pool();
    helpers = std::min(helpers, pool_capacity());
    if (helpers > 0) helpers = std::min(helpers, start_workers(pool, helpers));
    // Waking a worker that comes late costs the caller a system call and perhaps its core for a
    // moment (or a piece taken and then its core lost): not while workers keep coming late. The
    // probes for their return get rarer while they fail (every 8th call, then 16th, ... 64th),
    // so that they stay out of the 90th percentile of a busy machine's call times.
    constexpr int late_limit = 3, first_probe = 8, last_probe = 64;
    const bool skip = pool.late_calls.load(std::memory_order_relaxed) >= late_limit &&
                      pool.unoffered.fetch_add(1, std::memory_order_relaxed) + 1 <
                          pool.probe_interval.load(std::memory_order_relaxed);
    if (helpers <= 0 || skip) {
        if (skip) count(pool.statistics.withheld);
        job.run(0);
        return;
    }
    pool.unoffered.store(0, std::memory_order_relaxed);
    const bool all_asleep = pool.sleepers.load() >= helpers;
    const auto start = std::chrono::steady_clock::now();
    pool.job = &job;
    pool.helpers = helpers;
    pool.next_participant.store(1);
    pool.worker_flags.store(0);
    pool.worker_pieces.store(0);
    const std::uint32_t open = ((pool.state.load() >> 1) + 1) << 1 | 1;
    pool.state.store(open);
    pool.state.notify_all();
    const std::ptrdiff_t caller_pieces = job.run(0);
    pool.state.store(open & ~1u);  // closed: no worker joins from now on
    const auto worked = std::chrono::steady_clock::now();
    if (!spin_until([&] { return pool.inside.load() == 0; }, caller_spin))
        for (int n = pool.inside.load(); n != 0; n = pool.inside.load()) pool.inside.wait(n);
    // A worker that lost its core in the middle of a piece made the caller wait for it. The call
    // was faster than on one thread only if that wait was shorter than the workers' pieces would
    // have taken the caller (at its own pace per piece: pieces are of about equal work); else it
    // counts as a call the workers did not help with. On an idle machine the wait is at most the
    // rest of one piece a worker took; a worker that lost its core waits a scheduler slice.
    const auto waited = std::chrono::steady_clock::now() - worked;
    const std::ptrdiff_t worker_pieces = pool.worker_pieces.load();
    const bool helped =
        worker_pieces > 0 && (caller_pieces == 0 || waited * caller_pieces < (worked - start) * worker_pieces);
    count(pool.statistics.offered);
    if (!helped) count(pool.statistics.unhelped);
    // Workers that were asleep and found the work done when they woke say little of the machine:
    // waking takes longer than a short call. They spin for a while now, in time for the next call
    // if it comes soon, which is offered to them (back-to-back calls of 1e5 float32 elements: 2
    // threads 1.4x faster than 1). Excused once: if they are still asleep at that call, they did
    // not get a core to wake on. A worker that was awake and still came late, or made the caller
    // wait, lost its core.
    const bool after_excuse = pool.excused.load(std::memory_order_relaxed);
    const bool excuse = !helped && worker_pieces == 0 && all_asleep && !after_excuse;
    pool.excused.store(excuse, std::memory_order_relaxed);
    if (excuse) {
        pool.unoffered.store(pool.probe_interval.load(std::memory_order_relaxed), std::memory_order_relaxed);
    } else if (helped) {
        pool.late_calls.store(0, std::memory_order_relaxed);
        pool.probe_interval.store(first_probe, std::memory_order_relaxed);
    } else if (pool.late_calls.fetch_add(1, std::memory_order_relaxed) >= late_limit && !after_excuse) {
        // A failed probe (the call offered after an excuse is not one: it makes probes no rarer).
        pool.probe_interval.store(std::min(2 * pool.probe_interval.load(std::memory_order_relaxed), last_probe),
                                  std::memory_order_relaxed);
    }
    if (const int raised = pool.worker_flags.load()) std::feraiseexcept(raised);
}

}  // namespace ik::eval
