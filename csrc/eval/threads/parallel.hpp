// Running a program over strided arrays on as many threads as its work is worth (parallel.cpp).
#pragma once

#include <cstddef>

#include "eval/program.hpp"

namespace ik::eval {

// Evaluates `program` for n elements. args/steps follow NumPy's ufunc loop convention: the inputs,
// then the outputs, each a base pointer and a byte stride (any stride: 0, negative, unaligned).
// Never throws; floating-point flags raised by the computation end up on the calling thread.
// Returns false when scratch memory could not be allocated: the outputs are then not (all)
// written, and the caller must raise MemoryError (the ufunc loop, with the C API acquired).
bool run(const Program& program, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t n) noexcept;

// The threads one call may use, held for the duration of its parallel region. At most one call
// at a time gets more than one thread (concurrent calls from other Python threads run serially
// instead of oversubscribing the cores, and so does every call for 20 ms after two met), none
// inside another parallel region, and none in a process forked after the pool's workers started
// (they do not survive fork()).
class ThreadGrant {
   public:
    explicit ThreadGrant(int wanted);
    ~ThreadGrant();
    ThreadGrant(const ThreadGrant&) = delete;
    ThreadGrant& operator=(const ThreadGrant&) = delete;
    int threads() const { return threads_; }

   private:
    int threads_ = 1;
    bool counted_ = false;  // counted among the calls running now
};

// Threads: 0 means "as OpenMP says" (OMP_NUM_THREADS, or the number of cores).
void set_num_threads(int n);
int get_num_threads();
int get_requested_threads();  // the set_num_threads value (0: not set)
// Work, in estimated nanoseconds of serial evaluation, from which a call runs on several threads.
void set_parallel_threshold_ns(double ns);
double get_parallel_threshold_ns();

}  // namespace ik::eval
