// Row sums as a gufunc pass reduces them (eval/gufunc/reduce): NumPy's pairwise and buffered
// orders, complex rows, sequential sums, the sign of zero sums.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstring>
#include <random>
#include <vector>

#include "eval/gufunc/reduce.hpp"
#include "ir/dtype.hpp"

using namespace ik;
using ir::DType;

// NumPy's pairwise sum, written as its definition: blocks of up to 128 in 8 partial sums.
template <class T>
T numpy_pairwise_sum(const T* a, std::ptrdiff_t n) {
    if (n < 8) {
        T s = a[0];
        for (std::ptrdiff_t i = 1; i < n; ++i) s += a[i];
        return s;
    }
    if (n <= 128) {
        T r[8];
        for (int k = 0; k < 8; ++k) r[k] = a[k];
        std::ptrdiff_t i = 8;
        for (; i + 8 <= n; i += 8)
            for (int k = 0; k < 8; ++k) r[k] += a[i + k];
        T s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; ++i) s += a[i];
        return s;
    }
    const std::ptrdiff_t half = n / 2 / 8 * 8;
    return numpy_pairwise_sum(a, half) + numpy_pairwise_sum(a + half, n - half);
}

// NumPy 1.26's order: buffers of `block` elements, each pairwise, added one after the other.
template <class T>
T numpy_buffered_sum(const T* a, std::ptrdiff_t n, std::ptrdiff_t block) {
    T s = numpy_pairwise_sum(a, std::min(block, n));
    for (std::ptrdiff_t first = block; first < n; first += block)
        s += numpy_pairwise_sum(a + first, std::min(block, n - first));
    return s;
}

// NumPy's pairwise sum of complex values, written as its definition: the routine for real values
// run over the n interleaved parts (two per value) and counting in parts, each part summed apart.
template <class T>
std::complex<T> numpy_complex_pairwise_sum(const T* parts, std::ptrdiff_t n) {
    T sums[2] = {-0.0, -0.0};  // real, imaginary
    if (n < 8) {
        for (std::ptrdiff_t i = 0; i < n; ++i) sums[i % 2] += parts[i];
    } else if (n <= 128) {
        T r[8];
        std::copy(parts, parts + 8, r);
        std::ptrdiff_t i = 8;
        for (; i + 8 <= n; i += 8)
            for (int k = 0; k < 8; ++k) r[k] += parts[i + k];
        for (int part = 0; part < 2; ++part) sums[part] = (r[part] + r[part + 2]) + (r[part + 4] + r[part + 6]);
        for (; i < n; ++i) sums[i % 2] += parts[i];
    } else {
        const std::ptrdiff_t half = n / 2 / 8 * 8;
        return numpy_complex_pairwise_sum(parts, half) + numpy_complex_pairwise_sum(parts + half, n - half);
    }
    return {sums[0], sums[1]};
}

// A row reduced as a gufunc pass reduces it: in RowChunks along the reduction's halving, the
// chunks set in reverse order (as threads may) unless it needs them in order, then finished.
template <class T>
T accumulated(eval::Reduce kind, DType dtype, const T* a, std::ptrdiff_t n) {
    eval::Accumulator reduction(kind, dtype);
    const eval::RowChunks cut(n, 4096, reduction.halving().value_or(eval::Halving::real));
    reduction.start(cut);
    for (std::ptrdiff_t j = 0; j < cut.count(); ++j) {
        const std::ptrdiff_t k = reduction.needs_order() ? j : cut.count() - 1 - j;
        const std::ptrdiff_t first = cut.bounds[static_cast<std::size_t>(k)],
                             end = cut.bounds[static_cast<std::size_t>(k) + 1];
        reduction.set_chunk(k, first, a + first, end - first);
    }
    T result;
    reduction.finish(&result);
    return result;
}

template <class T>
T accumulated_sum(const T* a, std::ptrdiff_t n) {
    return accumulated(eval::Reduce::sum, sizeof(T) == 8 ? DType::float64 : DType::float32, a, n);
}

