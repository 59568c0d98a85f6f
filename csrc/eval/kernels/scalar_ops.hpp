// Per-element semantics of every exact op, as NumPy defines them, for each C element type.
// A struct per op; `ok<T>` says whether the op exists for T, `f` computes one element.
// Integer arithmetic wraps (computed in the unsigned type: no undefined behaviour); float
// comparisons are quiet (no invalid flag for NaN operands), as NumPy's.
#pragma once
// Compiled once per instruction set (see kernels_impl.inc): the namespace carries the ISA name so
// that no inline function compiled for AVX-512 can be merged into another ISA's code by the linker.
#ifndef IK_ISA
#error "define IK_ISA before including scalar_ops.hpp"
#endif

#include "scalar_primitives.hpp"
#include "scalar_unary_ops.hpp"
#include "scalar_arithmetic_ops.hpp"
#include "scalar_compare_ops.hpp"
#include "scalar_bitwise_ops.hpp"
#include "scalar_float_binary_ops.hpp"
