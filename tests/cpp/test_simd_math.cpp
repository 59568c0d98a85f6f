// The vector math tables on raw buffers: ULP bounds against long double libm, special values,
// floating-point flags, tails and in-place calls, for every table this CPU can run.
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "simd/math.hpp"

using namespace ik::simd;

namespace {

std::vector<const MathTable*> tables() {
    std::vector<const MathTable*> out;
    for (const char* isa : {"scalar", "avx2", "avx512"})
        if (const MathTable* t = math_table_for(isa)) out.push_back(t);
    return out;
}

#define IK_X(name) #name,
const char* unary_names[] = {IK_SIMD_UNARY_FUNCTIONS(IK_X)};
const char* binary_names[] = {IK_SIMD_BINARY_FUNCTIONS(IK_X)};
#undef IK_X

long double reference(Unary f, long double x) {
    switch (f) {
        case Unary::sin:
            return std::sin(x);
        case Unary::cos:
            return std::cos(x);
        case Unary::tan:
            return std::tan(x);
        case Unary::arcsin:
            return std::asin(x);
        case Unary::arccos:
            return std::acos(x);
        case Unary::arctan:
            return std::atan(x);
        case Unary::sinh:
            return std::sinh(x);
        case Unary::cosh:
            return std::cosh(x);
        case Unary::tanh:
            return std::tanh(x);
        case Unary::arcsinh:
            return std::asinh(x);
        case Unary::arccosh:
            return std::acosh(x);
        case Unary::arctanh:
            return std::atanh(x);
        case Unary::exp:
            return std::exp(x);
        case Unary::exp2:
            return std::exp2(x);
        case Unary::expm1:
            return std::expm1(x);
        case Unary::log:
            return std::log(x);
        case Unary::log2:
            return std::log2(x);
        case Unary::log10:
            return std::log10(x);
        case Unary::log1p:
            return std::log1p(x);
        case Unary::cbrt:
            return std::cbrt(x);
        case Unary::count:
            break;
    }
    return 0;
}

long double reference(Binary f, long double a, long double b) {
    switch (f) {
        case Binary::arctan2:
            return std::atan2(a, b);
        case Binary::hypot:
            return std::hypot(a, b);
        case Binary::power:
            return std::pow(a, b);
        case Binary::count:
            break;
    }
    return 0;
}

// Inputs in each function's interesting range.
template <class T>
std::vector<T> inputs(Unary f, std::size_t n) {
    std::mt19937_64 rng(42);
    double lo = -10, hi = 10;
    if (f == Unary::arcsin || f == Unary::arccos || f == Unary::arctanh) lo = -1, hi = 1;
    if (f == Unary::arccosh) lo = 1, hi = 100;
    if (f == Unary::log || f == Unary::log2 || f == Unary::log10) lo = 1e-3, hi = 1e3;
    if (f == Unary::log1p) lo = -0.99, hi = 100;
    if (f == Unary::sin || f == Unary::cos || f == Unary::tan) lo = -1e4, hi = 1e4;
    std::uniform_real_distribution<double> d(lo, hi);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(d(rng));
    return v;
}

template <class T>
double ulps(T got, long double want) {
    if (std::isnan(got) && std::isnan(want)) return 0;
    if (std::isinf(want) || std::isinf(got)) return got == static_cast<T>(want) ? 0 : 1e9;
    const T w = static_cast<T>(want);
    const T spacing = std::nextafter(std::fabs(w), std::numeric_limits<T>::infinity()) - std::fabs(w);
    return static_cast<double>(std::fabs(static_cast<long double>(got) - want) / spacing);
}

template <class T>
void check_unary_bounds(const MathTable& t) {
    constexpr std::size_t n = 20000;
    for (int k = 0; k < static_cast<int>(Unary::count); ++k) {
        const auto f = static_cast<Unary>(k);
        const auto x = inputs<T>(f, n);
        std::vector<T> y(n);
        if constexpr (std::is_same_v<T, double>)
            t.unary_f64[k](x.data(), y.data(), n);
        else
            t.unary_f32[k](x.data(), y.data(), n);
        double worst = 0;
        for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, ulps(y[i], reference(f, x[i])));
        EXPECT_LE(worst, ulp_bound(f, std::is_same_v<T, float>)) << t.isa << " " << unary_names[k];
    }
}

}  // namespace

TEST(MathTables, AtLeastTheScalarTableExists) { EXPECT_FALSE(tables().empty()); }

