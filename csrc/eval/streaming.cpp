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

// Outputs larger than this are streamed past the caches (see run_serial): the last-level cache
// this core can use, which an output of that size would evict anyway. Virtual machines report
// the whole socket's L3; a core's share is rarely above 32 MiB.
std::size_t streaming_threshold_bytes() {
    static const std::size_t bytes = [] {
        const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
        constexpr std::size_t cap = std::size_t{32} << 20;
        return l3 > 0 ? std::min(static_cast<std::size_t>(l3), cap) : cap;
    }();
    return bytes;
}

}  // namespace ik::eval
