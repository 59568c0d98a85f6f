// The kernel tables: every (op, dtype) pair instantiated once from scalar_ops.hpp or the math layer.
#include "kernels.hpp"

#include <cstring>
#include <type_traits>

#include "scalar_ops.hpp"
#include "simd/math.hpp"

namespace ik::eval {
namespace {

using ir::DType;
using ir::Op;

template <class F, class T> void unary_kernel(const void* const* in, void* out, std::ptrdiff_t n) {
    const T* a = static_cast<const T*>(in[0]);
    using R = decltype(F::template f<T>(T{}));
    R* o = static_cast<R*>(out);
    for (std::ptrdiff_t i = 0; i < n; ++i) o[i] = F::template f<T>(a[i]);
}

template <class F, class T> void binary_kernel(const void* const* in, void* out, std::ptrdiff_t n) {
    const T* a = static_cast<const T*>(in[0]);
    const T* b = static_cast<const T*>(in[1]);
    using R = decltype(F::template f<T>(T{}, T{}));
    R* o = static_cast<R*>(out);
    for (std::ptrdiff_t i = 0; i < n; ++i) o[i] = F::template f<T>(a[i], b[i]);
}

template <simd::Unary fn, class T> void math_unary_kernel(const void* const* in, void* out, std::ptrdiff_t n) {
    static const auto& table = simd::math_table();
    if constexpr (std::is_same_v<T, double>)
        table.unary_f64[static_cast<int>(fn)](static_cast<const double*>(in[0]), static_cast<double*>(out), n);
    else
        table.unary_f32[static_cast<int>(fn)](static_cast<const float*>(in[0]), static_cast<float*>(out), n);
}

template <simd::Binary fn, class T> void math_binary_kernel(const void* const* in, void* out, std::ptrdiff_t n) {
    static const auto& table = simd::math_table();
    if constexpr (std::is_same_v<T, double>)
        table.binary_f64[static_cast<int>(fn)](static_cast<const double*>(in[0]), static_cast<const double*>(in[1]),
                                               static_cast<double*>(out), n);
    else
        table.binary_f32[static_cast<int>(fn)](static_cast<const float*>(in[0]), static_cast<const float*>(in[1]),
                                               static_cast<float*>(out), n);
}

template <class F> Kernel unary_for(DType t) {
    return ir::visit_dtype(t, [&]<class T>() -> Kernel {
        if constexpr (std::is_void_v<T>) return nullptr;
        else if constexpr (F::template ok<T>) return &unary_kernel<F, T>;
        else return nullptr;
    });
}

template <class F> Kernel binary_for(DType t) {
    return ir::visit_dtype(t, [&]<class T>() -> Kernel {
        if constexpr (std::is_void_v<T>) return nullptr;
        else if constexpr (F::template ok<T>) return &binary_kernel<F, T>;
        else return nullptr;
    });
}

template <simd::Unary fn> Kernel math_unary_for(DType t) {
    if (t == DType::float64) return &math_unary_kernel<fn, double>;
    if (t == DType::float32) return &math_unary_kernel<fn, float>;
    return nullptr;
}

template <simd::Binary fn> Kernel math_binary_for(DType t) {
    if (t == DType::float64) return &math_binary_kernel<fn, double>;
    if (t == DType::float32) return &math_binary_kernel<fn, float>;
    return nullptr;
}

// NumPy casts floats to integers with the C conversion as compiled for x86-64: truncation, and
// out-of-range or NaN values become the "integer indefinite" value with the invalid flag set.
// Narrow integers go through int32 (and uint32 through int64), as C does on this platform.
template <class To, class From> To convert(From v) {
    if constexpr (std::is_same_v<To, bool>) return v != From(0);
    else if constexpr (std::is_floating_point_v<To> || !std::is_floating_point_v<From>) return static_cast<To>(v);
    else {
        using Wide = std::conditional_t<(sizeof(To) >= 8 || std::is_same_v<To, std::uint32_t>), std::int64_t, std::int32_t>;
        if constexpr (std::is_same_v<To, std::uint64_t>) {
            // Values in [2**63, 2**64) are in range; C converts them exactly.
            constexpr From two63 = From(9223372036854775808.0);
            if (v >= two63 && v < two63 * 2) return static_cast<To>(static_cast<std::int64_t>(v - two63)) ^ (std::uint64_t(1) << 63);
        }
        constexpr From lo = From(static_cast<double>(std::numeric_limits<Wide>::min()));
        constexpr From hi = -lo;  // exclusive upper bound, a power of two
        if (!(v >= lo && v < hi)) {
            std::feraiseexcept(FE_INVALID);
            return static_cast<To>(std::numeric_limits<Wide>::min());
        }
        return static_cast<To>(static_cast<Wide>(v));
    }
}

template <class From, class To> void cast_kernel(const void* const* in, void* out, std::ptrdiff_t n) {
    const From* a = static_cast<const From*>(in[0]);
    To* o = static_cast<To*>(out);
    for (std::ptrdiff_t i = 0; i < n; ++i) o[i] = convert<To, From>(a[i]);
}

template <class T> void select_kernel(const bool* c, const void* a, const void* b, void* out, std::ptrdiff_t n) {
    const T* x = static_cast<const T*>(a);
    const T* y = static_cast<const T*>(b);
    T* o = static_cast<T*>(out);
    for (std::ptrdiff_t i = 0; i < n; ++i) o[i] = c[i] ? x[i] : y[i];
}

struct alignas(16) Bytes16 {
    std::uint64_t lo, hi;
};

template <class F> decltype(auto) visit_size(std::size_t itemsize, F&& f) {
    switch (itemsize) {
        case 1:
            return f.template operator()<std::uint8_t>();
        case 2:
            return f.template operator()<std::uint16_t>();
        case 4:
            return f.template operator()<std::uint32_t>();
        case 8:
            return f.template operator()<std::uint64_t>();
        default:
            return f.template operator()<Bytes16>();
    }
}

}  // namespace

Kernel find_kernel(Op op, DType t) {
    using namespace ops;
    if (op == Op::power && ir::is_int(t)) return binary_for<IntPower>(t);
    switch (op) {
        case Op::input:
        case Op::constant:
        case Op::where:
        case Op::cast:
        case Op::count:
            return nullptr;
        case Op::negative: return unary_for<Negative>(t);
        case Op::positive: return unary_for<Positive>(t);
        case Op::absolute: return unary_for<Absolute>(t);
        case Op::square: return unary_for<Square>(t);
        case Op::reciprocal: return unary_for<Reciprocal>(t);
        case Op::sqrt: return unary_for<Sqrt>(t);
        case Op::floor: return unary_for<Floor>(t);
        case Op::ceil: return unary_for<Ceil>(t);
        case Op::trunc: return unary_for<Trunc>(t);
        case Op::rint: return unary_for<Rint>(t);
        case Op::sign: return unary_for<Sign>(t);
        case Op::logical_not: return unary_for<LogicalNot>(t);
        case Op::invert: return unary_for<Invert>(t);
        case Op::isnan: return unary_for<IsNan>(t);
        case Op::isinf: return unary_for<IsInf>(t);
        case Op::isfinite: return unary_for<IsFinite>(t);
        case Op::signbit: return unary_for<SignBit>(t);
        case Op::deg2rad: return unary_for<Deg2Rad>(t);
        case Op::rad2deg: return unary_for<Rad2Deg>(t);
        case Op::conjugate: return unary_for<Conjugate>(t);
#define IK_X(name) \
    case Op::name: return math_unary_for<simd::Unary::name>(t);
        IK_SIMD_UNARY_FUNCTIONS(IK_X)
#undef IK_X
#define IK_X(name) \
    case Op::name: return math_binary_for<simd::Binary::name>(t);
        IK_SIMD_BINARY_FUNCTIONS(IK_X)
#undef IK_X
        case Op::add: return binary_for<Add>(t);
        case Op::subtract: return binary_for<Subtract>(t);
        case Op::multiply: return binary_for<Multiply>(t);
        case Op::divide: return binary_for<Divide>(t);
        case Op::floor_divide: return binary_for<FloorDivide>(t);
        case Op::remainder: return binary_for<Remainder>(t);
        case Op::fmod: return binary_for<Fmod>(t);
        case Op::maximum: return binary_for<Maximum>(t);
        case Op::minimum: return binary_for<Minimum>(t);
        case Op::fmax: return binary_for<Fmax>(t);
        case Op::fmin: return binary_for<Fmin>(t);
        case Op::greater: return binary_for<Greater>(t);
        case Op::greater_equal: return binary_for<GreaterEqual>(t);
        case Op::less: return binary_for<Less>(t);
        case Op::less_equal: return binary_for<LessEqual>(t);
        case Op::equal: return binary_for<Equal>(t);
        case Op::not_equal: return binary_for<NotEqual>(t);
        case Op::logical_and: return binary_for<LogicalAnd>(t);
        case Op::logical_or: return binary_for<LogicalOr>(t);
        case Op::logical_xor: return binary_for<LogicalXor>(t);
        case Op::bitwise_and: return binary_for<BitwiseAnd>(t);
        case Op::bitwise_or: return binary_for<BitwiseOr>(t);
        case Op::bitwise_xor: return binary_for<BitwiseXor>(t);
        case Op::left_shift: return binary_for<LeftShift>(t);
        case Op::right_shift: return binary_for<RightShift>(t);
        case Op::copysign: return binary_for<CopySign>(t);
        case Op::nextafter: return binary_for<NextAfter>(t);
        case Op::heaviside: return binary_for<Heaviside>(t);
        case Op::logaddexp: return binary_for<LogAddExp>(t);
        case Op::logaddexp2: return binary_for<LogAddExp2>(t);
    }
    return nullptr;
}

Kernel find_cast(DType from, DType to) {
    return ir::visit_dtype(from, [&]<class From>() -> Kernel {
        if constexpr (std::is_void_v<From>) return nullptr;
        else
            return ir::visit_dtype(to, [&]<class To>() -> Kernel {
                if constexpr (std::is_void_v<To>) return nullptr;
                else return &cast_kernel<From, To>;
            });
    });
}

void load_strided(std::size_t itemsize, const char* src, std::ptrdiff_t stride, void* dst, std::ptrdiff_t n) {
    visit_size(itemsize, [&]<class T>() {
        T* d = static_cast<T*>(dst);
        for (std::ptrdiff_t i = 0; i < n; ++i) std::memcpy(&d[i], src + i * stride, sizeof(T));
    });
}

void store_strided(std::size_t itemsize, const void* src, char* dst, std::ptrdiff_t stride, std::ptrdiff_t n) {
    visit_size(itemsize, [&]<class T>() {
        const T* s = static_cast<const T*>(src);
        for (std::ptrdiff_t i = 0; i < n; ++i) std::memcpy(dst + i * stride, &s[i], sizeof(T));
    });
}

void broadcast(std::size_t itemsize, const void* value, void* dst, std::ptrdiff_t n) {
    visit_size(itemsize, [&]<class T>() {
        T v;
        std::memcpy(&v, value, sizeof(T));
        T* d = static_cast<T*>(dst);
        for (std::ptrdiff_t i = 0; i < n; ++i) d[i] = v;
    });
}

void gather(std::size_t itemsize, const void* src, const std::int32_t* index, void* dst, std::ptrdiff_t n) {
    visit_size(itemsize, [&]<class T>() {
        const T* s = static_cast<const T*>(src);
        T* d = static_cast<T*>(dst);
        for (std::ptrdiff_t i = 0; i < n; ++i) d[i] = s[index[i]];
    });
}

void scatter(std::size_t itemsize, const void* src, const std::int32_t* index, void* dst, std::ptrdiff_t n) {
    visit_size(itemsize, [&]<class T>() {
        const T* s = static_cast<const T*>(src);
        T* d = static_cast<T*>(dst);
        for (std::ptrdiff_t i = 0; i < n; ++i) d[index[i]] = s[i];
    });
}

void select(std::size_t itemsize, const bool* cond, const void* a, const void* b, void* out, std::ptrdiff_t n) {
    visit_size(itemsize, [&]<class T>() { select_kernel<T>(cond, a, b, out, n); });
}

std::ptrdiff_t count_true(const bool* cond, std::ptrdiff_t n) {
    std::ptrdiff_t count = 0;
    for (std::ptrdiff_t i = 0; i < n; ++i) count += cond[i];
    return count;
}

std::ptrdiff_t positions(const bool* cond, bool value, std::int32_t* index, std::ptrdiff_t n) {
    std::ptrdiff_t k = 0;
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        index[k] = static_cast<std::int32_t>(i);
        k += (cond[i] == value);
    }
    return k;
}

}  // namespace ik::eval