TEST(MathTables, UnaryWithinStatedUlpBound) {
    for (const MathTable* t : tables()) {
        check_unary_bounds<double>(*t);
        check_unary_bounds<float>(*t);
    }
}

TEST(MathTables, BinaryWithinStatedUlpBound) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> d(0.01, 10);
    constexpr std::size_t n = 20000;
    std::vector<double> a(n), b(n), y(n);
    for (std::size_t i = 0; i < n; ++i) a[i] = d(rng), b[i] = d(rng) - 5;
    for (const MathTable* t : tables())
        for (int k = 0; k < static_cast<int>(Binary::count); ++k) {
            t->binary_f64[k](a.data(), b.data(), y.data(), n);
            double worst = 0;
            for (std::size_t i = 0; i < n; ++i)
                worst = std::max(worst, ulps(y[i], reference(static_cast<Binary>(k), a[i], b[i])));
            EXPECT_LE(worst, ulp_bound(static_cast<Binary>(k), false)) << t->isa << " " << binary_names[k];
        }
}

// float32 power (ironkernel's own routine on AVX2 and AVX-512): bases over the whole float32
// range, subnormals and negative bases with integer exponents included, exponents that keep many
// results finite, and bases near 1 with large exponents.
TEST(MathTables, Float32PowerWithinStatedUlpBound) {
    std::mt19937_64 rng(8);
    std::uniform_real_distribution<double> unit(-1, 1);
    constexpr std::size_t n = 60000;
    std::vector<float> a(n), b(n), y(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double magnitude = std::exp2(138.5 * unit(rng) - 10.5);
        switch (i % 3) {
            case 0:
                a[i] = static_cast<float>(magnitude);
                b[i] = static_cast<float>(unit(rng) * 60 / std::max(1.0, std::fabs(std::log2(magnitude))));
                break;
            case 1:
                a[i] = static_cast<float>(1 + 1e-3 * unit(rng));
                b[i] = static_cast<float>(1e5 * unit(rng));
                break;
            default:
                a[i] = static_cast<float>(-8 * unit(rng));
                b[i] = static_cast<float>(std::round(30 * unit(rng)));
        }
    }
    const int k = static_cast<int>(Binary::power);
    for (const MathTable* t : tables()) {
        std::feclearexcept(FE_ALL_EXCEPT);
        t->binary_f32[k](a.data(), b.data(), y.data(), n);
        double worst = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double e = ulps(y[i], reference(Binary::power, a[i], b[i]));
            EXPECT_LE(e, ulp_bound(Binary::power, true)) << t->isa << " pow(" << a[i] << "f, " << b[i] << "f)";
            worst = std::max(worst, e);
        }
        EXPECT_LE(worst, ulp_bound(Binary::power, true)) << t->isa << " float32 power";
    }
}

TEST(MathTables, OwnExp2AndFloat32PowerGiveTheSameBitsOnEveryVectorWidth) {
    const MathTable* avx2 = math_table_for("avx2");
    const MathTable* avx512 = math_table_for("avx512");
    if (!avx2 || !avx512) GTEST_SKIP() << "needs a CPU with AVX2 and AVX-512";
    std::mt19937_64 rng(9);
    std::uniform_real_distribution<float> d(-170.0f, 170.0f);
    std::vector<float> x(4099), z(x.size()), a(x.size()), b(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = d(rng), z[i] = d(rng) / 16;
    x[3] = -0.0f, x[4] = std::numeric_limits<float>::infinity(), x[5] = std::nanf("");
    const auto n = static_cast<std::ptrdiff_t>(x.size());
    avx2->unary_f32[static_cast<int>(Unary::exp2)](x.data(), a.data(), n);
    avx512->unary_f32[static_cast<int>(Unary::exp2)](x.data(), b.data(), n);
    for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(std::memcmp(&a[i], &b[i], 4), 0) << "exp2(" << x[i] << "f)";
    avx2->binary_f32[static_cast<int>(Binary::power)](x.data(), z.data(), a.data(), n);
    avx512->binary_f32[static_cast<int>(Binary::power)](x.data(), z.data(), b.data(), n);
    for (std::size_t i = 0; i < x.size(); ++i)
        ASSERT_EQ(std::memcmp(&a[i], &b[i], 4), 0) << "pow(" << x[i] << "f, " << z[i] << "f)";
    // power's fast path (own_power.hpp): x near 1 and its table's edges, |t| to 130, now and then the above.
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double base =
            i % 2 ? 1 + std::ldexp(unit(rng), -static_cast<int>(rng() % 24))
                  : std::ldexp(1 + static_cast<double>(rng() % 33) / 32, static_cast<int>(rng() % 250) - 125);
        x[i] = rng() % 97 ? std::nextafter(static_cast<float>(base), i % 4 ? 0.0f : 4.0f) : x[i];
        z[i] = static_cast<float>(130 * unit(rng) / std::max(std::fabs(std::log2(static_cast<double>(x[i]))), 1e-9));
    }
    avx2->binary_f32[static_cast<int>(Binary::power)](x.data(), z.data(), a.data(), n);
    avx512->binary_f32[static_cast<int>(Binary::power)](x.data(), z.data(), b.data(), n);
    for (std::size_t i = 0; i < x.size(); ++i)
        ASSERT_EQ(std::memcmp(&a[i], &b[i], 4), 0) << "pow(" << x[i] << "f, " << z[i] << "f)";
    std::uniform_real_distribution<double> wide(-1100.0, 1100.0);
    std::vector<double> xd(x.size()), ad(x.size()), bd(x.size());
    for (double& v : xd) v = wide(rng);
    xd[3] = -0.0, xd[4] = std::numeric_limits<double>::infinity(), xd[5] = std::nan("");
    avx2->unary_f64[static_cast<int>(Unary::exp2)](xd.data(), ad.data(), n);
    avx512->unary_f64[static_cast<int>(Unary::exp2)](xd.data(), bd.data(), n);
    for (std::size_t i = 0; i < xd.size(); ++i) ASSERT_EQ(std::memcmp(&ad[i], &bd[i], 8), 0) << "exp2(" << xd[i] << ")";
}

