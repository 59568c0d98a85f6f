// Lowering: places every node in the region where it is needed (lazy where branches), assigns
// registers and resolves kernels.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <string_view>

#include "passes.hpp"
#include "eval/direct.hpp"

namespace ik::passes {

using eval::Instr;
using eval::InstrKind;
using eval::Program;
using eval::Region;
using ir::Graph;
using ir::Node;
using ir::Op;

namespace {

class Lowering {
   public:
    explicit Lowering(const Graph& g) : g_(g), region_of_(g.nodes.size(), -1), home_(g.nodes.size(), -1) {}

    Program run() {
        p_.n_inputs = g_.n_inputs;
        p_.graph = g_;
        p_.regions.push_back(Region{});
        p_.chunked = true;  // until an instruction without a chunk kernel is emitted
        find_flag_free();
        place_nodes();
        p_.input_registers.assign(static_cast<std::size_t>(g_.n_inputs), -1);
        p_.input_dtypes.assign(static_cast<std::size_t>(g_.n_inputs), ir::DType::float64);
        for (std::size_t i = 0; i < g_.nodes.size(); ++i)
            if (region_of_[i] >= 0) emit(static_cast<std::int32_t>(i));
        for (auto o : g_.outputs) p_.output_registers.push_back(home_[static_cast<std::size_t>(o)]);
        if (chains_enabled()) form_chains();
        if (p_.chunked && runs_chains_only(p_.regions[0])) p_.chunk = eval::chain_chunk_size;
        assign_slots();
        choose_block_size();
        return std::move(p_);
    }

   private:
    // Regions form a tree; region_of_[node] is the deepest region containing every use of the node.
    std::int32_t common_ancestor(std::int32_t a, std::int32_t b) const {
        if (a < 0) return b;
        while (depth(a) > depth(b)) a = p_.regions[static_cast<std::size_t>(a)].parent;
        while (depth(b) > depth(a)) b = p_.regions[static_cast<std::size_t>(b)].parent;
        while (a != b) {
            a = p_.regions[static_cast<std::size_t>(a)].parent;
            b = p_.regions[static_cast<std::size_t>(b)].parent;
        }
        return a;
    }
    int depth(std::int32_t r) const {
        int d = 0;
        for (; r > 0; r = p_.regions[static_cast<std::size_t>(r)].parent) ++d;
        return d;
    }
    std::int32_t new_region(std::int32_t parent) {
        Region r;
        r.parent = parent;
        p_.regions.push_back(r);
        return static_cast<std::int32_t>(p_.regions.size() - 1);
    }
    void use(std::int32_t node, std::int32_t region) {
        auto& r = region_of_[static_cast<std::size_t>(node)];
        r = common_ancestor(r, region);
    }

    // Ops that raise no floating-point flag for any operand (quiet comparisons raise invalid for
    // a signaling NaN only, as NumPy's own do), on real or bool operands.
    static bool raises_no_flag(Op op) {
        switch (op) {
            case Op::input: case Op::constant: case Op::where:
            case Op::negative: case Op::positive: case Op::absolute: case Op::copysign:
            case Op::greater: case Op::greater_equal: case Op::less: case Op::less_equal: case Op::equal: case Op::not_equal:
            case Op::logical_and: case Op::logical_or: case Op::logical_xor: case Op::logical_not:
            case Op::isnan: case Op::isinf: case Op::isfinite: case Op::signbit:
                return true;
            default:
                return false;
        }
    }

    // flag_free_[node]: the node and everything it is computed from raise no flag. A where branch
    // of such a value is computed on every lane instead of lazily: there is no flag to keep from
    // unselected lanes, these ops cost less than sorting lanes, and the where can then join a
    // chain as a select (np.where(x < lo, lo, np.where(x > hi, hi, x)) is one chain).
    // Also from_constants_[node], for place_nodes.
    void find_flag_free() {
        flag_free_.assign(g_.nodes.size(), false);
        for (std::size_t i = 0; i < g_.nodes.size(); ++i) {
            const Node& n = g_.nodes[i];
            bool free = raises_no_flag(n.op) && !ir::is_complex(n.dtype);
            for (int k = 0; k < n.arity() && free; ++k) {
                const auto arg = static_cast<std::size_t>(n.args[static_cast<std::size_t>(k)]);
                free = flag_free_[arg] && !ir::is_complex(g_.nodes[arg].dtype);
            }
            flag_free_[i] = free;
        }
        from_constants_.assign(g_.nodes.size(), false);
        for (std::size_t i = 0; i < g_.nodes.size(); ++i) {
            const Node& n = g_.nodes[i];
            bool constant = n.op != Op::input && n.op != Op::where && n.arity() > 0;
            for (int k = 0; k < n.arity() && constant; ++k) {
                const auto arg = static_cast<std::size_t>(n.args[static_cast<std::size_t>(k)]);
                constant = g_.nodes[arg].op == Op::constant || from_constants_[arg];
            }
            from_constants_[i] = constant;
        }
    }

