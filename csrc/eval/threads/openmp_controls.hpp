// What OpenMP tells about threads, or the same read without it. ironkernel's threads are its own
// pool (thread_pool.hpp); OpenMP only supplies the controls users already set for it
// (OMP_NUM_THREADS, threadpoolctl's omp_set_num_threads) and tells whether a call comes from
// inside another library's OpenMP region. A build without OpenMP (clang without libomp, as on
// macOS by default) reads OMP_NUM_THREADS itself, and cannot see threadpoolctl's limit or
// another library's regions.
#pragma once

#if defined(IK_HAVE_OPENMP)
#include <omp.h>
#else
#include <cstdlib>
#include <thread>
#endif

namespace ik::eval::openmp {

#if defined(IK_HAVE_OPENMP)
inline constexpr bool available = true;
inline int processors() { return omp_get_num_procs(); }
inline int max_threads() { return omp_get_max_threads(); }
inline bool in_parallel() { return omp_in_parallel() != 0; }
#else
inline constexpr bool available = false;
inline int processors() {
    const unsigned n = std::thread::hardware_concurrency();
    return n > 0 ? static_cast<int>(n) : 1;
}
// OMP_NUM_THREADS's first number (it may list one per nesting level), else the processors.
inline int max_threads() {
    static const int threads = [] {
        const char* env = std::getenv("OMP_NUM_THREADS");
        const long n = env ? std::strtol(env, nullptr, 10) : 0;
        return n > 0 ? static_cast<int>(n) : processors();
    }();
    return threads;
}
inline bool in_parallel() { return false; }
#endif

}  // namespace ik::eval::openmp
