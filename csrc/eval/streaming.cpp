// When a call writes its outputs past the caches (non-temporal stores): outputs larger than the
// cache that are bound by memory, not by compute (streaming.hpp).
#include "streaming.hpp"

#include <unistd.h>

#include <algorithm>

namespace ik::eval {
namespace {

// Streaming saves the read of each output line before it is written, and costs a copy of every
// chunk (the evaluator cannot then write the output directly). That pays when memory bounds the
// call, not when computing does: measured at 10M-100M elements, 2 threads, streamed outputs made
// `2.5*x + y` 15-25% faster and the seed expression or logistic 6-9% slower. Memory bounds a call
// when moving its bytes takes at least the program's estimated compute, at about 16 GB/s (half
// this 2-core machine's copy bandwidth) per core. (The degree-5 polynomial, 16 bytes and an
// estimated 1 ns per element, is such a tie: 1e8 elements took 1.25x the memory floor unstreamed.)
constexpr double ns_per_byte = 1.0 / 16.0;

}  // namespace

bool memory_bound(double cost_per_element_ns, std::size_t element_bytes) {
    return static_cast<double>(element_bytes) * ns_per_byte >= cost_per_element_ns;
}

// Outputs larger than this are streamed past the caches (see run_serial): twice the second-level
// cache of each thread writing them, and at most the last-level cache a core can use. Virtual
// machines report the whole socket's L3, of which a core's share is rarely above 32 MiB, and often
// far less: on a 2-core Ice Lake VM reporting 48 MiB, 1e6 float64 elements (an 8 MB output) of
// `2.5*x + y` took 0.92-1.18 ms on one thread with ordinary stores and 0.67-0.69 streamed, 4 arrays
// 2.07-2.43 against 1.53-1.83 ms; on two threads 4 arrays 0.74-0.82 against 0.65-0.71 ms, while
// 4 MB outputs (float32) on two threads gained nothing (1.25 MiB of L2 per core there).
std::size_t streaming_threshold_bytes(int threads) {
    static const std::size_t last_level = [] {
        const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
        constexpr std::size_t cap = std::size_t{32} << 20;
        return l3 > 0 ? std::min(static_cast<std::size_t>(l3), cap) : cap;
    }();
    static const std::size_t per_thread = [] {
        const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
        return 2 * (l2 > 0 ? static_cast<std::size_t>(l2) : std::size_t{1} << 20);
    }();
    return std::min(last_level, per_thread * static_cast<std::size_t>(std::max(threads, 1)));
}

}  // namespace ik::eval
