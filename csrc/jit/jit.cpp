// The JIT: compiles a graph's code for each stride-0 pattern at the widest step that fits (the
// Assembler: analysis.cpp, assembler.cpp, loop.cpp, the emitter table emitters_x86.cpp), and maps
// the code read+execute (W^X). Adapted from the prototype benchmarks/prototypes/jit_xbyak.cpp
// (measured there: 1.1-1.5x the interpreter at 1e5, 50 µs to compile).
#include "jit.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "assembler.hpp"
#include "simd/dispatch.hpp"

namespace ik::jit {

using ir::Op;

namespace {

// Copies the code into pages of its own, read+write, then read+execute only (W^X). Null when the
// system refuses (SELinux execmem, PaX): the interpreter runs the program instead.
std::shared_ptr<const void> map_code(const std::vector<std::uint8_t>& code) {
    const long page = sysconf(_SC_PAGESIZE);
    const std::size_t size = code.size();
    const std::size_t bytes =
        (size + static_cast<std::size_t>(page) - 1) / static_cast<std::size_t>(page) * static_cast<std::size_t>(page);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    std::memcpy(p, code.data(), size);
    if (mprotect(p, bytes, PROT_READ | PROT_EXEC) != 0) {
        munmap(p, bytes);
        return nullptr;
    }
    return std::shared_ptr<const void>(p, [bytes](const void* q) { munmap(const_cast<void*>(q), bytes); });
}

// The longest chain of dependent ops: past 20, 8 vectors per step hide the latency better than 4
// (the prototype's measurements); shorter bodies gain nothing from 8.
int chain_depth(const ir::Graph& g) {
    std::vector<int> depth(g.nodes.size(), 0);
    int deepest = 0;
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        for (int k = 0; k < g.nodes[i].arity(); ++k)
            depth[i] = std::max(depth[i], depth[static_cast<std::size_t>(g.nodes[i].args[k])] + 1);
        deepest = std::max(deepest, depth[i]);
    }
    return deepest;
}

// The stride-0 patterns a program gets code for (bit i: input i of stride 0), besides none: each
// input alone (a Python scalar or a broadcast row beside arrays), and with at most 3 inputs every
// combination. The code of each pattern costs a few kB and a fraction of the compile time.
std::vector<std::uint32_t> stride0_patterns(const ir::Graph& g) {
    std::uint32_t inputs = 0;
    for (const ir::Node& n : g.nodes)
        if (n.op == Op::input && n.value.as<std::int32_t>() < max_inputs) inputs |= 1u << n.value.as<std::int32_t>();
    std::vector<std::uint32_t> patterns;
    if (std::popcount(inputs) <= 3) {
        for (std::uint32_t m = inputs; m; m = (m - 1) & inputs) patterns.push_back(m);  // every non-empty subset
        std::reverse(patterns.begin(), patterns.end());
    } else {
        for (std::uint32_t m = inputs; m; m &= m - 1) patterns.push_back(std::uint32_t{1} << std::countr_zero(m));
    }
    return patterns;
}

// The code of one pattern at the widest step whose values fit the registers (fewer vectors per
// step otherwise), appended to `code` at a 64-byte boundary: its offset there, or -1 when the
// JIT does not cover it. Throws xbyak's errors (code too big, a bad encoding).
std::ptrdiff_t append_kernel(const ir::Graph& graph, ir::DType dtype, std::uint32_t stride0_inputs,
                             std::vector<std::uint8_t>& code, int& unroll, int& instructions) {
    for (unroll = chain_depth(graph) > 20 ? 8 : 4; unroll >= 1; unroll /= 2) {
        Assembler a(graph, dtype, unroll, stride0_inputs);
        if (!a.build()) continue;
        const std::size_t offset = (code.size() + 63) / 64 * 64;
        code.resize(offset);
        code.insert(code.end(), a.getCode(), a.getCode() + a.getSize());
        instructions = a.instructions();
        return static_cast<std::ptrdiff_t>(offset);
    }
    return -1;
}

}  // namespace

std::string uncovered_op(const ir::Graph& graph) {
    for (const ir::Node& n : graph.nodes)
        if (const EmitterRow row = emitter_row(n.op); !row.emit && row.fallback)
            return std::string(ir::info(n.op).name) + ": " + row.fallback;
    return "";
}

bool cpu_supported() {
    static const bool supported = simd::chosen_isa() >= simd::Isa::avx512;  // F, DQ, BW, VL and BMI2
    return supported;
}

std::optional<eval::JitCode> compile(const ir::Graph& graph) {
    const auto start = std::chrono::steady_clock::now();
    if (!cpu_supported() || graph.outputs.size() != 1) return std::nullopt;
    const ir::DType dtype = graph.nodes[static_cast<std::size_t>(graph.outputs[0])].dtype;
    if (dtype != ir::DType::float64 && dtype != ir::DType::float32) return std::nullopt;
    try {
        // Every pattern's code in one mapping: each is position-independent (rip-relative
        // constants after its code, relative jumps).
        std::vector<std::uint8_t> code;
        eval::JitCode jit;
        const std::ptrdiff_t contiguous = append_kernel(graph, dtype, 0, code, jit.unroll, jit.instructions);
        if (contiguous < 0) return std::nullopt;
        std::vector<std::pair<std::uint32_t, std::ptrdiff_t>> offsets;
        for (const std::uint32_t pattern : stride0_patterns(graph)) {
            int unroll = 0, instructions = 0;
            const std::ptrdiff_t offset = append_kernel(graph, dtype, pattern, code, unroll, instructions);
            if (offset >= 0) offsets.push_back({pattern, offset});
        }
        std::shared_ptr<const void> pages = map_code(code);
        if (!pages) return std::nullopt;
        const auto* base = static_cast<const std::uint8_t*>(pages.get());
        auto function_at = [&](std::ptrdiff_t offset) {
            return reinterpret_cast<eval::JitCode::Function>(const_cast<std::uint8_t*>(base + offset));
        };
        jit.function = function_at(contiguous);
        for (const auto& [pattern, offset] : offsets) jit.broadcast.push_back({pattern, function_at(offset)});
        jit.checks_flags = std::any_of(graph.nodes.begin(), graph.nodes.end(),
                                       [](const ir::Node& n) { return emitter_row(n.op).calls; });
        jit.pages = std::move(pages);
        jit.dtype = dtype;
        jit.code_bytes = code.size();
        jit.compile_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
        return jit;
    } catch (...) {  // xbyak's errors (code too big, a bad encoding), std::bad_alloc: no JIT for this program
        return std::nullopt;
    }
}

}  // namespace ik::jit
