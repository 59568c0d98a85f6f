// The kernels compiled for avx512 (-march=x86-64-v4).
#define IK_ISA isa_avx512
#define IK_CHAIN_INLINE_MATH  // chains compute exp and sin inline with the math tables' own (simd/own_*.hpp)
#include "kernels_impl.inc"
#include "eval/chains/chain_impl.inc"
#include "eval/direct/direct_reduce_impl.inc"
