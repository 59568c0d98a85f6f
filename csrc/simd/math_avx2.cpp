// The math table for AVX2 (libmvec's "d" variants: 4 doubles or 8 floats per call).
#define IK_MATH_ISA avx2
#define IK_MATH_ISA_NAME "avx2"
#define IK_VEC_D __m256d
#define IK_VEC_F __m256
#define IK_MVEC_PREFIX_D _ZGVdN4
#define IK_MVEC_PREFIX_F _ZGVdN8
// exp and float64 sin are ironkernel's own (exp_avx2.hpp, sin_avx2.hpp), faster than libmvec's
// on this instruction set.
#include "exp_avx2.hpp"
#include "sin_avx2.hpp"
#define IK_OWN_EXP_D exp_f64
#define IK_OWN_EXP_F exp_f32
#define IK_OWN_SIN_D sin_f64
#include "math_vector.inc"
