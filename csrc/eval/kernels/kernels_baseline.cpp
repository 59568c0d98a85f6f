// The kernels compiled for the baseline instruction set.
#define IK_ISA isa_baseline
#include "kernels_impl.inc"
#include "eval/chains/chain_impl.inc"
#include "eval/direct/direct_reduce_impl.inc"