    // Uses are visited before definitions (reverse topological order), so a node's region is
    // final when the node itself is visited.
    void place_nodes() {
        for (auto o : g_.outputs) use(o, 0);
        for (std::size_t i = g_.nodes.size(); i-- > 0;) {
            const Node& n = g_.nodes[i];
            const std::int32_t here = region_of_[i];
            if (here < 0) continue;
            if (n.op == Op::input || n.op == Op::constant) {
                region_of_[i] = 0;  // loaded or filled for the whole block
                continue;
            }
            if (from_constants_[i]) {
                // Folding left an op of constants only because it raises a flag: the cast of a
                // Python number that overflows the loop's dtype. NumPy converts that number
                // before its loop, on every call, whatever lanes a where selects; so here too.
                region_of_[i] = 0;
                for (int k = 0; k < n.arity(); ++k) use(n.args[static_cast<std::size_t>(k)], 0);
                continue;
            }
            if (n.op == Op::where) {
                const std::int32_t t = new_region(here), f = new_region(here);
                branch_regions_[static_cast<std::int32_t>(i)] = {t, f};
                use(n.args[0], here);
                use(n.args[1], flag_free_[static_cast<std::size_t>(n.args[1])] ? here : t);
                use(n.args[2], flag_free_[static_cast<std::size_t>(n.args[2])] ? here : f);
                continue;
            }
            for (int k = 0; k < n.arity(); ++k) use(n.args[static_cast<std::size_t>(k)], here);
        }
    }

    std::int32_t new_register(ir::DType t) {
        p_.registers.push_back({t});
        return static_cast<std::int32_t>(p_.registers.size() - 1);
    }

    // The register holding `node` as seen from `region`: its home, or an import chained through
    // the enclosing regions.
    std::int32_t reg_in(std::int32_t region, std::int32_t node) {
        if (region_of_[static_cast<std::size_t>(node)] == region) return home_[static_cast<std::size_t>(node)];
        auto key = std::make_pair(region, node);
        if (auto it = imported_.find(key); it != imported_.end()) return it->second;
        const std::int32_t outer = reg_in(p_.regions[static_cast<std::size_t>(region)].parent, node);
        const std::int32_t inner = new_register(g_.nodes[static_cast<std::size_t>(node)].dtype);
        auto& r = p_.regions[static_cast<std::size_t>(region)];
        r.imports_outer.push_back(outer);
        r.imports_inner.push_back(inner);
        imported_[key] = inner;
        return inner;
    }

    void emit(std::int32_t i) {
        const Node& n = g_.nodes[static_cast<std::size_t>(i)];
        const std::int32_t region = region_of_[static_cast<std::size_t>(i)];
        const std::int32_t dst = home_[static_cast<std::size_t>(i)] = new_register(n.dtype);
        const double cost = 0.1 * ir::info(n.op).cost;
        p_.cost_per_element += cost;
        for (std::int32_t r = region; r >= 0; r = p_.regions[static_cast<std::size_t>(r)].parent)
            p_.regions[static_cast<std::size_t>(r)].cost += cost;
        switch (n.op) {
            case Op::input:
                p_.input_registers[static_cast<std::size_t>(n.value.as<std::int32_t>())] = dst;
                p_.input_dtypes[static_cast<std::size_t>(n.value.as<std::int32_t>())] = n.dtype;
                return;
            case Op::constant:
                p_.constants.emplace_back(dst, n.value);
                return;
            case Op::where: {
                Instr w;
                w.kind = InstrKind::where;
                w.op = n.op;
                w.dst = dst;
                w.src[0] = reg_in(region, n.args[0]);
                const auto [t, f] = branch_regions_.at(i);
                const std::int32_t branch_region[2] = {t, f};
                for (int k = 0; k < 2; ++k) {
                    const std::int32_t value = n.args[static_cast<std::size_t>(k + 1)];
                    if (region_of_[static_cast<std::size_t>(value)] == branch_region[k]) {
                        // The branch has code of its own: evaluate it only on the lanes that select it.
                        w.region[k] = branch_region[k];
                        p_.regions[static_cast<std::size_t>(branch_region[k])].result = home_[static_cast<std::size_t>(value)];
                    } else {
                        w.src[k + 1] = reg_in(region, value);
                    }
                }
                w.where_index = p_.n_where++;
                p_.regions[static_cast<std::size_t>(region)].code.push_back(w);
                return;
            }
            case Op::cast:
            default: {
                Instr c;
                c.op = n.op;
                c.dst = dst;
                const ir::DType operand = g_.nodes[static_cast<std::size_t>(n.args[0])].dtype;
                const ir::DType second = n.arity() > 1 ? g_.nodes[static_cast<std::size_t>(n.args[1])].dtype : n.dtype;
                c.kernel = eval::kernel_for(n.op, n.dtype, operand, second);
                c.chunk = eval::chunk_kernel_for(n.op, n.dtype, operand, second);
                if (!c.chunk) p_.chunked = false;
                if (!c.kernel)
                    throw eval::NoKernel("ironkernel has no " + std::string(ir::info(n.op).name) + " kernel for " +
                                           std::string(ir::dtype_name(operand)));
                for (int k = 0; k < n.arity(); ++k) c.src[k] = reg_in(region, n.args[static_cast<std::size_t>(k)]);
                p_.regions[static_cast<std::size_t>(region)].code.push_back(c);
                return;
            }
        }
    }

    // IK_CHAINS=0: no fused chains (tests and comparisons).
    static bool chains_enabled() {
        static const bool enabled = [] {
            const char* env = std::getenv("IK_CHAINS");
            return !(env && std::string_view(env) == "0");
        }();
        return enabled;
    }

