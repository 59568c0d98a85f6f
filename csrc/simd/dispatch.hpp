// The one decision of which instruction set this process runs: the CPU's best, capped by IK_SIMD.
#pragma once

#include <cstdint>

namespace ik::simd {

// The instruction-set levels ironkernel compiles code for, each including the ones before it:
// avx2 is what -march=x86-64-v3 code may use (AVX2, FMA, BMI2), avx512 adds AVX-512 F, BW, DQ and
// VL (-march=x86-64-v4). The kernels, the math tables and the JIT each run the best code they have
// at or below chosen_isa().
enum class Isa : std::uint8_t { baseline, avx2, avx512 };

// Whether this CPU has every feature of the level (IK_SIMD not considered); baseline always.
bool cpu_has(Isa isa);

// The level this process runs: the best this CPU has, capped by IK_SIMD=avx512|avx2|sse2|scalar
// (sse2 and scalar: baseline). Another value is reported on stderr once and ignored. Decided on
// first use; thread-safe.
Isa chosen_isa();

// "baseline", "avx2" or "avx512".
const char* isa_name(Isa isa);

}  // namespace ik::simd
