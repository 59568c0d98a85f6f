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

// Reduces a[0..n) (n >= 1) starting from its first element, not an identity: keeps -0.0 and NaN
// payloads as NumPy's reductions do.
template <class T> T reduce_span(Reduce kind, const T* a, std::ptrdiff_t n) {
    if (kind == Reduce::sum) return pairwise_sum(a, n);
    T r = a[0];
    for (std::ptrdiff_t i = 1; i < n; ++i) {
        switch (kind) {
            case Reduce::sum:
                break;
            case Reduce::prod:
                r = multiply(r, a[i]);
                break;
            case Reduce::max:
                if constexpr (!is_complex_v<T>) r = (is_nan(r) || (!is_nan(a[i]) && !(a[i] > r))) ? r : a[i];
                break;
            case Reduce::min:
                if constexpr (!is_complex_v<T>) r = (is_nan(r) || (!is_nan(a[i]) && !(a[i] < r))) ? r : a[i];
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

template <class F> void with_type(ir::DType dtype, F&& f) {
    ir::visit_dtype(dtype, [&]<class T>() {
        if constexpr (!std::is_void_v<T> && !std::is_same_v<T, ir::Half>) f.template operator()<T>();
    });
}

}  // namespace

void Accumulator::start(std::ptrdiff_t chunks) {
    chunks_ = chunks;
    partials_.assign(static_cast<std::size_t>(chunks) * ir::itemsize(dtype_), 0);
}

void Accumulator::set_chunk(std::ptrdiff_t k, const void* data, std::ptrdiff_t n) {
    if (n <= 0) return;
    with_type(dtype_, [&]<class T>() {
        const T partial = reduce_span(kind_, static_cast<const T*>(data), n);
        std::memcpy(partials_.data() + static_cast<std::size_t>(k) * sizeof(T), &partial, sizeof(T));
    });
}

void Accumulator::finish(void* result) const {
    with_type(dtype_, [&]<class T>() {
        T r{};
        if (chunks_ == 0) {
            // Empty rows: the identity where there is one; NumPy raises for max/min, which a
            // loop cannot: NaN with the invalid flag for floats, 0 otherwise.
            if (kind_ == Reduce::prod || kind_ == Reduce::all) r = T(1);
            else if (kind_ == Reduce::max || kind_ == Reduce::min) {
                if constexpr (std::is_floating_point_v<T>) {
                    volatile T zero = T(0);
                    r = zero / zero;
                }
            }
        } else {
            std::unique_ptr<T[]> values(new T[static_cast<std::size_t>(chunks_)]);
            std::memcpy(values.get(), partials_.data(), partials_.size());
            r = reduce_span(kind_, values.get(), chunks_);
        }
        std::memcpy(result, &r, sizeof(T));
    });
}

}  // namespace ik::eval
