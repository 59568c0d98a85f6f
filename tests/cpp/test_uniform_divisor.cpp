// UniformDivisor against the division instruction: every 8- and 16-bit dividend and divisor,
// and random and edge values for 32 and 64 bits.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include "eval/kernels/uniform_divisor.hpp"

namespace {

using ik::eval::UniformDivisor;

// The reference: the division instruction, rounded as NumPy's floor_divide, remainder and fmod.
template <class T>
T floor_quotient(T n, T d) {
    T q = static_cast<T>(n / d);
    if constexpr (std::is_signed_v<T>)
        if (n % d != 0 && ((n < 0) != (d < 0))) --q;
    return q;
}
// In unsigned arithmetic: q * d may lie below the type's range (min // 3 rounds down), n - q * d not.
template <class T>
T floor_remainder(T n, T d) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(
        static_cast<U>(static_cast<U>(n) - static_cast<U>(static_cast<U>(floor_quotient(n, d)) * static_cast<U>(d))));
}

template <class T>
void check(T n, T d, const UniformDivisor<T>& u) {
    ASSERT_EQ(u.floor_quotient(n), floor_quotient(n, d)) << +n << " // " << +d;
    ASSERT_EQ(u.floor_remainder(n), floor_remainder(n, d)) << +n << " % " << +d;
    ASSERT_EQ(u.truncated_remainder(n), static_cast<T>(n % d)) << "fmod(" << +n << ", " << +d << ")";
    if constexpr (std::is_unsigned_v<T>) {
        if (d > 1) ASSERT_EQ(u.divide_by_form(n), static_cast<T>(n / d)) << +n << " / " << +d << " (form)";
    }
    if constexpr (std::is_signed_v<T>) {
        ASSERT_EQ(u.positive(), d > 1);
        if (u.positive()) {
            ASSERT_EQ(u.floor_quotient_positive(n), floor_quotient(n, d)) << +n << " // " << +d << " (positive)";
            ASSERT_EQ(u.floor_remainder_positive(n), floor_remainder(n, d)) << +n << " % " << +d << " (positive)";
        }
        if (d < -1) {
            ASSERT_EQ(u.floor_quotient_negative(n), floor_quotient(n, d)) << +n << " // " << +d << " (negative)";
            ASSERT_EQ(u.floor_remainder_negative(n), floor_remainder(n, d)) << +n << " % " << +d << " (negative)";
        }
    }
}

template <class T>
void exhaustive() {
    using L = std::numeric_limits<T>;
    for (long d = L::min(); d <= L::max(); ++d) {
        if (!UniformDivisor<T>::takes(static_cast<T>(d))) continue;
        const UniformDivisor<T> u(static_cast<T>(d));
        for (long n = L::min(); n <= L::max(); ++n) check(static_cast<T>(n), static_cast<T>(d), u);
    }
}

template <class T>
std::vector<T> edges() {
    using L = std::numeric_limits<T>;
    std::vector<T> v = {L::min(), static_cast<T>(L::min() + 1), L::max(), static_cast<T>(L::max() - 1), 0, 1, 2, 3, 7};
    for (int k = 0; k < L::digits; ++k) {
        const auto p = static_cast<T>(T(1) << k);
        for (const T x : {p, static_cast<T>(p - 1), static_cast<T>(p + 1)}) {
            v.push_back(x);
            if constexpr (std::is_signed_v<T>) v.push_back(static_cast<T>(-x));
        }
    }
    return v;
}

template <class T>
void sampled() {
    std::mt19937_64 random(5);
    std::vector<T> divisors = edges<T>(), dividends = edges<T>();
    for (int k = 0; k < 300; ++k) divisors.push_back(static_cast<T>(random() >> (random() % 64)));
    for (int k = 0; k < 3000; ++k) dividends.push_back(static_cast<T>(random() >> (random() % 64)));
    for (const T d : divisors) {
        if (!UniformDivisor<T>::takes(d)) continue;
        const UniformDivisor<T> u(d);
        for (const T n : dividends) check(n, d, u);
        for (const T n : divisors) check(n, d, u);
    }
}

TEST(UniformDivisor, EveryEightBitCase) {
    exhaustive<std::int8_t>();
    exhaustive<std::uint8_t>();
}
TEST(UniformDivisor, SixteenBits) {
    sampled<std::int16_t>();
    sampled<std::uint16_t>();
}
TEST(UniformDivisor, ThirtyTwoBits) {
    sampled<std::int32_t>();
    sampled<std::uint32_t>();
}
TEST(UniformDivisor, SixtyFourBits) {
    sampled<std::int64_t>();
    sampled<std::uint64_t>();
}

// The unsigned forms (UnsignedForm) for every 16-bit divisor, on the dividends where a form could
// go wrong: the edges, the saturating increment's 2^16 - 1, and multiples of the divisor and their
// neighbours; every form is taken.
TEST(UniformDivisor, EverySixteenBitUnsignedForm) {
    using U16 = std::uint16_t;
    using Form = UniformDivisor<U16>::UnsignedForm;
    int taken[3] = {0, 0, 0};
    std::mt19937_64 random(7);
    for (unsigned d = 2; d <= 0xffff; ++d) {
        const UniformDivisor<U16> u(static_cast<U16>(d));
        ++taken[static_cast<int>(u.unsigned_form())];
        std::vector<unsigned> dividends = {0, 1, d - 1, d, d + 1, 0xfffe, 0xffff, 0xffff / d * d, 0xffff / d * d - 1};
        for (int k = 0; k < 40; ++k) dividends.push_back(static_cast<unsigned>(random() & 0xffff));
        for (const unsigned n : dividends) {
            if (n > 0xffff) continue;
            ASSERT_EQ(u.divide_by_form(static_cast<U16>(n)), n / d) << n << " / " << d;
        }
    }
    EXPECT_EQ(taken[static_cast<int>(Form::shift)], 15);
    EXPECT_GT(taken[static_cast<int>(Form::fits)], 0);
    EXPECT_GT(taken[static_cast<int>(Form::increment)], 0);
    EXPECT_EQ(UniformDivisor<std::uint32_t>(7).unsigned_form(), UniformDivisor<std::uint32_t>::UnsignedForm::increment);
    EXPECT_EQ(UniformDivisor<std::uint64_t>(3).unsigned_form(), UniformDivisor<std::uint64_t>::UnsignedForm::fits);
}

TEST(UniformDivisor, RefusesWhatRaisesFlags) {
    EXPECT_FALSE(UniformDivisor<int>::takes(0));
    EXPECT_FALSE(UniformDivisor<int>::takes(-1));
    EXPECT_FALSE(UniformDivisor<unsigned>::takes(0));
    EXPECT_TRUE(UniformDivisor<unsigned>::takes(~0u));
}

TEST(Uniform, FindsADifferentValueAnywhere) {
    std::vector<int> b(1000, 4);
    EXPECT_TRUE(ik::eval::uniform(b.data(), 1000));
    for (const std::size_t at :
         {std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{300}, std::size_t{999}}) {
        b[at] = 5;
        EXPECT_FALSE(ik::eval::uniform(b.data(), 1000)) << at;
        b[at] = 4;
    }
}

}  // namespace
