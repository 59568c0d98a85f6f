// Hand-written AVX-512 loop for the seed expression where(x > 0, sqrt(abs(x)) + sin(x), 0), float64:
// the practical speed limit a fused kernel can reach on this machine (benchmarks/peer_limit.py).
#include <immintrin.h>

#include <cstddef>

// libmvec's AVX-512 sin, 8 doubles per call. Called by its vector-ABI name because GCC only
// emits it from `#pragma omp simd` under -ffast-math, which would change other results.
extern "C" __m512d _ZGVeN8v_sin(__m512d);

namespace {

constexpr std::ptrdiff_t kLanes = 8;
// Below this many elements, waking the second thread costs more than it saves.
constexpr std::ptrdiff_t kParallelMin = 1 << 15;

inline __m512d seed(__m512d x) {
    const __m512d value = _mm512_add_pd(_mm512_sqrt_pd(_mm512_abs_pd(x)), _ZGVeN8v_sin(x));
    // NaN compares false, so x = NaN gives 0 exactly as np.where(x > 0, ..., 0) does.
    const __mmask8 positive = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GT_OQ);
    return _mm512_maskz_mov_pd(positive, value);
}

}  // namespace

extern "C" void limit_seed_f64(const double* x, double* out, std::ptrdiff_t n, int threads) {
    const std::ptrdiff_t full = n - n % kLanes;
#pragma omp parallel for schedule(static) num_threads(threads) if (n >= kParallelMin)
    for (std::ptrdiff_t i = 0; i < full; i += kLanes) {
        _mm512_storeu_pd(out + i, seed(_mm512_loadu_pd(x + i)));
    }
    if (full < n) {  // the last < 8 elements: masked load and store, no scalar path
        const __mmask8 tail = static_cast<__mmask8>((1u << (n - full)) - 1u);
        _mm512_mask_storeu_pd(out + full, tail, seed(_mm512_maskz_loadu_pd(tail, x + full)));
    }
}
