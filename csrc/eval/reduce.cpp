// Chunk reductions for gufunc passes: pairwise sums, ordered products, NaN-propagating extrema.
#include "reduce.hpp"

#include <cmath>
#include <complex>
#include <cstring>
#include <memory>
#include <type_traits>

namespace ik::eval {
namespace {

template <class T> constexpr bool is_complex_v = false;
template <class T> constexpr bool is_complex_v<std::complex<T>> = true;

template <class T> T add(T a, T b) {
    if constexpr (std::is_same_v<T, bool>) return a || b;
    else if constexpr (std::is_integral_v<T>) return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) + static_cast<std::make_unsigned_t<T>>(b));
    else if constexpr (is_complex_v<T>) return {a.real() + b.real(), a.imag() + b.imag()};
    else return a + b;
}

template <class T> T multiply(T a, T b) {
    if constexpr (std::is_same_v<T, bool>) return a && b;
    else if constexpr (std::is_integral_v<T>) {
        using U = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;
        return static_cast<T>(static_cast<U>(static_cast<std::make_unsigned_t<T>>(a)) * static_cast<U>(static_cast<std::make_unsigned_t<T>>(b)));
    } else if constexpr (is_complex_v<T>) {
        return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
    } else return a * b;
}

// Pairwise summation: 8 interleaved partial sums over blocks of up to 128 elements, halves above.
// Its error grows like O(log n) ulps, as NumPy's.
template <class T> T pairwise_sum(const T* a, std::ptrdiff_t n) {
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

template <class T> bool is_nan(T v) {
    if constexpr (std::is_floating_point_v<T>) return v != v;
    else return false;
}

template <class T> void fold(Reduce kind, T& r, const T* a, std::ptrdiff_t n) {
    switch (kind) {
        case Reduce::sum:
            break;  // handled by partials
        case Reduce::prod:
            for (std::ptrdiff_t i = 0; i < n; ++i) r = multiply(r, a[i]);
            break;
        case Reduce::max:
            if constexpr (!is_complex_v<T>)
                for (std::ptrdiff_t i = 0; i < n; ++i) r = (is_nan(r) || (!is_nan(a[i]) && !(a[i] > r))) ? r : a[i];
            break;
        case Reduce::min:
            if constexpr (!is_complex_v<T>)
                for (std::ptrdiff_t i = 0; i < n; ++i) r = (is_nan(r) || (!is_nan(a[i]) && !(a[i] < r))) ? r : a[i];
            break;
        case Reduce::any:
            if constexpr (std::is_same_v<T, bool>)
                for (std::ptrdiff_t i = 0; i < n; ++i) r = r || a[i];
            break;
        case Reduce::all:
            if constexpr (std::is_same_v<T, bool>)
                for (std::ptrdiff_t i = 0; i < n; ++i) r = r && a[i];
            break;
    }
}

}  // namespace

void Accumulator::start() {
    partials_.clear();
    count_ = 0;
    std::memset(running_, 0, sizeof running_);
}

void Accumulator::add_chunk(const void* data, std::ptrdiff_t n) {
    if (n <= 0) return;
    ir::visit_dtype(dtype_, [&]<class T>() {
        if constexpr (!std::is_void_v<T> && !std::is_same_v<T, ir::Half>) {
            const T* a = static_cast<const T*>(data);
            if (kind_ == Reduce::sum) {
                const T partial = pairwise_sum(a, n);
                const std::size_t at = partials_.size();
                partials_.resize(at + sizeof(T));
                std::memcpy(partials_.data() + at, &partial, sizeof(T));
            } else {
                T r;
                std::ptrdiff_t start = 0;
                if (count_ == 0) {
                    r = a[0];  // the first element, not an identity: keeps -0.0 and NaN payloads
                    start = 1;
                } else {
                    std::memcpy(&r, running_, sizeof(T));
                }
                fold(kind_, r, a + start, n - start);
                std::memcpy(running_, &r, sizeof(T));
            }
        }
    });
    count_ += n;
}

void Accumulator::finish(void* result) const {
    ir::visit_dtype(dtype_, [&]<class T>() {
        if constexpr (!std::is_void_v<T> && !std::is_same_v<T, ir::Half>) {
            T r{};
            if (count_ == 0) {
                // Empty rows: the identity where there is one; NumPy raises for max/min, which a
                // loop cannot: NaN with the invalid flag for floats, 0 otherwise.
                if (kind_ == Reduce::prod) r = T(1);
                else if (kind_ == Reduce::all) r = T(1);
                else if (kind_ == Reduce::max || kind_ == Reduce::min) {
                    if constexpr (std::is_floating_point_v<T>) {
                        volatile T zero = T(0);
                        r = zero / zero;
                    }
                }
            } else if (kind_ == Reduce::sum) {
                const std::ptrdiff_t chunks = static_cast<std::ptrdiff_t>(partials_.size() / sizeof(T));
                std::unique_ptr<T[]> values(new T[static_cast<std::size_t>(chunks)]);
                std::memcpy(values.get(), partials_.data(), partials_.size());
                r = pairwise_sum(values.get(), chunks);
            } else {
                std::memcpy(&r, running_, sizeof(T));
            }
            std::memcpy(result, &r, sizeof(T));
        }
    });
}

}  // namespace ik::eval
