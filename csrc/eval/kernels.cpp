// Chooses, once per process, the kernel set compiled for the best instruction set of this CPU.
#include "kernels.hpp"

#include <cstdlib>
#include <cstring>

#include "simd/math.hpp"

namespace ik::eval {

// The per-ISA definitions (kernels_impl.inc), declared here by namespace.
#define IK_DECLARE_ISA(isa)                                                                                     \
    namespace isa {                                                                                             \
    Kernel find_kernel(ir::Op, ir::DType);                                                                      \
    Kernel find_cast(ir::DType, ir::DType);                                                                     \
    ChunkKernel find_chunk_kernel(ir::Op, ir::DType);                                                           \
    ChunkKernel find_chunk_cast(ir::DType, ir::DType);                                                          \
    ChainKernel find_chain_kernel(ir::DType);                                                                   \
    int chain_vector_bytes();                                                                                   \
    bool chain_has_inline_math();                                                                               \
    ChainCount find_chain_count(ir::DType);                                                                     \
    Kernel find_ldexp(ir::DType, ir::DType);                                                                    \
    void load_strided(std::size_t, const char*, std::ptrdiff_t, void*, std::ptrdiff_t);                         \
    void store_strided(std::size_t, const void*, char*, std::ptrdiff_t, std::ptrdiff_t);                        \
    void broadcast(std::size_t, const void*, void*, std::ptrdiff_t);                                            \
    void gather(std::size_t, const void*, const std::int32_t*, void*, std::ptrdiff_t);                          \
    void scatter(std::size_t, const void*, const std::int32_t*, void*, std::ptrdiff_t);                         \
    void select(std::size_t, const bool*, const void*, const void*, void*, std::ptrdiff_t);                     \
    std::ptrdiff_t count_true(const bool*, std::ptrdiff_t);                                                     \
    std::ptrdiff_t positions(const bool*, bool, std::int32_t*, std::ptrdiff_t);                                 \
    void reduce_rows(Reduce, ir::DType, ir::DType, const char*, std::ptrdiff_t, std::ptrdiff_t, std::ptrdiff_t,  \
                     std::ptrdiff_t, char*, std::ptrdiff_t);                                                    \
    }
IK_DECLARE_ISA(isa_baseline)
#if IK_HAVE_X86_ISAS
IK_DECLARE_ISA(isa_avx2)
#endif
#if IK_HAVE_AVX512_KERNELS  // -Davx512=false leaves them out (sanitizer builds)
IK_DECLARE_ISA(isa_avx512)
#endif
#undef IK_DECLARE_ISA

namespace {

struct KernelSet {
    const char* name;
    decltype(&isa_baseline::find_kernel) find_kernel;
    decltype(&isa_baseline::find_cast) find_cast;
    decltype(&isa_baseline::find_ldexp) find_ldexp;
    decltype(&isa_baseline::find_chunk_kernel) find_chunk_kernel;
    decltype(&isa_baseline::find_chunk_cast) find_chunk_cast;
    decltype(&isa_baseline::find_chain_kernel) find_chain_kernel;
    decltype(&isa_baseline::chain_vector_bytes) chain_vector_bytes;
    decltype(&isa_baseline::chain_has_inline_math) chain_has_inline_math;
    decltype(&isa_baseline::find_chain_count) find_chain_count;
    decltype(&isa_baseline::load_strided) load_strided;
    decltype(&isa_baseline::store_strided) store_strided;
    decltype(&isa_baseline::broadcast) broadcast;
    decltype(&isa_baseline::gather) gather;
    decltype(&isa_baseline::scatter) scatter;
    decltype(&isa_baseline::select) select;
    decltype(&isa_baseline::count_true) count_true;
    decltype(&isa_baseline::positions) positions;
    decltype(&isa_baseline::reduce_rows) reduce_rows;
};

#define IK_KERNEL_SET(isa, label)                                                                                  \
    KernelSet {                                                                                                    \
        label, &isa::find_kernel, &isa::find_cast, &isa::find_ldexp, &isa::find_chunk_kernel, &isa::find_chunk_cast, &isa::find_chain_kernel, &isa::chain_vector_bytes, &isa::chain_has_inline_math, &isa::find_chain_count, &isa::load_strided, &isa::store_strided, &isa::broadcast,       \
            &isa::gather, &isa::scatter, &isa::select, &isa::count_true, &isa::positions, &isa::reduce_rows                          \
    }

#if IK_HAVE_X86_ISAS
// IK_SIMD=scalar|sse2|avx2|avx512 caps the choice, as for the math layer.
bool allowed(const char* isa) {
    const char* cap = std::getenv("IK_SIMD");
    if (!cap) return true;
    const char* order[] = {"scalar", "sse2", "avx2", "avx512"};
    int cap_rank = 3, isa_rank = 0;
    for (int i = 0; i < 4; ++i) {
        if (std::strcmp(cap, order[i]) == 0) cap_rank = i;
        if (std::strcmp(isa, order[i]) == 0) isa_rank = i;
    }
    return isa_rank <= cap_rank;
}
#endif

KernelSet choose() {
#if IK_HAVE_X86_ISAS
    __builtin_cpu_init();
#if IK_HAVE_AVX512_KERNELS
    if (allowed("avx512") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return IK_KERNEL_SET(isa_avx512, "avx512");
#endif
    if (allowed("avx2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("bmi2"))
        return IK_KERNEL_SET(isa_avx2, "avx2");
#endif
    return IK_KERNEL_SET(isa_baseline, "baseline");
}

const KernelSet& kernels() {
    static const KernelSet set = choose();
    return set;
}

}  // namespace

const char* kernel_isa() { return kernels().name; }
bool cpu_supports_avx512() {
#if IK_HAVE_X86_ISAS
    __builtin_cpu_init();
    return allowed("avx512") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
    return false;
#endif
}
void reduce_rows_kernel(Reduce kind, ir::DType source, ir::DType value, const char* data, std::ptrdiff_t rows,
                        std::ptrdiff_t row_step, std::ptrdiff_t n, std::ptrdiff_t step, char* out, std::ptrdiff_t out_step) {
    kernels().reduce_rows(kind, source, value, data, rows, row_step, n, step, out, out_step);
}
Kernel find_kernel(ir::Op op, ir::DType t) { return kernels().find_kernel(op, t); }
Kernel find_cast(ir::DType from, ir::DType to) { return kernels().find_cast(from, to); }
Kernel find_ldexp(ir::DType x, ir::DType exponent) { return kernels().find_ldexp(x, exponent); }
Kernel kernel_for(ir::Op op, ir::DType result, ir::DType first, ir::DType second) {
    if (op == ir::Op::cast) return find_cast(first, result);
    if (op == ir::Op::ldexp) return find_ldexp(first, second);
    return find_kernel(op, first);
}
ChunkKernel find_chunk_kernel(ir::Op op, ir::DType t) { return kernels().find_chunk_kernel(op, t); }
ChunkKernel find_chunk_cast(ir::DType from, ir::DType to) { return kernels().find_chunk_cast(from, to); }
ChainKernel find_chain_kernel(ir::DType t) { return kernels().find_chain_kernel(t); }
ChainCount find_chain_count(ir::DType t) { return kernels().find_chain_count(t); }
bool chain_inlines(ir::Op op, ir::DType t) {
    // Inline exp and sin must be the math table's own (the AVX2 and AVX-512 tables have them),
    // so that a chunk and its exact rerun agree.
    static const bool has = kernels().chain_has_inline_math() &&
                            (std::strcmp(simd::math_table().isa, "avx2") == 0 || std::strcmp(simd::math_table().isa, "avx512") == 0);
    if (!has || (t != ir::DType::float64 && t != ir::DType::float32)) return false;
    return op == ir::Op::exp || (op == ir::Op::sin && t == ir::DType::float64);
}
ChainRoutine find_chain_math(ir::Op op, ir::DType t) {
    const simd::MathTable& table = simd::math_table();
    if (table.vector_bytes == 0 || table.vector_bytes != kernels().chain_vector_bytes()) return nullptr;
    if (t != ir::DType::float64 && t != ir::DType::float32) return nullptr;
    switch (op) {
#define IK_X(name)      \
    case ir::Op::name: \
        return (t == ir::DType::float64 ? table.vector_f64 : table.vector_f32)[static_cast<int>(simd::Unary::name)];
        IK_SIMD_UNARY_FUNCTIONS(IK_X)
#undef IK_X
        default: return nullptr;
    }
}
ChunkKernel chunk_kernel_for(ir::Op op, ir::DType result, ir::DType first, ir::DType) {
    if (op == ir::Op::cast) return find_chunk_cast(first, result);
    if (op == ir::Op::ldexp) return nullptr;
    return find_chunk_kernel(op, first);
}
void load_strided(std::size_t s, const char* src, std::ptrdiff_t stride, void* dst, std::ptrdiff_t n) {
    kernels().load_strided(s, src, stride, dst, n);
}
void store_strided(std::size_t s, const void* src, char* dst, std::ptrdiff_t stride, std::ptrdiff_t n) {
    kernels().store_strided(s, src, dst, stride, n);
}
void broadcast(std::size_t s, const void* value, void* dst, std::ptrdiff_t n) { kernels().broadcast(s, value, dst, n); }
void gather(std::size_t s, const void* src, const std::int32_t* index, void* dst, std::ptrdiff_t n) {
    kernels().gather(s, src, index, dst, n);
}
void scatter(std::size_t s, const void* src, const std::int32_t* index, void* dst, std::ptrdiff_t n) {
    kernels().scatter(s, src, index, dst, n);
}
void select(std::size_t s, const bool* cond, const void* a, const void* b, void* out, std::ptrdiff_t n) {
    kernels().select(s, cond, a, b, out, n);
}
std::ptrdiff_t count_true(const bool* cond, std::ptrdiff_t n) { return kernels().count_true(cond, n); }
std::ptrdiff_t positions(const bool* cond, bool value, std::int32_t* index, std::ptrdiff_t n) {
    return kernels().positions(cond, value, index, n);
}

}  // namespace ik::eval
