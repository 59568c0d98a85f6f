// Reductions of contiguous chunks into a running result, for gufunc passes. Sums are pairwise
// within a chunk and pairwise over chunk partials, so a row's result does not depend on threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "gufunc.hpp"
#include "ir/dtype.hpp"

namespace ik::eval {

// The chunks a row of n elements is cut into: the pieces of at most `most` elements that NumPy's
// pairwise halving makes (the first half n / 2 rounded down to a multiple of 8, recursively), as
// the offset of each and then n. A sum of the pieces' sums up the same halving (Accumulator) has
// the bits of np.sum over the whole row, whatever its length.
std::vector<std::ptrdiff_t> row_chunks(std::ptrdiff_t n, std::ptrdiff_t most);

// One reduction of one row: a partial result per chunk (computed in any order, by any thread),
// combined in chunk order at the end, so the result is the same for every thread count.
class Accumulator {
   public:
    // dtype: of the values reduced (and of the result, except argmax/argmin, which give int64).
    Accumulator(Reduce kind, ir::DType dtype) : kind_(kind), dtype_(dtype) {}
    // A new row of `length` elements in the given number of row_chunks(length, most).
    void start(std::ptrdiff_t chunks, std::ptrdiff_t length, std::ptrdiff_t most);
    // The chunk of elements [first, first + n) of the row; distinct chunks k are thread-safe.
    void set_chunk(std::ptrdiff_t k, std::ptrdiff_t first, const void* data, std::ptrdiff_t n);
    void finish(void* result) const;  // writes one element of the result dtype

   private:
    // The partials as an array of T: the storage is aligned for every element type, and the
    // elements were created there by memcpy.
    template <class T> const T* partials() const { return std::launder(reinterpret_cast<const T*>(partials_.data())); }
    struct alignas(16) Storage {
        unsigned char bytes[16];
    };

    Reduce kind_;
    ir::DType dtype_;
    std::vector<Storage> partials_;  // one element per chunk
    std::vector<std::int64_t> positions_;  // argmax/argmin: where in the row each partial is
    std::ptrdiff_t chunks_ = 0;
    std::ptrdiff_t length_ = 0, most_ = 0;  // of the row_chunks
};

}  // namespace ik::eval
