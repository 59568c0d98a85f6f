// The evaluators: chunked (a chunk of Program::chunk elements at a time, one instruction at a time
// over the chunk, every value of a chunk in the first-level cache) where it can, and blocked (a
// block of elements at a time, with lazily evaluated where branches and exact flags) for the rest.
#include "evaluator.hpp"
#include "byte_range.hpp"
#include "eval/direct/direct.hpp"
#include "environment.hpp"
#include "fp_flags.hpp"

#include <algorithm>
#include <cfenv>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <new>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ik::eval {
namespace {

constexpr std::size_t alignment = 64;

std::size_t round_up(std::size_t n) { return (n + alignment - 1) / alignment * alignment; }

// Per-thread memory for one call: a home buffer per register and index lists per where.
// Registers of a block never alias an output array, so outputs are written only by stores.
class Scratch {
   public:
    void prepare(const Program& p) {
        // gufunc rows call the same program again and again on short spans: lay it out once.
        // Pointers are reset all the same: constants and stride-0 inputs are read from home, and
        // a call that pointed an output's home at its array (direct outputs) left it there.
        if (p.layout_id == prepared_id_) {
            for (std::size_t r = 0; r < home.size(); ++r) home[r] = ptr[r] = base_home_[r];
            return;
        }
        std::size_t bytes = 0;
        slot_offsets_.resize(p.slot_itemsize.size());
        for (std::size_t k = 0; k < p.slot_itemsize.size(); ++k) {
            // Slots whose addresses agree modulo 4096 (as page-aligned blocks and NumPy's arrays
            // tend to) make the CPU see false dependencies between a store to one and a load
            // from another ("4K aliasing"): start each one at a different cache line.
            bytes += 64 * (1 + k % 16);
            slot_offsets_[k] = bytes;
            bytes += round_up(static_cast<std::size_t>(p.block) * p.slot_itemsize[k]);
        }
        index_offset_ = bytes;
        bytes += round_up(static_cast<std::size_t>(p.block) * sizeof(std::int32_t)) * 2 *
                 static_cast<std::size_t>(p.n_where);
        if (bytes > capacity_) {
            buffer_.reset(fail_allocations_for_testing()
                              ? nullptr
                              : static_cast<char*>(std::aligned_alloc(alignment, round_up(bytes))));
            capacity_ = buffer_ ? bytes : 0;
            if (!buffer_) {
                prepared_id_ = 0;
                throw std::bad_alloc();  // run() and run_gufunc() report it; no output is written
            }
        }
        home.resize(p.registers.size());
        ptr.resize(p.registers.size());
        for (std::size_t r = 0; r < p.registers.size(); ++r)
            home[r] = ptr[r] = buffer_.get() + slot_offsets_[static_cast<std::size_t>(p.registers[r].slot)];
        base_home_ = home;
        index_stride_ = round_up(static_cast<std::size_t>(p.block) * sizeof(std::int32_t));
        prepared_id_ = buffer_ ? p.layout_id : 0;
    }
    std::int32_t* index(std::int32_t where, int branch) {
        return reinterpret_cast<std::int32_t*>(
            buffer_.get() + index_offset_ +
            index_stride_ * (2 * static_cast<std::size_t>(where) + static_cast<std::size_t>(branch)));
    }

    std::vector<char*> home;  // each register's own memory
    std::vector<char*> ptr;   // where each register's current block is (its home, an input, or an alias)

