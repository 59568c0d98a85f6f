// libFuzzer target: any bytes through the IR deserialiser, and every graph it accepts through the
// printer, the optimiser and the evaluator, as ik._core.compile and a call of the ufunc would.
// Bytes may be refused only with ir::InvalidGraph (ValueError in Python) or, for a well-formed
// graph asking for an op at a dtype ironkernel has no kernel for, eval::NoKernel
// (NotImplementedError). Anything else (a sanitizer report, another exception, a hang) is a bug.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "eval/threads/parallel.hpp"
#include "ir/graph.hpp"
#include "passes/passes.hpp"

namespace {

using namespace ik;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_deserialize: %s\n", what);
    std::abort();
}

// n elements of dtype t made of the fuzz bytes (any bits are a valid number; bool is 0 or 1, as
// in every NumPy bool array).
std::vector<unsigned char> elements(ir::DType t, std::size_t n, const std::uint8_t* data, std::size_t size) {
    std::vector<unsigned char> buffer(n * ir::itemsize(t) + 1);
    for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = size ? data[(i * 7 + 3) % size] : 0;
    if (t == ir::DType::bool_)
        for (auto& b : buffer) b &= 1;
    return buffer;
}

// Runs the program over n elements, contiguous or with every input broadcast (stride 0).
void run(const eval::Program& p, const std::uint8_t* data, std::size_t size, bool broadcast) {
    constexpr std::ptrdiff_t n = 67;  // more than a SIMD vector, not a multiple of one
    std::vector<std::vector<unsigned char>> buffers;
    std::vector<char*> args;
    std::vector<std::ptrdiff_t> steps;
    for (int i = 0; i < p.n_inputs; ++i) {
        const ir::DType t = p.input_dtypes[static_cast<std::size_t>(i)];
        buffers.push_back(elements(t, n, data, size));
        steps.push_back(broadcast ? 0 : static_cast<std::ptrdiff_t>(ir::itemsize(t)));
    }
    for (const std::int32_t reg : p.output_registers) {
        const ir::DType t = p.registers[static_cast<std::size_t>(reg)].dtype;
        buffers.emplace_back(static_cast<std::size_t>(n) * ir::itemsize(t));
        steps.push_back(static_cast<std::ptrdiff_t>(ir::itemsize(t)));
    }
    for (auto& b : buffers) args.push_back(reinterpret_cast<char*>(b.data()));
    eval::run(p, args.data(), steps.data(), n);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    ir::Graph graph;
    try {
        graph = ir::deserialize(bytes);
    } catch (const ir::InvalidGraph&) {
        return 0;
    }
    // One spelling per graph: what was read writes back as the same bytes.
    if (ir::serialize(graph) != bytes) fail("serialize(deserialize(bytes)) != bytes");
    (void)ir::to_string(graph);
    eval::Program program;
    try {
        program = passes::compile(graph);
    } catch (const eval::NoKernel&) {
        return 0;
    }
    (void)eval::to_string(program);
    run(program, data, size, false);
    run(program, data, size, true);
    return 0;
}
