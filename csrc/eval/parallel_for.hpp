// The one shape of every parallel loop here: OpenMP threads over an index range, floating-point
// flags of the worker threads carried back to the calling thread (NumPy reads them there).
#pragma once

#include <omp.h>
#include <pthread.h>

#include <csignal>

#include <atomic>
#include <cfenv>
#include <cstddef>
#include <new>
#include <optional>
#include <vector>

#include "fp_flags.hpp"

namespace ik::eval {

// Called by each worker thread (not the calling one): blocks the asynchronous signals there, once
// per thread, so that the kernel delivers them to a Python thread. CPython handles a signal that
// lands on a thread of its own only: on another thread the handler records it but does not wake
// the interpreter (on Linux, eval_breaker is computed for the receiving thread), so a Ctrl-C that
// hit an OpenMP worker during a call could go unnoticed long after the call returned.
inline void leave_signals_to_python_threads() {
    thread_local const bool blocked = [] {
        sigset_t set;
        sigemptyset(&set);
        for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGWINCH})
            sigaddset(&set, sig);
        return pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0;
    }();
    (void)blocked;
}

// Runs body(state, k) for every k in [0, count) on `threads` threads. Thread t owns the indices
// [count * t / threads, count * (t + 1) / threads) and takes them in order; a thread done with
// its own then takes what is left of the others', from the front. Owning a fixed share keeps each
// thread on the same memory call after call (measured at 1M elements, axpy: with every index
// taken in turn by whichever thread came first, twice the time, the data no longer in the cache
// of the core that last touched it); helping out means a thread whose core is busy with another
// process does less, instead of the call waiting for that process's time slice. Each thread
// first makes its own state with make_state() (scratch memory, accumulators, ...).
// Exceptions (allocation failure) cannot leave an OpenMP region: an iteration that throws is
// skipped; a thread without state takes no index, and the others take its share. If an iteration
// failed or an index was left to nobody, std::bad_alloc is thrown on the calling thread after
// the region, so that the call reports MemoryError instead of leaving outputs unwritten.
template <class MakeState, class Body>
void parallel_for(int threads, std::ptrdiff_t count, MakeState make_state, Body body) {
    using fp::numpy_flags;
    struct alignas(64) Share {  // a cache line each: owners do not slow each other down
        std::atomic<std::ptrdiff_t> next;
        std::ptrdiff_t end;
    };
    std::vector<Share> shares(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) {
        shares[static_cast<std::size_t>(t)].next = count * t / threads;
        shares[static_cast<std::size_t>(t)].end = count * (t + 1) / threads;
    }
    int worker_flags = 0;
    std::atomic<bool> failed{false};
#pragma omp parallel num_threads(threads) reduction(| : worker_flags)
    {
        const int me = omp_get_thread_num();
        if (me != 0) {
            leave_signals_to_python_threads();
            std::feclearexcept(numpy_flags);
        }
        std::optional<decltype(make_state())> state;
        try {
            state.emplace(make_state());
        } catch (...) {  // the others take this thread's share; left over if there are none
        }
        // Every share, the thread's own first (OpenMP may start fewer threads than asked).
        for (int j = 0; state && j < threads; ++j) {
            Share& share = shares[static_cast<std::size_t>((me + j) % threads)];
            for (std::ptrdiff_t k = share.next++; k < share.end; k = share.next++) {
                try {
                    body(*state, k);
                } catch (...) {
                    failed.store(true, std::memory_order_relaxed);
                }
            }
        }
        if (me != 0) worker_flags |= std::fetestexcept(numpy_flags);
    }
    if (worker_flags) std::feraiseexcept(worker_flags);
    for (const Share& share : shares)
        if (share.next.load() < share.end) failed.store(true);
    if (failed.load()) throw std::bad_alloc();
}

}  // namespace ik::eval