   private:
    struct Free {
        void operator()(char* p) const { std::free(p); }
    };
    std::unique_ptr<char, Free> buffer_;
    std::size_t capacity_ = 0, index_offset_ = 0, index_stride_ = 0;
    std::vector<std::size_t> slot_offsets_;
    std::vector<char*> base_home_;
    std::uint64_t prepared_id_ = 0;  // the Program::layout_id this memory is laid out for
};

// Initial-exec TLS: a fixed offset from the thread pointer instead of a __tls_get_addr call per
// access, which costs as much as a short gufunc row. glibc keeps spare static TLS for libraries
// loaded later (as libgomp's own thread state uses), and this is one object.
__attribute__((tls_model("initial-exec"))) thread_local Scratch scratch;

// A compute instruction's operand pointers; returns its destination, set to its own memory.
char* compute_operands(const Instr& in, Scratch& s, const void* (&src)[3]) {
    for (int k = 0; k < 3; ++k) src[k] = in.src[k] >= 0 ? s.ptr[static_cast<std::size_t>(in.src[k])] : nullptr;
    return s.ptr[static_cast<std::size_t>(in.dst)] = s.home[static_cast<std::size_t>(in.dst)];
}

// Runs a chain instruction over n elements into its destination's own memory (and the
// registers it stores into, into theirs). Exact: with the flags NumPy raises (its math ops as
// instructions first, see Instr::side_math, and selects for MIN/MAX), else with the math calls
// and MIN/MAX inside the chain. With count_selected (a where's chunk form), returns the number
// of elements its condition selected.
std::ptrdiff_t run_chain(const Instr& in, Scratch& s, std::ptrdiff_t n, bool exact, bool count_selected = false) {
    const bool separate = exact && !in.exact_steps.empty();
    if (separate) {
        for (const Instr::SideMath& m : in.side_math) {
            const void* src[1] = {s.ptr[static_cast<std::size_t>(m.src)]};
            m.kernel(src, s.ptr[static_cast<std::size_t>(m.dst)] = s.home[static_cast<std::size_t>(m.dst)], n);
        }
    }
    const std::vector<ChainStep>& steps = separate ? in.exact_steps : in.chain_steps;
    for (const ChainStep& step : steps) {  // registers the chain stores into, in their own memory
        if (step.op != ChainOp::store) continue;
        const auto r = static_cast<std::size_t>(in.chain_operands[step.arg]);
        s.ptr[r] = s.home[r];
    }
    const void* operands[max_chain_operands];
    for (std::size_t k = 0; k < in.chain_operands.size(); ++k)
        operands[k] = in.chain_operands[k] >= 0 ? s.ptr[static_cast<std::size_t>(in.chain_operands[k])] : nullptr;
    char* dst = s.ptr[static_cast<std::size_t>(in.dst)] = s.home[static_cast<std::size_t>(in.dst)];
    return in.chain(steps.data(), steps.size(), operands, dst, n, count_selected);
}

// Whether a chain writes memory it also reads (its destination or a register it stores into
// sharing a slot with an operand): then it cannot run twice over the same block.
bool writes_what_it_reads(const Instr& in, const Scratch& s) {
    const char* written[max_chain_steps + 1] = {s.home[static_cast<std::size_t>(in.dst)]};
    std::size_t count = 1;
    for (const ChainStep& step : in.chain_steps)
        if (step.op == ChainOp::store) written[count++] = s.home[static_cast<std::size_t>(in.chain_operands[step.arg])];
    for (const std::int32_t r : in.chain_operands)
        if (r >= 0 && std::find(written, written + count, s.ptr[static_cast<std::size_t>(r)]) != written + count)
            return true;
    return false;
}

// A chain with an exact form (inline exp or sin, math calls, MIN/MAX) runs its fast form
// first, as in chunks: if that raised no flag, its values are the exact form's (the same
// routines, the same IEEE ops) and so are its flags (none); else it runs again exactly. Measured
// for logistic on 1000 float64 elements (below a chunk: the blocked evaluator's), one thread:
// 2.5-3.6 µs instead of 6.1-10.0 (the exact form calls exp's kernel once per tile of 32).
void run_chain_exactly(const Instr& in, Scratch& s, std::ptrdiff_t n) {
    if (in.exact_steps.empty() || writes_what_it_reads(in, s)) {
        run_chain(in, s, n, true);
        return;
    }
    const int before = fp::raised();
    if (before) fp::clear(before);
    run_chain(in, s, n, false);
    if (const int raised = fp::raised()) {
        fp::clear(raised);
        run_chain(in, s, n, true);
    }
    if (before) fp::raise(before);
}

class BlockRunner {
   public:
    BlockRunner(const Program& p, Scratch& s)
        : p_(p), s_(s), speculation_raised_(2 * static_cast<std::size_t>(p.n_where)) {}

    void run_region(const Region& region, std::ptrdiff_t n) {
        for (const Instr& in : region.code) {
            if (in.kind == InstrKind::chain) {
                run_chain_exactly(in, s_, n);
            } else if (in.kind == InstrKind::compute) {
                const void* src[3];
                in.kernel(src, compute_operands(in, s_, src), n);
            } else {
                run_where(in, n);
            }
        }
    }

