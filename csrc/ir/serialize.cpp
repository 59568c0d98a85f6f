// The versioned byte format of a typed graph: what Python hands to C++.
//   "IKIR" u16 version, u16 n_inputs, u16 n_outputs, u32 n_nodes,
//   per node: u8 op, u8 dtype, i32 operand x arity, then constant: itemsize bytes | input: u16 position
//   per output: u32 node index.    All integers little-endian.
#include <cstring>

#include "graph.hpp"

namespace ik::ir {
namespace {

class Writer {
   public:
    template <class T>
    void put(T v) {
        char buf[sizeof(T)];
        std::memcpy(buf, &v, sizeof(T));
        out.append(buf, sizeof(T));
    }
    std::string out;
};

class Reader {
   public:
    explicit Reader(const std::string& s) : data_(s) {}
    template <class T>
    T get() {
        if (data_.size() - pos_ < sizeof(T)) throw InvalidGraph("invalid IR: truncated");
        T v;
        std::memcpy(&v, data_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    void get_bytes(std::uint8_t* dst, std::size_t n) {
        if (data_.size() - pos_ < n) throw InvalidGraph("invalid IR: truncated");
        std::memcpy(dst, data_.data() + pos_, n);
        pos_ += n;
    }
    bool at_end() const { return pos_ == data_.size(); }

   private:
    const std::string& data_;
    std::size_t pos_ = 0;
};

}  // namespace

std::string serialize(const Graph& graph) {
    Writer w;
    w.out.append(ir_magic, sizeof ir_magic);
    w.put<std::uint16_t>(ir_format_version);
    w.put<std::uint16_t>(static_cast<std::uint16_t>(graph.n_inputs));
    w.put<std::uint16_t>(static_cast<std::uint16_t>(graph.outputs.size()));
    w.put<std::uint32_t>(static_cast<std::uint32_t>(graph.nodes.size()));
    for (const Node& n : graph.nodes) {
        w.put<std::uint8_t>(static_cast<std::uint8_t>(n.op));
        w.put<std::uint8_t>(static_cast<std::uint8_t>(n.dtype));
        for (int k = 0; k < n.arity(); ++k) w.put<std::int32_t>(n.args[static_cast<std::size_t>(k)]);
        if (n.op == Op::constant) w.out.append(reinterpret_cast<const char*>(n.value.bytes.data()), itemsize(n.dtype));
        if (n.op == Op::input) w.put<std::uint16_t>(static_cast<std::uint16_t>(n.value.as<std::int32_t>()));
    }
    for (auto o : graph.outputs) w.put<std::uint32_t>(static_cast<std::uint32_t>(o));
    return w.out;
}

Graph deserialize(const std::string& bytes) {
    Reader r(bytes);
    char m[4];
    for (char& c : m) c = r.get<char>();
    if (std::memcmp(m, ir_magic, sizeof ir_magic) != 0) throw InvalidGraph("invalid IR: not ironkernel IR bytes");
    const auto version = r.get<std::uint16_t>();
    if (version != ir_format_version)
        throw InvalidGraph("invalid IR: format version " + std::to_string(version) + ", this build reads " +
                           std::to_string(ir_format_version));
    Graph g;
    g.n_inputs = r.get<std::uint16_t>();
    const auto n_outputs = r.get<std::uint16_t>();
    const auto n_nodes = r.get<std::uint32_t>();
    if (n_nodes > bytes.size()) throw InvalidGraph("invalid IR: node count exceeds the data");
    g.nodes.reserve(n_nodes);
    for (std::uint32_t i = 0; i < n_nodes; ++i) {
        Node n;
        n.op = static_cast<Op>(r.get<std::uint8_t>());
        n.dtype = static_cast<DType>(r.get<std::uint8_t>());
        if (!is_valid(n.op)) throw InvalidGraph("invalid IR at node " + std::to_string(i) + ": unknown op");
        if (!is_valid(n.dtype)) throw InvalidGraph("invalid IR at node " + std::to_string(i) + ": unknown dtype");
        for (int k = 0; k < n.arity(); ++k) n.args[static_cast<std::size_t>(k)] = r.get<std::int32_t>();
        if (n.op == Op::constant) r.get_bytes(n.value.bytes.data(), itemsize(n.dtype));
        if (n.op == Op::input) n.value = Scalar::of<std::int32_t>(r.get<std::uint16_t>());
        g.nodes.push_back(n);
    }
    for (std::uint16_t i = 0; i < n_outputs; ++i)
        g.outputs.push_back(static_cast<std::int32_t>(r.get<std::uint32_t>()));
    if (!r.at_end()) throw InvalidGraph("invalid IR: trailing bytes");
    verify(g);
    return g;
}

}  // namespace ik::ir
