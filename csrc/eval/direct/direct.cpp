// The direct form: a one-op body as its typed kernel over the arrays, as NumPy runs its own loop.
// Measured before it, 1 thread, 1e5 elements, out= given: int8 add 0.50x of NumPy, float32
// maximum 0.72x, float64 absolute 0.71x; the chunked evaluator spent more on each chunk of 256
// (pointers, the flag check, the store) than the kernel did on its elements.
#include "direct.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

#include "eval/byte_range.hpp"
#include "eval/environment.hpp"
#include "eval/fp_flags.hpp"
#include "eval/kernels/kernels.hpp"

namespace ik::eval {
namespace {

// Elements per kernel call when an operand is one value repeated: the value is laid out this
// many times once per call, and the kernel walks the arrays span by span.
constexpr std::ptrdiff_t repeat_span = 2048;

bool direct_enabled() {
    static const bool enabled = switch_on("IK_DIRECT");  // IK_DIRECT=0: the evaluators only (tests, comparisons)
    return enabled;
}

// (Element sizes are powers of 2: a mask, not a division, which costs as much as a short call.)
bool aligned_contiguous(const char* base, std::ptrdiff_t step, std::size_t itemsize) {
    return step == static_cast<std::ptrdiff_t>(itemsize) &&
           (reinterpret_cast<std::uintptr_t>(base) & (itemsize - 1)) == 0;
}

// Whether a kernel over contiguous arrays may read n elements at base (of `step` bytes apart)
// while writing the output at out: contiguous, aligned, and either the very elements of the
// output (out=x: each is read before it is written) or apart from it (elements shifted against
// it would be read after they were written).
bool readable_in_place(const char* base, std::ptrdiff_t step, std::size_t size, std::ptrdiff_t n, const char* out,
                       const ByteRange& out_range) {
    return aligned_contiguous(base, step, size) && (base == out || !range_of(base, step, n, size).overlaps(out_range));
}

constexpr std::size_t max_jit_inputs = 16;  // the ufunc inputs run_jit passes (the JIT reads at most 9)

// Memory for repeated operands, per thread: up to three operands of repeat_span elements of 16 bytes.
struct RepeatBuffer {
    static constexpr std::size_t operand_bytes = repeat_span * 16;
    struct Free {
        void operator()(unsigned char* p) const { std::free(p); }
    };
    std::unique_ptr<unsigned char, Free> memory;
    unsigned char* operand(int k) {
        if (!memory) {
            if (!fail_allocations_for_testing())
                memory.reset(static_cast<unsigned char*>(std::aligned_alloc(64, 3 * operand_bytes)));
            if (!memory) throw std::bad_alloc();
        }
        return memory.get() + static_cast<std::size_t>(k) * operand_bytes;
    }
};
thread_local RepeatBuffer repeat_buffer;

// n copies of one element, by its size: a loop the compiler vectorises (a memcpy per element
// cost more than a one-op call of a thousand elements itself).
template <class T>
void fill_as(void* dst, const void* value, std::ptrdiff_t n) {
    T v;
    std::memcpy(&v, value, sizeof(T));
    std::fill_n(static_cast<T*>(dst), n, v);
}
void fill(void* dst, const void* value, std::size_t itemsize, std::ptrdiff_t n) {
    switch (itemsize) {
        case 1:
            std::memset(dst, *static_cast<const unsigned char*>(value), static_cast<std::size_t>(n));
            return;
        case 2:
            fill_as<std::uint16_t>(dst, value, n);
            return;
        case 4:
            fill_as<std::uint32_t>(dst, value, n);
            return;
        case 8:
            fill_as<std::uint64_t>(dst, value, n);
            return;
        default:
            for (std::ptrdiff_t i = 0; i < n; ++i)
                std::memcpy(static_cast<unsigned char*>(dst) + static_cast<std::size_t>(i) * itemsize, value, itemsize);
    }
}

}  // namespace

std::optional<DirectForm> find_direct_form(const Program& p) {
    if (p.regions.size() != 1 || p.regions[0].code.size() != 1 || p.output_registers.size() != 1) return std::nullopt;
    const Instr& in = p.regions[0].code[0];
    if (in.kind != InstrKind::compute || !in.kernel || in.dst != p.output_registers[0]) return std::nullopt;
    DirectForm form;
    form.kernel = in.kernel;
    form.output_size = ir::itemsize(p.registers[static_cast<std::size_t>(in.dst)].dtype);
    for (int k = 0; k < 3 && in.src[k] >= 0; ++k, ++form.arity) {
        const std::int32_t r = in.src[k];
        form.operand_size[k] = ir::itemsize(p.registers[static_cast<std::size_t>(r)].dtype);
        const auto input = std::find(p.input_registers.begin(), p.input_registers.end(), r);
        const auto constant =
            std::find_if(p.constants.begin(), p.constants.end(), [&](const auto& c) { return c.first == r; });
        if (input != p.input_registers.end())
            form.input[k] = static_cast<std::int32_t>(input - p.input_registers.begin());
        else if (constant != p.constants.end())
            form.constant[k] = static_cast<std::int32_t>(constant - p.constants.begin());
        else
            return std::nullopt;
    }
    // Ops whose AVX2 form is one instruction per vector as the AVX-512 one is, with results as
    // wide as their operands: there the loads' cache lines are the time (int32 add of 1e5
    // elements over inputs 16 bytes into a line: 0.88x NumPy's time with 64-byte vectors, 1.27x
    // with 32-byte ones). Not comparisons, isnan or shifts, whose AVX2 forms pack or widen (float32
    // less at 1e5 went from 0.88x to 0.57x NumPy's time that way), nor anything that computes longer.
    constexpr ir::Op narrow_ops[] = {ir::Op::add,        ir::Op::subtract,    ir::Op::bitwise_and,
                                     ir::Op::bitwise_or, ir::Op::bitwise_xor, ir::Op::absolute,
                                     ir::Op::negative,   ir::Op::positive,    ir::Op::invert};
    if (form.arity > 0) {
        const ir::DType first = p.registers[static_cast<std::size_t>(in.src[0])].dtype;
        // 8-bit products too: AVX2's loop is as fast as AVX-512's where both read whole lines, and
        // faster where the inputs are off their lines (kernel alone, 1e5 int8, inputs 16 bytes
        // into a line: 3.0 against 3.8 us).
        const bool byte_product = (in.op == ir::Op::multiply || in.op == ir::Op::square) && ir::itemsize(first) == 1 &&
                                  first != ir::DType::bool_;
        const bool narrow_pays =
            (std::find(std::begin(narrow_ops), std::end(narrow_ops), in.op) != std::end(narrow_ops) || byte_product) &&
            form.output_size == ir::itemsize(first);
        if (narrow_pays && in.kernel == find_kernel(in.op, first)) form.narrow = find_narrow_kernel(in.op, first);
        if (form.arity == 2 && p.registers[static_cast<std::size_t>(in.src[1])].dtype == first)
            form.one_value_second = find_one_divisor_kernel(in.op, first);
    }
    form.short_calls = direct_enabled() &&
                       std::none_of(form.constant, form.constant + form.arity, [](std::int32_t c) { return c >= 0; });
    return form;
}

bool run_direct(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin,
                std::ptrdiff_t end) {
    // No output overlaps an input here but as the very same elements: that makes run()'s check
    // for recurrences needless, so that calls of a few elements (NumPy calls the loop once per
    // run of selected elements of a where= mask) cost little more than the kernel.
    if (!p.direct || !direct_enabled()) return false;
    const DirectForm& form = *p.direct;
    const std::size_t n_in = static_cast<std::size_t>(p.n_inputs);
    const std::ptrdiff_t n = end - begin;
    char* out = args[n_in] + begin * steps[n_in];
    if (!aligned_contiguous(out, steps[n_in], form.output_size)) return false;
    const ByteRange out_range = range_of(out, steps[n_in], n, form.output_size);
    const void* operand[3] = {nullptr, nullptr, nullptr};
    const void* repeated[3] = {nullptr, nullptr, nullptr};  // the one value of a repeated operand
    bool any_repeated = false;
    for (int k = 0; k < form.arity; ++k) {
        const auto i = static_cast<std::size_t>(form.input[k]);
        const std::size_t size = form.operand_size[k];
        if (form.input[k] < 0) {
            repeated[k] = p.constants[static_cast<std::size_t>(form.constant[k])].second.bytes.data();
        } else if (steps[i] == 0) {
            // One element inside the output (the accumulator of ufunc.reduce): element i would
            // read element i - 1's result; the evaluators run such calls one element at a time.
            if (range_of(args[i], 0, 1, size).overlaps(out_range)) return false;
            repeated[k] = args[i];
        } else {
            const char* base = args[i] + begin * steps[i];
            if (!readable_in_place(base, steps[i], size, n, out, out_range)) return false;
            operand[k] = base;
        }
        any_repeated = any_repeated || repeated[k];
    }
    if (!any_repeated) {
        const std::ptrdiff_t head = line_aligning_head(out, form.output_size, n);
        if (head == 0 && !long_enough_for_lines(form.output_size, n)) {
            form.kernel(operand, out, n);
            return true;
        }
        if (head > 0) {
            form.kernel(operand, out, head);
            for (int k = 0; k < form.arity; ++k)
                operand[k] =
                    static_cast<const char*>(operand[k]) + static_cast<std::size_t>(head) * form.operand_size[k];
        }
        const bool inputs_off_line = std::any_of(operand, operand + form.arity, [](const void* a) {
            return reinterpret_cast<std::uintptr_t>(a) % cache_line != 0;
        });
        const Kernel kernel = inputs_off_line && form.narrow ? form.narrow : form.kernel;
        kernel(operand, out + static_cast<std::size_t>(head) * form.output_size, n - head);
        return true;
    }
    if (form.one_value_second && repeated[1] && !repeated[0]) {
        // One kernel call over all n, its divisor read once: no copies of it, and no check per
        // span that they are one value (uint8 // 7 spent 40% of its time there).
        operand[1] = repeated[1];
        form.one_value_second(operand, out, n);
        return true;
    }
    const std::ptrdiff_t span = std::min(n, repeat_span);
    for (int k = 0; k < form.arity; ++k) {
        if (!repeated[k]) continue;
        void* memory = repeat_buffer.operand(k);
        fill(memory, repeated[k], form.operand_size[k], span);
        operand[k] = memory;
    }
    const void* at[3];
    for (std::ptrdiff_t start = 0; start < n; start += span) {
        for (int k = 0; k < form.arity; ++k)
            at[k] = repeated[k]
                        ? operand[k]
                        : static_cast<const char*>(operand[k]) + static_cast<std::size_t>(start) * form.operand_size[k];
        form.kernel(at, out + static_cast<std::size_t>(start) * form.output_size, std::min(span, n - start));
    }
    return true;
}

namespace {

// Elements per piece of JIT code whose flags are checked: a flag raised in a piece costs the
// piece a second run, in the evaluators (4096: the rerun's inputs are still in L2). The piece
// buffer of an in-place call is a repeat buffer's operand.
constexpr std::ptrdiff_t checked_piece = 4096;
static_assert(checked_piece * 8 <= static_cast<std::ptrdiff_t>(RepeatBuffer::operand_bytes));

// JIT code that calls math routines unchecked (JitCode::checks_flags), piece by piece: a piece
// that raised any flag runs again in the evaluators, which raise NumPy's flags for it, as the
// chunked evaluator runs a chunk again. Flags raised before the call are kept. When the output is
// an input's very elements, each piece is made in a buffer and copied when no flag was raised,
// so that the rerun reads the input as it was.
void run_checked_pieces(const Program& p, JitCode::Function function, const void* const* inputs,
                        std::uint32_t stride0_inputs, char* const* args, const std::ptrdiff_t* steps,
                        std::ptrdiff_t begin, std::ptrdiff_t end, bool stream, RunEvaluators evaluators) {
    const std::size_t n_in = static_cast<std::size_t>(p.n_inputs), size = ir::itemsize(p.jit->dtype);
    char* out = args[n_in] + begin * steps[n_in];
    bool in_place = false;
    for (std::size_t i = 0; i < n_in; ++i) in_place |= inputs[i] == out;
    unsigned char* buffer = in_place ? repeat_buffer.operand(0) : nullptr;
    const int before = fp::raised();
    if (before) fp::clear(before);
    int raised = 0;
    const void* at[max_jit_inputs] = {};
    for (std::ptrdiff_t start = begin; start < end; start += checked_piece) {
        const std::ptrdiff_t m = std::min(checked_piece, end - start);
        const std::size_t offset = static_cast<std::size_t>(start - begin) * size;
        for (std::size_t i = 0; i < n_in; ++i)
            at[i] = inputs[i] && !(stride0_inputs >> i & 1) ? static_cast<const char*>(inputs[i]) + offset : inputs[i];
        function(at, in_place ? static_cast<void*>(buffer) : out + offset, m, in_place ? 0 : stream);
        if (fp::raised()) {
            fp::clear(fp::numpy_flags);
            evaluators(p, args, steps, start, start + m, stream);
            raised |= fp::raised();
            fp::clear(fp::numpy_flags);
        } else if (in_place) {
            std::memcpy(out + offset, buffer, static_cast<std::size_t>(m) * size);
        }
    }
    if (before | raised) fp::raise(before | raised);
}

}  // namespace

bool jit_enabled() {
    static const bool enabled = switch_on("IK_JIT");  // IK_JIT=0: no machine code (tests, comparisons)
    return enabled;
}

bool run_jit(const Program& p, char* const* args, const std::ptrdiff_t* steps, std::ptrdiff_t begin, std::ptrdiff_t end,
             bool stream, RunEvaluators evaluators) {
    if (!p.jit || !jit_enabled()) return false;
    const std::size_t n_in = static_cast<std::size_t>(p.n_inputs), size = ir::itemsize(p.jit->dtype);
    const std::ptrdiff_t n = end - begin;
    char* out = args[n_in] + begin * steps[n_in];
    if (!aligned_contiguous(out, steps[n_in], size)) return false;
    const ByteRange out_range = range_of(out, steps[n_in], n, size);
    const void* inputs[max_jit_inputs] = {};
    if (n_in > max_jit_inputs) return false;
    std::uint32_t stride0_inputs = 0;
    for (std::size_t i = 0; i < n_in; ++i) {
        if (p.input_registers[i] < 0) continue;  // not read by the program
        if (steps[i] == 0) {
            // One element inside the output (ufunc.reduce's accumulator): the evaluators' case.
            if (range_of(args[i], 0, 1, size).overlaps(out_range)) return false;
            stride0_inputs |= std::uint32_t{1} << i;
            inputs[i] = args[i];
            continue;
        }
        const char* base = args[i] + begin * steps[i];
        if (!readable_in_place(base, steps[i], size, n, out, out_range)) return false;
        inputs[i] = base;
    }
    const JitCode::Function function = p.jit->for_stride0(stride0_inputs);
    if (!function) return false;
    const auto run_range = [&](std::ptrdiff_t from, std::ptrdiff_t to) {
        if (p.jit->checks_flags)
            run_checked_pieces(p, function, inputs, stride0_inputs, args, steps, from, to, stream, evaluators);
        else
            function(inputs, out, to - from, stream);
    };
    if (const std::ptrdiff_t head = line_aligning_head(out, size, n); head > 0) {
        run_range(begin, begin + head);
        for (std::size_t i = 0; i < n_in; ++i)
            if (inputs[i] && !(stride0_inputs >> i & 1))
                inputs[i] = static_cast<const char*>(inputs[i]) + static_cast<std::size_t>(head) * size;
        out += static_cast<std::size_t>(head) * size;
        begin += head;
    }
    run_range(begin, end);
    return true;
}

}  // namespace ik::eval
