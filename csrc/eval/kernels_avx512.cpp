// The kernels compiled for avx512 (-march=x86-64-v4).
#define IK_ISA isa_avx512
#include "kernels_impl.inc"
#include "chain_impl.inc"
