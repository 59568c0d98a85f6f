// Prototype (c): an accumulator interpreter over tiles of 32 float64 (four zmm), whose fused
// instructions are generated from one op table and keep the tile's running value in registers.
//
// Not ironkernel code: a standalone shared library driven by ctypes (see README.md). An
// instruction is "acc = acc OP source" or "acc = source OP acc" where source is a scratch register
// (L1), an input array or a constant, so a chain of ops (a Horner polynomial, a*b + c*d) runs
// with its running value in zmm registers and one dispatch per op per 32 elements. The op table
// below is the only place an op is named; every opcode and case is generated from it. The last
// partial tile is computed on a copy whose unused lanes repeat the last element: those lanes
// raise no FP flag the last element does not raise itself. No where/compare/math calls: the
// seed expression is not covered by this prototype.
#include <immintrin.h>

#include <chrono>
#include <cstdint>
#include <cstring>

namespace {

inline __m512d abs_pd(__m512d x) { return _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(x), _mm512_set1_epi64(0x7fffffffffffffffLL))); }
inline __m512d neg_pd(__m512d x) { return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(x), _mm512_set1_epi64(static_cast<long long>(0x8000000000000000ULL)))); }

// The op table: name, SIMD expression.
#define IKC_BINARY(X) X(add, _mm512_add_pd) X(subtract, _mm512_sub_pd) X(multiply, _mm512_mul_pd) X(divide, _mm512_div_pd)
#define IKC_UNARY(X) X(sqrt, _mm512_sqrt_pd) X(absolute, abs_pd) X(negative, neg_pd) X(square, square_pd)
inline __m512d square_pd(__m512d x) { return _mm512_mul_pd(x, x); }

// Opcodes: moves, then per binary op six forms (acc op reg/input/constant, and reversed), then unary.
enum Code : std::uint8_t {
    load_input,   // acc = input[x]
    load_reg,     // acc = reg[x]
    load_const,   // acc = const[x]
    store_reg,    // reg[x] = acc
    end,          // out = acc
#define IKC_FORMS(name, expr) name##_ar, name##_ai, name##_ac, name##_ra, name##_ia, name##_ca,
    IKC_BINARY(IKC_FORMS)
#undef IKC_FORMS
#define IKC_UN(name, expr) name##_a,
    IKC_UNARY(IKC_UN)
#undef IKC_UN
};

struct Ins {
    std::uint8_t code, x;
};

constexpr int U = 4;  // zmm per tile
constexpr int tile = 8 * U;
constexpr int max_regs = 16, max_consts = 16;

