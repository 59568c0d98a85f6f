// Hand-written SIMD loop for the seed expression where(x > 0, sqrt(abs(x)) + sin(x), 0), float64:
// the practical speed limit a fused kernel can reach on this machine (benchmarks/peer_limit.py).
// Built with -march=x86-64-v4 (AVX-512) or -march=x86-64-v3 (AVX2), whichever the CPU has.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "team.hpp"

namespace {

// Below this many elements, waking the second thread costs more than it saves.
constexpr std::ptrdiff_t kParallelMin = 1 << 15;

#if defined(__AVX512F__)
// libmvec's vector sin, called by its vector-ABI name because GCC only emits it from
// `#pragma omp simd` under -ffast-math, which would change other results.
extern "C" __m512d _ZGVeN8v_sin(__m512d);
using Vec = __m512d;
constexpr std::ptrdiff_t kLanes = 8;

inline Vec seed(Vec x) {
    const Vec value = _mm512_add_pd(_mm512_sqrt_pd(_mm512_abs_pd(x)), _ZGVeN8v_sin(x));
    // NaN compares false, so x = NaN gives 0 exactly as np.where(x > 0, ..., 0) does.
    const __mmask8 positive = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ);
    return _mm512_maskz_mov_pd(positive, value);
}
inline Vec load(const double* p) { return _mm512_loadu_pd(p); }
inline void store(double* p, Vec v) { _mm512_storeu_pd(p, v); }
// The last < kLanes elements: masked load and store, no scalar path.
inline void tail(const double* x, double* out, std::ptrdiff_t left) {
    const __mmask8 mask = static_cast<__mmask8>((1u << left) - 1u);
    _mm512_mask_storeu_pd(out, mask, seed(_mm512_maskz_loadu_pd(mask, x)));
}
#else
extern "C" __m256d _ZGVdN4v_sin(__m256d);
using Vec = __m256d;
constexpr std::ptrdiff_t kLanes = 4;

inline Vec seed(Vec x) {
    const Vec magnitude = _mm256_andnot_pd(_mm256_set1_pd(-0.0), x);
    const Vec value = _mm256_add_pd(_mm256_sqrt_pd(magnitude), _ZGVdN4v_sin(x));
    return _mm256_and_pd(_mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GT_OQ), value);
}
inline Vec load(const double* p) { return _mm256_loadu_pd(p); }
inline void store(double* p, Vec v) { _mm256_storeu_pd(p, v); }
inline void tail(const double* x, double* out, std::ptrdiff_t left) {
    const __m256i mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(left), _mm256_setr_epi64x(0, 1, 2, 3));
    _mm256_maskstore_pd(out, mask, seed(_mm256_maskload_pd(x, mask)));
}
#endif

}  // namespace

extern "C" void limit_seed_f64(const double* x, double* out, std::ptrdiff_t n, int threads) {
    const std::ptrdiff_t full = n - n % kLanes;
    team::parallel(threads, full / kLanes, kParallelMin / kLanes, [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
        for (std::ptrdiff_t i = begin * kLanes; i < end * kLanes; i += kLanes) store(out + i, seed(load(x + i)));
    });
    if (full < n) tail(x + full, out + full, n - full);
}

extern "C" int limit_lanes() { return static_cast<int>(kLanes); }
