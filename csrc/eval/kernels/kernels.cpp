// Chooses, once per process, the kernel set compiled for the best instruction set of this CPU.
#include "kernels.hpp"

#include "simd/dispatch.hpp"
#include "simd/math.hpp"

namespace ik::eval {

// Every function of a kernel set, one row each: X(returns, name, (parameters), (arguments)).
// Each instruction set's files (kernels_impl.inc, chain_impl.inc, direct_reduce_impl.inc) define
// them in its namespace; from this list come their declarations, the KernelSet of their addresses
// and, for the public rows, ik::eval's function of the same name calling the chosen set's.
// A new entry point is one row here (and kernels.hpp's declaration for a public one).
#define IK_KERNEL_SET_PUBLIC(X)                                                                                   \
    X(Kernel, find_kernel, (ir::Op op, ir::DType t), (op, t))                                                     \
    X(Kernel, find_one_divisor_kernel, (ir::Op op, ir::DType t), (op, t))                                         \
    X(Kernel, find_remainder_from_quotient, (ir::DType t), (t))                                                   \
    X(ChunkKernel, find_chunk_remainder_from_quotient, (ir::DType t), (t))                                        \
    X(Kernel, find_cast, (ir::DType from, ir::DType to), (from, to))                                              \
    X(Kernel, find_ldexp, (ir::DType x, ir::DType exponent), (x, exponent))                                       \
    X(ChunkKernel, find_chunk_kernel, (ir::Op op, ir::DType t), (op, t))                                          \
    X(ChunkKernel, find_chunk_cast, (ir::DType from, ir::DType to), (from, to))                                   \
    X(ChainKernel, find_chain_kernel, (ir::DType t), (t))                                                         \
    X(ChainCount, find_chain_count, (ir::DType t), (t))                                                           \
    X(void, load_strided, (std::size_t s, const char* src, std::ptrdiff_t stride, void* dst, std::ptrdiff_t n),   \
      (s, src, stride, dst, n))                                                                                   \
    X(void, store_strided, (std::size_t s, const void* src, char* dst, std::ptrdiff_t stride, std::ptrdiff_t n),  \
      (s, src, dst, stride, n))                                                                                   \
    X(void, broadcast, (std::size_t s, const void* value, void* dst, std::ptrdiff_t n), (s, value, dst, n))       \
    X(void, gather, (std::size_t s, const void* src, const std::int32_t* index, void* dst, std::ptrdiff_t n),     \
      (s, src, index, dst, n))                                                                                    \
    X(void, scatter, (std::size_t s, const void* src, const std::int32_t* index, void* dst, std::ptrdiff_t n),    \
      (s, src, index, dst, n))                                                                                    \
    X(void, select, (std::size_t s, const bool* cond, const void* a, const void* b, void* out, std::ptrdiff_t n), \
      (s, cond, a, b, out, n))                                                                                    \
    X(std::ptrdiff_t, count_true, (const bool* cond, std::ptrdiff_t n), (cond, n))                                \
    X(std::ptrdiff_t, positions, (const bool* cond, bool value, std::int32_t* index, std::ptrdiff_t n),           \
      (cond, value, index, n))
// The rows only this file calls (reduce_rows is public as reduce_rows_kernel, below).
#define IK_KERNEL_SET_INTERNAL(X)                                                                                      \
    X(int, chain_vector_bytes, (), ())                                                                                 \
    X(bool, chain_has_inline_math, (), ())                                                                             \
    X(void, reduce_rows,                                                                                               \
      (Reduce kind, ir::DType source, ir::DType value, const char* data, std::ptrdiff_t rows, std::ptrdiff_t row_step, \
       std::ptrdiff_t n, std::ptrdiff_t step, char* out, std::ptrdiff_t out_step),                                     \
      (kind, source, value, data, rows, row_step, n, step, out, out_step))

#define IK_DECLARE(returns, name, parameters, arguments) returns name parameters;
#define IK_DECLARE_ISA(isa)            \
    namespace isa {                    \
    IK_KERNEL_SET_PUBLIC(IK_DECLARE)   \
    IK_KERNEL_SET_INTERNAL(IK_DECLARE) \
    }
IK_DECLARE_ISA(isa_baseline)
#if IK_HAVE_X86_ISAS
IK_DECLARE_ISA(isa_avx2)
#endif
#if IK_HAVE_AVX512_KERNELS  // -Davx512=false leaves them out (sanitizer builds)
IK_DECLARE_ISA(isa_avx512)
#endif
#undef IK_DECLARE_ISA
#undef IK_DECLARE

namespace {

struct KernelSet {
    const char* name;
#define IK_MEMBER(returns, name, parameters, arguments) returns(*name) parameters;
    IK_KERNEL_SET_PUBLIC(IK_MEMBER)
    IK_KERNEL_SET_INTERNAL(IK_MEMBER)
#undef IK_MEMBER
};

// The set of the namespace isa_<level>, named as the level.
#define IK_ADDRESS_OF(returns, name, parameters, arguments) &set::name,
#define IK_KERNEL_SET(level)                                                                         \
    [] {                                                                                             \
        namespace set = isa_##level;                                                                 \
        return KernelSet{simd::isa_name(simd::Isa::level),                                           \
                         IK_KERNEL_SET_PUBLIC(IK_ADDRESS_OF) IK_KERNEL_SET_INTERNAL(IK_ADDRESS_OF)}; \
    }()

// The best set compiled at or below the level simd::chosen_isa() (the CPU's, capped by IK_SIMD).
KernelSet choose() {
#if IK_HAVE_AVX512_KERNELS
    if (simd::chosen_isa() >= simd::Isa::avx512) return IK_KERNEL_SET(avx512);
#endif
#if IK_HAVE_X86_ISAS
    if (simd::chosen_isa() >= simd::Isa::avx2) return IK_KERNEL_SET(avx2);
#endif
    return IK_KERNEL_SET(baseline);
}
#undef IK_KERNEL_SET
#undef IK_ADDRESS_OF

const KernelSet& kernels() {
    static const KernelSet set = choose();
    return set;
}

}  // namespace

#define IK_FORWARD(returns, name, parameters, arguments) \
    returns name parameters { return kernels().name arguments; }
IK_KERNEL_SET_PUBLIC(IK_FORWARD)
#undef IK_FORWARD

const char* kernel_isa() { return kernels().name; }
Kernel find_narrow_kernel([[maybe_unused]] ir::Op op, [[maybe_unused]] ir::DType operand) {
#if IK_HAVE_AVX512_KERNELS && IK_HAVE_X86_ISAS
    if (kernels().find_kernel == &isa_avx512::find_kernel) return isa_avx2::find_kernel(op, operand);
#endif
    return nullptr;
}
void reduce_rows_kernel(Reduce kind, ir::DType source, ir::DType value, const char* data, std::ptrdiff_t rows,
                        std::ptrdiff_t row_step, std::ptrdiff_t n, std::ptrdiff_t step, char* out,
                        std::ptrdiff_t out_step) {
    kernels().reduce_rows(kind, source, value, data, rows, row_step, n, step, out, out_step);
}
Kernel kernel_for(ir::Op op, ir::DType result, ir::DType first, ir::DType second) {
    if (op == ir::Op::cast) return find_cast(first, result);
    if (op == ir::Op::ldexp) return find_ldexp(first, second);
    return find_kernel(op, first);
}
bool chain_inlines(ir::Op op, ir::DType t) {
    // Inline exp and sin must be the math table's own (the AVX2 and AVX-512 tables have them),
    // so that a chunk and its exact rerun agree.
    static const bool has = kernels().chain_has_inline_math() && simd::math_table().vector_bytes != 0;
    if (!has || (t != ir::DType::float64 && t != ir::DType::float32)) return false;
    return op == ir::Op::exp || (op == ir::Op::sin && t == ir::DType::float64);
}
ChainRoutine find_chain_math(ir::Op op, ir::DType t) {
    const simd::MathTable& table = simd::math_table();
    if (table.vector_bytes == 0 || table.vector_bytes != kernels().chain_vector_bytes()) return nullptr;
    if (t != ir::DType::float64 && t != ir::DType::float32) return nullptr;
    const simd::Unary f = simd::unary_function_of(op);
    if (f == simd::Unary::count) return nullptr;  // no unary vector math function
    return (t == ir::DType::float64 ? table.vector_f64 : table.vector_f32)[static_cast<int>(f)];
}
ChunkKernel chunk_kernel_for(ir::Op op, ir::DType result, ir::DType first, ir::DType) {
    if (op == ir::Op::cast) return find_chunk_cast(first, result);
    if (op == ir::Op::ldexp) return nullptr;
    return find_chunk_kernel(op, first);
}
}  // namespace ik::eval
