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

// Each function is the C library's of ops.def's libm column, std::<libm>. libm raises its own
// flags, NumPy's; but where NumPy's loop for f does not signal underflow (signals_underflow), an
// underflow libm raised in the loop is cleared.
#define IK_X(name, libm)                                                                         \
    template <class T>                                                                           \
    void unary_##name(const T* in, T* out, std::ptrdiff_t n) {                                   \
        const bool clear_underflow =                                                             \
            !signals_underflow(Unary::name, sizeof(T) == 4) && !std::fetestexcept(FE_UNDERFLOW); \
        for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = std::libm(in[i]);                        \
        if (clear_underflow) std::feclearexcept(FE_UNDERFLOW);                                   \
    }
IK_SIMD_UNARY_ROUTINES(IK_X)
#undef IK_X
#define IK_X(name, libm)                                                       \
    template <class T>                                                         \
    void binary_##name(const T* a, const T* b, T* out, std::ptrdiff_t n) {     \
        for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = std::libm(a[i], b[i]); \
    }
IK_SIMD_BINARY_ROUTINES(IK_X)
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
// ironkernel's own exp2 (float32 and float64) and float32 power (own_exp2.hpp, own_power.hpp)
// stay within 1 ulp.
double ulp_bound(Unary f, bool) {
    if (math_table().isa[0] == 's') return c_library_ulp_bound;
    return f == Unary::exp2 ? 1.0 : 4.0;
}
double ulp_bound(Binary f, bool is_f32) {
    if (math_table().isa[0] == 's') return c_library_ulp_bound;
    return is_f32 && f == Binary::power ? 1.0 : 4.0;
}

}  // namespace ik::simd
