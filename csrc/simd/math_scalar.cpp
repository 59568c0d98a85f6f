// The math tables: the portable scalar one (libm per element) and the choice among all of them.
#include <atomic>
#include <cfenv>
#include <cmath>
#include <cstring>

#include "dispatch.hpp"
#include "math.hpp"

namespace ik::simd {
namespace {

struct UnderflowTable {
    UnderflowTable() {
        for (int f = 0; f < static_cast<int>(Unary::count); ++f)
            for (auto& row : signals)
                row[f] = ir::info(op_of(static_cast<Unary>(f))).underflow;  // the C library's (glibc) answer
    }
    std::atomic<bool> signals[2][static_cast<int>(Unary::count)];  // [is_f32][f]
};

UnderflowTable& underflow_table() {
    static UnderflowTable table;
    return table;
}

}  // namespace

bool signals_underflow(Unary f, bool is_f32) {
    return underflow_table().signals[is_f32][static_cast<int>(f)].load(std::memory_order_relaxed);
}
void set_signals_underflow(Unary f, bool is_f32, bool signals) {
    underflow_table().signals[is_f32][static_cast<int>(f)].store(signals, std::memory_order_relaxed);
}

namespace {

template <class T>
T np_sin(T x) {
    return std::sin(x);
}
template <class T>
T np_cos(T x) {
    return std::cos(x);
}
template <class T>
T np_tan(T x) {
    return std::tan(x);
}
template <class T>
T np_arcsin(T x) {
    return std::asin(x);
}
template <class T>
T np_arccos(T x) {
    return std::acos(x);
}
template <class T>
T np_arctan(T x) {
    return std::atan(x);
}
template <class T>
T np_sinh(T x) {
    return std::sinh(x);
}
template <class T>
T np_cosh(T x) {
    return std::cosh(x);
}
template <class T>
T np_tanh(T x) {
    return std::tanh(x);
}
template <class T>
T np_arcsinh(T x) {
    return std::asinh(x);
}
template <class T>
T np_arccosh(T x) {
    return std::acosh(x);
}
template <class T>
T np_arctanh(T x) {
    return std::atanh(x);
}
template <class T>
T np_exp(T x) {
    return std::exp(x);
}
template <class T>
T np_exp2(T x) {
    return std::exp2(x);
}
template <class T>
T np_expm1(T x) {
    return std::expm1(x);
}
template <class T>
T np_log(T x) {
    return std::log(x);
}
template <class T>
T np_log2(T x) {
    return std::log2(x);
}
template <class T>
T np_log10(T x) {
    return std::log10(x);
}
template <class T>
T np_log1p(T x) {
    return std::log1p(x);
}
template <class T>
T np_cbrt(T x) {
    return std::cbrt(x);
}
template <class T>
T np_arctan2(T a, T b) {
    return std::atan2(a, b);
}
template <class T>
T np_hypot(T a, T b) {
    return std::hypot(a, b);
}
template <class T>
T np_power(T a, T b) {
    return std::pow(a, b);
}

// libm raises its own flags, NumPy's; but where NumPy's loop for f does not signal underflow
// (signals_underflow), an underflow libm raised in the loop is cleared.
#define IK_X(name)                                                                               \
    template <class T>                                                                           \
    void unary_##name(const T* in, T* out, std::ptrdiff_t n) {                                   \
        const bool clear_underflow =                                                             \
            !signals_underflow(Unary::name, sizeof(T) == 4) && !std::fetestexcept(FE_UNDERFLOW); \
        for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = np_##name(in[i]);                        \
        if (clear_underflow) std::feclearexcept(FE_UNDERFLOW);                                   \
    }
IK_SIMD_UNARY_FUNCTIONS(IK_X)
#undef IK_X
#define IK_X(name)                                                             \
    template <class T>                                                         \
    void binary_##name(const T* a, const T* b, T* out, std::ptrdiff_t n) {     \
        for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = np_##name(a[i], b[i]); \
    }
IK_SIMD_BINARY_FUNCTIONS(IK_X)
#undef IK_X

const MathTable scalar_table = {
    "scalar",
    {
#define IK_X(name) &unary_##name<double>,
        IK_SIMD_UNARY_FUNCTIONS(IK_X)
#undef IK_X
    },
    {
#define IK_X(name) &unary_##name<float>,
        IK_SIMD_UNARY_FUNCTIONS(IK_X)
#undef IK_X
    },
    {
#define IK_X(name) &binary_##name<double>,
        IK_SIMD_BINARY_FUNCTIONS(IK_X)
#undef IK_X
    },
    {
#define IK_X(name) &binary_##name<float>,
        IK_SIMD_BINARY_FUNCTIONS(IK_X)
#undef IK_X
    },
};

}  // namespace

#if IK_HAVE_LIBMVEC
namespace avx512 {
const MathTable* table();
}
namespace avx2 {
const MathTable* table();
}
#endif

const MathTable* math_table_for(const char* isa) {
    if (std::strcmp(isa, "scalar") == 0) return &scalar_table;
#if IK_HAVE_LIBMVEC
    if (std::strcmp(isa, "avx512") == 0 && cpu_has(Isa::avx512)) return avx512::table();
    if (std::strcmp(isa, "avx2") == 0 && cpu_has(Isa::avx2)) return avx2::table();
#endif
    return nullptr;
}

namespace {

// The best table at or below the level dispatch chose (IK_SIMD=sse2 has no vector table: scalar).
const MathTable& choose() {
#if IK_HAVE_LIBMVEC
    if (chosen_isa() >= Isa::avx512) return *avx512::table();
    if (chosen_isa() >= Isa::avx2) return *avx2::table();
#endif
    return scalar_table;
}

}  // namespace

const MathTable& math_table() {
    static const MathTable& table = choose();
    return table;
}

// libmvec's documented bound is 4 ulp for every function it has. The scalar table is the C
// library's libm: glibc's on x86-64 stays within 1 ulp on the tests' inputs; elsewhere the same
// glibc sources compiled with FMA contraction do not (on aarch64 cbrt 2.7, tanh 1.9, sinh 1.6),
// and glibc documents up to 4 there (libm-test-ulps); musl's and Apple's libm differ again.
#if defined(__x86_64__) && defined(__GLIBC__)
constexpr double c_library_ulp_bound = 1.0;
#else
constexpr double c_library_ulp_bound = 4.0;
#endif
double ulp_bound(Unary, bool) { return math_table().isa[0] == 's' ? c_library_ulp_bound : 4.0; }
double ulp_bound(Binary, bool) { return math_table().isa[0] == 's' ? c_library_ulp_bound : 4.0; }

}  // namespace ik::simd