    static bool chain_compare(Op op, eval::ChainCompare& out) {
        switch (op) {
            case Op::greater: out = eval::ChainCompare::greater; return true;
            case Op::greater_equal: out = eval::ChainCompare::greater_equal; return true;
            case Op::less: out = eval::ChainCompare::less; return true;
            case Op::less_equal: out = eval::ChainCompare::less_equal; return true;
            case Op::equal: out = eval::ChainCompare::equal; return true;
            case Op::not_equal: out = eval::ChainCompare::not_equal; return true;
            default: return false;
        }
    }

    ir::DType dtype(std::int32_t r) const { return p_.registers[static_cast<std::size_t>(r)].dtype; }

    // A comparison a select step can compute in registers: quiet, of two operands of dtype t.
    bool is_chain_comparison(const Instr& c, ir::DType t) const {
        eval::ChainCompare compare;
        return c.kind == InstrKind::compute && chain_compare(c.op, compare) && dtype(c.src[0]) == t && dtype(c.src[1]) == t;
    }

    static bool chain_op(Op op, eval::ChainOp& out) {
        switch (op) {
            case Op::add: out = eval::ChainOp::add; return true;
            case Op::subtract: out = eval::ChainOp::subtract; return true;
            case Op::multiply: out = eval::ChainOp::multiply; return true;
            case Op::divide: out = eval::ChainOp::divide; return true;
            case Op::negative: out = eval::ChainOp::negative; return true;
            case Op::absolute: out = eval::ChainOp::absolute; return true;
            case Op::square: out = eval::ChainOp::square; return true;
            case Op::sqrt: out = eval::ChainOp::sqrt; return true;
            case Op::exp: out = eval::ChainOp::exp; return true;  // where chain_inlines: see fusible
            case Op::sin: out = eval::ChainOp::sin; return true;
            default: return false;
        }
    }

    // Fuses float ops that each consume the result of another, which nothing else reads, into
    // chain instructions (ChainKernel): the intermediate values then live in vector registers
    // instead of a block register each. A value whose one reader can extend it is held back and
    // emitted at that reader, fused with it: nothing between them reads it, and its operands are
    // computed before it, so moving it down keeps every instruction after its operands.
    void form_chains() {
        std::vector<int> uses(p_.registers.size(), 0);
        auto count = [&](std::int32_t r) {
            if (r >= 0) ++uses[static_cast<std::size_t>(r)];
        };
        for (const Region& region : p_.regions) {
            for (const Instr& in : region.code)
                for (auto r : in.src) count(r);
            for (auto r : region.imports_outer) count(r);
            count(region.result);
        }
        for (auto r : p_.output_registers) count(r);
        for (Region& region : p_.regions) {
            std::map<std::int32_t, std::size_t> reader;      // register -> the first instruction reading it
            std::map<std::int32_t, std::size_t> definition;  // register -> the instruction writing it
            for (std::size_t i = region.code.size(); i-- > 0;) {
                definition[region.code[i].dst] = i;
                for (auto r : region.code[i].src)
                    if (r >= 0) reader[r] = i;
            }
            // The comparison computing a where's condition, if the where can be a select step:
            // both values at hand, the condition read by nothing else, operands of the where's dtype.
            auto condition_of = [&](const Instr& w) -> const Instr* {
                if (w.kind != InstrKind::where || w.region[0] >= 0 || w.region[1] >= 0 || w.src[1] == w.src[2] ||
                    uses[static_cast<std::size_t>(w.src[0])] != 1 || dtype(w.src[1]) != dtype(w.dst) || dtype(w.src[2]) != dtype(w.dst))
                    return nullptr;
                const auto d = definition.find(w.src[0]);
                if (d == definition.end()) return nullptr;  // an import: computed in the parent region
                const Instr& c = region.code[d->second];
                return is_chain_comparison(c, dtype(w.dst)) ? &c : nullptr;
            };
            auto fusible = [&](const Instr& in) {
                eval::ChainOp op = eval::ChainOp::none;
                if (!eval::find_chain_kernel(dtype(in.dst))) return false;
                if (in.kind == InstrKind::where) return condition_of(in) != nullptr;
                return in.kind == InstrKind::compute && chain_op(in.op, op) && dtype(in.src[0]) == dtype(in.dst) &&
                       (!eval::is_inline_math(op) || eval::chain_inlines(in.op, dtype(in.dst)));
            };
            // Reads r as a value to compute with (for a where: a branch value, not the condition).
            auto reads_value = [](const Instr& in, std::int32_t r) {
                return in.kind == InstrKind::where ? in.src[1] == r || in.src[2] == r : in.src[0] == r || in.src[1] == r;
            };
            std::vector<std::int32_t> absorbed;  // conditions now computed inside select steps
            std::map<std::size_t, std::vector<Instr>> held;  // reader index -> values held back for it
            std::vector<Instr> code;
            for (std::size_t i = 0; i < region.code.size(); ++i) {
                Instr in = region.code[i];
                std::vector<Instr> waiting;
                if (auto it = held.find(i); it != held.end()) waiting = std::move(it->second);
                if (fusible(in)) {
                    // A square root's chain goes on before the other values `in` reads: a bare
                    // math op among them (sin(x) in sqrt(a) + sin(x)) then becomes the root's
                    // side (absorb_math), computed while the root is in the divider.
                    std::stable_partition(waiting.begin(), waiting.end(), [](const Instr& w) {
                        return w.kind == InstrKind::chain && w.chain_steps.back().op == eval::ChainOp::sqrt;
                    });
                    for (auto w = waiting.begin(); w != waiting.end(); ++w) {
                        if (!reads_value(in, w->dst) || w->chain_steps.size() >= eval::max_chain_steps) continue;
                        Instr chain = std::move(*w);
                        waiting.erase(w);
                        extend_chain(chain, in, condition_of, absorbed);
                        absorb_operand(chain, waiting);
                        in = std::move(chain);
                        break;
                    }
                }
                for (Instr& w : waiting) code.push_back(std::move(w));
                const auto r = reader.find(in.dst);
                const bool hold = (fusible(in) || in.kind == InstrKind::chain) && uses[static_cast<std::size_t>(in.dst)] == 1 &&
                                  r != reader.end() && r->second > i && fusible(region.code[r->second]) &&
                                  dtype(region.code[r->second].dst) == dtype(in.dst);
                if (hold) held[r->second].push_back(std::move(in));
                else code.push_back(std::move(in));
            }
            std::erase_if(code, [&](const Instr& in) {
                return std::find(absorbed.begin(), absorbed.end(), in.dst) != absorbed.end();
            });
            region.code = std::move(code);
            absorb_math(region, uses);
            for (Instr& in : region.code)
                if (in.kind == InstrKind::chain) {
                    use_min_max(in);
                    use_multiply_then(in);
                }
            merge_chains(region);
            for (Instr& in : region.code) {
                std::size_t arg = 0;
                for (eval::ChainStep& step : in.chain_steps) {
                    const bool has_operand = in.chain_operands[arg] >= 0;
                    step.code = eval::chain_code(step, has_operand);
                    step.arg = static_cast<std::uint8_t>(arg);
                    arg += eval::chain_arity(step);
                }
                const bool min_max = std::any_of(in.chain_steps.begin(), in.chain_steps.end(), [](const auto& s) { return s.min_max; });
                const bool math = std::any_of(in.chain_steps.begin(), in.chain_steps.end(), [](const auto& s) { return eval::is_inline_math(s.op); });
                if (in.side_math.empty() && !min_max && !math) continue;
                // The same steps without math calls and MIN/MAX, and with exp and sin by their
                // kernels, over the same operands, for the blocked evaluator's exact flags (see
                // Instr::side_math, ChainStep::min_max, ChainOp::exp).
                in.exact_steps = in.chain_steps;
                for (eval::ChainStep& step : in.exact_steps) {
                    step.side = nullptr;
                    step.side_inline = eval::ChainOp::none;
                    step.from_side = false;
                    step.min_max = false;
                    if (eval::is_inline_math(step.op))
                        step.math = reinterpret_cast<eval::ChainRoutine>(
                            eval::find_kernel(step.op == eval::ChainOp::exp ? Op::exp : Op::sin, dtype(in.dst)));
                    step.code = eval::chain_code(step, in.chain_operands[step.arg] >= 0);
                }
            }
        }
        for (Region& region : p_.regions)
            for (Instr& in : region.code) chain_for_chunks(region, in, uses);
    }