// f over x in one call, checked (NumPy's flags) and unchecked: within f's ULP bound of long
// double libm (sin: zero keeps its sign), the same bits both ways.
template <class T>
void check_on(const MathTable& t, Unary f, const std::vector<T>& x) {
    const bool f32 = std::is_same_v<T, float>;
    std::vector<T> checked(x.size()), unchecked(x.size());
    const int k = static_cast<int>(f);
    std::feclearexcept(FE_ALL_EXCEPT);
    if constexpr (f32)
        t.unary_f32[k](x.data(), checked.data(), static_cast<std::ptrdiff_t>(x.size()));
    else
        t.unary_f64[k](x.data(), checked.data(), static_cast<std::ptrdiff_t>(x.size()));
    if constexpr (f32)
        t.unchecked().unary_f32[k](x.data(), unchecked.data(), static_cast<std::ptrdiff_t>(x.size()));
    else
        t.unchecked().unary_f64[k](x.data(), unchecked.data(), static_cast<std::ptrdiff_t>(x.size()));
    for (std::size_t i = 0; i < x.size(); ++i) {
        const char* name = unary_names[k];
        EXPECT_LE(ulps(checked[i], reference(f, static_cast<long double>(x[i]))), ulp_bound(f, f32))
            << t.isa << (f32 ? " float32 " : " float64 ") << name << "(" << x[i] << ") = " << checked[i];
        if (f == Unary::sin && x[i] == 0)
            EXPECT_EQ(std::signbit(checked[i]), std::signbit(x[i])) << t.isa << " " << name << "(" << x[i] << ")";
        EXPECT_TRUE(checked[i] == unchecked[i] || (std::isnan(checked[i]) && std::isnan(unchecked[i])))
            << t.isa << " checked and unchecked " << name << "(" << x[i] << ") differ";
    }
}

// exp over its whole range, in every entry of every table: the AVX2 and AVX-512 tables compute the lanes
// within |x| <= 708 (float32: 87) themselves and hand the others to libmvec, so
// the inputs cross both bounds, with normal, subnormal, zero and infinite results, NaN, -0.0 and
// tiny arguments (whose r * r underflows inside the routine) mixed into the same vectors.
template <class T>
void check_exp_whole_range(const MathTable& t) {
    const bool f32 = std::is_same_v<T, float>;
    const double edge = f32 ? 87.0 : 708.0;
    std::vector<T> x;
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> wide(f32 ? -110.0 : -760.0, f32 ? 95.0 : 715.0), near(-edge, edge);
    for (int i = 0; i < 20000; ++i) x.push_back(static_cast<T>(i % 4 == 0 ? wide(rng) : near(rng)));
    const T inf = std::numeric_limits<T>::infinity();
    for (const double v :
         {edge, -edge, std::nextafter(edge, 1e9), -std::nextafter(edge, 1e9), 0.0, -0.0, 1e-30, -1e-30, 1e-200, 5e-324,
          1.0, -1.0, 0.5, f32 ? 88.7 : 709.78, f32 ? 88.8 : 709.79, f32 ? -103.9 : -745.1, f32 ? -104.0 : -745.2})
        x.push_back(static_cast<T>(v));
    x.push_back(inf);
    x.push_back(-inf);
    x.push_back(std::numeric_limits<T>::quiet_NaN());
    check_on(t, Unary::exp, x);
}

