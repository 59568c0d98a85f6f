// Per-element semantics of the ops on complex64 / complex128, as NumPy defines them: its formulas
// for arithmetic, ordering and the functions it builds itself (expm1, log1p, exp2, log2, log10,
// power), and C99's complex functions (the ones NumPy uses where libm has them) for the rest.
#pragma once

#include <cmath>
#include <complex>
#include <limits>

#include "scalar_ops.hpp"

#ifndef IK_ISA
#error "define IK_ISA before including complex_ops.hpp"
#endif

namespace ik::eval::IK_ISA::cops {

template <class C>
using R = typename C::value_type;

template <class C>
inline bool nonzero(C z) {
    return z.real() != R<C>(0) || z.imag() != R<C>(0);
}
// Classification by the bits (ops::bits_is*): vectorised float classification can raise invalid.
template <class C>
inline bool has_nan(C z) {
    return ops::bits_isnan(z.real()) | ops::bits_isnan(z.imag());
}

// Lexicographic order, with NaN in either part making the comparison false (NumPy's CLT/CLE).
// The comparison ops use ordered (signalling) compares, as NumPy's do: NaN raises invalid.
template <class C>
inline bool less(C a, C b) {
    return (a.real() < b.real() && !ops::bits_isnan(a.imag()) && !ops::bits_isnan(b.imag())) ||
           (a.real() == b.real() && a.imag() < b.imag());
}
template <class C>
inline bool less_equal(C a, C b) {
    return (a.real() < b.real() && !ops::bits_isnan(a.imag()) && !ops::bits_isnan(b.imag())) ||
           (a.real() == b.real() && a.imag() <= b.imag());
}

// Plain products, as NumPy's scalar code (npy_cpow) computes them.
template <class C>
inline C multiply_plain(C a, C b) {
    return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

// The parts of one element. The kernels of the commonest ops (kernels_impl.inc) loop over
// parts, not std::complex: GCC vectorises no access to std::complex's parts, and NumPy's loops of
// these ops are SIMD (complex64 absolute took 7x NumPy's time as a loop of std::complex).
template <class T>
struct Parts {
    T re, im;
};

// NumPy's SIMD loops fuse one product of each part where the CPU has FMA; so do the FMA builds.
template <class T>
inline Parts<T> multiply_parts(T ar, T ai, T br, T bi) {
#ifdef __FMA__
    return {std::fma(ar, br, -(ai * bi)), std::fma(ar, bi, ai * br)};
#else
    return {ar * br - ai * bi, ar * bi + ai * br};
#endif
}
template <class T>
inline Parts<T> square_parts(T re, T im) {
    return multiply_parts(re, im, re, im);
}
template <class C>
inline C multiply(C a, C b) {
    const Parts<R<C>> p = multiply_parts(a.real(), a.imag(), b.real(), b.imag());
    return {p.re, p.im};
}

// |z| as NumPy's SIMD loops compute it: larger * sqrt(1 + ratio**2) with ratio = smaller / larger,
// an infinite part giving inf and else a NaN part NaN. Without branches, so that the loop
// vectorises (AVX-512: its masks make the division of finite lanes one masked division; AVX2
// has none, and runs it one element at a time), and without a flag NumPy's loop does not raise:
// special lanes are zeroed before any arithmetic, the parts are ordered by their bits
// (non-negative floats order as their bits do; a float comparison raises invalid for NaN, and GCC
// moves it onto the parts before they are zeroed), and 0 is divided by 1, not by 0.
template <class T>
inline T absolute_parts(T real, T imag) {
    using Bits = std::make_signed_t<ops::bits_of<T>>;  // (AVX2 compares signed 64-bit lanes only)
    constexpr T inf = std::numeric_limits<T>::infinity();
    const T re = std::fabs(real), im = std::fabs(imag);
    const bool any_inf = (re == inf) | (im == inf);
    const bool special = any_inf | (re != re) | (im != im);
    const T r = special ? T(0) : re, i = special ? T(0) : im;
    const bool re_larger = Bits(ops::magnitude_bits(r)) > Bits(ops::magnitude_bits(i));
    const T larger = re_larger ? r : i, smaller = re_larger ? i : r;
    const T ratio = smaller / (larger == T(0) ? T(1) : larger);
#ifdef __FMA__
    const T magnitude = larger * std::sqrt(std::fma(ratio, ratio, T(1)));
#else
    const T magnitude = larger * std::sqrt(T(1) + ratio * ratio);
#endif
    return special ? (any_inf ? inf : std::numeric_limits<T>::quiet_NaN()) : magnitude;
}

template <class C>
inline C divide(C a, C b) {
    using T = R<C>;
    const T br_abs = std::fabs(b.real()), bi_abs = std::fabs(b.imag());
    if (br_abs >= bi_abs) {
        if (br_abs == T(0) && bi_abs == T(0)) return {a.real() / br_abs, a.imag() / br_abs};
        const T rat = b.imag() / b.real();
        const T scl = T(1) / (b.real() + b.imag() * rat);
        return {(a.real() + a.imag() * rat) * scl, (a.imag() - a.real() * rat) * scl};
    }
    const T rat = b.real() / b.imag();
    const T scl = T(1) / (b.imag() + b.real() * rat);
    return {(a.real() * rat + a.imag()) * scl, (a.imag() * rat - a.real()) * scl};
}

template <class C>
inline C reciprocal(C z) {
    using T = R<C>;
    if (std::fabs(z.imag()) <= std::fabs(z.real())) {
        const T r = z.imag() / z.real();
        const T d = z.real() + z.imag() * r;
        return {T(1) / d, -r / d};
    }
    const T r = z.real() / z.imag();
    const T d = z.real() * r + z.imag();
    return {r / d, T(-1) / d};
}

// z / |z|, with NumPy's rules for infinities (an infinite part alone gives its direction, two
// infinite parts give NaN) and 0 for 0.
template <class C>
inline C sign(C z) {
    using T = R<C>;
    constexpr T nan = std::numeric_limits<T>::quiet_NaN();
    const bool re_inf = ops::bits_isinf(z.real()), im_inf = ops::bits_isinf(z.imag());
    if (re_inf && im_inf) return {nan, nan};
    if (re_inf) return {std::copysign(T(1), z.real()), T(0)};
    if (im_inf) return {T(0), std::copysign(T(1), z.imag())};
    if (has_nan(z)) return {nan, nan};
    if (!nonzero(z)) return {T(0), T(0)};
    const T h = std::hypot(z.real(), z.imag());
    return {z.real() / h, z.imag() / h};
}

template <class C>
inline C power(C a, C b) {
    using T = R<C>;
    if (b.real() == T(0) && b.imag() == T(0)) return {T(1), T(0)};
    if (a.real() == T(0) && a.imag() == T(0)) {
        if (b.real() > T(0)) return {T(0), T(0)};
        // 0 to a power with a non-positive real part: NaN, with the invalid flag.
        volatile T zero = T(0);
        const T nan = zero / zero;
        return {nan, nan};
    }
    if (b.imag() == T(0) && b.real() == std::trunc(b.real()) && std::fabs(b.real()) < T(100)) {
        // Small integer exponents by binary powering from 1, as NumPy (so inf/NaN parts propagate
        // the same way), and the reciprocal for negative exponents.
        const long n = static_cast<long>(b.real());
        if (n == 1) return a;
        if (n == 2) return multiply_plain(a, a);
        if (n == 3) return multiply_plain(a, multiply_plain(a, a));
        unsigned long m = static_cast<unsigned long>(n < 0 ? -n : n);
        C result{T(1), T(0)}, square = a;
        for (;;) {
            if (m & 1) result = multiply_plain(result, square);
            m >>= 1;
            if (!m) break;
            square = multiply_plain(square, square);
        }
        return n < 0 ? divide(C{T(1), T(0)}, result) : result;
    }
    return std::pow(a, b);
}

template <class C>
inline C expm1(C z) {
    using T = R<C>;
    const T a = std::sin(z.imag() / T(2));
    return {std::expm1(z.real()) * std::cos(z.imag()) - T(2) * a * a, std::exp(z.real()) * std::sin(z.imag())};
}

template <class C>
inline C log1p(C z) {
    using T = R<C>;
    const T l = std::hypot(z.real() + T(1), z.imag());
    return {std::log(l), std::atan2(z.imag(), z.real() + T(1))};
}

template <class C>
inline C exp2(C z) {
    using T = R<C>;
    constexpr T ln2 = T(0.693147180559945309417232121458176568);
    return std::exp(C{z.real() * ln2, z.imag() * ln2});
}

template <class C>
inline C log_scaled(C z, R<C> scale) {
    const C l = std::log(z);
    return {l.real() * scale, l.imag() * scale};
}

// One function per op, for the kernel table.
template <class C>
C add(C a, C b) {
    return {a.real() + b.real(), a.imag() + b.imag()};
}
template <class C>
C subtract(C a, C b) {
    return {a.real() - b.real(), a.imag() - b.imag()};
}
template <class C>
C negative(C a) {
    return {-a.real(), -a.imag()};
}
template <class C>
C positive(C a) {
    return a;
}
template <class C>
C conjugate(C a) {
    return {a.real(), -a.imag()};
}
template <class C>
R<C> absolute(C a) {
    return absolute_parts(a.real(), a.imag());
}
template <class C>
R<C> real(C a) {
    return a.real();
}
template <class C>
R<C> imag(C a) {
    return a.imag();
}
template <class C>
C square(C a) {
    return multiply(a, a);
}  // (kernels: square_parts)
template <class C>
C rint(C a) {
    return {std::nearbyint(a.real()), std::nearbyint(a.imag())};
}
template <class C>
bool equal(C a, C b) {
    return a.real() == b.real() && a.imag() == b.imag();
}
template <class C>
bool not_equal(C a, C b) {
    return !(a.real() == b.real() && a.imag() == b.imag());
}
template <class C>
bool greater(C a, C b) {
    return less(b, a);
}
template <class C>
bool greater_equal(C a, C b) {
    return less_equal(b, a);
}
// maximum/minimum (a NaN in a wins) and fmax/fmin (a NaN in b loses) of one element's parts:
// NumPy's lexicographic order, raising no flag (NumPy's loops raise none). The tail of
// complex_extreme_kernel, whose vectors compute the same selects.
template <class T, bool Max, bool NanInAWins>
inline Parts<T> extreme_parts(T ar, T ai, T br, T bi) {
    const T lr = Max ? br : ar, li = Max ? bi : ai, hr = Max ? ar : br, hi = Max ? ai : bi;
    // NaNs found by their bits and zeroed before comparing: any comparison of a signalling NaN,
    // even == or x != x, raises invalid.
    const bool nan_r = ops::bits_isnan(lr) | ops::bits_isnan(hr), nan_i = ops::bits_isnan(li) | ops::bits_isnan(hi);
    const T lr0 = nan_r ? T(0) : lr, hr0 = nan_r ? T(0) : hr, li0 = nan_i ? T(0) : li, hi0 = nan_i ? T(0) : hi;
    const bool low_first = !nan_r & (((lr0 < hr0) & !nan_i) | ((lr0 == hr0) & !nan_i & (li0 <= hi0)));
    // maximum: a NaN in a is taken; fmax: a NaN in b is not, so a is.
    const bool nan = NanInAWins ? ops::bits_isnan(ar) | ops::bits_isnan(ai) : ops::bits_isnan(br) | ops::bits_isnan(bi);
    const bool take_a = nan | low_first;
    return {take_a ? ar : br, take_a ? ai : bi};
}
template <class C>
bool logical_not(C a) {
    return !nonzero(a);
}
template <class C>
bool logical_and(C a, C b) {
    return nonzero(a) && nonzero(b);
}
template <class C>
bool logical_or(C a, C b) {
    return nonzero(a) || nonzero(b);
}
template <class C>
bool logical_xor(C a, C b) {
    return nonzero(a) != nonzero(b);
}
template <class C>
bool isnan(C a) {
    return has_nan(a);
}
template <class C>
bool isinf(C a) {
    return ops::bits_isinf(a.real()) | ops::bits_isinf(a.imag());
}
template <class C>
bool isfinite(C a) {
    return ops::bits_isfinite(a.real()) & ops::bits_isfinite(a.imag());
}
template <class C>
C sqrt(C a) {
    return std::sqrt(a);
}
template <class C>
C exp(C a) {
    return std::exp(a);
}
template <class C>
C log(C a) {
    return std::log(a);
}
template <class C>
C log2(C a) {
    return log_scaled(a, R<C>(1.442695040888963407359924681001892137));
}
template <class C>
C log10(C a) {
    return log_scaled(a, R<C>(0.434294481903251827651128918916605082));
}
template <class C>
C sin(C a) {
    return std::sin(a);
}
template <class C>
C cos(C a) {
    return std::cos(a);
}
template <class C>
C tan(C a) {
    return std::tan(a);
}
template <class C>
C sinh(C a) {
    return std::sinh(a);
}
template <class C>
C cosh(C a) {
    return std::cosh(a);
}
template <class C>
C tanh(C a) {
    return std::tanh(a);
}
template <class C>
C arcsin(C a) {
    return std::asin(a);
}
template <class C>
C arccos(C a) {
    return std::acos(a);
}
template <class C>
C arctan(C a) {
    return std::atan(a);
}
template <class C>
C arcsinh(C a) {
    return std::asinh(a);
}
template <class C>
C arccosh(C a) {
    return std::acosh(a);
}
template <class C>
C arctanh(C a) {
    return std::atanh(a);
}

}  // namespace ik::eval::IK_ISA::cops
