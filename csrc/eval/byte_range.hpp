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

}  // namespace ik::eval