template <class T>
void check_row_sums() {
    // Values of many magnitudes, so that any other order of the adds changes the bits.
    std::mt19937_64 rng(11);
    std::vector<T> x(100'003);
    for (auto& v : x)
        v = static_cast<T>(
            std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng), static_cast<int>(rng() % 40)));
    for (const std::ptrdiff_t block : {0, 8192}) {
        eval::set_numpy_sum_block(block);
        for (const std::ptrdiff_t n : {1, 7, 8, 129, 1000, 4096, 4097, 8192, 8193, 8200, 20'011, 100'003}) {
            const T want = block ? numpy_buffered_sum(x.data(), n, block) : numpy_pairwise_sum(x.data(), n);
            const T got = accumulated_sum(x.data(), n);
            EXPECT_EQ(std::memcmp(&want, &got, sizeof want), 0)
                << "n=" << n << " NumPy buffer " << block << ": " << got << " vs " << want;
        }
    }
    eval::set_numpy_sum_block(0);
}

TEST(Accumulator, SumsARowInNumPysOrderWhateverItsLength) {
    check_row_sums<double>();
    check_row_sums<float>();
}

template <class T>
void check_complex_row_sums() {
    using C = std::complex<T>;
    std::mt19937_64 rng(12);
    std::vector<C> z(100'003);
    const auto value = [&] {
        return static_cast<T>(
            std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng), static_cast<int>(rng() % 40)));
    };
    for (auto& v : z) v = {value(), value()};
    const T* parts = reinterpret_cast<const T*>(z.data());
    for (const std::ptrdiff_t block : {0, 8192}) {
        eval::set_numpy_sum_block(block);
        for (const std::ptrdiff_t n :
             {1, 3, 4, 5, 63, 64, 65, 129, 1000, 4096, 4097, 8192, 8193, 8200, 20'011, 100'003}) {
            // NumPy 1.26: buffers of `block` values, their sums added one after the other.
            const std::ptrdiff_t buffer = block ? block : n;
            C want = numpy_complex_pairwise_sum(parts, 2 * std::min(buffer, n));
            for (std::ptrdiff_t first = buffer; first < n; first += buffer)
                want += numpy_complex_pairwise_sum(parts + 2 * first, 2 * std::min(buffer, n - first));
            const C got =
                accumulated(eval::Reduce::sum, sizeof(T) == 8 ? DType::complex128 : DType::complex64, z.data(), n);
            EXPECT_EQ(std::memcmp(&want, &got, sizeof want), 0)
                << "n=" << n << " NumPy buffer " << block << ": " << got << " vs " << want;
        }
    }
    eval::set_numpy_sum_block(0);
}

TEST(Accumulator, SumsAComplexRowInNumPysOrderOfInterleavedParts) {
    check_complex_row_sums<double>();
    check_complex_row_sums<float>();
}

TEST(Accumulator, SequentialSumAddsOneAfterTheOtherAcrossChunks) {
    std::vector<float> x(20'000);
    std::mt19937_64 rng(13);
    for (auto& v : x)
        v = static_cast<float>(
            std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng), static_cast<int>(rng() % 30)));
    for (const std::ptrdiff_t n : {1, 7, 8, 4096, 4097, 8193, 20'000}) {
        float want = 0.0f;
        for (std::ptrdiff_t i = 0; i < n; ++i) want += x[static_cast<std::size_t>(i)];
        EXPECT_EQ(accumulated(eval::Reduce::sequential_sum, DType::float32, x.data(), n), want) << n;
    }
}

TEST(Accumulator, SumsStartFromPlusZeroAsNumPy) {
    // NumPy adds a row's sum to the identity +0: a row of -0.0 sums to 0.0.
    const std::vector<double> zeros(5000, -0.0);
    for (const std::ptrdiff_t n : {1, 9, 5000})
        for (const auto kind : {eval::Reduce::sum, eval::Reduce::sequential_sum})
            EXPECT_FALSE(std::signbit(accumulated(kind, DType::float64, zeros.data(), n))) << n;
    const std::vector<std::complex<double>> complex_zeros(5000, {-0.0, -0.0});
    const auto z = accumulated(eval::Reduce::sum, DType::complex128, complex_zeros.data(), 5000);
    EXPECT_FALSE(std::signbit(z.real()) || std::signbit(z.imag()));
}
