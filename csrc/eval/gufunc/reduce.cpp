// Chunk reductions for gufunc passes: pairwise and sequential sums, ordered products,
// NaN-propagating extrema.
#include "reduce.hpp"

// The float16 conversions, in a namespace of this file's own (half.hpp is included per ISA).
#define IK_ISA reduce_generic
#include "eval/kernels/half.hpp"
#undef IK_ISA

#include <algorithm>
#include <atomic>
#include <cfenv>
#include <cmath>
#include <complex>
#include <cstring>
#include <memory>
#include <type_traits>

namespace ik::eval {
namespace half = reduce_generic::half;
namespace {

template <class T>
constexpr bool is_complex_v = false;
template <class T>
constexpr bool is_complex_v<std::complex<T>> = true;

template <class T>
T add(T a, T b) {
    if constexpr (std::is_same_v<T, bool>)
        return a || b;
    else if constexpr (std::is_integral_v<T>)
        return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) + static_cast<std::make_unsigned_t<T>>(b));
    else if constexpr (is_complex_v<T>)
        return {a.real() + b.real(), a.imag() + b.imag()};
    else
        return a + b;
}

template <class T>
T multiply(T a, T b) {
    if constexpr (std::is_same_v<T, bool>)
        return a && b;
    else if constexpr (std::is_integral_v<T>) {
        using U = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
        return static_cast<T>(static_cast<U>(static_cast<std::make_unsigned_t<T>>(a)) *
                              static_cast<U>(static_cast<std::make_unsigned_t<T>>(b)));
    } else if constexpr (is_complex_v<T>) {
        return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
    } else
        return a * b;
}

// NumPy's pairwise sum of complex values: its routine for real values run over the interleaved
// stream of the 2n parts, counted in parts. In values: under 4 one after the other; up to 64 in 4
// partial sums per part, value i into sum i % 4; halved above at n / 8 * 4 (Halving::complex).
template <class T>
std::complex<T> pairwise_sum_complex(const std::complex<T>* a, std::ptrdiff_t n) {
    if (n < 4) {
        std::complex<T> s = a[0];
        for (std::ptrdiff_t i = 1; i < n; ++i) s = add(s, a[i]);
        return s;
    }
    if (n <= 64) {
        std::complex<T> r[4] = {a[0], a[1], a[2], a[3]};
        std::ptrdiff_t i = 4;
        for (; i + 4 <= n; i += 4)
            for (int k = 0; k < 4; ++k) r[k] = add(r[k], a[i + k]);
        std::complex<T> s = add(add(r[0], r[1]), add(r[2], r[3]));
        for (; i < n; ++i) s = add(s, a[i]);
        return s;
    }
    const std::ptrdiff_t half = n / 8 * 4;
    return add(pairwise_sum_complex(a, half), pairwise_sum_complex(a + half, n - half));
}

// Pairwise summation: 8 interleaved partial sums over blocks of up to 128 elements, halves above.
// Its error grows like O(log n) ulps, as NumPy's. (Compiled for the baseline instruction set,
// GCC's -O3 keeps four independent vector adds in flight: as fast as AVX2 or AVX-512 builds of it,
// and faster than one that sums four blocks side by side, measured over rows of 100 to 4000.)
template <class T>
T pairwise_sum(const T* a, std::ptrdiff_t n) {
    if constexpr (is_complex_v<T>) return pairwise_sum_complex(a, n);
    if (n < 8) {
        T s = a[0];
        for (std::ptrdiff_t i = 1; i < n; ++i) s = add(s, a[i]);
        return s;
    }
    if (n <= 128) {
        T r[8];
        for (int k = 0; k < 8; ++k) r[k] = a[k];
        std::ptrdiff_t i = 8;
        for (; i + 8 <= n; i += 8)
            for (int k = 0; k < 8; ++k) r[k] = add(r[k], a[i + k]);
        T s = add(add(add(r[0], r[1]), add(r[2], r[3])), add(add(r[4], r[5]), add(r[6], r[7])));
        for (; i < n; ++i) s = add(s, a[i]);
        return s;
    }
    const std::ptrdiff_t half = n / 2 / 8 * 8;
    return add(pairwise_sum(a, half), pairwise_sum(a + half, n - half));
}

template <class T>
bool is_nan(T v) {
    if constexpr (std::is_floating_point_v<T>)
        return v != v;
    else if constexpr (is_complex_v<T>)
        return is_nan(v.real()) || is_nan(v.imag());
    else
        return false;
}

// NumPy's order: complex numbers compare lexicographically, real part first.
template <class T>
bool greater(T a, T b) {
    if constexpr (is_complex_v<T>)
        return a.real() > b.real() || (a.real() == b.real() && a.imag() > b.imag());
    else
        return a > b;
}

