// Threading of a call: how many threads it may use (OpenMP's controls, ik.set_num_threads) and
// how its blocks are split among them (parallel_for, on the pool of thread_pool.hpp).
#include "parallel.hpp"
#include "eval/streaming.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cfenv>
#include <chrono>
#include <cstdint>
#include <limits>

#include "eval/byte_range.hpp"
#include "eval/direct/direct.hpp"
#include "eval/evaluator.hpp"
#include "openmp_controls.hpp"
#include "parallel_for.hpp"

namespace ik::eval {
namespace {

std::atomic<int> requested_threads{0};
std::atomic<double> threshold_ns{20000.0};
// Calls large enough for threads running now, from any Python thread, and when one last started
// while another was running. Only a call that starts alone gets threads: the others run on their
// callers' threads instead of oversubscribing the cores. And while calls keep meeting (many Python
// threads calling kernels, as a Dask threaded scheduler or a ThreadPoolExecutor does), each runs
// on its caller's thread: the callers keep the cores busy between them, and a worker woken for
// one of them would only queue behind the others (the caller then waits for it, one scheduler
// slice at worst). Measured with 8 callers: benchmarks/callers.py, docs/guide/threads.md.
std::atomic<int> large_calls{0};
std::atomic<std::int64_t> last_crowded_ns{std::numeric_limits<std::int64_t>::min() / 2};
constexpr std::int64_t crowd_memory_ns = 20'000'000;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// True when an output shares memory with an input without being the very same elements, as in
// ufunc.reduce (accumulator with stride 0, as input and output) and ufunc.accumulate (output one
// element ahead):
// then element i depends on element i-1's result and the call must run one element at a time.
// The same for two outputs that overlap.
bool has_recurrence(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t n) {
    const std::size_t n_in = static_cast<std::size_t>(p.n_inputs);
    for (std::size_t k = 0; k < p.output_registers.size(); ++k) {
        const std::size_t o = n_in + k;
        const auto out_size = ir::itemsize(p.registers[static_cast<std::size_t>(p.output_registers[k])].dtype);
        const ByteRange out = range_of(args[o], steps[o], n, out_size);
        for (std::size_t i = 0; i < n_in; ++i) {
            if (p.input_registers[i] < 0) continue;
            const ByteRange in = range_of(args[i], steps[i], n, ir::itemsize(p.input_dtypes[i]));
            const bool overlap = in.overlaps(out);
            if (overlap && (args[i] != args[o] || steps[i] != steps[o] || steps[o] == 0)) return true;
        }
        // Two outputs on partly the same memory: NumPy's loop writes element i of each before
        // element i + 1 of any, which decides the values left where they overlap.
        for (std::size_t l = 0; l < k; ++l) {
            const std::size_t q = n_in + l;
            const auto other_size = ir::itemsize(p.registers[static_cast<std::size_t>(p.output_registers[l])].dtype);
            const bool overlap = range_of(args[q], steps[q], n, other_size).overlaps(out);
            if (overlap && (args[q] != args[o] || steps[q] != steps[o])) return true;
        }
    }
    return false;
}

// Whether this call streams its outputs: every output contiguous, the program bound by memory,
// the outputs together larger than the cache (streaming.hpp).
bool stream_outputs(const Program& p, const std::ptrdiff_t* steps, std::ptrdiff_t n) {
    std::size_t out_bytes = 0;
    for (std::size_t k = 0; k < p.output_registers.size(); ++k) {
        const std::size_t size = ir::itemsize(p.registers[static_cast<std::size_t>(p.output_registers[k])].dtype);
        if (steps[static_cast<std::size_t>(p.n_inputs) + k] != static_cast<std::ptrdiff_t>(size)) return false;
        out_bytes += size * static_cast<std::size_t>(n);
    }
    return out_bytes > streaming_threshold_bytes() && streams_large_outputs(p, steps);
}

int threads_for(const Program& p, std::ptrdiff_t n) {
    if (static_cast<double>(n) * p.cost_per_element < threshold_ns.load()) return 1;
    const std::ptrdiff_t blocks = (n + p.block - 1) / p.block;
    return static_cast<int>(std::min<std::ptrdiff_t>(get_num_threads(), blocks));
}

// The pieces a threaded call is cut into: up to 8 per thread, each of at least
// min_piece_ns of estimated work (a piece costs a run_serial's setup, about a microsecond).
// Measured at 1M elements float64 with another process busy on one of the two cores: with one
// half per thread, a call waited for the other process's time slice (seed 6.1 ms, logistic
// 6.9-7.1 ms); in pieces the free core does more of the work (seed 4.4-4.5 ms, logistic
// 4.9-5.6; without the busy process, in the same slow spell of the machine, 2.0-2.5 and
// 2.0-3.2 ms). A thread that loses its core in the middle of a piece still holds up the call.
std::ptrdiff_t pieces_for(const Program& p, std::ptrdiff_t n, int threads, std::ptrdiff_t blocks) {
    constexpr double min_piece_ns = 50000.0;
    const auto by_work = static_cast<std::ptrdiff_t>(static_cast<double>(n) * p.cost_per_element / min_piece_ns);
    return std::clamp<std::ptrdiff_t>(std::min<std::ptrdiff_t>(by_work, 8 * threads), threads, blocks);
}

}  // namespace

ThreadGrant::ThreadGrant(int wanted) {
    // Not inside a parallel loop (a body calling a kernel), ours or another library's OpenMP region.
    if (wanted <= 1 || pool_lost_in_fork() || on_pool_worker() || openmp::in_parallel()) return;
    counted_ = true;
    const bool alone = large_calls.fetch_add(1) == 0;
    const std::int64_t now = now_ns();
    if (!alone) last_crowded_ns.store(now, std::memory_order_relaxed);
    if (!alone || now - last_crowded_ns.load(std::memory_order_relaxed) < crowd_memory_ns) {
        pool_statistics().crowded.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    threads_ = wanted;
}

ThreadGrant::~ThreadGrant() {
    if (counted_) large_calls.fetch_sub(1);
}

void set_num_threads(int n) { requested_threads.store(std::max(0, n)); }
int get_requested_threads() { return requested_threads.load(); }
int get_num_threads() {
    if (pool_lost_in_fork()) return 1;
    // Read at every call, so that threadpoolctl's limit (omp_set_num_threads) holds.
    return requested_threads.load() > 0 ? requested_threads.load() : openmp::max_threads();
}
void set_parallel_threshold_ns(double ns) { threshold_ns.store(ns); }
double get_parallel_threshold_ns() { return threshold_ns.load(); }

bool run(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t n) noexcept {
    if (n <= 0) return true;
    try {
        // A call too small for threads (and so for streamed outputs) skips their set-up: with
        // where=, NumPy calls the loop once per run of selected elements, a few elements each. A
        // one-op body goes straight to its kernel, a program with JIT code to its machine code.
        const bool small = static_cast<double>(n) * p.cost_per_element < threshold_ns.load(std::memory_order_relaxed);
        if (small && (run_direct(p, args, steps, 0, n) || run_jit(p, args, steps, 0, n, false, run_evaluators)))
            return true;
        if (n > 1 && has_recurrence(p, args, steps, n)) {
            for (std::ptrdiff_t i = 0; i < n; ++i) run_serial(p, args, steps, i, i + 1);
            return true;
        }
        if (small) {
            run_serial(p, args, steps, 0, n);
            return true;
        }
        const bool stream = stream_outputs(p, steps, n);
        const ThreadGrant grant(threads_for(p, n));
        const int threads = grant.threads();
        if (threads == 1) {
            run_serial(p, args, steps, 0, n, stream);
            return true;
        }
        // The blocks are cut into pieces; each thread runs its share of them, then helps with the
        // others' (parallel_for).
        const std::ptrdiff_t blocks = (n + p.block - 1) / p.block;
        const std::ptrdiff_t pieces = pieces_for(p, n, threads, blocks);
        parallel_for(
            threads, pieces, [] { return 0; },
            [&](int, std::ptrdiff_t k) {
                const std::ptrdiff_t b0 = blocks * k / pieces, b1 = blocks * (k + 1) / pieces;
                run_serial(p, args, steps, b0 * p.block, std::min(n, b1 * p.block), stream);
            });
        // An output with stride 0 (a broadcast view as out=) received every element from every
        // thread in any order; NumPy leaves the last element's value there.
        if (std::any_of(steps + p.n_inputs, steps + p.n_inputs + p.output_registers.size(),
                        [](std::ptrdiff_t s) { return s == 0; }))
            run_serial(p, args, steps, n - 1, n);
        return true;
    } catch (...) {
        // Nothing may unwind into NumPy; allocation failure is the only source, and it leaves
        // the output (partly) unwritten: the caller must report it (MemoryError).
        return false;
    }
}

}  // namespace ik::eval
