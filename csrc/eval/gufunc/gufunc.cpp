// Running a gufunc plan: rows in parallel, and within a row the stages in order.
#include "gufunc.hpp"

#include <algorithm>
#include <cfenv>
#include <cstring>
#include <optional>

#include "eval/evaluator.hpp"
#include "eval/threads/parallel.hpp"
#include "eval/threads/parallel_for.hpp"
#include "reduce.hpp"
#include "short_rows.hpp"

namespace ik::eval {
namespace {

constexpr std::ptrdiff_t chunk = 4096;           // most elements of a pass between folds into accumulators
constexpr std::ptrdiff_t largest_itemsize = 16;  // complex128

// The row values and, per reduction, its accumulator: one per row being computed.
struct RowState {
    explicit RowState(const GufuncPlan& plan) : table(plan.table.size() * 16, 0) {
        for (const Stage& s : plan.stages)
            for (const StageOutput& o : s.outputs)
                if (o.kind == StageOutput::reduce_into_table) accumulators.emplace_back(o.reduce, o.value_dtype);
    }
    char* slot(std::int32_t k) { return table.data() + 16 * k; }
    std::vector<char> table;
    std::vector<Accumulator> accumulators;
};

// A chunk buffer per reduction: one set per thread.
struct ChunkBuffers {
    ChunkBuffers() = default;
    explicit ChunkBuffers(const GufuncPlan& plan) {
        for (const Stage& s : plan.stages)
            for (const StageOutput& o : s.outputs)
                if (o.kind == StageOutput::reduce_into_table)
                    buffers.emplace_back(static_cast<std::size_t>(chunk) * ir::itemsize(o.value_dtype));
    }
    // A chunk of elements of any dtype, every largest_itemsize bytes, for stage output k when its
    // values are not wanted (a pass's second run, RowRunner::run_pass).
    char* scratch(std::size_t k) {
        if (k >= scratches.size()) scratches.resize(k + 1);
        scratches[k].resize(static_cast<std::size_t>(chunk * largest_itemsize));
        return scratches[k].data();
    }
    std::vector<std::vector<char>> buffers, scratches;
};

// The operand pointers and steps of one stage program call on this thread. A stage has as many
// operands as its program has inputs and outputs, which row values and reductions can make more
// than NumPy's 64 (a pass summing 80 values): not a fixed array, and not allocated per call.
struct Operands {
    char** args;
    std::ptrdiff_t* steps;
};

Operands operands_for(const Stage& stage) {
    thread_local std::vector<char*> args;
    thread_local std::vector<std::ptrdiff_t> steps;
    const std::size_t n = stage.inputs.size() + stage.outputs.size();
    if (args.size() < n) {
        args.resize(n);
        steps.resize(n);
    }
    return {args.data(), steps.data()};
}

class RowRunner {
   public:
    RowRunner(const GufuncPlan& plan, char* const* args, const std::ptrdiff_t* dims, const std::ptrdiff_t* steps)
        : plan_(plan),
          args_(args),
          n_(plan_has_core() ? dims[1] : 1),
          steps_(steps),
          core_step_(core_steps(plan, steps)),
          real_cut_(n_, chunk, Halving::real),
          complex_cut_(n_, chunk, Halving::complex) {}

    // threads > 1: the passes of this row split their chunks among that many threads.
    void run_row(std::ptrdiff_t row, RowState& state, ChunkBuffers& buffers, int threads = 1) {
        char* base[max_operands];
        const int nargs = plan_.nin + plan_.nout;
        for (int i = 0; i < nargs; ++i) base[i] = args_[i] + row * steps_[i];
        if (plan_.length_slot >= 0) {
            const std::int64_t n = n_;
            std::memcpy(state.slot(plan_.length_slot), &n, sizeof n);
        }
        for (int i = 0; i < plan_.nin; ++i) {
            const std::int32_t slot = plan_.input_slot[static_cast<std::size_t>(i)];
            if (slot >= 0)
                std::memcpy(state.slot(slot), base[i], ir::itemsize(plan_.table[static_cast<std::size_t>(slot)]));
        }
        std::size_t accumulator = 0;
        for (const Stage& stage : plan_.stages) {
            if (stage.pass)
                run_pass(stage, base, state, buffers, accumulator, threads);
            else
                run_scalar(stage, base, state);
        }
        for (int k = 0; k < plan_.nout; ++k) {
            const std::int32_t slot = plan_.output_slot[static_cast<std::size_t>(k)];
            if (slot >= 0)
                std::memcpy(base[plan_.nin + k], state.slot(slot),
                            ir::itemsize(plan_.table[static_cast<std::size_t>(slot)]));
        }
    }

