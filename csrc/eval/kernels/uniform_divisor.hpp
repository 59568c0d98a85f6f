// Integer division by a divisor that is the same at every element (a constant, a stride-0 input,
// a broadcast row): a multiply-high and shifts per element instead of a division instruction,
// which takes 10-90 cycles and does not vectorise. NumPy does the same for a scalar divisor;
// before this, `a // 7` on int64 took 5-30x NumPy's time.
//
// The method is Granlund and Montgomery's ("Division by invariant integers using
// multiplication", PLDI 1994, section 4): for an N-bit unsigned n and a divisor d >= 2, with
// l = ceil(log2 d) and m = floor(2^N (2^l - d) / d) + 1 (an N-bit number),
//     t = mulhi(m, n),   n / d = (t + ((n - t) >> 1)) >> (l - 1),
// exact for every n (the (n - t) >> 1 keeps the sum within N bits). Signed operands are divided
// by magnitude and the sign and NumPy's rounding toward minus infinity applied after; the exact
// quotient and remainder then follow with wrapping arithmetic, as they fit the type.
// Unsigned divisors pick, once per divisor, the shorter of exact forms without the add step above
// (UnsignedForm), which NumPy's loops (libdivide's branch-free form) take for every divisor.
#pragma once

#include <cstdint>
#include <type_traits>

namespace ik::eval {

template <class T>
class UniformDivisor {
   public:
    using U = std::make_unsigned_t<T>;
    static constexpr int bits = 8 * sizeof(T);

    // Whether d can be divided by here: not 0 (NumPy's divide-by-zero flag), not -1 (the
    // overflow of min // -1): those stay with the element-wise loop, which raises NumPy's flags.
    static bool takes(T d) {
        if constexpr (std::is_signed_v<T>)
            return d != 0 && d != T(-1);
        else
            return d != 0;
    }

    explicit UniformDivisor(T d) : d_(d), magnitude_(magnitude(d)) {
        int l = 0;
        while (l < bits && (U(1) << l) < magnitude_) ++l;  // ceil(log2 |d|)
        if (magnitude_ > 1) {
            // 2^N (2^l - d) / d < 2^N, since 2^l - d < d; 2^l may be 2^N itself.
            const unsigned __int128 two_l = static_cast<unsigned __int128>(1) << l;
            magic_ = static_cast<U>(((two_l - magnitude_) << bits) / magnitude_ + 1);
            shift1_ = 1;
            shift2_ = l - 1;
        }  // else |d| = 1: magic 0 and no shifts make the formula n itself
        if constexpr (std::is_signed_v<T>) {
            divisor_sign_ = d < 0 ? U(~U(0)) : U(0);
            if (magnitude_ > 1) {
                // For dividends up to 2^(N-1) (see floor_quotient_positive and _negative), the magic
                // m = ceil(2^(N-1+l) / |d|) fits N bits and needs no correction: with m |d| = 2^(N-1+l) + e,
                // e < |d| <= 2^l, the error n e / (|d| 2^(N-1+l)) stays below 1 / |d| (section 4, N-1 bits).
                const unsigned __int128 numerator = static_cast<unsigned __int128>(1) << (bits - 1 + l);
                half_magic_ = static_cast<U>((numerator + magnitude_ - 1) / magnitude_);
                half_shift_ = l - 1;
            }
        } else if (magnitude_ > 1) {
            choose_unsigned_form();
        }
    }

    // The forms of n / d for an unsigned type, with f = floor(log2 d), fewest operations first:
    //   shift      d = 2^f: n >> f.
    //   fits       m = ceil(2^(N+f) / d) < 2^N with e = m d - 2^(N+f) <= 2^f: mulhi(m, n) >> f, exact as
    //              n e < 2^(N+f) (section 4).
    //   increment  else m = floor(2^(N+f) / d): mulhi(m, n + 1) >> f (Robison, "N-bit unsigned division
    //              via N-bit multiply-add", 2005): r = 2^(N+f) - m d = d - e < d - 2^f < 2^f, so
    //              (n + 1) r < 2^(N+f) for every n + 1 <= 2^N, and floor((n + 1) m / 2^(N+f)) = floor(n / d).
    //              n + 1 saturates at 2^N - 1 in N bits, which gives (2^N - 2) / d for n = 2^N - 1:
    //              still right, as d does not divide 2^N - 1 (if it did, 2^(N+f) = 2^f modulo d, so
    //              e = d - 2^f <= 2^f: fits).
    // Neither needs the add step of divide_magnitude, nor its second shift.
    enum class UnsignedForm : std::uint8_t { shift, fits, increment };
    UnsignedForm unsigned_form() const { return form_; }
    U form_magic() const { return form_magic_; }    // m of fits and increment
    int form_shift() const { return form_shift_; }  // f
    // n / d by unsigned_form(), as the vector kernels compute it (for a divisor above 1).
    U divide_by_form(U n) const {
        switch (form_) {
            case UnsignedForm::shift:
                return static_cast<U>(n >> form_shift_);
            case UnsignedForm::fits:
                return mulhi_shifted(form_magic_, n, form_shift_);
            case UnsignedForm::increment:
                return mulhi_shifted(form_magic_, static_cast<U>(n + (n != U(~U(0)))), form_shift_);
        }
        return 0;
    }

