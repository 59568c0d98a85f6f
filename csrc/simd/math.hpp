// Vectorised transcendental math over contiguous arrays, chosen once per process for the running CPU.
#pragma once

#include <cstddef>

#include "ir/op.hpp"
#include "ir/ops.def"  // IK_OP_TABLE

namespace ik::simd {

// Every function here reads n contiguous inputs and writes n contiguous outputs (out may equal in).
// Contract, for every entry of every table:
//  * NaN, +-inf and -0.0 behave as NumPy's ufunc of the same name on this dtype;
//  * the floating-point exception flags raised are those NumPy raises for the same inputs
//    (e.g. invalid for sin(inf), divide for log(0), overflow for exp(1000)); spurious flags
//    raised inside a vector routine are cleared, and flags already set on entry are kept;
//  * the result is within the ULP bound returned by ulp_bound() of the correctly rounded value.
using UnaryF64 = void (*)(const double* in, double* out, std::ptrdiff_t n);
using UnaryF32 = void (*)(const float* in, float* out, std::ptrdiff_t n);
using BinaryF64 = void (*)(const double* a, const double* b, double* out, std::ptrdiff_t n);
using BinaryF32 = void (*)(const float* a, const float* b, float* out, std::ptrdiff_t n);
using VectorRoutine = void (*)();  // a function of one vector, whose type its user knows (MathTable)

// The vector math functions: the ops of ir/ops.def whose libm column names a C library function,
// in the table's order, which is the index into the tables below. Each list hands every function
// of its arity to its caller's macro X:
//   IK_SIMD_UNARY_FUNCTIONS(X), IK_SIMD_BINARY_FUNCTIONS(X)   X(name), name as in ops.def
//   IK_SIMD_UNARY_ROUTINES(X), IK_SIMD_BINARY_ROUTINES(X)     X(name, libm), with the C function
// A list keeps a row of ops.def by pasting the row's kind, IK_SIMD_KIND(arity, libm), onto the name
// of a macro that either hands the row on or drops it.
#define IK_SIMD_CAT(a, b) IK_SIMD_CAT_EXPANDED(a, b)
#define IK_SIMD_CAT_EXPANDED(a, b) a##b

// The row's arity (1 or 2), or none where its libm is no. The no pastes into IK_SIMD_NO_ROUTINE_no,
// which stands for two arguments and so moves none into the place IK_SIMD_SECOND takes; a function
// name pastes into an identifier that is no macro, and the arity stays in that place.
#define IK_SIMD_NO_ROUTINE_no ~, none
#define IK_SIMD_SECOND(first, second, ...) second
#define IK_SIMD_SECOND_OF(...) IK_SIMD_SECOND(__VA_ARGS__)
#define IK_SIMD_KIND(arity, libm) IK_SIMD_SECOND_OF(IK_SIMD_NO_ROUTINE_##libm, arity, ~)

// clang-format off
#define IK_SIMD_UNARY_FUNCTIONS(X) IK_OP_TABLE(IK_SIMD_UNARY_FUNCTION_ROW, X)
#define IK_SIMD_UNARY_FUNCTION_ROW(X, name, arity, result, cost, accuracy, flags, underflow, chain, libm) \
    IK_SIMD_CAT(IK_SIMD_UNARY_FUNCTION_, IK_SIMD_KIND(arity, libm))(X, name, libm)
#define IK_SIMD_UNARY_FUNCTION_1(X, name, libm) X(name)
#define IK_SIMD_UNARY_FUNCTION_2(X, name, libm)
#define IK_SIMD_UNARY_FUNCTION_none(X, name, libm)

#define IK_SIMD_BINARY_FUNCTIONS(X) IK_OP_TABLE(IK_SIMD_BINARY_FUNCTION_ROW, X)
#define IK_SIMD_BINARY_FUNCTION_ROW(X, name, arity, result, cost, accuracy, flags, underflow, chain, libm) \
    IK_SIMD_CAT(IK_SIMD_BINARY_FUNCTION_, IK_SIMD_KIND(arity, libm))(X, name, libm)
#define IK_SIMD_BINARY_FUNCTION_1(X, name, libm)
#define IK_SIMD_BINARY_FUNCTION_2(X, name, libm) X(name)
#define IK_SIMD_BINARY_FUNCTION_none(X, name, libm)

#define IK_SIMD_UNARY_ROUTINES(X) IK_OP_TABLE(IK_SIMD_UNARY_ROUTINE_ROW, X)
#define IK_SIMD_UNARY_ROUTINE_ROW(X, name, arity, result, cost, accuracy, flags, underflow, chain, libm) \
    IK_SIMD_CAT(IK_SIMD_UNARY_ROUTINE_, IK_SIMD_KIND(arity, libm))(X, name, libm)
#define IK_SIMD_UNARY_ROUTINE_1(X, name, libm) X(name, libm)
#define IK_SIMD_UNARY_ROUTINE_2(X, name, libm)
#define IK_SIMD_UNARY_ROUTINE_none(X, name, libm)

#define IK_SIMD_BINARY_ROUTINES(X) IK_OP_TABLE(IK_SIMD_BINARY_ROUTINE_ROW, X)
#define IK_SIMD_BINARY_ROUTINE_ROW(X, name, arity, result, cost, accuracy, flags, underflow, chain, libm) \
    IK_SIMD_CAT(IK_SIMD_BINARY_ROUTINE_, IK_SIMD_KIND(arity, libm))(X, name, libm)
#define IK_SIMD_BINARY_ROUTINE_1(X, name, libm)
#define IK_SIMD_BINARY_ROUTINE_2(X, name, libm) X(name, libm)
#define IK_SIMD_BINARY_ROUTINE_none(X, name, libm)
// clang-format on

enum class Unary {
#define IK_X(name) name,
    IK_SIMD_UNARY_FUNCTIONS(IK_X)
#undef IK_X
        count
};
enum class Binary {
#define IK_X(name) name,
    IK_SIMD_BINARY_FUNCTIONS(IK_X)
#undef IK_X
        count
};

// The op of each function: the names are ops.def's, whose row holds the function's facts (the
// flags it raises, whether it signals underflow).
constexpr ir::Op op_of(Unary f) {
    switch (f) {
#define IK_X(name)    \
    case Unary::name: \
        return ir::Op::name;
        IK_SIMD_UNARY_FUNCTIONS(IK_X)
#undef IK_X
        case Unary::count:
            break;
    }
    return ir::Op::count;
}
constexpr ir::Op op_of(Binary f) {
    switch (f) {
#define IK_X(name)     \
    case Binary::name: \
        return ir::Op::name;
        IK_SIMD_BINARY_FUNCTIONS(IK_X)
#undef IK_X
        case Binary::count:
            break;
    }
    return ir::Op::count;
}

// The unary function that computes op, or Unary::count for an op that is none (ops.def's libm
// column says which are).
constexpr Unary unary_function_of(ir::Op op) {
    for (int f = 0; f < static_cast<int>(Unary::count); ++f)
        if (op_of(static_cast<Unary>(f)) == op) return static_cast<Unary>(f);
    return Unary::count;
}

struct MathTable {
    const char* isa;  // "avx512", "avx2", "sse2" or "scalar"
    UnaryF64 unary_f64[static_cast<int>(Unary::count)];
    UnaryF32 unary_f32[static_cast<int>(Unary::count)];
    BinaryF64 binary_f64[static_cast<int>(Binary::count)];
    BinaryF32 binary_f32[static_cast<int>(Binary::count)];
    // The same functions without the flag correction: same results, but they may raise flags
    // NumPy would not (from range reduction or the padded tail). For callers that check the
    // flags of a whole computation and redo it with the checked functions if any was raised.
    const MathTable* unchecked_table = nullptr;
    // The vector routines themselves, one vector_bytes-wide vector in and out, for code that
    // computes in vector registers (chain kernels): V (*)(V) with V a vector of doubles or
    // floats, stored as VectorRoutine (cast back before calling). Unchecked as above, and
    // nullptr in tables without vector routines (vector_bytes 0).
    int vector_bytes = 0;
    VectorRoutine vector_f64[static_cast<int>(Unary::count)] = {};
    VectorRoutine vector_f32[static_cast<int>(Unary::count)] = {};

