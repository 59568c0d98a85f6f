// Lowering, region placement: every node goes to the region where it is needed (lazy where branches).
#include "lowering.hpp"

namespace ik::passes {

using ir::Node;
using ir::Op;

namespace {

// Regions form a tree (Region::parent); a node lives in the deepest region containing every use.
class Placement {
   public:
    explicit Placement(Lowering& lowering) : l_(lowering), regions_(lowering.program.regions) {}

    // Uses are visited before definitions (reverse topological order), so a node's region is
    // final when the node itself is visited.
    void run() {
        const ir::Graph& g = l_.graph;
        std::vector<std::int32_t>& region_of = l_.region_of;
        for (auto o : g.outputs) use(o, 0);
        for (std::size_t i = g.nodes.size(); i-- > 0;) {
            const Node& n = g.nodes[i];
            const std::int32_t here = region_of[i];
            if (here < 0) continue;
            if (n.op == Op::input || n.op == Op::constant) {
                region_of[i] = 0;  // loaded or filled for the whole block
                continue;
            }
            if (l_.from_constants[i]) {
                // Folding left an op of constants only because it raises a flag: the cast of a
                // Python number that overflows the loop's dtype. NumPy converts that number
                // before its loop, on every call, whatever lanes a where selects; so here too.
                region_of[i] = 0;
                for (int k = 0; k < n.arity(); ++k) use(n.args[static_cast<std::size_t>(k)], 0);
                continue;
            }
            if (n.op == Op::where) {
                const std::int32_t t = new_region(here), f = new_region(here);
                l_.branch_regions[static_cast<std::int32_t>(i)] = {t, f};
                use(n.args[0], here);
                use(n.args[1], l_.flag_free[static_cast<std::size_t>(n.args[1])] ? here : t);
                use(n.args[2], l_.flag_free[static_cast<std::size_t>(n.args[2])] ? here : f);
                continue;
            }
            for (int k = 0; k < n.arity(); ++k) use(n.args[static_cast<std::size_t>(k)], here);
        }
    }

   private:
    std::int32_t parent(std::int32_t r) const { return regions_[static_cast<std::size_t>(r)].parent; }
    int depth(std::int32_t r) const {
        int d = 0;
        for (; r > 0; r = parent(r)) ++d;
        return d;
    }
    std::int32_t common_ancestor(std::int32_t a, std::int32_t b) const {
        if (a < 0) return b;
        while (depth(a) > depth(b)) a = parent(a);
        while (depth(b) > depth(a)) b = parent(b);
        while (a != b) {
            a = parent(a);
            b = parent(b);
        }
        return a;
    }
    std::int32_t new_region(std::int32_t parent) {
        eval::Region r;
        r.parent = parent;
        regions_.push_back(r);
        return static_cast<std::int32_t>(regions_.size() - 1);
    }
    void use(std::int32_t node, std::int32_t region) {
        auto& r = l_.region_of[static_cast<std::size_t>(node)];
        r = common_ancestor(r, region);
    }

    Lowering& l_;
    std::vector<eval::Region>& regions_;
};

}  // namespace

// Reads: the graph, flag_free, from_constants. Writes: region_of, branch_regions, and the
// program's regions (the tree, without code).
// A where's branches get a region each, run on the lanes that select them: a branch is computed,
// and warns, only where it is selected (the results and warnings of a lazy element-wise where).
// A flag-free branch value and the condition stay in the where's own region.
void place_in_regions(Lowering& lowering) { Placement(lowering).run(); }

}  // namespace ik::passes