   private:
    bool plan_has_core() const {
        return std::any_of(plan_.input_has_core.begin(), plan_.input_has_core.end(), [](bool b) { return b; }) ||
               std::any_of(plan_.output_has_core.begin(), plan_.output_has_core.end(), [](bool b) { return b; });
    }

    void bind_inputs(const Stage& stage, char* const* base, RowState& state, char** args, std::ptrdiff_t* steps) {
        for (std::size_t i = 0; i < stage.inputs.size(); ++i) {
            const StageInput& in = stage.inputs[i];
            if (in.kind == StageInput::vector_input) {
                args[i] = base[in.index];
                steps[i] = core_step_[static_cast<std::size_t>(in.index)];
            } else {
                args[i] = state.slot(in.index);
                steps[i] = 0;
            }
        }
    }

    void run_scalar(const Stage& stage, char* const* base, RowState& state) {
        const auto [args, steps] = operands_for(stage);
        bind_inputs(stage, base, state, args, steps);
        const std::size_t n_in = stage.inputs.size();
        for (std::size_t k = 0; k < stage.outputs.size(); ++k) {
            args[n_in + k] = state.slot(stage.outputs[k].index);
            steps[n_in + k] = 0;
        }
        run_serial(*stage.program, args, steps, 0, 1);
    }

    const RowChunks& cut_of(Halving halving) const { return halving == Halving::complex ? complex_cut_ : real_cut_; }

    // Each sum's chunks follow NumPy's halving of its values (real or complex: RowChunks), so a
    // pass with sums of both kinds (rare: np.sum(z) + np.sum(np.abs(z))) runs twice, once along
    // each cut, each run setting the chunks of its own sums; the first run (along the cut of the
    // pass's first sum) also writes the vector outputs and feeds the reductions that take any cut.
    void run_pass(const Stage& stage, char* const* base, RowState& state, ChunkBuffers& buffers,
                  std::size_t& accumulator, int threads) {
        const std::size_t first = accumulator;
        std::size_t end = first;
        for (const StageOutput& out : stage.outputs) end += out.kind == StageOutput::reduce_into_table;
        std::optional<Halving> lead;
        bool in_order = false;
        for (std::size_t a = first; a < end; ++a) {
            if (!lead) lead = state.accumulators[a].halving();
            in_order = in_order || state.accumulators[a].needs_order();
        }
        const Halving halvings[] = {lead.value_or(Halving::real),
                                    lead == Halving::complex ? Halving::real : Halving::complex};
        for (std::size_t a = first; a < end; ++a) {
            Accumulator& acc = state.accumulators[a];
            acc.start(cut_of(acc.halving().value_or(halvings[0])));
        }
        for (const Halving halving : halvings) {
            const RowChunks& cut = cut_of(halving);
            const bool writes_outputs = halving == halvings[0];
            if (!writes_outputs && std::none_of(state.accumulators.begin() + static_cast<std::ptrdiff_t>(first),
                                                state.accumulators.begin() + static_cast<std::ptrdiff_t>(end),
                                                [&](const Accumulator& acc) { return acc.cut() == &cut; }))
                continue;
            const std::ptrdiff_t chunks = cut.count();
            // A sequential sum takes its chunks in row order: not split among threads.
            if (threads <= 1 || chunks < 2 || in_order) {
                for (std::ptrdiff_t c = 0; c < chunks; ++c)
                    run_chunk(stage, base, state, buffers, first, cut, writes_outputs, c);
            } else {
                parallel_for(
                    threads, chunks, [&] { return ChunkBuffers(plan_); },
                    [&](ChunkBuffers& mine, std::ptrdiff_t c) {
                        run_chunk(stage, base, state, mine, first, cut, writes_outputs, c);
                    });
            }
        }
        for (std::size_t k = 0; k < stage.outputs.size(); ++k)
            if (stage.outputs[k].kind == StageOutput::reduce_into_table)
                state.accumulators[accumulator++].finish(state.slot(stage.outputs[k].index));
    }