    // Every operation below is branch-free, so that dividends of random signs cost no mispredicted
    // branches and the loops vectorise (the multiply-high of 8-, 16- and 32-bit lanes in wider ones).

    // n / |d| for a magnitude n.
    U divide_magnitude(U n) const {
        const U t = mulhi(magic_, n);
        return static_cast<U>(static_cast<U>(t + static_cast<U>(static_cast<U>(n - t) >> shift1_)) >> shift2_);
    }

    // Whether floor_quotient_positive applies: a signed divisor above 1.
    bool positive() const { return std::is_signed_v<T> && d_ > 1; }
    // floor_quotient for a positive() divisor: floor(n / d) is ~(~n / d) for a negative n, and
    // ~n = n ^ sign is below 2^(N-1) whatever n's sign, so a multiply-high and one shift do.
    T floor_quotient_positive(T n) const {
        const U sign = sign_of(n);
        const U x = static_cast<U>(static_cast<U>(n) ^ sign);
        return static_cast<T>(static_cast<U>(mulhi_shifted(half_magic_, x, half_shift_) ^ sign));
    }

    // floor_quotient for a divisor below -1: floor(n / d) is floor(-n / |d|), which for n <= 0 is
    // -n / |d| (-n up to 2^(N-1), which the half magic takes), and for n > 0 is ~((n - 1) / |d|),
    // where n - 1 = ~(-n). With s all ones where n > 0: ((-n ^ s) / |d|) ^ s, of either sign.
    T floor_quotient_negative(T n) const {
        const U s = static_cast<U>(U(0) - static_cast<U>(n > 0));
        const U x = static_cast<U>(static_cast<U>(U(0) - static_cast<U>(n)) ^ s);
        return static_cast<T>(static_cast<U>(mulhi_shifted(half_magic_, x, half_shift_) ^ s));
    }
    T floor_remainder_negative(T n) const { return remainder_of(n, floor_quotient_negative(n)); }

    // The constants of the forms above, for vector forms of their own (uniform_division.inc):
    // divide_magnitude is ((t + ((n - t) >> 1)) >> shift()) with t = mulhi(magic(), n) when |d| > 1,
    // floor_quotient_positive and _negative mulhi(half_magic(), x) >> half_shift().
    U magic() const { return magic_; }
    int shift() const { return shift2_; }
    U half_magic() const { return half_magic_; }
    int half_shift() const { return half_shift_; }

    // NumPy's floor_divide: the quotient rounded toward minus infinity.
    T floor_quotient(T n) const {
        if constexpr (std::is_signed_v<T>) {
            const U sign = sign_of(n);
            const U m = static_cast<U>((static_cast<U>(n) ^ sign) - sign);
            const U q = divide_magnitude(m);
            const U inexact = static_cast<U>(m - static_cast<U>(q * magnitude_)) != 0;
            const U differ = sign ^ divisor_sign_;  // all ones when the signs differ: -q, one lower if inexact
            return static_cast<T>(static_cast<U>(static_cast<U>((q ^ differ) - differ) - (inexact & differ)));
        } else {
            return static_cast<T>(divide_magnitude(n));
        }
    }
    // NumPy's remainder: n - floor_quotient(n) * d, of the divisor's sign.
    T floor_remainder(T n) const { return remainder_of(n, floor_quotient(n)); }
    T floor_remainder_positive(T n) const { return remainder_of(n, floor_quotient_positive(n)); }
    // np.fmod: the remainder of the quotient rounded toward zero, of the dividend's sign.
    T truncated_remainder(T n) const {
        if constexpr (std::is_signed_v<T>) {
            const U sign = sign_of(n);
            const U m = static_cast<U>((static_cast<U>(n) ^ sign) - sign);
            const U r = static_cast<U>(m - static_cast<U>(divide_magnitude(m) * magnitude_));
            return static_cast<T>(static_cast<U>((r ^ sign) - sign));
        } else {
            return static_cast<T>(n - static_cast<T>(divide_magnitude(n) * magnitude_));
        }
    }

