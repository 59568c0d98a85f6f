// The kernels compiled for avx2 (-march=x86-64-v3).
#define IK_ISA isa_avx2
#include "kernels_impl.inc"
#include "chain_impl.inc"