   private:
    static std::size_t idx(std::int32_t r) { return static_cast<std::size_t>(r); }
    std::size_t itemsize(std::int32_t r) const { return ir::itemsize(p_.registers[idx(r)].dtype); }

    // The value of one branch on all n lanes (the condition is uniform).
    char* branch_on_all_lanes(const Instr& w, int k, std::ptrdiff_t n) {
        if (w.region[k] < 0) return s_.ptr[idx(w.src[k + 1])];
        const Region& r = p_.regions[idx(w.region[k])];
        for (std::size_t i = 0; i < r.imports_inner.size(); ++i)
            s_.ptr[idx(r.imports_inner[i])] = s_.ptr[idx(r.imports_outer[i])];
        run_region(r, n);
        return s_.ptr[idx(r.result)];
    }

    // Evaluates a lazy branch on the lanes listed in `lanes` only and scatters it into dst.
    void branch_on_lanes(const Instr& w, int k, const std::int32_t* lanes, std::ptrdiff_t count, char* dst) {
        const Region& r = p_.regions[idx(w.region[k])];
        for (std::size_t i = 0; i < r.imports_inner.size(); ++i) {
            const std::int32_t inner = r.imports_inner[i];
            s_.ptr[idx(inner)] = s_.home[idx(inner)];
            gather(itemsize(inner), s_.ptr[idx(r.imports_outer[i])], lanes, s_.ptr[idx(inner)], count);
        }
        run_region(r, count);
        scatter(itemsize(w.dst), s_.ptr[idx(r.result)], lanes, dst, count);
    }

    // A branch on a mixed block is first computed speculatively on every lane (SIMD-friendly and
    // cheapest unless few lanes select it) with the floating-point flags set aside. If that raised
    // a flag, it may come from an unselected lane, so the branch is recomputed on the selected
    // lanes only, which raises exactly the flags NumPy's lazy semantics would.
    bool speculate(const Instr& w, int k, std::ptrdiff_t selected, std::ptrdiff_t n) const {
        const double fraction = static_cast<double>(selected) / static_cast<double>(n);
        return fraction >= 0.25 || p_.regions[idx(w.region[k])].cost < 1.0;
    }

    void run_where(const Instr& w, std::ptrdiff_t n) {
        const bool* cond = reinterpret_cast<const bool*>(s_.ptr[idx(w.src[0])]);
        const std::ptrdiff_t n_true = count_true(cond, n);
        if (n_true == n || n_true == 0) {
            // Uniform condition: only the selected branch runs; the result aliases its register.
            s_.ptr[idx(w.dst)] = branch_on_all_lanes(w, n_true == n ? 0 : 1, n);
            return;
        }
        const std::size_t size = itemsize(w.dst);
        const void* value[2] = {nullptr, nullptr};
        bool compact[2] = {false, false};
        for (int k = 0; k < 2; ++k) {
            if (w.region[k] < 0) {
                value[k] = s_.ptr[idx(w.src[k + 1])];
                continue;
            }
            const std::ptrdiff_t selected = k == 0 ? n_true : n - n_true;
            // A branch whose speculation raised a flag in an earlier block of this call (a where
            // guarding invalid lanes) goes straight to the selected lanes: speculating again would
            // most likely be wasted, and costly (vector math takes slow paths on invalid input).
            const std::size_t branch = 2 * static_cast<std::size_t>(w.where_index) + static_cast<std::size_t>(k);
            if (!speculation_raised_[branch] && speculate(w, k, selected, n)) {
                // Clearing flags is slow (it rewrites the x87 environment): only when some are set.
                const int before = std::fetestexcept(fp::numpy_flags);
                if (before) std::feclearexcept(before);
                value[k] = branch_on_all_lanes(w, k, n);
                const int raised = std::fetestexcept(fp::numpy_flags);
                if (raised) std::feclearexcept(raised);
                if (before) std::feraiseexcept(before);
                if (!raised) continue;
                speculation_raised_[branch] = true;
            }
            compact[k] = true;
        }
        char* dst = s_.ptr[idx(w.dst)] = s_.home[idx(w.dst)];
        if (!compact[0] && !compact[1]) {
            select(size, cond, value[0], value[1], dst, n);
            return;
        }
        // Speculative values were computed into their regions' registers, which compaction of the
        // other branch does not touch (branches share no registers), so blend them in last. The
        // lanes are listed before any is written: dst may be the output array, which may be the
        // condition's or an input's memory (out=x); each lane is then read before it is written.
        std::ptrdiff_t count[2] = {0, 0};
        for (int k = 0; k < 2; ++k)
            if (compact[k]) count[k] = positions(cond, k == 0, s_.index(w.where_index, k), n);
        for (int k = 0; k < 2; ++k)
            if (compact[k]) branch_on_lanes(w, k, s_.index(w.where_index, k), count[k], dst);
        if (!compact[0]) select(size, cond, value[0], dst, dst, n);
        if (!compact[1]) select(size, cond, dst, value[1], dst, n);
    }

