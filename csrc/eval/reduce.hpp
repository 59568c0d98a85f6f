// Reductions of contiguous chunks into a running result, for gufunc passes. Sums are pairwise
// within a chunk and pairwise over chunk partials, so a row's result does not depend on threads.
#pragma once

#include <cstddef>
#include <vector>

#include "gufunc.hpp"
#include "ir/dtype.hpp"

namespace ik::eval {

class Accumulator {
   public:
    Accumulator(Reduce kind, ir::DType dtype) : kind_(kind), dtype_(dtype) {}
    void start();                                  // a new row
    void add_chunk(const void* data, std::ptrdiff_t n);
    void finish(void* result) const;               // writes one element of dtype

   private:
    Reduce kind_;
    ir::DType dtype_;
    std::vector<unsigned char> partials_;          // sums: one element per chunk
    alignas(16) unsigned char running_[16];        // other reductions: the running value
    std::ptrdiff_t count_ = 0;
};

}  // namespace ik::eval