    // A where with one lazy branch computed by a single chain, and a condition that is a float
    // comparison nothing else reads, gets a form for chunks (Instr::chain_count): that chain
    // reading the branch's imports from the where's region, then the where as a select step.
    // A chunk the condition splits then runs one pass instead of four (the comparison into
    // bools, counting them, the branch, the blend), and the comparison is skipped in chunks.
    void chain_for_chunks(Region& region, Instr& w, const std::vector<int>& uses) {
        if (w.kind != InstrKind::where || (w.region[0] >= 0) == (w.region[1] >= 0) || uses[static_cast<std::size_t>(w.src[0])] != 1)
            return;
        const int lazy = w.region[0] >= 0 ? 0 : 1;
        const std::int32_t other = w.src[lazy == 0 ? 2 : 1];
        const Region& branch = p_.regions[static_cast<std::size_t>(w.region[lazy])];
        if (branch.code.size() != 1 || branch.code[0].kind != InstrKind::chain || branch.code[0].dst != branch.result ||
            branch.code[0].chain_steps.size() >= eval::max_chain_steps || dtype(other) != dtype(w.dst))
            return;
        const auto condition = std::find_if(region.code.begin(), region.code.end(), [&](const Instr& in) {
            return in.dst == w.src[0] && is_chain_comparison(in, dtype(w.dst));
        });
        if (condition == region.code.end()) return;
        const Instr& chain = branch.code[0];
        w.chain = chain.chain;
        w.chain_count = eval::find_chain_count(dtype(w.dst));
        w.chain_steps = chain.chain_steps;
        w.chain_operands.clear();
        auto outside = [&](std::int32_t r) {  // a register of the branch as the where's region has it
            const auto import = std::find(branch.imports_inner.begin(), branch.imports_inner.end(), r);
            return import == branch.imports_inner.end() ? r : branch.imports_outer[static_cast<std::size_t>(import - branch.imports_inner.begin())];
        };
        for (const std::int32_t r : chain.chain_operands) w.chain_operands.push_back(outside(r));
        w.side_math = chain.side_math;  // for listings: chunks never run the math separately
        for (Instr::SideMath& m : w.side_math) m.src = outside(m.src);
        // where(c, branch, other) keeps the value where c holds (swapped); where(c, other, branch) takes other there.
        eval::ChainStep select{eval::ChainOp::select, lazy == 0};
        chain_compare(condition->op, select.compare);
        select.scalar = is_constant(condition->src[1]) && is_constant(other);
        select.arg = static_cast<std::uint8_t>(w.chain_operands.size());
        select.code = eval::chain_code(select, true);
        w.chain_steps.push_back(select);
        w.chain_operands.insert(w.chain_operands.end(), {condition->src[0], condition->src[1], other});
        condition->chunk_skip = true;
    }

