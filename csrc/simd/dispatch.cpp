// The CPU's instruction-set level and IK_SIMD, read here only (see dispatch.hpp).
#include "dispatch.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ik::simd {

bool cpu_has(Isa isa) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    switch (isa) {
        case Isa::baseline:
            return true;
        case Isa::avx2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
        case Isa::avx512:
            return cpu_has(Isa::avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    }
    return false;
#else
    return isa == Isa::baseline;
#endif
}

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::baseline:
            return "baseline";
        case Isa::avx2:
            return "avx2";
        case Isa::avx512:
            return "avx512";
    }
    return "baseline";
}

namespace {

// The level IK_SIMD allows; avx512 (no cap) when it is unset or not a level's name.
Isa simd_cap() {
    const char* cap = std::getenv("IK_SIMD");
    if (!cap) return Isa::avx512;
    if (std::strcmp(cap, "avx512") == 0) return Isa::avx512;
    if (std::strcmp(cap, "avx2") == 0) return Isa::avx2;
    if (std::strcmp(cap, "sse2") == 0 || std::strcmp(cap, "scalar") == 0) return Isa::baseline;
    std::fprintf(stderr, "ironkernel: IK_SIMD=%s is not avx512, avx2, sse2 or scalar; ignored\n", cap);
    return Isa::avx512;
}

Isa choose() {
    const Isa cap = simd_cap();
    if (Isa::avx512 <= cap && cpu_has(Isa::avx512)) return Isa::avx512;
    if (Isa::avx2 <= cap && cpu_has(Isa::avx2)) return Isa::avx2;
    return Isa::baseline;
}

}  // namespace

Isa chosen_isa() {
    static const Isa isa = choose();
    return isa;
}

}  // namespace ik::simd
