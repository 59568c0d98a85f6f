// When a call writes its outputs past the caches with non-temporal stores (the evaluator's
// streamed chunks, the JIT's streaming stores): outputs larger than the last-level cache one core
// can use, of a program bound by memory rather than compute (streaming.cpp has the measurements).
#pragma once

#include <cstddef>

namespace ik::eval {

// Contiguous outputs of more bytes than this are streamed past the caches when memory bounds
// the call (the last-level cache one core can use).
std::size_t streaming_threshold_bytes();

// Whether memory bounds a program of this estimated compute per element that moves this many
// bytes per element (its contiguous inputs and outputs): such calls stream large outputs.
bool memory_bound(double cost_per_element_ns, std::size_t element_bytes);

}  // namespace ik::eval