    // Consecutive chains of one dtype become one, with a store step between them (ChainOp::
    // store): the chunked evaluator then runs a tile of each in turn, and their work overlaps
    // (the square root of sqrt(abs(a - d)) in the divider while a * b + c * d runs in the
    // multiply and add units). Chains with math calls stay apart: their exact form runs the
    // calls as instructions before the chain (Instr::side_math).
    void merge_chains(Region& region) const {
        std::vector<Instr> code;
        for (Instr& in : region.code) {
            Instr* before = code.empty() ? nullptr : &code.back();
            if (before && in.kind == InstrKind::chain && before->kind == InstrKind::chain && before->chain == in.chain &&
                in.side_math.empty() && before->side_math.empty() &&
                before->chain_steps.size() + 1 + in.chain_steps.size() <= eval::max_chain_steps) {
                before->chain_steps.push_back({eval::ChainOp::store});
                before->chain_operands.push_back(before->dst);
                before->chain_steps.insert(before->chain_steps.end(), in.chain_steps.begin(), in.chain_steps.end());
                before->chain_operands.insert(before->chain_operands.end(), in.chain_operands.begin(), in.chain_operands.end());
                before->dst = in.dst;
                before->op = in.op;
                continue;
            }
            code.push_back(std::move(in));
        }
        region.code = std::move(code);
    }

    // A math op (sin, exp, ...) whose one reader is a chain step right after a square root
    // becomes a side value of that square root (ChainStep::side): the chunked evaluator then
    // calls it vector by vector inside the chain, overlapped with the square root, instead of in
    // a pass of its own. After a cheap step there is nothing to overlap, and a call per vector
    // from the chain costs more than the pass (measured: logistic, exp after a constant load,
    // 3-7% slower), so math ops stay passes there.
    void absorb_math(Region& region, const std::vector<int>& uses) {
        std::vector<std::int32_t> absorbed;
        for (Instr& chain : region.code) {
            if (chain.kind != InstrKind::chain) continue;
            std::size_t arg = eval::chain_arity(chain.chain_steps[0]);
            for (std::size_t k = 1; k < chain.chain_steps.size(); arg += eval::chain_arity(chain.chain_steps[k]), ++k) {
                eval::ChainStep& step = chain.chain_steps[k];
                eval::ChainStep& before = chain.chain_steps[k - 1];
                const std::int32_t operand = chain.chain_operands[arg];
                const bool binary = step.op == eval::ChainOp::add || step.op == eval::ChainOp::subtract ||
                                    step.op == eval::ChainOp::multiply || step.op == eval::ChainOp::divide;
                if (!binary || before.op != eval::ChainOp::sqrt || before.side || operand < 0 || step.pre != eval::ChainOp::none || step.pair != eval::ChainOp::none || step.scalar ||
                    uses[static_cast<std::size_t>(operand)] != 1)
                    continue;
                const auto math = std::find_if(region.code.begin(), region.code.end(), [&](const Instr& in) {
                    return in.kind == InstrKind::compute && in.dst == operand && in.src[1] < 0 && in.src[0] >= 0 &&
                           dtype(in.src[0]) == dtype(operand);
                });
                if (math == region.code.end()) continue;
                const eval::ChainRoutine routine = eval::find_chain_math(math->op, dtype(operand));
                if (!routine) continue;
                before.side = routine;
                if (eval::chain_inlines(math->op, dtype(operand)))
                    before.side_inline = math->op == Op::exp ? eval::ChainOp::exp : eval::ChainOp::sin;
                step.from_side = true;
                // The side value's input is the last operand of the step before, just before this step's.
                chain.chain_operands.insert(chain.chain_operands.begin() + static_cast<std::ptrdiff_t>(arg), math->src[0]);
                ++arg;
                chain.side_math.push_back({math->op, math->kernel, math->src[0], math->dst});
                absorbed.push_back(operand);
            }
        }
        std::erase_if(region.code, [&](const Instr& in) {
            return in.kind == InstrKind::compute && std::find(absorbed.begin(), absorbed.end(), in.dst) != absorbed.end();
        });
    }

    // If the chain's last step reads a value that an op held in `waiting` computes, the step
    // computes that op itself and the op is dropped: a unary op (or y * y) as the step's pre
    // (x * x + y * y), a binary op as its pair (c * d in a * b + c * d).
    void absorb_operand(Instr& chain, std::vector<Instr>& waiting) {
        eval::ChainStep& step = chain.chain_steps.back();
        const std::int32_t operand = chain.chain_operands.back();
        if (operand < 0 || step.op == eval::ChainOp::select) return;
        for (auto w = waiting.begin(); w != waiting.end(); ++w) {
            if (w->dst != operand || w->kind != InstrKind::compute) continue;
            eval::ChainOp op = eval::ChainOp::none;
            if (w->op == Op::multiply && w->src[0] == w->src[1]) op = eval::ChainOp::square;
            else if (!chain_op(w->op, op) || eval::is_inline_math(op)) continue;  // a step, not a pre
            const bool pair = w->src[1] >= 0 && op != eval::ChainOp::square;
            if (dtype(w->src[0]) != dtype(w->dst) || (pair && dtype(w->src[1]) != dtype(w->dst))) continue;
            chain.chain_operands.back() = w->src[0];
            if (pair) {
                step.pair = op;
                chain.chain_operands.push_back(w->src[1]);
            } else {
                step.pre = op;
                step.scalar = is_constant(w->src[0]);
            }
            waiting.erase(w);
            return;
        }
    }

