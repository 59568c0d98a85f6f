// One-reduction gufunc bodies, reduced straight from the operand: a tight loop per row, or, when
// neighbouring rows are closer in memory than a row's elements (a transposed view), a block of
// rows side by side, one lane per row, each lane doing exactly what the loop over its row does.
#include "direct_reduce.hpp"

#include <algorithm>
#include <cfenv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <type_traits>
#include <vector>

#include "reduce.hpp"

namespace ik::eval {
namespace {

// Elements as the loops read them: bool as its byte (any non-zero byte is true).
template <class T> using Stored = std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, T>;

// One row: element i at p + i * step bytes; Unit: step is the element size (vectorisable).
template <class S, bool Unit> struct Row {
    const char* p;
    std::ptrdiff_t step;
    S operator[](std::ptrdiff_t i) const {
        if constexpr (Unit) return reinterpret_cast<const S*>(p)[i];
        else return *reinterpret_cast<const S*>(p + i * step);
    }
};

// A block of `lanes` rows side by side: element i of row r at p + i * step + r * row_step;
// Unit: row_step is the element size, the rows' element i are one contiguous run.
template <class S, bool Unit> struct Columns {
    const char* p;
    std::ptrdiff_t row_step, step, lanes;
    S operator()(std::ptrdiff_t i, std::ptrdiff_t r) const {
        if constexpr (Unit) return reinterpret_cast<const S*>(p + i * step)[r];
        else return *reinterpret_cast<const S*>(p + i * step + r * row_step);
    }
};

template <class T> bool is_nan(T v) {
    if constexpr (std::is_floating_point_v<T>) return v != v;
    else return false;
}

// NumPy's pairwise sum of a row (see pairwise_sum in reduce.cpp, whose order this follows for
// any step): one after the other below 8; 8 interleaved sums up to 128; halves above, the first
// n / 2 rounded down to a multiple of 8.
template <class V, class R> V pairwise_row(const R& x, std::ptrdiff_t first, std::ptrdiff_t n) {
    if (n < 8) {
        V s = static_cast<V>(x[first]);
        for (std::ptrdiff_t i = 1; i < n; ++i) s += static_cast<V>(x[first + i]);
        return s;
    }
    if (n <= 128) {
        V r[8];
        for (int k = 0; k < 8; ++k) r[k] = static_cast<V>(x[first + k]);
        std::ptrdiff_t i = 8;
        for (; i + 8 <= n; i += 8)
            for (int k = 0; k < 8; ++k) r[k] += static_cast<V>(x[first + i + k]);
        V s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; ++i) s += static_cast<V>(x[first + i]);
        return s;
    }
    const std::ptrdiff_t half = n / 2 / 8 * 8;
    const V left = pairwise_row<V>(x, first, half);
    return left + pairwise_row<V>(x, first + half, n - half);
}

// The same sum for every lane of a block of rows: lane r of `out` gets row r's sum. scratch holds
// 8 lanes' worth for the leaves and one more per level of halving below this one.
template <class V, class C> void pairwise_columns(const C& x, std::ptrdiff_t first, std::ptrdiff_t n, V* __restrict out,
                                                  V* __restrict scratch) {
    const std::ptrdiff_t lanes = x.lanes;
    if (n < 8) {
        for (std::ptrdiff_t r = 0; r < lanes; ++r) out[r] = static_cast<V>(x(first, r));
        for (std::ptrdiff_t i = 1; i < n; ++i)
            for (std::ptrdiff_t r = 0; r < lanes; ++r) out[r] += static_cast<V>(x(first + i, r));
        return;
    }
    if (n <= 128) {
        for (int k = 0; k < 8; ++k) {
            V* __restrict a = scratch + k * lanes;
            for (std::ptrdiff_t r = 0; r < lanes; ++r) a[r] = static_cast<V>(x(first + k, r));
        }
        std::ptrdiff_t i = 8;
        for (; i + 8 <= n; i += 8)
            for (int k = 0; k < 8; ++k) {
                V* __restrict a = scratch + k * lanes;
                for (std::ptrdiff_t r = 0; r < lanes; ++r) a[r] += static_cast<V>(x(first + i + k, r));
            }
        const V* a = scratch;
        for (std::ptrdiff_t r = 0; r < lanes; ++r)
            out[r] = ((a[r] + a[lanes + r]) + (a[2 * lanes + r] + a[3 * lanes + r])) +
                     ((a[4 * lanes + r] + a[5 * lanes + r]) + (a[6 * lanes + r] + a[7 * lanes + r]));
        for (; i < n; ++i)
            for (std::ptrdiff_t r = 0; r < lanes; ++r) out[r] += static_cast<V>(x(first + i, r));
        return;
    }
    const std::ptrdiff_t half = n / 2 / 8 * 8;
    V* left = scratch;
    pairwise_columns(x, first, half, left, scratch + lanes);
    pairwise_columns(x, first + half, n - half, out, scratch + lanes);
    for (std::ptrdiff_t r = 0; r < lanes; ++r) out[r] = left[r] + out[r];
}

// Integer sums wrap (exact in any order): added as unsigned values.
template <class V, class R> V wrapping_sum_row(const R& x, std::ptrdiff_t n) {
    using U = std::make_unsigned_t<V>;
    U s = 0;
    for (std::ptrdiff_t i = 0; i < n; ++i) s += static_cast<U>(static_cast<V>(x[i]));
    return static_cast<V>(s);
}

// Whether v replaces the extreme m so far: strictly beyond it, or the first NaN (which then stays).
template <bool Max, class V> bool replaces(V m, V v) {
    const bool beyond = Max ? v > m : v < m;
    if constexpr (std::is_floating_point_v<V>) return (beyond || v != v) && m == m;
    else return beyond;
}

// The extreme of a row in 8 lanes (each holding a NaN once one came by), then, for floats, the
// element NumPy's order gives: the first NaN, or the first element equal to the extreme (of a
// zero, the sign of the first).
template <bool Max, class V, class R> V extreme_row(const R& x, std::ptrdiff_t n, std::ptrdiff_t* position = nullptr) {
    constexpr int w = 8;
    if (n < 2 * w) {
        std::ptrdiff_t best = 0;
        for (std::ptrdiff_t i = 1; i < n; ++i)
            if (replaces<Max>(x[best], x[i])) best = i;
        if (position) *position = best;
        return x[best];
    }
    V m[w];
    for (int k = 0; k < w; ++k) m[k] = x[k];
    std::ptrdiff_t i = w;
    for (; i + w <= n; i += w)
        for (int k = 0; k < w; ++k) {
            const V v = x[i + k];
            if constexpr (std::is_floating_point_v<V>) m[k] = ((Max ? v > m[k] : v < m[k]) || v != v) ? v : m[k];
            else m[k] = (Max ? v > m[k] : v < m[k]) ? v : m[k];
        }
    for (int k = 0; i < n; ++i, ++k) {
        const V v = x[i];
        if (is_nan(v) || (Max ? v > m[k] : v < m[k])) m[k] = v;
    }
    V best = m[0];
    bool nan = false;
    for (int k = 0; k < w; ++k) {
        nan = nan || is_nan(m[k]);
        if (Max ? m[k] > best : m[k] < best) best = m[k];
    }
    if constexpr (std::is_floating_point_v<V>) {
        if (nan) {
            for (std::ptrdiff_t j = 0;; ++j)
                if (is_nan(x[j])) {
                    if (position) *position = j;
                    return x[j];
                }
        }
        if (!position && best != 0) return best;  // equal non-zero floats have the same bits
    } else {
        if (!position) return best;
    }
    for (std::ptrdiff_t j = 0;; ++j)
        if (x[j] == best) {
            if (position) *position = j;
            return x[j];
        }
}

template <bool Any, class R> bool any_all_row(const R& x, std::ptrdiff_t n) {
    constexpr std::ptrdiff_t block = 256;  // elements between checks for the answer
    for (std::ptrdiff_t i = 0; i < n; i += block) {
        const std::ptrdiff_t end = std::min(n, i + block);
        unsigned char found = 0;  // any: a non-zero element; all: a zero one
        for (std::ptrdiff_t j = i; j < end; ++j) found |= Any ? x[j] != 0 : x[j] == 0;
        if (found) return Any;
    }
    return !Any;
}

template <class T> void store(char* p, T v) { std::memcpy(p, &v, sizeof v); }

// Row-by-row reduction of rows [0, rows).
template <class S, class V, bool Unit> void reduce_each_row(Reduce kind, const char* data, std::ptrdiff_t rows,
                                                          std::ptrdiff_t row_step, std::ptrdiff_t n, std::ptrdiff_t step,
                                                          char* out, std::ptrdiff_t out_step) {
    for (std::ptrdiff_t r = 0; r < rows; ++r, data += row_step, out += out_step) {
        const Row<S, Unit> x{data, step};
        switch (kind) {
            case Reduce::sum:
                if constexpr (std::is_floating_point_v<V>) store(out, V(0) + pairwise_row<V>(x, 0, n));  // onto NumPy's +0
                else store(out, wrapping_sum_row<V>(x, n));
                break;
            case Reduce::max:
                if constexpr (std::is_same_v<S, V>) store(out, extreme_row<true, V>(x, n));
                break;
            case Reduce::min:
                if constexpr (std::is_same_v<S, V>) store(out, extreme_row<false, V>(x, n));
                break;
            case Reduce::argmax:
            case Reduce::argmin:
                if constexpr (std::is_same_v<S, V>) {
                    std::ptrdiff_t at = 0;
                    if (kind == Reduce::argmax) extreme_row<true, V>(x, n, &at);
                    else extreme_row<false, V>(x, n, &at);
                    store(out, static_cast<std::int64_t>(at));
                }
                break;
            case Reduce::any:
                store(out, static_cast<std::uint8_t>(any_all_row<true>(x, n)));
                break;
            case Reduce::all:
                store(out, static_cast<std::uint8_t>(any_all_row<false>(x, n)));
                break;
            case Reduce::prod:
            case Reduce::sequential_sum:
                break;  // not direct (find_direct_reduction)
        }
    }
}

// A block of rows side by side (lanes <= block_rows): every lane runs its row's loop exactly.
// values: 72 lanes' worth (results, 8 sums, up to 63 levels of halving); positions: a lane's worth.
template <class S, class V, bool Unit> void reduce_columns(Reduce kind, const Columns<S, Unit>& x, std::ptrdiff_t n, char* out,
                                                         std::ptrdiff_t out_step, V* __restrict values,
                                                         std::int64_t* __restrict positions) {
    const std::ptrdiff_t lanes = x.lanes;
    V* __restrict m = values;
    switch (kind) {
        case Reduce::sum:
            if constexpr (std::is_floating_point_v<V>) {
                pairwise_columns(x, 0, n, m, m + lanes);
                for (std::ptrdiff_t r = 0; r < lanes; ++r) m[r] = V(0) + m[r];
            } else {
                using U = std::make_unsigned_t<V>;
                for (std::ptrdiff_t r = 0; r < lanes; ++r) m[r] = 0;
                for (std::ptrdiff_t i = 0; i < n; ++i)
                    for (std::ptrdiff_t r = 0; r < lanes; ++r)
                        m[r] = static_cast<V>(static_cast<U>(m[r]) + static_cast<U>(static_cast<V>(x(i, r))));
            }
            break;
        case Reduce::max:
        case Reduce::min:
        case Reduce::argmax:
        case Reduce::argmin:
            if constexpr (std::is_same_v<S, V>) {
                const bool arg = kind == Reduce::argmax || kind == Reduce::argmin;
                const bool max = kind == Reduce::max || kind == Reduce::argmax;
                std::int64_t* __restrict at = positions;
                if (arg) std::fill(at, at + lanes, 0);
                for (std::ptrdiff_t r = 0; r < lanes; ++r) m[r] = x(0, r);
                auto scan = [&]<bool Max, bool Arg>() {
                    for (std::ptrdiff_t i = 1; i < n; ++i)
                        for (std::ptrdiff_t r = 0; r < lanes; ++r) {
                            const V v = x(i, r);
                            const bool take = replaces<Max>(m[r], v);
                            m[r] = take ? v : m[r];
                            if constexpr (Arg) at[r] = take ? i : at[r];
                        }
                };
                if (max) arg ? scan.template operator()<true, true>() : scan.template operator()<true, false>();
                else arg ? scan.template operator()<false, true>() : scan.template operator()<false, false>();
                if (arg) {
                    for (std::ptrdiff_t r = 0; r < lanes; ++r) store(out + r * out_step, at[r]);
                    return;
                }
            }
            break;
        case Reduce::any:
        case Reduce::all:
            if constexpr (std::is_same_v<V, std::uint8_t>) {
                const bool any = kind == Reduce::any;
                for (std::ptrdiff_t r = 0; r < lanes; ++r) m[r] = any ? 0 : 1;
                for (std::ptrdiff_t i = 0; i < n; ++i)
                    for (std::ptrdiff_t r = 0; r < lanes; ++r) {
                        const auto nonzero = static_cast<std::uint8_t>(x(i, r) != 0);
                        m[r] = any ? static_cast<std::uint8_t>(m[r] | nonzero) : static_cast<std::uint8_t>(m[r] & nonzero);
                    }
            }
            break;
        case Reduce::prod:
        case Reduce::sequential_sum:
            return;  // not direct
    }
    for (std::ptrdiff_t r = 0; r < lanes; ++r) store(out + r * out_step, m[r]);
}

constexpr std::ptrdiff_t block_rows = 256;  // rows side by side: 8 sums of each in 16 kB for float64

template <class S, class V> void reduce_rows_typed(Reduce kind, const char* data, std::ptrdiff_t rows, std::ptrdiff_t row_step,
                                                   std::ptrdiff_t n, std::ptrdiff_t step, char* out, std::ptrdiff_t out_step) {
    const bool columns = rows > 1 && std::abs(row_step) < std::abs(step);
    if (!columns) {
        if (step == static_cast<std::ptrdiff_t>(sizeof(S))) reduce_each_row<S, V, true>(kind, data, rows, row_step, n, step, out, out_step);
        else reduce_each_row<S, V, false>(kind, data, rows, row_step, n, step, out, out_step);
        return;
    }
    const std::ptrdiff_t most = std::min(block_rows, rows);
    std::vector<V> values(static_cast<std::size_t>(most) * 72);
    std::vector<std::int64_t> positions(static_cast<std::size_t>(most));
    for (std::ptrdiff_t r = 0; r < rows; r += block_rows) {
        const std::ptrdiff_t lanes = std::min(block_rows, rows - r);
        const char* p = data + r * row_step;
        char* o = out + r * out_step;
        if (row_step == static_cast<std::ptrdiff_t>(sizeof(S)))
            reduce_columns<S, V, true>(kind, {p, row_step, step, lanes}, n, o, out_step, values.data(), positions.data());
        else
            reduce_columns<S, V, false>(kind, {p, row_step, step, lanes}, n, o, out_step, values.data(), positions.data());
    }
}

bool has_direct_loop(ir::DType t) { return t != ir::DType::float16 && !ir::is_complex(t) && ir::is_valid(t); }

}  // namespace