// sin (float64) likewise: the AVX2 and AVX-512 tables compute lanes within |x| <= 2^20 themselves, so the inputs
// cross that bound, come close to multiples of pi (where the reduced argument is small) and of
// pi/2 (where the polynomial nearly cancels the argument: the largest errors), with -0.0, tiny,
// subnormal, huge, infinite and NaN arguments in the same vectors.
void check_sin_whole_range(const MathTable& t) {
    std::vector<double> x;
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> wide(-3e6, 3e6), near(-0x1p20, 0x1p20), unit(0.0, 1.0);
    const long double pi = 3.141592653589793238462643383279502884L;
    for (int i = 0; i < 20000; ++i) {
        const long double k = std::floor(static_cast<long double>(unit(rng)) * 333000);
        switch (i % 4) {
            case 0:
                x.push_back(wide(rng));
                break;
            case 1:
                x.push_back(near(rng));
                break;
            case 2:
                x.push_back(static_cast<double>(k * pi));
                break;
            default:
                x.push_back(static_cast<double>((k + 0.5L) * pi) * (1 + 1e-12 * (unit(rng) - 0.5)));
                break;
        }
    }
    for (const double v : {0x1p20, -0x1p20, std::nextafter(0x1p20, 1e9), 0.0, -0.0, 1e-30, -1e-30, 1e-200, -5e-324, 1.0,
                           1e300, -1e22, std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()})
        x.push_back(v);
    check_on(t, Unary::sin, x);
}

TEST(MathTables, ExpOverItsWholeRangeWithinTheBound) {
    for (const MathTable* t : tables()) {
        check_exp_whole_range<double>(*t);
        check_exp_whole_range<float>(*t);
    }
}

TEST(MathTables, SinOverItsWholeRangeWithinTheBound) {
    for (const MathTable* t : tables()) check_sin_whole_range(*t);
}

TEST(MathTables, ExpAndSinOfAValueDoNotDependOnTheirNeighbours) {
    // The own exp and sin (AVX2, AVX-512) hand lanes beyond their range to libmvec: the others in the same
    // vector must keep the bits they have alone (else a result would depend on alignment and
    // neighbours).
    for (const MathTable* t : tables())
        for (const Unary f : {Unary::exp, Unary::sin}) {
            std::vector<double> x(64), alone(64), mixed(64);
            for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.37 * static_cast<double>(i) - 11.0;
            for (std::size_t i = 0; i < x.size(); ++i) t->unary_f64[static_cast<int>(f)](&x[i], &alone[i], 1);
            std::vector<double> y = x;
            for (std::size_t i = 0; i < y.size(); i += 3) y[i] = i % 2 ? 1e7 : std::numeric_limits<double>::quiet_NaN();
            t->unary_f64[static_cast<int>(f)](y.data(), mixed.data(), static_cast<std::ptrdiff_t>(y.size()));
            for (std::size_t i = 0; i < y.size(); ++i)
                if (i % 3)
                    EXPECT_EQ(mixed[i], alone[i]) << t->isa << " " << unary_names[static_cast<int>(f)] << "(" << x[i]
                                                  << ") next to out-of-range lanes";
        }
}