    const Program& p_;
    Scratch& s_;
    std::vector<bool> speculation_raised_;  // per where branch, in this call
};

// Runs a region over one chunk with chunk kernels. Values of a chunk stay in the first-level
// cache and consecutive instructions overlap in the CPU (a square root runs while the next sine
// starts), which block-sized passes cannot do. Where both branches of a mixed chunk run on every
// lane, and floating-point flags are not sorted out per instruction: the caller checks the
// chunk's flags and, if any was raised, runs it again exactly.
class ChunkRunner {
   public:
    ChunkRunner(const Program& p, Scratch& s) : p_(p), s_(s), split_before_(static_cast<std::size_t>(p.n_where)) {}

    // False: the chunk is better run by the blocked evaluator (a costly branch selected by few
    // lanes, which it computes on those lanes only).
    bool run_region(const Region& region) {
        for (const Instr& in : region.code) {
            if (in.kind == InstrKind::where) {
                if (!run_where(in)) return false;
                continue;
            }
            if (in.kind == InstrKind::chain) {
                run_chain(in, s_, p_.chunk, false);
                continue;
            }
            if (in.chunk_skip) continue;
            const void* src[3];
            in.chunk(src, compute_operands(in, s_, src));
        }
        return true;
    }

   private:
    static std::size_t idx(std::int32_t r) { return static_cast<std::size_t>(r); }

    char* branch(const Instr& w, int k) {
        if (w.region[k] < 0) return s_.ptr[idx(w.src[k + 1])];
        const Region& r = p_.regions[idx(w.region[k])];
        for (std::size_t i = 0; i < r.imports_inner.size(); ++i)
            s_.ptr[idx(r.imports_inner[i])] = s_.ptr[idx(r.imports_outer[i])];
        return run_region(r) ? s_.ptr[idx(r.result)] : nullptr;
    }

    bool run_where(const Instr& w) {
        const bool* cond = reinterpret_cast<const bool*>(s_.ptr[idx(w.src[0])]);
        const std::size_t size = ir::itemsize(p_.registers[idx(w.dst)].dtype);
        if (w.region[0] < 0 && w.region[1] < 0) {  // both values at hand: nothing to skip
            select(size, cond, s_.ptr[idx(w.src[1])], s_.ptr[idx(w.src[2])], s_.ptr[idx(w.dst)] = s_.home[idx(w.dst)],
                   p_.chunk);
            return true;
        }
        const std::size_t where = idx(w.where_index);
        if (w.chain && split_before_[where]) {
            // The condition split the previous chunk, so most likely this one too (signs mixed at
            // random): the chain runs at once and counts the lanes as it blends, which costs less
            // than counting them first (a pass over the inputs, 10-15% of the seed expression).
            // Had the chunk been uniform or sparse, the result is still right, since the chain
            // computes the branch on every lane: that costs only the work counting first would
            // have skipped, and the next chunk counts first again.
            split_before_[where] = split(w, run_chain(w, s_, p_.chunk, false, true));
            return true;
        }
        const std::ptrdiff_t n_true = w.chain ? count_by_comparison(w) : count_true(cond, p_.chunk);
        if (n_true == p_.chunk || n_true == 0) {
            char* value = branch(w, n_true == p_.chunk ? 0 : 1);
            s_.ptr[idx(w.dst)] = value;
            return value != nullptr;
        }
        if (!split(w, n_true)) return false;  // a costly branch few lanes select: blocks do it better
        if (w.chain) {                        // the branch and the blend in one pass (Instr::chain_count)
            run_chain(w, s_, p_.chunk, false);
            split_before_[where] = true;
            return true;
        }
        const char* value[2] = {branch(w, 0), nullptr};
        if (value[0]) value[1] = branch(w, 1);
        if (!value[1]) return false;
        select(size, cond, value[0], value[1], s_.ptr[idx(w.dst)] = s_.home[idx(w.dst)], p_.chunk);
        return true;
    }