    // Appends `next`, which reads chain.dst, as a step of `chain`.
    template <class ConditionOf>
    void extend_chain(Instr& chain, const Instr& next, const ConditionOf& condition_of, std::vector<std::int32_t>& absorbed) {
        if (chain.kind != InstrKind::chain) start_chain(chain, condition_of, absorbed);
        if (next.kind == InstrKind::where) {
            // where(c, t, value) keeps the value where c is false: value = c ? t : value; where(c,
            // value, t) the other way round (swapped).
            const bool swapped = next.src[1] == chain.dst;
            append_select(chain, *condition_of(next), swapped ? next.src[2] : next.src[1], swapped, absorbed);
        } else {
            eval::ChainOp op = eval::ChainOp::none;
            chain_op(next.op, op);
            const bool swapped = next.src[1] == chain.dst;
            const std::int32_t operand = swapped ? next.src[0] : next.src[1];
            chain.chain_steps.push_back({op, swapped, eval::ChainOp::none, is_constant(operand)});
            chain.chain_operands.push_back(operand);
        }
        chain.dst = next.dst;
        chain.op = next.op;
    }

    // A select step: value = (a compare b) ? t : value (or value : t when swapped), a and b
    // the operands of the comparison `condition`, which the step computes from now on.
    void append_select(Instr& chain, const Instr& condition, std::int32_t t, bool swapped, std::vector<std::int32_t>& absorbed) {
        eval::ChainStep step{eval::ChainOp::select, swapped};
        step.scalar = is_constant(condition.src[1]) && is_constant(t);
        chain_compare(condition.op, step.compare);
        chain.chain_steps.push_back(step);
        chain.chain_operands.insert(chain.chain_operands.end(), {condition.src[0], condition.src[1], t});
        absorbed.push_back(condition.dst);
    }

    // Selects that keep the smaller or the larger of the chain's value and their b run as
    // MIN/MAX in chunks (ChainStep::min_max) where that gives the select's bits: a strict
    // comparison of the value itself with b, t being b, the value kept where it fails. The
    // value is a itself right after the chain's load of a: where(x > b, b, x) is MIN(b, x). A
    // second select on a clamps the other side: where(x < lo, lo, MIN(hi, x)) is
    // MAX(lo, MIN(hi, x)) for constants lo <= hi, since MIN(hi, x) is below lo exactly where x
    // is (and NaN where x is); the same mirrored.
    void use_min_max(Instr& chain) const {
        std::vector<eval::ChainStep>& steps = chain.chain_steps;
        const std::int32_t a = chain.chain_operands[0];
        if (steps.size() < 2 || steps[0].op != eval::ChainOp::load || steps[0].pre != eval::ChainOp::none || steps[0].scalar)
            return;
        std::size_t arg = eval::chain_arity(steps[0]);
        std::int32_t first_bound = -1;  // the b of the first MIN/MAX step
        for (std::size_t k = 1; k < 3 && k < steps.size(); arg += eval::chain_arity(steps[k]), ++k) {
            eval::ChainStep& step = steps[k];
            const std::int32_t* operands = &chain.chain_operands[arg];  // a, b, t
            if (step.op != eval::ChainOp::select || step.swapped || operands[0] != a || operands[1] != operands[2] ||
                (step.compare != eval::ChainCompare::greater && step.compare != eval::ChainCompare::less))
                return;
            if (k == 2) {
                const eval::ChainStep& first = steps[1];
                const bool upper_first = first.compare == eval::ChainCompare::greater;  // MIN(hi, x), then lo
                if (first.compare == step.compare || !first.scalar || !step.scalar ||
                    !(upper_first ? constant_value(operands[1]) <= constant_value(first_bound)
                                  : constant_value(first_bound) <= constant_value(operands[1])))
                    return;
            }
            step.min_max = true;
            first_bound = operands[1];
        }
    }

    // A multiply step followed by an add or subtract of a constant becomes one step that does
    // both (ChainStep::then): the two steps' operands, x and the constant, are already in the
    // order the joined step reads them.
    void use_multiply_then(Instr& chain) const {
        auto plain = [](const eval::ChainStep& s) {  // reads its operand as it is
            return s.pre == eval::ChainOp::none && s.pair == eval::ChainOp::none && !s.side && !s.from_side;
        };
        std::vector<eval::ChainStep>& steps = chain.chain_steps;
        std::size_t arg = eval::chain_arity(steps[0]);
        for (std::size_t k = 1; k + 1 < steps.size(); arg += eval::chain_arity(steps[k]), ++k) {
            eval::ChainStep& step = steps[k];
            const eval::ChainStep& next = steps[k + 1];
            if (step.op != eval::ChainOp::multiply || !plain(step) || chain.chain_operands[arg] < 0 ||
                (next.op != eval::ChainOp::add && next.op != eval::ChainOp::subtract) || !plain(next) || !next.scalar)
                continue;
            step.then = next.op;
            step.then_swapped = next.swapped;
            steps.erase(steps.begin() + static_cast<std::ptrdiff_t>(k) + 1);
        }
    }

