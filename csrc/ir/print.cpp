// The printer: one stable line per node, used by ik.explain and golden tests.
#include <cstdio>

#include "graph.hpp"

namespace ik::ir {
namespace {

std::string scalar_text(DType t, const Scalar& v) {
    char buf[64];
    switch (t) {
        case DType::float32:
            std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v.as<float>()));
            return buf;
        case DType::float64:
            std::snprintf(buf, sizeof buf, "%.17g", v.as<double>());
            return buf;
        case DType::bool_:
            return v.bytes[0] ? "True" : "False";
        case DType::float16:
            std::snprintf(buf, sizeof buf, "0x%04x (float16 bits)", static_cast<unsigned>(v.as<std::uint16_t>()));
            return buf;
        case DType::complex64:
            std::snprintf(buf, sizeof buf, "(%.9g%+.9gj)", static_cast<double>(v.as<std::complex<float>>().real()),
                          static_cast<double>(v.as<std::complex<float>>().imag()));
            return buf;
        case DType::complex128:
            std::snprintf(buf, sizeof buf, "(%.17g%+.17gj)", v.as<std::complex<double>>().real(),
                          v.as<std::complex<double>>().imag());
            return buf;
        case DType::uint64:
            return std::to_string(v.as<std::uint64_t>());
        case DType::int8:
            return std::to_string(v.as<std::int8_t>());
        case DType::uint8:
            return std::to_string(v.as<std::uint8_t>());
        case DType::int16:
            return std::to_string(v.as<std::int16_t>());
        case DType::uint16:
            return std::to_string(v.as<std::uint16_t>());
        case DType::int32:
            return std::to_string(v.as<std::int32_t>());
        case DType::uint32:
            return std::to_string(v.as<std::uint32_t>());
        case DType::int64:
            return std::to_string(v.as<std::int64_t>());
        case DType::count:
        case DType::unknown:
            break;
    }
    return "?";
}

}  // namespace

std::string to_string(const Graph& g) {
    std::string out;
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = g.nodes[i];
        out += "%" + std::to_string(i) + " = " + std::string(info(n.op).name);
        if (n.op == Op::input) out += " #" + std::to_string(n.value.as<std::int32_t>());
        if (n.op == Op::constant) out += " " + scalar_text(n.dtype, n.value);
        for (int k = 0; k < n.arity(); ++k)
            out += (k ? ", %" : " %") + std::to_string(n.args[static_cast<std::size_t>(k)]);
        out += " : " + std::string(dtype_name(n.dtype)) + "\n";
    }
    out += "return";
    for (std::size_t k = 0; k < g.outputs.size(); ++k) out += (k ? ", %" : " %") + std::to_string(g.outputs[k]);
    out += "\n";
    return out;
}

}  // namespace ik::ir