    // Whether a where whose condition selects n_true lanes of a chunk runs both branches on the
    // chunk and blends: not when the condition is uniform (one branch runs), nor when a costly
    // branch is selected by fewer than a quarter of the lanes (the blocked evaluator then
    // computes it on those lanes only).
    bool split(const Instr& w, std::ptrdiff_t n_true) const {
        if (n_true == p_.chunk || n_true == 0) return false;
        for (int k = 0; k < 2; ++k) {
            const std::ptrdiff_t selected = k == 0 ? n_true : p_.chunk - n_true;
            if (w.region[k] >= 0 && p_.regions[idx(w.region[k])].cost >= 1.0 && 4 * selected < p_.chunk) return false;
        }
        return true;
    }

    // The lanes a where with a chunk chain selects, counted from its comparison's operands.
    std::ptrdiff_t count_by_comparison(const Instr& w) const {
        const ChainStep& select = w.chain_steps.back();
        const auto operand = [&](int k) {
            return s_.ptr[idx(w.chain_operands[select.arg + static_cast<std::size_t>(k)])];
        };
        return w.chain_count(select.compare, operand(0), operand(1), p_.chunk);
    }

    const Program& p_;
    Scratch& s_;
    std::vector<bool> split_before_;  // per where: its condition split the previous chunk
};

// Asks the memory system for the next block of every contiguous input while this block computes:
// the hardware prefetchers lose the streams between blocks.
void prefetch_next_block(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t next,
                         std::ptrdiff_t end) {
    if (next >= end) return;
    const std::ptrdiff_t n = std::min<std::ptrdiff_t>(p.block, end - next);
    for (std::size_t i = 0; i < static_cast<std::size_t>(p.n_inputs); ++i) {
        if (steps[i] <= 0 || steps[i] > 16 || p.input_registers[i] < 0) continue;
        const char* first = args[i] + next * steps[i];
        for (std::ptrdiff_t b = 0; b < n * steps[i]; b += 64) __builtin_prefetch(first + b, 0, 2);
    }
}

// The outputs (indices) whose root instruction writes straight into the output array instead of a
// register to be copied: contiguous outputs of a register computed in the root region and
// returned once. With last_in_place, that is allowed for the output of the root's last
// instruction (an op or a where) even when it is also an input (out=x): nothing runs after it,
// and each lane is read before it is written (not so when a chunk may have to run again). Any
// other output must not share memory with an input or another output, which a later instruction
// would then read after it was overwritten.
// (A fixed array, not a vector: a call of a few elements, as where= masks make, cannot afford an
// allocation. Programs with more outputs, as gufunc stages may have, write none directly.)
struct OutputList {
    std::uint8_t index[64];
    std::size_t count = 0;
    void push_back(std::size_t k) { index[count++] = static_cast<std::uint8_t>(k); }
    const std::uint8_t* begin() const { return index; }
    const std::uint8_t* end() const { return index + count; }
};

OutputList direct_outputs(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin,
                          std::ptrdiff_t end, bool stream_outputs, bool last_in_place) {
    OutputList direct;
    const Region& root = p.regions[0];
    const std::size_t n_in = static_cast<std::size_t>(p.n_inputs), n_out = p.output_registers.size();
    if (stream_outputs || root.code.empty() || n_out > std::size(direct.index)) return direct;
    const std::ptrdiff_t n = end - begin;
    auto range = [&](std::size_t operand, std::size_t itemsize) {
        return range_of(args[operand] + begin * steps[operand], steps[operand], n, itemsize);
    };
    for (std::size_t k = 0; k < n_out; ++k) {
        const std::int32_t reg = p.output_registers[k];
        const std::size_t size = ir::itemsize(p.registers[static_cast<std::size_t>(reg)].dtype);
        if (steps[n_in + k] != static_cast<std::ptrdiff_t>(size)) continue;
        if (std::count(p.output_registers.begin(), p.output_registers.end(), reg) != 1) continue;
        if (last_in_place && root.code.back().dst == reg && n_out == 1) {
            direct.push_back(k);
            continue;
        }
        if (std::none_of(root.code.begin(), root.code.end(), [&](const Instr& in) { return in.dst == reg; })) continue;
        const ByteRange out = range(n_in + k, size);
        bool shared = false;
        for (std::size_t i = 0; i < n_in && !shared; ++i)
            shared =
                p.input_registers[i] >= 0 && steps[i] != 0 && range(i, ir::itemsize(p.input_dtypes[i])).overlaps(out);
        for (std::size_t j = 0; j < n_out && !shared; ++j)
            shared = j != k &&
                     range(n_in + j, ir::itemsize(p.registers[static_cast<std::size_t>(p.output_registers[j])].dtype))
                         .overlaps(out);
        if (!shared) direct.push_back(k);
    }
    return direct;
}

// memcpy with non-temporal stores: the destination lines are not read into the cache first.
void stream_copy(char* dst, const char* src, std::size_t bytes) {
#if defined(__SSE2__)
    const std::size_t head = std::min(bytes, (16 - reinterpret_cast<std::uintptr_t>(dst) % 16) % 16);
    std::memcpy(dst, src, head);
    std::size_t i = head;
    for (; i + 16 <= bytes; i += 16)
        _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
    std::memcpy(dst + i, src + i, bytes - i);
#else
    std::memcpy(dst, src, bytes);
#endif
}

// Points the input registers at elements [start, start + n): in place when contiguous and
// aligned (kernels never write to their inputs), else copied into the register's own memory.
void point_inputs(const Program& p, Scratch& s, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t start,
                  std::ptrdiff_t n) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(p.n_inputs); ++i) {
        const std::int32_t reg = p.input_registers[i];
        if (reg < 0 || steps[i] == 0) continue;
        const std::size_t size = ir::itemsize(p.input_dtypes[i]);
        const char* base = args[i] + start * steps[i];
        auto& ptr = s.ptr[static_cast<std::size_t>(reg)];
        if (steps[i] == static_cast<std::ptrdiff_t>(size) &&
            (reinterpret_cast<std::uintptr_t>(base) & (size - 1)) == 0) {
            ptr = const_cast<char*>(base);
        } else {
            ptr = s.home[static_cast<std::size_t>(reg)];
            load_strided(size, base, steps[i], ptr, n);
        }
    }
}

