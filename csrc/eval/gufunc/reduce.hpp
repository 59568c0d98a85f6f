// Reductions of contiguous chunks into a running result, for gufunc passes. Sums are pairwise
// within a chunk and pairwise over chunk partials, so a row's result does not depend on threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <vector>

#include "gufunc_plan.hpp"
#include "ir/dtype.hpp"

namespace ik::eval {

// How the installed NumPy orders the sum of a contiguous row: NumPy 2 sums the row pairwise as a
// whole; NumPy 1.26 sums it in buffers of its bufsize (8192 elements), each pairwise, and adds the
// buffers' sums one after the other into the result (rounded to the result dtype each time). The
// Python package asks NumPy at import and sets the buffer length here; 0 (the default) is NumPy 2's
// order. Thread-safe.
void set_numpy_sum_block(std::ptrdiff_t block);
std::ptrdiff_t numpy_sum_block();

// How NumPy's pairwise sum halves n values (it sums blocks below that, see reduce.cpp). Real
// values: the first half is n / 2 rounded down to a multiple of 8. Complex values: NumPy runs the
// same routine over the interleaved stream of their 2n parts, counted in parts, so the first half
// is n / 8 * 4 values. The two trees differ, so a sum of complex values needs its own cut.
enum class Halving : std::uint8_t { real, complex };

// The chunks a row of `length` elements is cut into: within each of NumPy's buffers (the whole row
// for NumPy 2), the pieces of at most `most` elements that NumPy's pairwise halving makes. The
// chunks' sums added up the same way (Accumulator) have the bits of np.sum over the row, whatever
// its length.
struct RowChunks {
    // with numpy_sum_block() as it is now
    RowChunks(std::ptrdiff_t length, std::ptrdiff_t most, Halving halving = Halving::real);
    std::ptrdiff_t count() const { return static_cast<std::ptrdiff_t>(bounds.size()) - 1; }
    std::ptrdiff_t length, most;
    Halving halving;
    std::ptrdiff_t buffer;               // the length of NumPy's buffers (the whole row for NumPy 2)
    std::vector<std::ptrdiff_t> bounds;  // where each chunk starts, then length
};

// One reduction of one row: a partial result per chunk (computed in any order, by any thread),
// combined in chunk order at the end, so the result is the same for every thread count.
class Accumulator {
   public:
    // dtype: of the values reduced (and of the result, except argmax/argmin, which give int64).
    Accumulator(Reduce kind, ir::DType dtype) : kind_(kind), dtype_(dtype) {}
    // The halving a row's chunks must follow: a pairwise sum of floats, that of its values; the
    // other reductions combine chunks in row order, or are exact (integer sums), and take any cut
    // (nullopt).
    std::optional<Halving> halving() const;
    // Whether chunks must be set one after the other in row order (a sequential sum carries its
    // running total from one chunk to the next), so not by several threads.
    bool needs_order() const { return kind_ == Reduce::sequential_sum; }
    // A new row, cut into these chunks (which must outlive the row; of halving() unless the row is
    // one chunk).
    void start(const RowChunks& chunks);
    const RowChunks* cut() const { return cut_; }
    // The chunk of elements [first, first + n) of the row; distinct chunks k are thread-safe
    // (except for needs_order()).
    void set_chunk(std::ptrdiff_t k, std::ptrdiff_t first, const void* data, std::ptrdiff_t n);
    void finish(void* result) const;  // writes one element of the result dtype

   private:
    // The partials as an array of T: the storage is aligned for every element type, and the
    // elements were created there by memcpy.
    template <class T>
    const T* partials() const {
        return std::launder(reinterpret_cast<const T*>(partials_.data()));
    }
    struct alignas(16) Storage {
        unsigned char bytes[16];
    };

    Reduce kind_;
    ir::DType dtype_;
    std::vector<Storage> partials_;        // one element per chunk
    std::vector<std::int64_t> positions_;  // argmax/argmin: where in the row each partial is
    std::ptrdiff_t chunks_ = 0;
    const RowChunks* cut_ = nullptr;
};

}  // namespace ik::eval