TEST(MathTables, OwnExpAndSinGiveTheSameBitsOnEveryVectorWidth) {
    // ironkernel's exp and sin (simd/own_*.hpp) do the same operations on AVX2 and AVX-512
    // vectors: a result must not depend on the CPU it was computed on.
    const MathTable* avx2 = math_table_for("avx2");
    const MathTable* avx512 = math_table_for("avx512");
    if (!avx2 || !avx512) GTEST_SKIP() << "needs a CPU with AVX2 and AVX-512";
    std::mt19937_64 rng(7);
    std::vector<double> x(4099);
    std::vector<float> xf(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = std::uniform_real_distribution<double>(-800.0, 800.0)(rng) * (i % 3 == 0 ? 1e-3 : 1.0);
        xf[i] = static_cast<float>(x[i] / 8);
    }
    x[5] = 3e5, x[6] = 2e6, x[7] = -0.0;  // beyond the inline bound of sin; -0
    for (const Unary f : {Unary::exp, Unary::sin}) {
        std::vector<double> a(x.size()), b(x.size());
        avx2->unary_f64[static_cast<int>(f)](x.data(), a.data(), static_cast<std::ptrdiff_t>(x.size()));
        avx512->unary_f64[static_cast<int>(f)](x.data(), b.data(), static_cast<std::ptrdiff_t>(x.size()));
        for (std::size_t i = 0; i < x.size(); ++i)
            ASSERT_EQ(std::memcmp(&a[i], &b[i], sizeof a[i]), 0)
                << unary_names[static_cast<int>(f)] << "(" << x[i] << "): " << a[i] << " vs " << b[i];
    }
    std::vector<float> a(xf.size()), b(xf.size());
    avx2->unary_f32[static_cast<int>(Unary::exp)](xf.data(), a.data(), static_cast<std::ptrdiff_t>(xf.size()));
    avx512->unary_f32[static_cast<int>(Unary::exp)](xf.data(), b.data(), static_cast<std::ptrdiff_t>(xf.size()));
    for (std::size_t i = 0; i < xf.size(); ++i)
        ASSERT_EQ(std::memcmp(&a[i], &b[i], sizeof a[i]), 0) << "exp(" << xf[i] << "f)";
}

TEST(MathTables, ExpAndSinOfInRangeValuesRaiseNoFlag) {
    // 1e-200 squared underflows inside a polynomial routine: the checked entry must not show it.
    // (sin of a subnormal does underflow, as in the C library: SpecialValuesAndFlags.)
    for (const MathTable* t : tables()) {
        double x[8] = {1e-200, -1e-200, 0.0, 1.0, -700.0, 700.0, 5e-324, 2.0}, y[8];
        float xf[8] = {1e-30f, -1e-30f, 0.0f, 1.0f, -80.0f, 80.0f, 1e-45f, 2.0f}, yf[8];
        std::feclearexcept(FE_ALL_EXCEPT);
        t->unary_f64[static_cast<int>(Unary::exp)](x, y, 8);
        t->unary_f32[static_cast<int>(Unary::exp)](xf, yf, 8);
        x[6] = 3e5;
        t->unary_f64[static_cast<int>(Unary::sin)](x, y, 8);
        EXPECT_EQ(std::fetestexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW), 0) << t->isa;
    }
}

TEST(MathTables, SpecialValuesAndFlags) {
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    struct Case {
        Unary f;
        double x;
        int flags;  // the NumPy flags expected
    };
    const Case cases[] = {
        {Unary::sin, inf, FE_INVALID},          {Unary::sin, -0.0, 0},
        {Unary::cos, -inf, FE_INVALID},         {Unary::log, 0.0, FE_DIVBYZERO},
        {Unary::log, -1.0, FE_INVALID},         {Unary::log, nan, 0},
        {Unary::exp, 1000.0, FE_OVERFLOW},      {Unary::exp, -inf, 0},
        {Unary::arcsin, 2.0, FE_INVALID},       {Unary::arctanh, 1.0, FE_DIVBYZERO},
        {Unary::log1p, -1.0, FE_DIVBYZERO},     {Unary::sinh, 1000.0, FE_OVERFLOW},
        {Unary::arccosh, 0.5, FE_INVALID},      {Unary::sin, 5e-324, FE_UNDERFLOW},
        {Unary::arctan, -1e-310, FE_UNDERFLOW}, {Unary::expm1, 1e-310, FE_UNDERFLOW},
        {Unary::exp, -1000.0, FE_UNDERFLOW},    {Unary::cos, 5e-324, 0},
    };
    const int watched = FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW;
    for (const MathTable* t : tables())
        for (const Case& c : cases) {
            double x[3] = {c.x, c.x, c.x}, y[3];
            std::feclearexcept(FE_ALL_EXCEPT);
            t->unary_f64[static_cast<int>(c.f)](x, y, 3);
            EXPECT_EQ(std::fetestexcept(watched), c.flags)
                << t->isa << " " << unary_names[static_cast<int>(c.f)] << "(" << c.x << ")";
            const double want = static_cast<double>(reference(c.f, c.x));
            EXPECT_TRUE((std::isnan(want) && std::isnan(y[0])) ||
                        (want == y[0] && std::signbit(want) == std::signbit(y[0])))
                << t->isa << " " << unary_names[static_cast<int>(c.f)] << "(" << c.x << ") = " << y[0];
        }
}

