// The one shape of every parallel loop here: the calling thread and the pool's workers over an
// index range, floating-point flags of the workers carried back to the calling thread (NumPy
// reads them there).
#pragma once

#include <atomic>
#include <cstddef>
#include <new>
#include <optional>
#include <vector>

#include "thread_pool.hpp"

namespace ik::eval {

// Runs body(state, k) for every k in [0, count) on the calling thread and up to threads - 1 pool
// workers. The indices are cut into `threads` shares; participant t (the caller is 0) takes share
// t's indices in order, then what is left of the others', from the front. Owning a fixed share
// keeps each thread on the same memory call after call (measured at 1M elements, axpy: with
// every index taken in turn by whichever thread came first, twice the time, the data no longer
// in the cache of the core that last touched it); helping out means a thread whose core is busy
// with another process does less, and a worker that starts after every index was taken does
// nothing: the call waits only for indices already taken (run_on_pool). Each participant first
// makes its own state with make_state() (scratch memory, accumulators, ...), once it has seen
// that an index is left.
// Exceptions (allocation failure) do not leave a participant: an iteration that throws is
// skipped; a participant without state takes no index, and the others take its share. If an
// iteration failed or an index was left to nobody, std::bad_alloc is thrown on the calling thread
// after the loop, so that the call reports MemoryError instead of leaving outputs unwritten.
template <class MakeState, class Body>
void parallel_for(int threads, std::ptrdiff_t count, MakeState make_state, Body body) {
    struct alignas(64) Share {  // a cache line each: owners do not slow each other down
        std::atomic<std::ptrdiff_t> next;
        std::ptrdiff_t end;
    };
    std::vector<Share> shares(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) {
        shares[static_cast<std::size_t>(t)].next = count * t / threads;
        shares[static_cast<std::size_t>(t)].end = count * (t + 1) / threads;
    }
    struct Loop final : PoolJob {
        std::vector<Share>& shares;
        MakeState& make_state;
        Body& body;
        std::atomic<bool> failed{false};

        Loop(std::vector<Share>& s, MakeState& m, Body& b) : shares(s), make_state(m), body(b) {}

        bool any_left() const {
            for (const Share& share : shares)
                if (share.next.load(std::memory_order_relaxed) < share.end) return true;
            return false;
        }

        std::ptrdiff_t run(int participant) noexcept override {
            if (participant != 0 && !any_left()) return 0;  // came late: no state to make
            std::optional<decltype(make_state())> state;
            try {
                state.emplace(make_state());
            } catch (...) {  // the others take this participant's share; left over if there are none
                return 0;
            }
            std::ptrdiff_t took = 0;
            const std::size_t n = shares.size();
            for (std::size_t j = 0; j < n; ++j) {  // every share, the participant's own first
                Share& share = shares[(static_cast<std::size_t>(participant) + j) % n];
                for (std::ptrdiff_t k = share.next++; k < share.end; k = share.next++) {
                    ++took;
                    try {
                        body(*state, k);
                    } catch (...) {
                        failed.store(true, std::memory_order_relaxed);
                    }
                }
            }
            return took;
        }
    } loop(shares, make_state, body);
    run_on_pool(threads - 1, loop);
    if (loop.failed.load() || loop.any_left()) throw std::bad_alloc();
}

}  // namespace ik::eval
