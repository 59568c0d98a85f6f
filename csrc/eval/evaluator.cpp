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

// The parts of this file, in their order (each uses the ones before it).
#include "evaluator_scratch.inc"
#include "evaluator_blocks.inc"
#include "evaluator_chunks.inc"

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
