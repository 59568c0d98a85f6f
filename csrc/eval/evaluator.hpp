// Running a program over strided arrays: the blocked evaluator and its threading.
#pragma once

#include <cstddef>
#include <cstdint>

#include "program.hpp"

namespace ik::eval {

// The bytes an array of n elements spans (any stride sign), to tell whether operands overlap.
struct ByteRange {
    std::uintptr_t lo, hi;
    bool overlaps(const ByteRange& o) const { return lo < o.hi && o.lo < hi; }
};
inline ByteRange range_of(const char* base, std::ptrdiff_t step, std::ptrdiff_t n, std::size_t itemsize) {
    const auto b = reinterpret_cast<std::uintptr_t>(base);
    const std::ptrdiff_t span = (n - 1) * step;
    return span >= 0 ? ByteRange{b, b + static_cast<std::uintptr_t>(span) + itemsize}
                     : ByteRange{b - static_cast<std::uintptr_t>(-span), b + itemsize};
}

// Evaluates `program` for n elements. args/steps follow NumPy's ufunc loop convention: the inputs,
// then the outputs, each a base pointer and a byte stride (any stride: 0, negative, unaligned).
// Never throws; floating-point flags raised by the computation end up on the calling thread.
// Returns false when scratch memory could not be allocated: the outputs are then not (all)
// written, and the caller must raise MemoryError (the ufunc loop, with the C API acquired).
bool run(const Program& program, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t n) noexcept;

// Evaluates elements [begin, end) block by block on the calling thread. stream_outputs: write
// contiguous outputs with non-temporal stores (for outputs far larger than the caches, where
// reading each output line into the cache before overwriting it would cost a third of the traffic).
void run_serial(const Program& program, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin,
                std::ptrdiff_t end, bool stream_outputs = false);

// Contiguous outputs of more bytes than this are streamed past the caches when memory bounds
// the call (the last-level cache one core can use).
std::size_t streaming_threshold_bytes();
// Whether memory bounds a call of this program over contiguous operands (its estimated compute
// per element is shorter than moving the element's bytes): such calls stream large outputs.
bool streams_large_outputs(const Program& p);

// Set IK_TESTING_FAIL_ALLOCATIONS in the environment to make every allocation of scratch memory
// fail, so that tests reach the out-of-memory path (read only when such memory is allocated).
bool fail_allocations_for_testing();

// An on/off switch of the environment (IK_CHUNKS, IK_DIRECT, IK_JIT, IK_CHAINS): on unless set to
// "0". Callers read it once (docs/reference/environment.md lists them).
bool switch_on(const char* variable);

// The threads one call may use, held for the duration of its parallel region. At most one call
// at a time gets more than one thread (concurrent calls from other Python threads run serially
// instead of oversubscribing the cores), none inside another parallel region, and none in a
// process forked after the pool's workers started (they do not survive fork()).
class ThreadGrant {
   public:
    explicit ThreadGrant(int wanted);
    ~ThreadGrant();
    ThreadGrant(const ThreadGrant&) = delete;
    ThreadGrant& operator=(const ThreadGrant&) = delete;
    int threads() const { return threads_; }

   private:
    int threads_ = 1;
};

// Threads: 0 means "as OpenMP says" (OMP_NUM_THREADS, or the number of cores).
void set_num_threads(int n);
int get_num_threads();
int get_requested_threads();  // the set_num_threads value (0: not set)
// Work, in estimated nanoseconds of serial evaluation, from which a call runs on several threads.
void set_parallel_threshold_ns(double ns);
double get_parallel_threshold_ns();

}  // namespace ik::eval