// The running extreme r after seeing v: a NaN, once seen, stays (NumPy's np.max/np.min);
// ties keep r, so -0.0 and 0.0 come out as NumPy's sequential loop gives them.
template <class T>
T extreme(bool max, T r, T v) {
    if (is_nan(r) || is_nan(v)) return is_nan(r) ? r : v;
    return (max ? greater(v, r) : greater(r, v)) ? v : r;
}

// Whether v at a later position replaces the best so far, as np.argmax/np.argmin decide: the
// first NaN wins, otherwise the first occurrence of the extreme.
template <class T>
bool replaces(bool max, T best, T v) {
    if (is_nan(best)) return false;
    if (is_nan(v)) return true;
    return max ? greater(v, best) : greater(best, v);
}

template <class T>
std::ptrdiff_t arg_extreme(bool max, const T* a, std::ptrdiff_t n) {
    std::ptrdiff_t best = 0;
    for (std::ptrdiff_t i = 1; i < n && !is_nan(a[best]); ++i)
        if (replaces(max, a[best], a[i])) best = i;
    return best;
}

// Reduces a[0..n) (n >= 1) starting from its first element, not an identity: keeps -0.0 and NaN
// payloads as NumPy's reductions do.
template <class T>
T reduce_span(Reduce kind, const T* a, std::ptrdiff_t n) {
    if (kind == Reduce::sum) return pairwise_sum(a, n);
    T r = a[0];
    for (std::ptrdiff_t i = 1; i < n; ++i) {
        switch (kind) {
            case Reduce::sum:
            case Reduce::sequential_sum:  // carried from chunk to chunk by set_chunk
            case Reduce::argmax:          // reduced by arg_extreme
            case Reduce::argmin:
                break;
            case Reduce::prod:
                r = multiply(r, a[i]);
                break;
            case Reduce::max:
                r = extreme(true, r, a[i]);
                break;
            case Reduce::min:
                r = extreme(false, r, a[i]);
                break;
            case Reduce::any:
                if constexpr (std::is_same_v<T, bool>) r = r || a[i];
                break;
            case Reduce::all:
                if constexpr (std::is_same_v<T, bool>) r = r && a[i];
                break;
        }
    }
    return r;
}

bool is_arg(Reduce kind) { return kind == Reduce::argmax || kind == Reduce::argmin; }

// NumPy's pairwise halving: the first half's length.
std::ptrdiff_t first_half(std::ptrdiff_t n, Halving halving) {
    return halving == Halving::complex ? n / 8 * 4 : n / 2 / 8 * 8;
}

std::atomic<std::ptrdiff_t> sum_block{0};

void collect_chunks(std::ptrdiff_t first, std::ptrdiff_t n, const RowChunks& cut, std::vector<std::ptrdiff_t>& out) {
    if (n <= cut.most) {
        out.push_back(first);
        return;
    }
    const std::ptrdiff_t half = first_half(n, cut.halving);
    collect_chunks(first, half, cut, out);
    collect_chunks(first + half, n - half, cut, out);
}

// The chunks' sums of n elements added up the halving that made them (RowChunks).
template <class T>
T add_chunk_sums(std::ptrdiff_t n, const RowChunks& cut, const T*& next) {
    if (n <= cut.most) return *next++;
    const std::ptrdiff_t half = first_half(n, cut.halving);
    const T left = add_chunk_sums(half, cut, next);
    return add(left, add_chunk_sums(n - half, cut, next));
}

// Calls f<T>() with the C++ type that values of dtype are reduced in: float16 in float32, as
// NumPy's float16 loops accumulate (one rounding to float16 at the end of a row).
template <class F>
void with_type(ir::DType dtype, F&& f) {
    ir::visit_dtype(dtype, [&]<class T>() {
        if constexpr (std::is_same_v<T, ir::Half>)
            f.template operator()<float>();
        else if constexpr (!std::is_void_v<T>)
            f.template operator()<T>();
    });
}

// v as a value of dtype: float16 sums are computed in float32 and rounded where NumPy stores them.
template <class T>
T rounded_to(ir::DType dtype, T v) {
    if constexpr (std::is_same_v<T, float>) {
        if (dtype == ir::DType::float16) {
            int flags = 0;
            const std::uint16_t h = half::from_float(v, flags);
            if (flags) std::feraiseexcept(flags);
            return half::to_float(h);
        }
    }
    return v;
}

std::size_t reduced_itemsize(ir::DType dtype) {
    return dtype == ir::DType::float16 ? sizeof(float) : ir::itemsize(dtype);
}

}  // namespace

void set_numpy_sum_block(std::ptrdiff_t block) { sum_block.store(block, std::memory_order_relaxed); }
std::ptrdiff_t numpy_sum_block() { return sum_block.load(std::memory_order_relaxed); }

RowChunks::RowChunks(std::ptrdiff_t length_, std::ptrdiff_t most_, Halving halving_)
    : length(length_), most(most_), halving(halving_), buffer(numpy_sum_block()) {
    if (buffer <= 0) buffer = length;
    for (std::ptrdiff_t first = 0; first < length; first += buffer)
        collect_chunks(first, std::min(buffer, length - first), *this, bounds);
    bounds.push_back(length);
}

