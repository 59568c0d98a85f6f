// The bytes an operand spans, to tell whether operands overlap.
#pragma once

#include <cstddef>
#include <cstdint>

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

// Elements to write before `out` reaches a cache line, when a call is long enough for it to pay:
// a vector store that straddles two lines costs two, and NumPy's arrays are only 16-byte aligned
// (malloc). A kernel or JIT loop runs these first and the rest from the line (int32 add of 1e5
// elements, arrays 32 bytes into a line: 0.72x NumPy's time, 1.2x from the line). Zero for
// short calls and for outputs not aligned to their element.
constexpr std::uintptr_t cache_line = 64;
constexpr bool long_enough_for_lines(std::size_t itemsize, std::ptrdiff_t n) {
    return n * static_cast<std::ptrdiff_t>(itemsize) >= 4096;
}
inline std::ptrdiff_t line_aligning_head(const char* out, std::size_t itemsize, std::ptrdiff_t n) {
    const auto into_line = reinterpret_cast<std::uintptr_t>(out) % cache_line;
    if (into_line == 0 || into_line % itemsize != 0 || !long_enough_for_lines(itemsize, n)) return 0;
    return static_cast<std::ptrdiff_t>((cache_line - into_line) / itemsize);
}

}  // namespace ik::eval
