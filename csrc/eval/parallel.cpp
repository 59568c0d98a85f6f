// Threading of a call: whether to use OpenMP, splitting blocks among threads, and carrying
// floating-point flags from worker threads back to the calling thread (which NumPy reads).
#include <omp.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cfenv>

#include "evaluator.hpp"

namespace ik::eval {
namespace {

constexpr int numpy_flags = FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID;

std::atomic<int> requested_threads{0};
std::atomic<double> threshold_ns{20000.0};
// Parallel regions running now, from any Python thread: a second concurrent call runs serially
// instead of oversubscribing the cores.
std::atomic<int> active_regions{0};
// GNU OpenMP's thread pool does not survive fork(); a forked child evaluates serially.
std::atomic<bool> in_forked_child{false};
const bool fork_handler_installed = [] {
    pthread_atfork(nullptr, nullptr, [] { in_forked_child.store(true); });
    return true;
}();

struct ByteRange {
    std::uintptr_t lo, hi;
};
ByteRange range_of(const char* base, std::ptrdiff_t step, std::ptrdiff_t n, std::size_t itemsize) {
    const auto b = reinterpret_cast<std::uintptr_t>(base);
    const std::ptrdiff_t span = (n - 1) * step;
    return span >= 0 ? ByteRange{b, b + static_cast<std::uintptr_t>(span) + itemsize}
                     : ByteRange{b - static_cast<std::uintptr_t>(-span), b + itemsize};
}

// True when an output shares memory with an input without being the very same elements, as in
// ufunc.reduce (accumulator with stride 0, as input and output) and ufunc.accumulate (output one
// element ahead):
// then element i depends on element i-1's result and the call must run one element at a time.
bool has_recurrence(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t n) {
    const std::size_t n_in = static_cast<std::size_t>(p.n_inputs);
    for (std::size_t k = 0; k < p.output_registers.size(); ++k) {
        const std::size_t o = n_in + k;
        const auto out_size = ir::itemsize(p.registers[static_cast<std::size_t>(p.output_registers[k])].dtype);
        const ByteRange out = range_of(args[o], steps[o], n, out_size);
        for (std::size_t i = 0; i < n_in; ++i) {
            if (p.input_registers[i] < 0) continue;
            const ByteRange in = range_of(args[i], steps[i], n, ir::itemsize(p.input_dtypes[i]));
            const bool overlap = in.lo < out.hi && out.lo < in.hi;
            if (overlap && (args[i] != args[o] || steps[i] != steps[o] || steps[o] == 0)) return true;
        }
    }
    return false;
}

int threads_for(const Program& p, std::ptrdiff_t n) {
    const int wanted = requested_threads.load() > 0 ? requested_threads.load() : omp_get_max_threads();
    if (wanted <= 1 || omp_in_parallel()) return 1;
    if (static_cast<double>(n) * p.cost_per_element < threshold_ns.load()) return 1;
    const std::ptrdiff_t blocks = (n + p.block - 1) / p.block;
    return static_cast<int>(std::min<std::ptrdiff_t>(wanted, blocks));
}

}  // namespace

ParallelClaim::ParallelClaim(bool wanted) {
    if (!wanted || in_forked_child.load()) return;
    if (active_regions.fetch_add(1) == 0) {
        held_ = true;
        return;
    }
    active_regions.fetch_sub(1);
}

ParallelClaim::~ParallelClaim() {
    if (held_) active_regions.fetch_sub(1);
}

void set_num_threads(int n) { requested_threads.store(std::max(0, n)); }
int get_requested_threads() { return requested_threads.load(); }
int get_num_threads() { return requested_threads.load() > 0 ? requested_threads.load() : omp_get_max_threads(); }
void set_parallel_threshold_ns(double ns) { threshold_ns.store(ns); }
double get_parallel_threshold_ns() { return threshold_ns.load(); }

void run(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t n) noexcept {
    if (n <= 0) return;
    try {
        if (n > 1 && has_recurrence(p, args, steps, n)) {
            for (std::ptrdiff_t i = 0; i < n; ++i) run_serial(p, args, steps, i, i + 1);
            return;
        }
        int threads = threads_for(p, n);
        const ParallelClaim claim(threads > 1);
        if (!claim.held()) threads = 1;
        if (threads == 1) {
            run_serial(p, args, steps, 0, n);
            return;
        }
        // Each thread takes one contiguous run of whole blocks.
        const std::ptrdiff_t blocks = (n + p.block - 1) / p.block;
        int worker_flags = 0;
#pragma omp parallel num_threads(threads) reduction(| : worker_flags)
        {
            const int t = omp_get_thread_num(), nt = omp_get_num_threads();
            const bool worker = t != 0;
            if (worker) std::feclearexcept(numpy_flags);
            const std::ptrdiff_t b0 = blocks * t / nt, b1 = blocks * (t + 1) / nt;
            try {
                run_serial(p, args, steps, b0 * p.block, std::min(n, b1 * p.block));
            } catch (...) {
            }
            if (worker) worker_flags |= std::fetestexcept(numpy_flags);
        }
        if (worker_flags) std::feraiseexcept(worker_flags);
    } catch (...) {
        // Nothing may unwind into NumPy; allocation failure is the only source, and it leaves
        // the output unwritten.
    }
}

}  // namespace ik::eval
