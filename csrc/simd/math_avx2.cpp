// The math table for AVX2 (libmvec's "d" variants: 4 doubles or 8 floats per call).
#define IK_MATH_ISA avx2
#define IK_MATH_ISA_NAME "avx2"
#define IK_VEC_D __m256d
#define IK_VEC_F __m256
#define IK_MVEC_PREFIX_D _ZGVdN4
#define IK_MVEC_PREFIX_F _ZGVdN8
#include "math_vector.inc"
