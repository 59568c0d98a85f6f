// The one shape of every parallel loop here: OpenMP threads over an index range, floating-point
// flags of the worker threads carried back to the calling thread (NumPy reads them there).
#pragma once

#include <omp.h>

#include <cfenv>
#include <cstddef>
#include <optional>

#include "fp_flags.hpp"

namespace ik::eval {

// Runs body(state, k) for every k in [0, count) on `threads` threads, statically scheduled. Each
// thread first makes its own state with make_state() (scratch memory, accumulators, ...).
// Exceptions (allocation failure) cannot leave an OpenMP region: an iteration that throws, or
// every iteration of a thread without state, is skipped, and every thread still meets the others
// at the loop's barrier.
template <class MakeState, class Body>
void parallel_for(int threads, std::ptrdiff_t count, MakeState make_state, Body body) {
    using fp::numpy_flags;
    int worker_flags = 0;
#pragma omp parallel num_threads(threads) reduction(| : worker_flags)
    {
        const bool worker = omp_get_thread_num() != 0;
        if (worker) std::feclearexcept(numpy_flags);
        std::optional<decltype(make_state())> state;
        try {
            state.emplace(make_state());
        } catch (...) {
        }
#pragma omp for schedule(static)
        for (std::ptrdiff_t k = 0; k < count; ++k) {
            if (!state) continue;
            try {
                body(*state, k);
            } catch (...) {
            }
        }
        if (worker) worker_flags |= std::fetestexcept(numpy_flags);
    }
    if (worker_flags) std::feraiseexcept(worker_flags);
}

}  // namespace ik::eval
