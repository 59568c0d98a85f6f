// Gufunc rows shorter than a chunk, many at a time: each stage runs once over a group of rows
// (scalar stages over the group's row values, passes over all its elements) instead of once per
// row, so the cost of a program run is shared by the group. Points in 3-D with a distance
// kernel are rows of three: one run per row would cost far more than the arithmetic.
#include "short_rows.hpp"

#include <algorithm>
#include <cfenv>
#include <cstring>
#include <vector>

#include "eval/direct/direct_reduce.hpp"
#include "eval/evaluator.hpp"
#include "eval/threads/parallel_for.hpp"
#include "reduce.hpp"

namespace ik::eval {
namespace {

constexpr std::size_t table_cell = 16;  // bytes per row value, enough for complex128

struct Layout {
    const GufuncPlan& plan;
    char* const* args;
    const std::ptrdiff_t* steps;       // outer step per operand
    std::vector<std::ptrdiff_t> core;  // core step per operand (0 without core dimension)
    std::ptrdiff_t n;                  // core length
    std::ptrdiff_t group;              // rows per group

    std::size_t itemsize(int operand) const {
        return static_cast<std::size_t>(core_itemsize[static_cast<std::size_t>(operand)]);
    }
    // Rows back to back: a group of rows is one run of group * n elements.
    bool flat(int operand) const {
        const auto k = static_cast<std::size_t>(operand);
        return core[k] == core_itemsize[k] && steps[k] == n * core[k];
    }
    std::vector<std::ptrdiff_t> core_itemsize;  // bytes of an element of each core operand
    RowChunks one_chunk;                        // a row is one chunk (n < chunk), unless direct
    bool direct = false;                        // plan.direct's pass runs as reduce_rows
};

// The memory of one thread: row values of a group, reduction state, staging buffers.
class Group {
   public:
    explicit Group(const Layout& l) : l_(l), slots_(l.plan.table.size()) {
        table_.assign(static_cast<std::size_t>(l.group) * slots_ * table_cell, 0);
        for (std::ptrdiff_t g = 0; g < l.group; ++g)
            for (const Stage& s : l.plan.stages)
                for (const StageOutput& o : s.outputs)
                    if (o.kind == StageOutput::reduce_into_table) accumulators_.emplace_back(o.reduce, o.value_dtype);
        reductions_ = accumulators_.size() / static_cast<std::size_t>(l.group);
        staging_.resize(static_cast<std::size_t>(l.plan.nin + l.plan.nout) + 8);
    }

    void run(std::ptrdiff_t first_row, std::ptrdiff_t rows) {
        const GufuncPlan& plan = l_.plan;
        for (std::ptrdiff_t g = 0; g < rows; ++g) {
            const std::ptrdiff_t r = first_row + g;
            if (plan.length_slot >= 0) {
                const std::int64_t n = l_.n;
                std::memcpy(cell(g, plan.length_slot), &n, sizeof n);
            }
            for (int i = 0; i < plan.nin; ++i) {
                const std::int32_t slot = plan.input_slot[static_cast<std::size_t>(i)];
                if (slot >= 0)
                    std::memcpy(cell(g, slot), l_.args[i] + r * l_.steps[i],
                                ir::itemsize(plan.table[static_cast<std::size_t>(slot)]));
            }
        }
        std::size_t reduction = 0;
        for (std::size_t s = 0; s < plan.stages.size(); ++s) {
            const Stage& stage = plan.stages[s];
            if (l_.direct && s == plan.direct->stage) {
                const int i = plan.direct->input;
                reduce_rows(*plan.direct, l_.args[i] + first_row * l_.steps[i], rows, l_.steps[i], l_.n,
                            l_.core[static_cast<std::size_t>(i)], cell(0, stage.outputs[0].index), row_stride());
                ++reduction;
            } else if (stage.pass) {
                run_pass(stage, first_row, rows, reduction);
            } else {
                run_scalar(stage, rows);
            }
        }
        for (int k = 0; k < plan.nout; ++k) {
            const std::int32_t slot = plan.output_slot[static_cast<std::size_t>(k)];
            if (slot < 0) continue;
            const int o = plan.nin + k;
            for (std::ptrdiff_t g = 0; g < rows; ++g)
                std::memcpy(l_.args[o] + (first_row + g) * l_.steps[o], cell(g, slot),
                            ir::itemsize(plan.table[static_cast<std::size_t>(slot)]));
        }
    }

