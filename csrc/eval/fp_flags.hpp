// The IEEE flags NumPy reports (divide, overflow, underflow, invalid), kept where vector
// arithmetic raises them: on x86-64, the SSE control register MXCSR.
#pragma once

#include <cfenv>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

namespace ik::eval::fp {

constexpr int numpy_flags = FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID;

#if defined(__SSE2__)
// MXCSR's flag bits are the FE_ values on x86-64.
static_assert(FE_INVALID == 0x01 && FE_DIVBYZERO == 0x04 && FE_OVERFLOW == 0x08 && FE_UNDERFLOW == 0x10);

// Kernels raise flags here rather than with std::feraiseexcept, which raises overflow and
// underflow in the x87 unit: then one register read (`raised`) sees every flag a chunk of
// kernels raised, as the chunked evaluator needs. Internal linkage: each instruction set's
// translation units compile their own copy.
static inline void raise(int flags) { _mm_setcsr(_mm_getcsr() | static_cast<unsigned>(flags & numpy_flags)); }
static inline int raised() { return static_cast<int>(_mm_getcsr()) & numpy_flags; }
static inline void clear(int flags) { _mm_setcsr(_mm_getcsr() & ~static_cast<unsigned>(flags & numpy_flags)); }
#else
static inline void raise(int flags) { std::feraiseexcept(flags); }
static inline int raised() { return std::fetestexcept(numpy_flags); }
static inline void clear(int flags) { std::feclearexcept(flags); }
#endif

}  // namespace ik::eval::fp
