// The math table for AVX-512 (libmvec's "e" variants: 8 doubles or 16 floats per call).
#define IK_MATH_ISA avx512
#define IK_MATH_ISA_NAME "avx512"
#define IK_VEC_D __m512d
#define IK_VEC_F __m512
#define IK_MVEC_PREFIX_D _ZGVeN8
#define IK_MVEC_PREFIX_F _ZGVeN16
#include "math_vector.inc"