   private:
    void choose_unsigned_form() {
        int f = 0;
        while ((magnitude_ >> f) > 1) ++f;  // floor(log2 d)
        form_shift_ = f;
        if ((magnitude_ & (magnitude_ - 1)) == 0) {
            form_ = UnsignedForm::shift;
            return;
        }
        const unsigned __int128 numerator = static_cast<unsigned __int128>(1) << (bits + f);
        const auto up = static_cast<U>((numerator + magnitude_ - 1) / magnitude_);  // < 2^N: d > 2^f
        if (static_cast<unsigned __int128>(up) * magnitude_ - numerator <= (static_cast<unsigned __int128>(1) << f)) {
            form_ = UnsignedForm::fits;
            form_magic_ = up;
        } else {
            form_ = UnsignedForm::increment;
            form_magic_ = static_cast<U>(numerator / magnitude_);
        }
    }
    static U magnitude(T d) {
        if constexpr (std::is_signed_v<T>)
            return d < 0 ? static_cast<U>(U(0) - static_cast<U>(d)) : static_cast<U>(d);
        else
            return d;
    }
    T remainder_of(T n, T q) const {
        return static_cast<T>(
            static_cast<U>(static_cast<U>(n) - wrapping_product(static_cast<U>(q), static_cast<U>(d_))));
    }
    // a * b modulo 2^bits. 8- and 16-bit operands are promoted to int, whose product may overflow
    // (65535 * 32769: undefined behaviour, found by clang's UBSan): multiply them as unsigned.
    static U wrapping_product(U a, U b) {
        using Product = std::common_type_t<U, unsigned>;
        return static_cast<U>(static_cast<Product>(a) * static_cast<Product>(b));
    }
    static U sign_of(T n) { return static_cast<U>(U(0) - static_cast<U>(n < 0)); }  // all ones if negative
    // The high half of a * b, in lanes twice as wide.
    using Wide =
        std::conditional_t<bits == 8, std::uint16_t,
                           std::conditional_t<bits == 16, std::uint32_t,
                                              std::conditional_t<bits == 32, std::uint64_t, unsigned __int128>>>;
    // mulhi(a, b) >> s, in one shift of the wide product where that is one lane.
    static U mulhi_shifted(U a, U b, int s) {
        if constexpr (bits < 64)
            return static_cast<U>((static_cast<Wide>(a) * b) >> (bits + s));
        else
            return static_cast<U>(mulhi(a, b) >> s);
    }
    static U mulhi(U a, U b) {
#if defined(__AVX2__)
        if constexpr (bits == 64) {
            // From 32-bit halves: vector units multiply 32 x 32 -> 64 bits, not 64 x 64 -> 128,
            // so this form vectorises where the 128-bit product stays one lane at a time.
            const std::uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32, b_lo = b & 0xffffffffu, b_hi = b >> 32;
            const std::uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
            const std::uint64_t middle = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + lo_hi;  // < 2^64
            return static_cast<U>(hi_hi + (hi_lo >> 32) + (middle >> 32));
        }
#endif
        return static_cast<U>((static_cast<Wide>(a) * b) >> bits);
    }

    T d_;
    U magnitude_;
    U magic_ = 0;
    int shift1_ = 0, shift2_ = 0;
    U divisor_sign_ = 0;  // all ones for a negative divisor
    U half_magic_ = 0;    // signed, |d| > 1: the magic for dividends up to 2^(N-1)
    int half_shift_ = 0;
    UnsignedForm form_ = UnsignedForm::shift;  // unsigned, d > 1
    U form_magic_ = 0;
    int form_shift_ = 0;
};

// Whether all n divisors equal the first, checked 1024 bytes at a time (a loop of fixed length the
// compiler vectorises, one horizontal OR per 1024 bytes: per 64 elements, as before, the OR of
// bytes took 40% of uint8 // 7), so that a varying divisor costs little more than its first ones.
template <class T>
bool uniform(const T* b, std::ptrdiff_t n) {
    using U = std::make_unsigned_t<std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, T>>;
    constexpr std::ptrdiff_t group = 1024 / sizeof(T);
    const auto first = static_cast<U>(b[0]);
    std::ptrdiff_t i = 0;
    for (; i + group <= n; i += group) {
        U differs = 0;
        for (std::ptrdiff_t j = 0; j < group; ++j) differs |= static_cast<U>(static_cast<U>(b[i + j]) ^ first);
        if (differs) return false;
    }
    for (; i < n; ++i)
        if (static_cast<U>(b[i]) != first) return false;
    return true;
}

}  // namespace ik::eval