// One tile: `in` are the inputs at the tile's first element. Threaded code: every handler ends
// with its own indirect jump to the next (GCC's labels as values), so the branch predictor sees
// one jump site per op instead of a single shared switch jump.
inline void run_tile(const Ins* code, const double* const* in, const __m512d* consts, double* out) {
    __m512d acc[U];
    alignas(64) __m512d regs[max_regs][U];
    static const void* const labels[] = {
        &&l_load_input, &&l_load_reg, &&l_load_const, &&l_store_reg, &&l_end,
#define IKC_FORMS(name, expr) &&l_##name##_ar, &&l_##name##_ai, &&l_##name##_ac, &&l_##name##_ra, &&l_##name##_ia, &&l_##name##_ca,
        IKC_BINARY(IKC_FORMS)
#undef IKC_FORMS
#define IKC_UN(name, expr) &&l_##name##_a,
        IKC_UNARY(IKC_UN)
#undef IKC_UN
    };
#define IKC_EACH for (int u = 0; u < U; ++u)
#define IKC_NEXT            \
    do {                    \
        ++ip;               \
        x = ip->x;          \
        goto *labels[ip->code]; \
    } while (0)
    const Ins* ip = code;
    int x = ip->x;
    goto *labels[ip->code];
l_load_input:
    IKC_EACH acc[u] = _mm512_loadu_pd(in[x] + 8 * u);
    IKC_NEXT;
l_load_reg:
    IKC_EACH acc[u] = regs[x][u];
    IKC_NEXT;
l_load_const:
    IKC_EACH acc[u] = consts[x];
    IKC_NEXT;
l_store_reg:
    IKC_EACH regs[x][u] = acc[u];
    IKC_NEXT;
#define IKC_CASES(name, expr)                                                   \
    l_##name##_ar : IKC_EACH acc[u] = expr(acc[u], regs[x][u]);                 \
    IKC_NEXT;                                                                   \
    l_##name##_ai : IKC_EACH acc[u] = expr(acc[u], _mm512_loadu_pd(in[x] + 8 * u)); \
    IKC_NEXT;                                                                   \
    l_##name##_ac : IKC_EACH acc[u] = expr(acc[u], consts[x]);                  \
    IKC_NEXT;                                                                   \
    l_##name##_ra : IKC_EACH acc[u] = expr(regs[x][u], acc[u]);                 \
    IKC_NEXT;                                                                   \
    l_##name##_ia : IKC_EACH acc[u] = expr(_mm512_loadu_pd(in[x] + 8 * u), acc[u]); \
    IKC_NEXT;                                                                   \
    l_##name##_ca : IKC_EACH acc[u] = expr(consts[x], acc[u]);                  \
    IKC_NEXT;
    IKC_BINARY(IKC_CASES)
#undef IKC_CASES
#define IKC_UCASES(name, expr)            \
    l_##name##_a : IKC_EACH acc[u] = expr(acc[u]); \
    IKC_NEXT;
    IKC_UNARY(IKC_UCASES)
#undef IKC_UCASES
l_end:
    IKC_EACH _mm512_storeu_pd(out + 8 * u, acc[u]);
#undef IKC_EACH
#undef IKC_NEXT
}

}  // namespace

extern "C" {

// The opcode numbering for the driver: names in opcode order, comma-separated.
const char* ikc_opcodes() {
    return "load_input,load_reg,load_const,store_reg,end,"
#define IKC_FORMS(name, expr) #name "_ar," #name "_ai," #name "_ac," #name "_ra," #name "_ia," #name "_ca,"
        IKC_BINARY(IKC_FORMS)
#undef IKC_FORMS
#define IKC_UN(name, expr) #name "_a,"
            IKC_UNARY(IKC_UN)
#undef IKC_UN
        ;
}

// Runs `code` (pairs of bytes) over n contiguous elements.
void ikc_run(const Ins* code, const double* constants, int n_consts, int n_inputs, const double* const* inputs,
             double* out, std::int64_t n) {
    __m512d consts[max_consts];
    for (int c = 0; c < n_consts; ++c) consts[c] = _mm512_set1_pd(constants[c]);
    const double* in[16];
    std::int64_t i = 0;
    for (; i + tile <= n; i += tile) {
        for (int k = 0; k < n_inputs; ++k) in[k] = inputs[k] + i;
        run_tile(code, in, consts, out + i);
    }
    if (i < n) {  // the last partial tile, padded with copies of its last element
        alignas(64) double pad[16][tile];
        alignas(64) double res[tile];
        const std::int64_t rest = n - i;
        for (int k = 0; k < n_inputs; ++k) {
            std::memcpy(pad[k], inputs[k] + i, rest * sizeof(double));
            for (std::int64_t j = rest; j < tile; ++j) pad[k][j] = inputs[k][n - 1];
            in[k] = pad[k];
        }
        run_tile(code, in, consts, res);
        std::memcpy(out + i, res, rest * sizeof(double));
    }
}

// Times `samples` batches of `inner` runs; ns per run of each batch into out_ns.
void ikc_bench(const Ins* code, const double* constants, int n_consts, int n_inputs, const double* const* inputs,
               double* out, std::int64_t n, int inner, int samples, double* out_ns) {
    for (int s = 0; s < samples; ++s) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int r = 0; r < inner; ++r) ikc_run(code, constants, n_consts, n_inputs, inputs, out, n);
        out_ns[s] = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / inner;
    }
}
}
