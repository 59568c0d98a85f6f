// The IR: a flat, topologically ordered DAG of typed nodes, deduplicated on insertion.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "dtype.hpp"
#include "op.hpp"

namespace ik::ir {

// Raised for malformed graphs (bad bytes, wrong arity, inconsistent dtypes); maps to ValueError.
struct InvalidGraph : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Raw bytes of one element of any dtype (little-endian, as in memory).
struct Scalar {
    std::array<std::uint8_t, 16> bytes{};

    template <class T>
    static Scalar of(T value) {
        static_assert(sizeof(T) <= 16);
        Scalar s;
        std::memcpy(s.bytes.data(), &value, sizeof(T));
        return s;
    }
    template <class T>
    T as() const {
        T value;
        std::memcpy(&value, bytes.data(), sizeof(T));
        return value;
    }
    bool operator==(const Scalar&) const = default;
};

struct Node {
    Op op = Op::constant;
    DType dtype = DType::unknown;
    std::array<std::int32_t, 3> args{-1, -1, -1};  // indices of earlier nodes; unused ones are -1
    Scalar value;  // constant: the value in dtype's bytes (compared by bits: -0.0 != 0.0);
                   // input: the input's position as int32; otherwise zero

    int arity() const { return info(op).arity; }
    bool operator==(const Node&) const = default;
};

struct Graph {
    int n_inputs = 0;
    std::vector<Node> nodes;
    std::vector<std::int32_t> outputs;  // node indices, one per ufunc output
};

// Builds a graph with common subexpressions merged: adding a node equal to an existing one
// returns the existing index. Every graph-producing pass goes through it, so CSE is built in.
class GraphBuilder {
   public:
    explicit GraphBuilder(int n_inputs) { graph_.n_inputs = n_inputs; }
    std::int32_t add(const Node& node);
    std::int32_t input(int position, DType dtype);
    std::int32_t constant(DType dtype, Scalar value);
    const Node& node(std::int32_t index) const { return graph_.nodes[index]; }
    void add_output(std::int32_t index) { graph_.outputs.push_back(index); }
    Graph finish() { return std::move(graph_); }

   private:
    struct NodeHash {
        std::size_t operator()(const Node& n) const;
    };
    Graph graph_;
    std::unordered_map<Node, std::int32_t, NodeHash> index_of_;
};

// Checks every invariant of a typed graph; throws InvalidGraph naming the first violation.
void verify(const Graph& graph);

// One stable line per node, for ik.explain and golden tests.
std::string to_string(const Graph& graph);

// The versioned byte format that crosses from Python into C++ (and is fuzzed).
constexpr std::uint16_t ir_format_version = 1;
// The first bytes of the IR byte format (serialize.cpp).
inline constexpr char ir_magic[4] = {'I', 'K', 'I', 'R'};
std::string serialize(const Graph& graph);
Graph deserialize(const std::string& bytes);  // verifies; throws InvalidGraph

}  // namespace ik::ir