TEST(MathTables, UnderflowIsSignalledWhereNumPySignalsIt) {
    // NumPy's loops differ per machine in whether a vanishing result signals underflow; the
    // package sets what NumPy does (set_signals_underflow) and every table follows it, also
    // where libm (the scalar table) or libmvec (AVX-512 arctan and expm1) would say otherwise.
    for (const Unary f : {Unary::sin, Unary::tan, Unary::arctan, Unary::arctanh, Unary::expm1, Unary::exp}) {
        const bool c_library = signals_underflow(f, false);
        const double x = f == Unary::exp ? -1000.0 : 1e-310;
        for (const bool signals : {false, true}) {
            set_signals_underflow(f, false, signals);
            for (const MathTable* t : tables())
                for (const std::ptrdiff_t n : {1, 3, 17}) {
                    std::vector<double> in(static_cast<std::size_t>(n), x), out(in.size());
                    std::feclearexcept(FE_ALL_EXCEPT);
                    t->unary_f64[static_cast<int>(f)](in.data(), out.data(), n);
                    EXPECT_EQ(std::fetestexcept(FE_UNDERFLOW) != 0, signals)
                        << t->isa << " " << unary_names[static_cast<int>(f)] << " n=" << n;
                    std::feclearexcept(FE_ALL_EXCEPT);
                    t->unary_f64[static_cast<int>(f)](in.data(), in.data(), n);  // in place
                    EXPECT_EQ(std::fetestexcept(FE_UNDERFLOW) != 0, signals)
                        << t->isa << " " << unary_names[static_cast<int>(f)] << " in place";
                }
        }
        set_signals_underflow(f, false, c_library);
    }
}

TEST(MathTables, CallerFlagsAreKept) {
    for (const MathTable* t : tables()) {
        double x[5] = {0.1, 0.2, 0.3, 0.4, 0.5}, y[5];
        std::feclearexcept(FE_ALL_EXCEPT);
        std::feraiseexcept(FE_DIVBYZERO);
        t->unary_f64[static_cast<int>(Unary::sin)](x, y, 5);
        EXPECT_NE(std::fetestexcept(FE_DIVBYZERO), 0) << t->isa;
        EXPECT_EQ(std::fetestexcept(FE_INVALID), 0) << t->isa;
    }
}

TEST(MathTables, InPlaceCallsKeepTheFlagsOfEveryPart) {
    // In place, a call works through parts of 512 elements: an invalid argument in the first part
    // must still be signalled after the others (whose settling once cleared it).
    const double inf = std::numeric_limits<double>::infinity();
    for (const MathTable* t : tables())
        for (const std::size_t at : {3u, 700u}) {
            std::vector<double> x(1000, 1.0), y(1000, 2.0);
            x[at] = inf;
            std::feclearexcept(FE_ALL_EXCEPT);
            t->unary_f64[static_cast<int>(Unary::cos)](x.data(), x.data(), 1000);
            EXPECT_NE(std::fetestexcept(FE_INVALID), 0) << t->isa << " cos, inf at " << at;
            x.assign(1000, 1.0);
            x[at] = -1.0, y[at] = 0.5;  // (-1) ** 0.5: invalid
            std::feclearexcept(FE_ALL_EXCEPT);
            t->binary_f64[static_cast<int>(Binary::power)](x.data(), y.data(), x.data(), 1000);
            EXPECT_NE(std::fetestexcept(FE_INVALID), 0) << t->isa << " power, invalid at " << at;
        }
}

TEST(MathTables, TailsAndInPlace) {
    for (const MathTable* t : tables())
        for (std::ptrdiff_t n = 0; n <= 33; ++n) {
            std::vector<double> x(static_cast<std::size_t>(n)), y(static_cast<std::size_t>(n));
            for (std::ptrdiff_t i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = 0.1 * static_cast<double>(i) - 1.0;
            t->unary_f64[static_cast<int>(Unary::exp)](x.data(), y.data(), n);
            std::vector<double> z = x;
            t->unary_f64[static_cast<int>(Unary::exp)](z.data(), z.data(), n);
            for (std::ptrdiff_t i = 0; i < n; ++i) {
                EXPECT_NEAR(y[static_cast<std::size_t>(i)], std::exp(x[static_cast<std::size_t>(i)]),
                            1e-15 * y[static_cast<std::size_t>(i)]);
                EXPECT_EQ(z[static_cast<std::size_t>(i)], y[static_cast<std::size_t>(i)]) << t->isa << " n=" << n;
            }
        }
}