// Points the registers of direct outputs at elements `start` of their arrays.
void point_direct_outputs(const Program& p, Scratch& s, char* const* args, const std::ptrdiff_t* steps,
                          const OutputList& direct, std::ptrdiff_t start) {
    const std::size_t n_in = static_cast<std::size_t>(p.n_inputs);
    for (const std::size_t k : direct)
        s.home[static_cast<std::size_t>(p.output_registers[k])] = args[n_in + k] + start * steps[n_in + k];
}

// Writes the output registers' n elements to the output arrays at `start` (direct outputs are there already).
void store_outputs(const Program& p, const Scratch& s, char* const* args, const std::ptrdiff_t* steps,
                   std::ptrdiff_t start, std::ptrdiff_t n, bool stream) {
    const std::size_t n_in = static_cast<std::size_t>(p.n_inputs);
    for (std::size_t k = 0; k < p.output_registers.size(); ++k) {
        const std::int32_t reg = p.output_registers[k];
        const std::size_t size = ir::itemsize(p.registers[static_cast<std::size_t>(reg)].dtype);
        const std::ptrdiff_t step = steps[n_in + k];
        char* dst = args[n_in + k] + start * step;
        const char* src = s.ptr[static_cast<std::size_t>(reg)];
        if (src == dst) continue;  // computed in place
        if (step != static_cast<std::ptrdiff_t>(size))
            store_strided(size, src, dst, step, n);
        else if (stream)
            stream_copy(dst, src, static_cast<std::size_t>(n) * size);
        else
            std::memcpy(dst, src, static_cast<std::size_t>(n) * size);
    }
}

bool chunks_enabled() {
    static const bool enabled = switch_on("IK_CHUNKS");  // IK_CHUNKS=0: blocks only (tests, comparisons)
    return enabled;
}