std::optional<Halving> Accumulator::halving() const {
    if (kind_ != Reduce::sum || !(ir::is_float(dtype_) || ir::is_complex(dtype_)))
        return std::nullopt;  // exact in any order
    return ir::is_complex(dtype_) ? Halving::complex : Halving::real;
}

void Accumulator::start(const RowChunks& chunks_of_row) {
    cut_ = &chunks_of_row;
    const std::ptrdiff_t chunks = chunks_of_row.count();
    chunks_ = chunks;
    const std::size_t bytes = static_cast<std::size_t>(chunks) * reduced_itemsize(dtype_);
    partials_.assign((bytes + sizeof(Storage) - 1) / sizeof(Storage), Storage{});
    if (is_arg(kind_)) positions_.assign(static_cast<std::size_t>(chunks), 0);
}

void Accumulator::set_chunk(std::ptrdiff_t k, std::ptrdiff_t first, const void* data, std::ptrdiff_t n) {
    if (n <= 0) return;
    if (dtype_ == ir::DType::float16) {
        thread_local std::vector<float> widened;
        widened.resize(static_cast<std::size_t>(n));
        const auto* h = static_cast<const std::uint16_t*>(data);
        for (std::ptrdiff_t i = 0; i < n; ++i) widened[static_cast<std::size_t>(i)] = half::to_float(h[i]);
        data = widened.data();
    }
    with_type(dtype_, [&]<class T>() {
        const T* values = static_cast<const T*>(data);
        T partial;
        if (is_arg(kind_)) {
            const std::ptrdiff_t at = arg_extreme(kind_ == Reduce::argmax, values, n);
            partial = values[at];
            positions_[static_cast<std::size_t>(k)] = first + at;
        } else if (kind_ == Reduce::sequential_sum) {
            // On from the chunk before, set before this one (needs_order()); the first from +0.
            partial = k > 0 ? partials<T>()[k - 1] : T{};
            for (std::ptrdiff_t i = 0; i < n; ++i) partial = add(partial, values[i]);
        } else {
            partial = reduce_span(kind_, values, n);
        }
        std::memcpy(reinterpret_cast<unsigned char*>(partials_.data()) + static_cast<std::size_t>(k) * sizeof(T),
                    &partial, sizeof(T));
    });
}

void Accumulator::finish(void* result) const {
    if (is_arg(kind_)) {
        // Chunks in row order, so the first occurrence wins across chunks as within one.
        std::int64_t at = 0;
        if (chunks_ > 0)
            with_type(dtype_, [&]<class T>() {
                at = positions_[static_cast<std::size_t>(arg_extreme(kind_ == Reduce::argmax, partials<T>(), chunks_))];
            });
        else
            std::feraiseexcept(FE_INVALID);  // an empty row has no position (NumPy >= 2.1 refuses it earlier)
        std::memcpy(result, &at, sizeof at);
        return;
    }
    with_type(dtype_, [&]<class T>() {
        T r{};
        if (chunks_ == 0) {
            // Empty rows: the identity where there is one. NumPy raises for max/min, which the
            // gufunc refuses before its loop runs on NumPy >= 2.1; older NumPy gets NaN with the
            // invalid flag for floats, 0 otherwise.
            if (kind_ == Reduce::prod || kind_ == Reduce::all)
                r = T(1);
            else if (kind_ == Reduce::max || kind_ == Reduce::min) {
                if constexpr (std::is_floating_point_v<T>) {
                    volatile T zero = T(0);
                    r = zero / zero;
                }
            }
        } else if (kind_ == Reduce::sum) {
            // Per NumPy buffer (the whole row for NumPy 2), its chunks' sums up their halving; the
            // buffers' sums one after the other into NumPy's initial +0 (a row of -0.0 sums to
            // 0.0), each rounded to the result dtype (float16).
            const T* next = partials<T>();
            const std::ptrdiff_t buffer = cut_->buffer, length = cut_->length;
            for (std::ptrdiff_t first = 0; first < length; first += buffer)
                r = add(rounded_to(dtype_, r), add_chunk_sums(std::min(buffer, length - first), *cut_, next));
        } else if (kind_ == Reduce::sequential_sum) {
            r = partials<T>()[chunks_ - 1];
        } else {
            r = reduce_span(kind_, partials<T>(), chunks_);
        }
        if constexpr (std::is_same_v<T, float>) {
            if (dtype_ == ir::DType::float16) {
                int flags = 0;
                const std::uint16_t h = half::from_float(r, flags);
                if (flags) std::feraiseexcept(flags);
                std::memcpy(result, &h, sizeof h);
                return;
            }
        }
        std::memcpy(result, &r, sizeof(T));
    });
}

}  // namespace ik::eval
