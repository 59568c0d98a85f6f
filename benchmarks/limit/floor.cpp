// The memory floor of a one-pass body: out = in_0 + in_1 + ... + 0.0, which reads every input
// and writes the output once with next to no arithmetic (benchmarks/peer_floor.py). A fused
// kernel of a memory-bound expression cannot beat it on the same arrays and threads; the issue's
// target is to stay within 1.15x of it. Two ways to write the output: ordinary stores (which read
// each output line into the cache first) and non-temporal ones (which do not, and pay for
// outputs larger than the cache); the peer times both and keeps the faster.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "team.hpp"

namespace {

constexpr std::ptrdiff_t kParallelMin = 1 << 15;
constexpr std::ptrdiff_t kPrefetchBytes = 1024;

template <class T>
inline T sum_at(const T* const* inputs, int count, std::ptrdiff_t i) {
    T s = inputs[0][i] + T(0);
    for (int k = 1; k < count; ++k) s += inputs[k][i];
    return s;
}

// Ordinary stores: the compiler vectorises the loop (-O3 -march=...).
template <class T>
void plain(const T* const* inputs, int count, T* out, std::ptrdiff_t n, int threads) {
    team::parallel(threads, n, kParallelMin, [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
        for (std::ptrdiff_t i = begin; i < end; ++i) out[i] = sum_at(inputs, count, i);
    });
}

#if defined(__AVX512F__)
inline void stream(double* p, __m512d v) { _mm512_stream_pd(p, v); }
inline void stream(float* p, __m512 v) { _mm512_stream_ps(p, v); }
inline __m512d load(const double* p) { return _mm512_loadu_pd(p); }
inline __m512 load(const float* p) { return _mm512_loadu_ps(p); }
inline __m512d add(__m512d a, __m512d b) { return _mm512_add_pd(a, b); }
inline __m512 add(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }
constexpr std::ptrdiff_t kVectorBytes = 64;
#else
inline void stream(double* p, __m256d v) { _mm256_stream_pd(p, v); }
inline void stream(float* p, __m256 v) { _mm256_stream_ps(p, v); }
inline __m256d load(const double* p) { return _mm256_loadu_pd(p); }
inline __m256 load(const float* p) { return _mm256_loadu_ps(p); }
inline __m256d add(__m256d a, __m256d b) { return _mm256_add_pd(a, b); }
inline __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
constexpr std::ptrdiff_t kVectorBytes = 32;
#endif

// Non-temporal stores of whole aligned vectors; the unaligned head and the tail element by element.
template <class T>
void streamed(const T* const* inputs, int count, T* out, std::ptrdiff_t n, int threads) {
    constexpr std::ptrdiff_t lanes = kVectorBytes / sizeof(T);
    std::ptrdiff_t head = 0;
    while (head < n && reinterpret_cast<std::uintptr_t>(out + head) % kVectorBytes != 0) {
        out[head] = sum_at(inputs, count, head);
        ++head;
    }
    const std::ptrdiff_t vectors = (n - head) / lanes;
    team::parallel(threads, vectors, kParallelMin / lanes, [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
        for (std::ptrdiff_t v = begin; v < end; ++v) {
            const std::ptrdiff_t i = head + v * lanes;
            // Each input's line 1 KiB ahead, as ironkernel's JIT does for streamed calls: on some
            // CPUs (Ice Lake) the hardware prefetchers alone keep a core's reads behind.
            if constexpr (kVectorBytes == 64)
                for (int k = 0; k < count; ++k)
                    _mm_prefetch(reinterpret_cast<const char*>(inputs[k] + i) + kPrefetchBytes, _MM_HINT_T0);
            auto s = load(inputs[0] + i);
            for (int k = 1; k < count; ++k) s = add(s, load(inputs[k] + i));
            stream(out + i, s);
        }
        _mm_sfence();  // each thread's own non-temporal stores, before it reports its piece done
    });
    for (std::ptrdiff_t i = head + vectors * lanes; i < n; ++i) out[i] = sum_at(inputs, count, i);
}

}  // namespace

extern "C" {
void floor_f64(const double* const* in, int count, double* out, std::ptrdiff_t n, int threads, int nt) {
    (nt ? streamed<double> : plain<double>)(in, count, out, n, threads);
}
void floor_f32(const float* const* in, int count, float* out, std::ptrdiff_t n, int threads, int nt) {
    (nt ? streamed<float> : plain<float>)(in, count, out, n, threads);
}
}