// Runs whole chunks from `begin` on, and returns where it stopped: `end` rounded down to whole
// chunks, or the first chunk that raised a floating-point flag or asked for the blocked
// evaluator. Nothing of that chunk has been written (its outputs are stored after the check, and
// direct outputs never share memory with an input), so the blocked evaluator takes over there.
std::ptrdiff_t run_chunks(const Program& p, Scratch& s, char* const* args, const std::ptrdiff_t* steps,
                          std::ptrdiff_t begin, std::ptrdiff_t end, bool stream, const OutputList& direct) {
    const int before = fp::raised();
    if (before) fp::clear(before);
    ChunkRunner runner(p, s);
    std::ptrdiff_t start = begin;
    for (; start + p.chunk <= end; start += p.chunk) {
        point_direct_outputs(p, s, args, steps, direct, start);
        point_inputs(p, s, args, steps, start, p.chunk);
        if (!runner.run_region(p.regions[0]) || fp::raised()) {
            fp::clear(fp::numpy_flags);
            break;
        }
        store_outputs(p, s, args, steps, start, p.chunk, stream);
    }
    if (before) fp::raise(before);
    return start;
}

}  // namespace

void run_serial(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin,
                std::ptrdiff_t end, bool stream_outputs) {
    // A one-op body writes its output as the kernel makes it; streamed outputs (see run) go through
    // the evaluators, which store them past the caches. Then programs with machine code (jit/),
    // which stream their output themselves.
    if (!stream_outputs && run_direct(p, args, steps, begin, end)) return;
    if (run_jit(p, args, steps, begin, end, stream_outputs, run_evaluators)) return;
    run_evaluators(p, args, steps, begin, end, stream_outputs);
}

void run_evaluators(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin,
                    std::ptrdiff_t end, bool stream_outputs) {
    Scratch& s = scratch;
    s.prepare(p);  // throws std::bad_alloc when out of memory
    const std::ptrdiff_t first_block = std::min<std::ptrdiff_t>(p.block, end - begin);
    for (const auto& [reg, value] : p.constants)
        broadcast(ir::itemsize(p.registers[static_cast<std::size_t>(reg)].dtype), value.bytes.data(),
                  s.home[static_cast<std::size_t>(reg)], first_block);
    const std::size_t n_in = static_cast<std::size_t>(p.n_inputs);
    for (std::size_t i = 0; i < n_in; ++i) {
        const std::int32_t reg = p.input_registers[i];
        if (reg >= 0 && steps[i] == 0)
            broadcast(ir::itemsize(p.input_dtypes[i]), args[i], s.home[static_cast<std::size_t>(reg)], first_block);
    }
    // (IK_BLOCK may make blocks, and so the scratch memory, smaller than a chunk.)
    const bool chunks = p.chunked && p.block >= p.chunk && end - begin >= p.chunk && chunks_enabled();
    const OutputList direct = direct_outputs(p, args, steps, begin, end, stream_outputs, !chunks);
    BlockRunner runner(p, s);
    // Chunks where they can; where a chunk hands over, blocks for a while, then chunks again.
    // The blocked stretch doubles each time chunks hand over at once (a where guarding invalid
    // lanes in every chunk), so such calls waste few chunk attempts.
    std::ptrdiff_t start = begin, blocked = p.block;
    while (start < end) {
        if (chunks && end - start >= p.chunk) {
            const std::ptrdiff_t stop = run_chunks(p, s, args, steps, start, end, stream_outputs, direct);
            blocked = stop > start ? p.block : 2 * blocked;
            start = stop;
        }
        const std::ptrdiff_t until = chunks && end - start >= p.chunk ? std::min(end, start + blocked) : end;
        for (; start < until; start += p.block) {
            point_direct_outputs(p, s, args, steps, direct, start);
            prefetch_next_block(p, args, steps, start + p.block, until);
            const std::ptrdiff_t n = std::min<std::ptrdiff_t>(p.block, until - start);
            point_inputs(p, s, args, steps, start, n);
            runner.run_region(p.regions[0], n);
            store_outputs(p, s, args, steps, start, n, stream_outputs);
        }
    }
#if defined(__SSE2__)
    if (stream_outputs) _mm_sfence();  // the streamed stores are visible before the call returns
#endif
}

}  // namespace ik::eval