    const MathTable& unchecked() const { return unchecked_table ? *unchecked_table : *this; }
};

// The table for the best instruction set this CPU supports; IK_SIMD=scalar|sse2|avx2|avx512 in the
// environment caps the choice (for tests and benchmarks). Thread-safe; computed on first use.
const MathTable& math_table();

// The table for one named instruction set, or nullptr if this CPU cannot run it.
const MathTable* math_table_for(const char* isa);

// Whether NumPy signals underflow where f's result vanishes (is subnormal or zero) from a non-zero
// finite argument, as for sin of a subnormal or exp(-1000). NumPy's loops differ per machine (its
// own SIMD code, Intel's SVML on AVX-512 CPUs, or the C library), so the Python package asks
// NumPy at import (_numpy_probes.py) and sets the answer here; until then, the C library's. The
// tables follow it: the vector ones when they settle a call's flags, the scalar one by clearing
// an underflow libm raised where NumPy would not. Thread-safe.
bool signals_underflow(Unary f, bool is_f32);
void set_signals_underflow(Unary f, bool is_f32, bool signals);

// Stated accuracy of math_table() entries, in ULP against the correctly rounded result; checked by tests.
double ulp_bound(Unary fn, bool is_f32);
double ulp_bound(Binary fn, bool is_f32);

}  // namespace ik::simd
