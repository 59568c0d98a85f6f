// Element types of the IR, with their sizes and NumPy character codes.
#pragma once

#include <cstddef>
#include <complex>
#include <cstdint>
#include <string_view>

namespace ik::ir {

// IEEE binary16, stored as its bits; arithmetic happens in float (see eval/kernels/half.hpp).
struct Half {
    std::uint16_t bits;
};

// Stable numbering: it is part of the serialised IR format.
#define IK_DTYPES(X)                          \
    X(bool_, bool, '?', 1)                    \
    X(int8, std::int8_t, 'b', 1)              \
    X(uint8, std::uint8_t, 'B', 1)            \
    X(int16, std::int16_t, 'h', 2)            \
    X(uint16, std::uint16_t, 'H', 2)          \
    X(int32, std::int32_t, 'i', 4)            \
    X(uint32, std::uint32_t, 'I', 4)          \
    X(int64, std::int64_t, 'q', 8)            \
    X(uint64, std::uint64_t, 'Q', 8)          \
    X(float32, float, 'f', 4)                 \
    X(float64, double, 'd', 8)                \
    X(float16, Half, 'e', 2)                  \
    X(complex64, std::complex<float>, 'F', 8) \
    X(complex128, std::complex<double>, 'D', 16)

enum class DType : std::uint8_t {
#define IK_X(name, ctype, code, size) name,
    IK_DTYPES(IK_X)
#undef IK_X
        count,
    // Not an element type: a node whose type is decided later (untyped IR only).
    unknown = 0xff,
};

constexpr int dtype_count = static_cast<int>(DType::count);

constexpr std::size_t itemsize(DType t) {
    switch (t) {
#define IK_X(name, ctype, code, size) \
    case DType::name:                 \
        return size;
        IK_DTYPES(IK_X)
#undef IK_X
        case DType::count:
        case DType::unknown:
            break;
    }
    return 0;
}

constexpr std::string_view dtype_name(DType t) {
    if (t == DType::bool_) return "bool";
    switch (t) {
#define IK_X(name, ctype, code, size) \
    case DType::name:                 \
        return #name;
        IK_DTYPES(IK_X)
#undef IK_X
        case DType::count:
            break;
        case DType::unknown:
            return "unknown";
    }
    return "invalid";
}

constexpr bool is_valid(DType t) { return static_cast<int>(t) < dtype_count; }
constexpr bool is_float(DType t) { return t == DType::float16 || t == DType::float32 || t == DType::float64; }
constexpr bool is_complex(DType t) { return t == DType::complex64 || t == DType::complex128; }
// The dtype of the real and imaginary parts of a complex dtype; other dtypes are their own.
constexpr DType real_of(DType t) {
    return t == DType::complex64 ? DType::float32 : t == DType::complex128 ? DType::float64 : t;
}
constexpr bool is_signed_int(DType t) {
    return t == DType::int8 || t == DType::int16 || t == DType::int32 || t == DType::int64;
}
constexpr bool is_unsigned_int(DType t) {
    return t == DType::uint8 || t == DType::uint16 || t == DType::uint32 || t == DType::uint64;
}
constexpr bool is_int(DType t) { return is_signed_int(t) || is_unsigned_int(t); }

// Calls f.template operator()<CType>() for the C type of a valid dtype.
template <class F>
decltype(auto) visit_dtype(DType t, F&& f) {
    switch (t) {
#define IK_X(name, ctype, code, size) \
    case DType::name:                 \
        return f.template operator()<ctype>();
        IK_DTYPES(IK_X)
#undef IK_X
        case DType::count:
        case DType::unknown:
            break;
    }
    return f.template operator()<void>();
}

}  // namespace ik::ir
