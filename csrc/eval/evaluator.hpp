// Running a program over strided arrays: the blocked evaluator and its threading.
#pragma once

#include <cstddef>

#include "program.hpp"

namespace ik::eval {

// Evaluates `program` for n elements. args/steps follow NumPy's ufunc loop convention: the inputs,
// then the outputs, each a base pointer and a byte stride (any stride: 0, negative, unaligned).
// Never throws; floating-point flags raised by the computation end up on the calling thread.
void run(const Program& program, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t n) noexcept;

// Evaluates elements [begin, end) block by block on the calling thread.
void run_serial(const Program& program, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin,
                std::ptrdiff_t end);

// Threads: 0 means "as OpenMP says" (OMP_NUM_THREADS, or the number of cores).
void set_num_threads(int n);
int get_num_threads();
int get_requested_threads();  // the set_num_threads value (0: not set)
// Work, in estimated nanoseconds of serial evaluation, from which a call runs on several threads.
void set_parallel_threshold_ns(double ns);
double get_parallel_threshold_ns();

// The right to open an OpenMP parallel region, held by one call at a time in the process: a call
// that cannot get it (another Python thread's call has it, or this is a forked child, where GNU
// OpenMP's pool is gone) runs on its calling thread, instead of oversubscribing the cores or
// waiting forever for the pool.
class ParallelClaim {
   public:
    explicit ParallelClaim(bool wanted);
    ~ParallelClaim();
    ParallelClaim(const ParallelClaim&) = delete;
    ParallelClaim& operator=(const ParallelClaim&) = delete;
    bool held() const { return held_; }

   private:
    bool held_ = false;
};

}  // namespace ik::eval
