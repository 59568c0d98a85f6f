// Every field of the programs the pipeline makes from recorded graphs, as text: with
// tools/program_listings.py (whose listings leave out slots, step codes and the exact forms), it
// shows that a change to the passes makes the same programs. Function pointers are shown as
// set or not (their addresses differ between builds). Build against a build directory B:
//   g++ -std=c++20 -O1 -Icsrc tools/program_dump.cpp -o program_dump \
//       -Wl,--start-group B/libik_core.a B/csrc/simd/libik_simd.a -Wl,--end-group -fopenmp -lmvec
//   ./program_dump graphs.txt > dump.txt   (graphs.txt: program_listings.py record's hex lines)
#include <fstream>
#include <iostream>
#include <string>

#include "eval/program.hpp"
#include "ir/graph.hpp"
#include "passes/passes.hpp"

namespace {

using namespace ik;

std::string set(const void* p) { return p ? "set" : "null"; }
template <class F>
std::string set(F* f) {
    return f ? "set" : "null";
}

void dump_steps(const char* name, const std::vector<eval::ChainStep>& steps, std::ostream& out) {
    out << "    " << name << ":";
    for (const eval::ChainStep& s : steps)
        out << " [op" << int(s.op) << " sw" << s.swapped << " pre" << int(s.pre) << " sc" << s.scalar << " cmp"
            << int(s.compare) << " fs" << s.from_side << " pair" << int(s.pair) << " code" << int(s.code) << " arg"
            << int(s.arg) << " side" << set(s.side) << " si" << int(s.side_inline) << " mm" << s.min_max << " then"
            << int(s.then) << " ts" << s.then_swapped << " math" << set(s.math) << "]";
    out << "\n";
}

void dump(const eval::Program& p, std::ostream& out) {
    out << "n_inputs " << p.n_inputs << " n_where " << p.n_where << " cost " << p.cost_per_element << " block "
        << p.block << " chunked " << p.chunked << " chunk " << p.chunk << "\nregisters:";
    for (const eval::Register& r : p.registers) out << " " << int(r.dtype) << "@" << r.slot;
    out << "\nslots:";
    for (auto s : p.slot_itemsize) out << " " << s;
    out << "\ninputs:";
    for (std::size_t i = 0; i < p.input_registers.size(); ++i)
        out << " " << p.input_registers[i] << ":" << int(p.input_dtypes[i]);
    out << "\noutputs:";
    for (auto r : p.output_registers) out << " " << r;
    out << "\nconstants:";
    for (const auto& [r, value] : p.constants) {
        out << " " << r << "=";
        for (auto b : value.bytes) out << int(b) << ".";
    }
    out << "\ndirect: ";
    if (p.direct)
        out << set(p.direct->kernel) << " arity " << p.direct->arity << " inputs " << p.direct->input[0] << ","
            << p.direct->input[1] << "," << p.direct->input[2] << " constants " << p.direct->constant[0] << ","
            << p.direct->constant[1] << "," << p.direct->constant[2];
    else
        out << "none";
    out << "\n";
    for (std::size_t k = 0; k < p.regions.size(); ++k) {
        const eval::Region& r = p.regions[k];
        out << "region " << k << " parent " << r.parent << " result " << r.result << " cost " << r.cost << " imports";
        for (std::size_t i = 0; i < r.imports_inner.size(); ++i)
            out << " " << r.imports_outer[i] << "->" << r.imports_inner[i];
        out << "\n";
        for (const eval::Instr& in : r.code) {
            out << "  kind" << int(in.kind) << " op" << int(in.op) << " kernel " << set(in.kernel) << " chunk "
                << set(in.chunk) << " dst " << in.dst << " src " << in.src[0] << "," << in.src[1] << "," << in.src[2]
                << " region " << in.region[0] << "," << in.region[1] << " where_index " << in.where_index
                << " chain_count " << set(in.chain_count) << " chunk_skip " << in.chunk_skip << " chain "
                << set(in.chain) << "\n    operands:";
            for (auto o : in.chain_operands) out << " " << o;
            out << "\n";
            dump_steps("steps", in.chain_steps, out);
            dump_steps("exact", in.exact_steps, out);
            out << "    side_math:";
            for (const auto& m : in.side_math)
                out << " " << int(m.op) << ":" << set(m.kernel) << ":" << m.src << "->" << m.dst;
            out << "\n";
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: program_dump graphs.txt\n";
        return 2;
    }
    std::ifstream in(argv[1]);
    std::string hex;
    for (int n = 0; in >> hex; ++n) {
        std::string bytes;
        for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
            bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        std::cout << "### graph " << n << "\n";
        try {
            dump(passes::compile(ir::deserialize(bytes)), std::cout);
        } catch (const std::exception& e) {
            std::cout << "error " << e.what() << "\n";
        }
    }
    return 0;
}