    // r's entry among the program's constants, or their end.
    auto find_constant(std::int32_t r) const {
        return std::find_if(p_.constants.begin(), p_.constants.end(), [&](const auto& c) { return c.first == r; });
    }

    // A constant register's value (chains are of float32 or float64).
    double constant_value(std::int32_t r) const {
        const auto c = find_constant(r);
        return dtype(r) == ir::DType::float32 ? c->second.as<float>() : c->second.as<double>();
    }

    // Whether r is a constant register: one value for every lane, which a chain reads once.
    bool is_constant(std::int32_t r) const { return find_constant(r) != p_.constants.end(); }

    // A compute instruction as a chain: a load of its first operand, then its op. A where as a
    // chain: a load of the value it keeps where its condition is false, then a select.
    template <class ConditionOf>
    void start_chain(Instr& in, const ConditionOf& condition_of, std::vector<std::int32_t>& absorbed) {
        const Instr source = in;
        in.kind = InstrKind::chain;
        in.chain = eval::find_chain_kernel(dtype(in.dst));
        in.kernel = nullptr;
        in.chunk = nullptr;
        in.src[0] = in.src[1] = in.src[2] = -1;
        in.region[0] = in.region[1] = -1;
        if (source.kind == InstrKind::where) {
            in.chain_steps = {{eval::ChainOp::load, false, eval::ChainOp::none, is_constant(source.src[2])}};
            in.chain_operands = {source.src[2]};
            append_select(in, *condition_of(source), source.src[1], false, absorbed);
            return;
        }
        eval::ChainOp op = eval::ChainOp::none;
        chain_op(source.op, op);
        in.chain_steps = {{eval::ChainOp::load, false, eval::ChainOp::none, is_constant(source.src[0])},
                          {op, false, eval::ChainOp::none, is_constant(source.src[1])}};
        in.chain_operands = {source.src[0], source.src[1]};
    }