    // The elements of chunk c of `cut` in one pass: the partials set of the reductions that follow
    // this cut, the vector outputs written if writes_outputs (else to scratch).
    void run_chunk(const Stage& stage, char* const* base, RowState& state, ChunkBuffers& buffers, std::size_t first,
                   const RowChunks& cut, bool writes_outputs, std::ptrdiff_t c) {
        const auto [args, steps] = operands_for(stage);
        bind_inputs(stage, base, state, args, steps);
        const std::size_t n_in = stage.inputs.size();
        const std::ptrdiff_t j0 = cut.bounds[static_cast<std::size_t>(c)],
                             j1 = cut.bounds[static_cast<std::size_t>(c) + 1];
        std::size_t a = first;
        for (std::size_t k = 0; k < stage.outputs.size(); ++k) {
            const StageOutput& out = stage.outputs[k];
            if (out.kind == StageOutput::vector_output && writes_outputs) {
                args[n_in + k] = base[plan_.nin + out.index];
                steps[n_in + k] = core_step_[static_cast<std::size_t>(plan_.nin + out.index)];
            } else if (out.kind == StageOutput::vector_output) {
                args[n_in + k] = buffers.scratch(k) - j0 * largest_itemsize;  // element j0 at its start, as below
                steps[n_in + k] = largest_itemsize;
            } else {
                // The chunk buffer, shifted so that element j0 lands at its start.
                const auto size = static_cast<std::ptrdiff_t>(ir::itemsize(out.value_dtype));
                args[n_in + k] = buffers.buffers[a].data() - j0 * size;
                steps[n_in + k] = size;
                ++a;
            }
        }
        run_serial(*stage.program, args, steps, j0, j1);
        a = first;
        for (std::size_t k = 0; k < stage.outputs.size(); ++k)
            if (stage.outputs[k].kind == StageOutput::reduce_into_table) {
                if (state.accumulators[a].cut() == &cut)
                    state.accumulators[a].set_chunk(c, j0, buffers.buffers[a].data(), j1 - j0);
                ++a;
            }
    }

    const GufuncPlan& plan_;
    char* const* args_;
    std::ptrdiff_t n_;
    const std::ptrdiff_t* steps_;
    std::vector<std::ptrdiff_t> core_step_;
    RowChunks real_cut_, complex_cut_;  // the chunks of every row, along each halving
};

}  // namespace

bool run_gufunc(const GufuncPlan& plan, char* const* args, const std::ptrdiff_t* dims,
                const std::ptrdiff_t* steps) noexcept {
    try {
        const std::ptrdiff_t rows = dims[0];
        if (rows <= 0) return true;
        const std::ptrdiff_t n = std::max<std::ptrdiff_t>(dims[1], 1);
        const double work = static_cast<double>(rows) * static_cast<double>(n) * plan.cost_per_element;
        const ThreadGrant grant(work >= get_parallel_threshold_ns() ? get_num_threads() : 1);
        if (run_short_rows(plan, args, dims, steps, chunk, grant.threads())) return true;
        RowRunner runner(plan, args, dims, steps);
        const int threads = static_cast<int>(std::min<std::ptrdiff_t>(grant.threads(), rows));
        if (threads <= 1) {
            // Few long rows: split each row's chunks among the threads instead.
            const int row_threads = dims[1] >= 4 * chunk ? grant.threads() : 1;
            RowState state(plan);
            ChunkBuffers buffers(plan);
            for (std::ptrdiff_t r = 0; r < rows; ++r) runner.run_row(r, state, buffers, row_threads);
            return true;
        }
        struct Thread {
            RowState state;
            ChunkBuffers buffers;
        };
        parallel_for(
            threads, rows, [&] { return Thread{RowState(plan), ChunkBuffers(plan)}; },
            [&](Thread& t, std::ptrdiff_t r) { runner.run_row(r, t.state, t.buffers); });
        return true;
    } catch (...) {
        return false;  // out of memory, as run()
    }
}

}  // namespace ik::eval