   private:
    char* cell(std::ptrdiff_t g, std::int32_t slot) {
        return table_.data() + (static_cast<std::size_t>(g) * slots_ + static_cast<std::size_t>(slot)) * table_cell;
    }
    std::ptrdiff_t row_stride() const { return static_cast<std::ptrdiff_t>(slots_ * table_cell); }

    // A scalar stage over the group's row values: slot k of every row is one strided array.
    void run_scalar(const Stage& stage, std::ptrdiff_t rows) {
        std::vector<char*> args;
        std::vector<std::ptrdiff_t> steps;
        for (const StageInput& in : stage.inputs) {
            args.push_back(cell(0, in.index));
            steps.push_back(row_stride());
        }
        for (const StageOutput& out : stage.outputs) {
            args.push_back(cell(0, out.index));
            steps.push_back(row_stride());
        }
        run_serial(*stage.program, args.data(), steps.data(), 0, rows);
    }

    // A buffer of `bytes`, the k-th of this stage (reused between stages and groups).
    char* staging(std::size_t k, std::size_t bytes) {
        if (k >= staging_.size()) staging_.resize(k + 1);
        if (staging_[k].size() < bytes) staging_[k].resize(bytes);
        return staging_[k].data();
    }

    void run_pass(const Stage& stage, std::ptrdiff_t first_row, std::ptrdiff_t rows, std::size_t& reduction) {
        const std::ptrdiff_t n = l_.n, total = rows * n;
        std::vector<char*> args;
        std::vector<std::ptrdiff_t> steps;
        std::size_t buffer = 0;
        for (const StageInput& in : stage.inputs) {
            if (in.kind == StageInput::vector_input) {
                const int i = in.index;
                const std::size_t size = l_.itemsize(i);
                if (l_.flat(i)) {
                    args.push_back(l_.args[i] + first_row * l_.steps[i]);
                } else {  // rows apart, or one row for all (outer step 0): copied into place
                    char* dst = staging(buffer++, static_cast<std::size_t>(total) * size);
                    for (std::ptrdiff_t g = 0; g < rows; ++g)
                        load_strided(size, l_.args[i] + (first_row + g) * l_.steps[i],
                                     l_.core[static_cast<std::size_t>(i)], dst + static_cast<std::size_t>(g * n) * size,
                                     n);
                    args.push_back(dst);
                }
                steps.push_back(static_cast<std::ptrdiff_t>(size));
            } else {  // a row value: repeated along its row
                const std::size_t size = ir::itemsize(l_.plan.table[static_cast<std::size_t>(in.index)]);
                char* dst = staging(buffer++, static_cast<std::size_t>(total) * size);
                for (std::ptrdiff_t g = 0; g < rows; ++g)
                    broadcast(size, cell(g, in.index), dst + static_cast<std::size_t>(g * n) * size, n);
                args.push_back(dst);
                steps.push_back(static_cast<std::ptrdiff_t>(size));
            }
        }
        std::vector<char*> reduced(stage.outputs.size(), nullptr), scattered(stage.outputs.size(), nullptr);
        for (std::size_t k = 0; k < stage.outputs.size(); ++k) {
            const StageOutput& out = stage.outputs[k];
            if (out.kind == StageOutput::vector_output && l_.flat(l_.plan.nin + out.index)) {
                const int o = l_.plan.nin + out.index;
                args.push_back(l_.args[o] + first_row * l_.steps[o]);
                steps.push_back(static_cast<std::ptrdiff_t>(l_.itemsize(o)));
                continue;
            }
            const std::size_t size = out.kind == StageOutput::vector_output ? l_.itemsize(l_.plan.nin + out.index)
                                                                            : ir::itemsize(out.value_dtype);
            char* dst = staging(buffer++, static_cast<std::size_t>(total) * size);
            (out.kind == StageOutput::vector_output ? scattered : reduced)[k] = dst;
            args.push_back(dst);
            steps.push_back(static_cast<std::ptrdiff_t>(size));
        }
        run_serial(*stage.program, args.data(), steps.data(), 0, total);
        for (std::size_t k = 0; k < stage.outputs.size(); ++k) {
            const StageOutput& out = stage.outputs[k];
            if (scattered[k]) {
                const int o = l_.plan.nin + out.index;
                const std::size_t size = l_.itemsize(o);
                for (std::ptrdiff_t g = 0; g < rows; ++g)
                    store_strided(size, scattered[k] + static_cast<std::size_t>(g * n) * size,
                                  l_.args[o] + (first_row + g) * l_.steps[o], l_.core[static_cast<std::size_t>(o)], n);
            } else if (reduced[k]) {
                // Each row is one chunk: the same bits as the row-at-a-time path.
                const std::size_t size = ir::itemsize(out.value_dtype);
                for (std::ptrdiff_t g = 0; g < rows; ++g) {
                    Accumulator& acc = accumulators_[static_cast<std::size_t>(g) * reductions_ + reduction];
                    acc.start(l_.one_chunk);
                    acc.set_chunk(0, 0, reduced[k] + static_cast<std::size_t>(g * n) * size, n);
                    acc.finish(cell(g, out.index));
                }
                ++reduction;
            }
        }
    }

