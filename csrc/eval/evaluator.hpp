// Running a program over strided arrays on the calling thread: the blocked evaluator.
#pragma once

#include <cstddef>

#include "program.hpp"

namespace ik::eval {

// Evaluates elements [begin, end) block by block on the calling thread. stream_outputs: write
// contiguous outputs with non-temporal stores (for outputs far larger than the caches, where
// reading each output line into the cache before overwriting it would cost a third of the traffic).
void run_serial(const Program& program, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin,
                std::ptrdiff_t end, bool stream_outputs = false);

// run_serial without the direct form and the JIT: the chunked and blocked evaluators only (for
// the JIT's pieces that raised a flag, which these then compute with NumPy's flags).
void run_evaluators(const Program& program, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin,
                    std::ptrdiff_t end, bool stream_outputs);

}  // namespace ik::eval