namespace {

std::optional<DirectReduction> find_direct_reduction(const GufuncPlan& plan) {
    std::optional<std::size_t> pass;
    for (std::size_t s = 0; s < plan.stages.size(); ++s)
        if (plan.stages[s].pass) {
            if (pass) return std::nullopt;
            pass = s;
        }
    if (!pass) return std::nullopt;
    const Stage& stage = plan.stages[*pass];
    if (stage.inputs.size() != 1 || stage.inputs[0].kind != StageInput::vector_input || stage.outputs.size() != 1 ||
        stage.outputs[0].kind != StageOutput::reduce_into_table)
        return std::nullopt;
    const Program& program = *stage.program;
    if (program.regions.size() != 1 || !program.constants.empty() || program.input_registers.size() != 1 ||
        program.output_registers.size() != 1)
        return std::nullopt;
    const std::int32_t in = program.input_registers[0], result = program.output_registers[0];
    const std::vector<Instr>& code = program.regions[0].code;
    const bool as_is = code.empty() && in == result;
    const bool cast = code.size() == 1 && code[0].kind == InstrKind::compute && code[0].op == ir::Op::cast &&
                      code[0].src[0] == in && code[0].dst == result;
    if (in < 0 || !(as_is || cast)) return std::nullopt;
    const StageOutput& out = stage.outputs[0];
    DirectReduction d{*pass, out.reduce, program.registers[static_cast<std::size_t>(in)].dtype, out.value_dtype,
                      stage.inputs[0].index};
    if (!has_direct_loop(d.source) || !has_direct_loop(d.value)) return std::nullopt;
    const bool whole = ir::is_int(d.source) || d.source == ir::DType::bool_;
    switch (d.kind) {
        case Reduce::sum:
            if (d.value == d.source && d.source != ir::DType::bool_) return d;
            if (whole && (d.value == ir::DType::int64 || d.value == ir::DType::uint64 || d.value == ir::DType::float64)) return d;
            return std::nullopt;
        case Reduce::max:
        case Reduce::min:
        case Reduce::argmax:
        case Reduce::argmin:
            if (d.value == d.source) return d;
            return std::nullopt;
        case Reduce::any:
        case Reduce::all:
            if (d.value == ir::DType::bool_) return d;
            return std::nullopt;
        case Reduce::prod:            // NumPy's product of a contiguous row is not in row order
        case Reduce::sequential_sum:  // float16 np.dot only
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

void set_direct_reduction(GufuncPlan& plan) {
    plan.direct = find_direct_reduction(plan);
    // The threads' threshold weighs work in ns per element: about a read from memory.
    if (plan.direct) plan.cost_per_element = std::max(plan.cost_per_element, 0.2);
}

bool direct_reduction_runs(const DirectReduction& d, const char* data, std::ptrdiff_t row_step, std::ptrdiff_t n,
                           std::ptrdiff_t step) {
    if (n < 1) return false;
    const auto align = static_cast<std::ptrdiff_t>(ir::itemsize(d.source));
    if (reinterpret_cast<std::uintptr_t>(data) % static_cast<std::uintptr_t>(align) != 0 || row_step % align != 0 ||
        step % align != 0)
        return false;
    // NumPy 1.26 sums a row in buffers (numpy_sum_block): the evaluator's path follows them.
    const std::ptrdiff_t block = numpy_sum_block();
    return !(d.kind == Reduce::sum && ir::is_float(d.value) && block > 0 && n > block);
}

void reduce_rows(const DirectReduction& d, const char* data, std::ptrdiff_t rows, std::ptrdiff_t row_step, std::ptrdiff_t n,
                 std::ptrdiff_t step, char* out, std::ptrdiff_t out_step) {
    // Extrema compare NaNs with < and >, which raise the invalid flag; NumPy's np.max raises none.
    const bool comparing = d.kind != Reduce::sum && d.kind != Reduce::any && d.kind != Reduce::all && ir::is_float(d.source);
    std::fexcept_t flags;
    if (comparing) std::fegetexceptflag(&flags, FE_ALL_EXCEPT);
    ir::visit_dtype(d.source, [&]<class T>() {
        if constexpr (std::is_arithmetic_v<T>) {
            using S = Stored<T>;
            switch (d.value) {
                case ir::DType::int64:
                    if constexpr (!std::is_floating_point_v<T>) return reduce_rows_typed<S, std::int64_t>(d.kind, data, rows, row_step, n, step, out, out_step);
                    break;
                case ir::DType::uint64:
                    if constexpr (!std::is_floating_point_v<T>) return reduce_rows_typed<S, std::uint64_t>(d.kind, data, rows, row_step, n, step, out, out_step);
                    break;
                case ir::DType::float64:
                    return reduce_rows_typed<S, double>(d.kind, data, rows, row_step, n, step, out, out_step);
                case ir::DType::bool_:
                    return reduce_rows_typed<S, std::uint8_t>(d.kind, data, rows, row_step, n, step, out, out_step);
                default:
                    break;
            }
            return reduce_rows_typed<S, S>(d.kind, data, rows, row_step, n, step, out, out_step);
        }
    });
    if (comparing) std::fesetexceptflag(&flags, FE_ALL_EXCEPT);
}

}  // namespace ik::eval
