// The kernels compiled for the baseline instruction set.
#define IK_ISA isa_baseline
#include "kernels_impl.inc"
#include "chain_impl.inc"
#include "direct_reduce_impl.inc"