    const Layout& l_;
    std::size_t slots_;
    std::vector<char> table_;
    std::vector<Accumulator> accumulators_;  // row g's reduction k at g * reductions_ + k
    std::size_t reductions_ = 0;
    std::vector<std::vector<char>> staging_;
};

}  // namespace

bool run_short_rows(const GufuncPlan& plan, char* const* args, const std::ptrdiff_t* dims, const std::ptrdiff_t* steps,
                    std::ptrdiff_t chunk, int threads) {
    const std::ptrdiff_t rows = dims[0], n = dims[1];
    std::vector<std::ptrdiff_t> core = core_steps(plan, steps);
    // A direct reduction takes rows of any length, in groups of up to 2048 rows (the most
    // reduce_rows puts side by side), a group or more per thread; but one long row per thread is left to
    // run_gufunc, which splits rows among threads.
    const bool direct = plan.direct && (threads <= 1 || rows >= threads) &&
                        direct_reduction_runs(*plan.direct, args[plan.direct->input], steps[plan.direct->input], n,
                                              core[static_cast<std::size_t>(plan.direct->input)]);
    if (!direct && (rows < 2 || n < 1 || n >= chunk)) return false;
    const std::ptrdiff_t group = direct ? std::min<std::ptrdiff_t>(2048, (rows + threads - 1) / std::max(threads, 1))
                                        : std::min(rows, std::max<std::ptrdiff_t>(1, chunk / n));
    Layout layout{plan, args, steps, std::move(core), n, group, {}, RowChunks(direct ? 1 : n, chunk), direct};
    if (layout.one_chunk.count() != 1) return false;  // NumPy's buffers shorter than a row (a small bufsize)
    layout.core_itemsize.assign(static_cast<std::size_t>(plan.nin + plan.nout), 0);
    // The loop's dtypes per operand: from the first pass that reads or writes it.
    for (const Stage& s : plan.stages) {
        if (!s.pass) continue;
        for (std::size_t i = 0; i < s.inputs.size(); ++i)
            if (s.inputs[i].kind == StageInput::vector_input)
                layout.core_itemsize[static_cast<std::size_t>(s.inputs[i].index)] =
                    static_cast<std::ptrdiff_t>(ir::itemsize(s.program->input_dtypes[i]));
        for (std::size_t k = 0; k < s.outputs.size(); ++k)
            if (s.outputs[k].kind == StageOutput::vector_output)
                layout.core_itemsize[static_cast<std::size_t>(plan.nin + s.outputs[k].index)] =
                    static_cast<std::ptrdiff_t>(ir::itemsize(
                        s.program->registers[static_cast<std::size_t>(s.program->output_registers[k])].dtype));
    }
    const std::ptrdiff_t groups = (rows + layout.group - 1) / layout.group;
    threads = static_cast<int>(std::min<std::ptrdiff_t>(threads, groups));
    if (threads <= 1) {
        Group group(layout);
        for (std::ptrdiff_t r = 0; r < rows; r += layout.group) group.run(r, std::min(layout.group, rows - r));
        return true;
    }
    parallel_for(
        threads, groups, [&] { return Group(layout); },
        [&](Group& group, std::ptrdiff_t k) {
            group.run(k * layout.group, std::min(layout.group, rows - k * layout.group));
        });
    return true;
}

}  // namespace ik::eval