    // Registers of the root region share scratch slots when their lifetimes do not overlap, so a
    // block's working set is the live values, not every value. A where's result may alias its
    // branch values, which therefore stay live as long as the result. Inputs, constants, outputs
    // and registers of lazy regions keep slots of their own.
    void assign_slots() {
        const auto& code = p_.regions[0].code;
        const std::size_t n_regs = p_.registers.size();
        constexpr std::size_t forever = ~std::size_t(0);
        std::vector<std::size_t> last_use(n_regs, forever), defined_at(n_regs, forever);
        std::vector<bool> shareable(n_regs, false);
        for (std::size_t i = 0; i < code.size(); ++i) {
            defined_at[static_cast<std::size_t>(code[i].dst)] = i;
            shareable[static_cast<std::size_t>(code[i].dst)] = true;
        }
        for (auto r : p_.output_registers) shareable[static_cast<std::size_t>(r)] = false;
        auto uses = [&](std::int32_t r, std::size_t i) {
            if (r >= 0 && (last_use[static_cast<std::size_t>(r)] == forever || last_use[static_cast<std::size_t>(r)] < i))
                last_use[static_cast<std::size_t>(r)] = i;
        };
        for (std::size_t i = 0; i < code.size(); ++i) {
            for (auto r : code[i].src) uses(r, i);
            for (auto r : code[i].chain_operands) uses(r, i);
            for (auto region : code[i].region)
                if (region >= 0)
                    for (auto r : p_.regions[static_cast<std::size_t>(region)].imports_outer) uses(r, i);
        }
        for (std::size_t i = 0; i < code.size(); ++i) uses(code[i].dst, i);  // written, maybe never read
        // A where's result may alias a branch value, or (through a region's imports) any root
        // register a lazy branch reads: those live as long as the result.
        for (std::size_t i = code.size(); i-- > 0;) {
            if (code[i].kind != InstrKind::where) continue;
            const std::size_t until = last_use[static_cast<std::size_t>(code[i].dst)];
            auto extend = [&](std::int32_t r) {
                if (r >= 0) last_use[static_cast<std::size_t>(r)] = std::max(last_use[static_cast<std::size_t>(r)], until);
            };
            extend(code[i].src[1]);
            extend(code[i].src[2]);
            for (auto region : code[i].region)
                if (region >= 0)
                    for (auto r : p_.regions[static_cast<std::size_t>(region)].imports_outer) extend(r);
        }
        // Registers not in the root's code (inputs, constants, lazy-region values) get own slots.
        auto new_slot = [&](std::size_t size) {
            p_.slot_itemsize.push_back(size);
            return static_cast<std::int32_t>(p_.slot_itemsize.size() - 1);
        };
        // Registers fused away into chains are never read or written: no memory of their own.
        std::vector<bool> referenced(n_regs, false);
        auto reference = [&](std::int32_t r) {
            if (r >= 0) referenced[static_cast<std::size_t>(r)] = true;
        };
        for (const Region& region : p_.regions) {
            for (const Instr& in : region.code) {
                reference(in.dst);
                for (auto r : in.src) reference(r);
                for (auto r : in.chain_operands) reference(r);
            }
            for (auto r : region.imports_outer) reference(r);
            for (auto r : region.imports_inner) reference(r);
            reference(region.result);
        }
        for (auto r : p_.input_registers) reference(r);
        for (const auto& constant : p_.constants) reference(constant.first);
        for (auto r : p_.output_registers) reference(r);
        for (std::size_t r = 0; r < n_regs; ++r)
            if (!shareable[r] && referenced[r]) p_.registers[r].slot = new_slot(ir::itemsize(p_.registers[r].dtype));
        std::vector<std::int32_t> free_slots;
        std::vector<bool> released(n_regs, false);
        for (std::size_t i = 0; i < code.size(); ++i) {
            // Operands whose last use is this instruction free their slot for its result: kernels
            // read element k before writing element k, so a result may overwrite an operand.
            // (An operand used twice, as in copysign(x, x), is released once.)
            auto release = [&](std::int32_t r) {
                if (r >= 0 && shareable[static_cast<std::size_t>(r)] && last_use[static_cast<std::size_t>(r)] == i &&
                    p_.registers[static_cast<std::size_t>(r)].slot >= 0 && code[i].kind != InstrKind::where &&
                    !released[static_cast<std::size_t>(r)]) {
                    released[static_cast<std::size_t>(r)] = true;
                    free_slots.push_back(p_.registers[static_cast<std::size_t>(r)].slot);
                }
            };
            for (auto r : code[i].src) release(r);
            for (auto r : code[i].chain_operands) release(r);
            auto& dst = p_.registers[static_cast<std::size_t>(code[i].dst)];
            if (shareable[static_cast<std::size_t>(code[i].dst)]) {
                const std::size_t size = ir::itemsize(dst.dtype);
                auto it = std::find_if(free_slots.begin(), free_slots.end(),
                                       [&](std::int32_t k) { return p_.slot_itemsize[static_cast<std::size_t>(k)] == size; });
                if (it != free_slots.end()) {
                    dst.slot = *it;
                    free_slots.erase(it);
                } else {
                    dst.slot = new_slot(size);
                }
            }
            // Operands of a where are freed after it.
            if (code[i].kind == InstrKind::where)
                for (auto r : code[i].src)
                    if (r >= 0 && shareable[static_cast<std::size_t>(r)] && last_use[static_cast<std::size_t>(r)] == i &&
                        !released[static_cast<std::size_t>(r)]) {
                        released[static_cast<std::size_t>(r)] = true;
                        free_slots.push_back(p_.registers[static_cast<std::size_t>(r)].slot);
                    }
            if (last_use[static_cast<std::size_t>(code[i].dst)] == i && shareable[static_cast<std::size_t>(code[i].dst)] &&
                !released[static_cast<std::size_t>(code[i].dst)]) {
                released[static_cast<std::size_t>(code[i].dst)] = true;
                free_slots.push_back(dst.slot);
            }
        }
        for (std::size_t r = 0; r < n_regs; ++r)
            if (!referenced[r]) p_.registers[r].slot = 0;  // never touched; any valid memory
    }

    // Whether a chunk of this region runs chains only (see eval::chain_chunk_size): chain
    // instructions, comparisons skipped in chunks, and wheres with a form for chunks whose
    // branches (run alone on uniform chunks) do the same.
    bool runs_chains_only(const Region& region) const {
        for (const Instr& in : region.code) {
            if (in.kind == InstrKind::chain || in.chunk_skip) continue;
            if (in.kind != InstrKind::where || !in.chain) return false;
            for (const std::int32_t r : in.region)
                if (r >= 0 && !runs_chains_only(p_.regions[static_cast<std::size_t>(r)])) return false;
        }
        return true;
    }

    // Blocks as large as possible while all slots of one block fit in about half of L2... of
    // L1-sized working sets: measured best around 32 KiB of live data on this class of CPU.
    void choose_block_size() {
        std::size_t bytes_per_element = 0;
        for (auto size : p_.slot_itemsize) bytes_per_element += size;
        constexpr std::size_t budget = 48 * 1024;
        std::ptrdiff_t block = static_cast<std::ptrdiff_t>(budget / std::max<std::size_t>(bytes_per_element, 1));
        // A chunk runs in a block's scratch memory: a program that runs in chunks has blocks of
        // at least one chunk.
        block = std::clamp<std::ptrdiff_t>(block, p_.chunked ? p_.chunk : 256, 4096) / 64 * 64;
        if (const char* env = std::getenv("IK_BLOCK")) block = std::max(16L, std::atol(env));
        p_.block = block;
    }

    const Graph& g_;
    Program p_;
    std::vector<std::int32_t> region_of_, home_;
    std::vector<bool> flag_free_;
    std::vector<bool> from_constants_;  // an op (not a where) computed from constants only
    std::map<std::int32_t, std::pair<std::int32_t, std::int32_t>> branch_regions_;
    std::map<std::pair<std::int32_t, std::int32_t>, std::int32_t> imported_;
};

}  // namespace

Program lower(const Graph& graph) { return Lowering(graph).run(); }

Program compile(const Graph& graph) {
    ir::verify(graph);
    Program program = lower(remove_dead(simplify(fold_constants(simplify(graph)))));
    program.direct = eval::find_direct_form(program);
    return program;
}

}  // namespace ik::passes
