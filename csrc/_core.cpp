// The Python binding: the only pybind11 file. A few functions, no logic.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "eval/threads/parallel.hpp"
#include "eval/kernels/kernels.hpp"
#include "eval/gufunc/gufunc_plan.hpp"
#include "eval/gufunc/make_plan.hpp"
#include "eval/gufunc/reduce.hpp"
#include "eval/threads/thread_pool.hpp"
#include "ir/dtype.hpp"
#include "ir/graph.hpp"
#include "passes/passes.hpp"
#include "simd/math.hpp"
#include "ufunc/make_ufunc.hpp"

namespace py = pybind11;
using ProgramHandle = std::shared_ptr<ik::eval::Program>;

namespace {

ProgramHandle compile(const py::bytes& ir_bytes) {
    const ik::ir::Graph graph = ik::ir::deserialize(std::string(ir_bytes));
    return std::make_shared<ik::eval::Program>(ik::passes::compile(graph));
}

// The loop maker of a kernel: `maker(key)` (a tuple of ints, see CallKey) returns the loop's type
// numbers and its program (or gufunc plan), or raises the body's error for these dtypes.
template <class Handle>
ik::ufunc::LoopMaker python_loop_maker(py::object maker, int nargs) {
    return [maker = std::move(maker), nargs](const ik::ufunc::CallKey& key) -> std::optional<ik::ufunc::Loop> {
        try {
            const auto [types, handle] = maker(py::tuple(py::cast(key))).cast<std::pair<std::vector<int>, Handle>>();
            if (types.size() != static_cast<std::size_t>(nargs) || !handle)
                throw py::value_error("bad loop from the loop maker");
            ik::ufunc::Loop loop{types, nullptr, nullptr};
            if constexpr (std::is_same_v<Handle, ProgramHandle>)
                loop.program = handle;
            else
                loop.plan = handle;
            return loop;
        } catch (py::error_already_set& e) {
            e.restore();
        } catch (const std::exception& e) {
            PyErr_SetString(PyExc_RuntimeError, e.what());
        }
        return std::nullopt;
    };
}

py::object register_ufunc(const ik::ufunc::UfuncSpec& spec) {
    PyObject* u = ik::ufunc::make_ufunc(spec);
    if (!u) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(u);
}

py::object make_ufunc(const std::string& name, const std::string& doc, int nin, int nout, py::object identity,
                      py::object loop_maker, const py::bytes& payload) {
    return register_ufunc({name,
                           doc,
                           nin,
                           nout,
                           identity.is_none() ? nullptr : identity.ptr(),
                           python_loop_maker<ProgramHandle>(loop_maker, nin + nout),
                           loop_maker.ptr(),
                           payload,
                           {}});
}

using PlanHandle = std::shared_ptr<ik::eval::GufuncPlan>;

using StageTuple =
    std::tuple<bool, ProgramHandle, std::vector<std::pair<int, int>>, std::vector<std::tuple<int, int, int>>>;

// A gufunc plan from the tuples _gufunc.py makes; eval/gufunc/make_plan.hpp says what they hold.
PlanHandle make_plan(int nin, int nout, std::vector<bool> input_has_core, std::vector<bool> output_has_core,
                     std::vector<int> table, std::vector<int> input_slot, std::vector<int> output_slot, int length_slot,
                     const std::vector<StageTuple>& stages) {
    ik::eval::PlanSpec spec{nin,
                            nout,
                            std::move(input_has_core),
                            std::move(output_has_core),
                            std::move(table),
                            std::move(input_slot),
                            std::move(output_slot),
                            length_slot,
                            {}};
    for (const auto& [pass, program, inputs, outputs] : stages) spec.stages.push_back({pass, program, inputs, outputs});
    return ik::eval::make_plan(spec);
}

py::object make_gufunc(const std::string& name, const std::string& doc, int nin, int nout, const std::string& signature,
                       py::object loop_maker, const py::bytes& payload,
                       std::vector<std::pair<std::string, double>> row_warnings) {
    return register_ufunc({name, doc, nin, nout, nullptr, python_loop_maker<PlanHandle>(loop_maker, nin + nout),
                           loop_maker.ptr(), payload, signature, std::move(row_warnings)});
}

py::object payload_of(py::handle ufunc) {
    const std::string* payload = ik::ufunc::payload_of(ufunc.ptr());
    if (!payload) return py::none();
    return py::bytes(*payload);
}

std::vector<std::tuple<std::string, int, std::string, std::string>> op_table() {
    std::vector<std::tuple<std::string, int, std::string, std::string>> out;
    for (const auto& info : ik::ir::op_infos)
        out.emplace_back(std::string(info.name), info.arity,
                         info.result == ik::ir::ResultType::bool_   ? "bool"
                         : info.result == ik::ir::ResultType::real  ? "real"
                         : info.result == ik::ir::ResultType::int32 ? "int32"
                                                                    : "same",
                         info.accuracy == ik::ir::Accuracy::exact ? "exact" : "math");
    return out;
}

}  // namespace

// The numbers Python must agree on with the core, read from here (no Python copy of any of them):
// the IR's dtype codes, magic and version, the gufunc plan's kinds and reductions, the call-key
// codes of the type resolver, and the version the extension was built as (checked at import).
void export_numbers(py::module_& m) {
    py::dict dtype_codes;
#define IK_X(name, ctype, code, size) dtype_codes[py::str(#name)] = static_cast<int>(ik::ir::DType::name);
    IK_DTYPES(IK_X)
#undef IK_X
    m.attr("dtype_codes") = dtype_codes;
    m.attr("ir_magic") = py::bytes(ik::ir::ir_magic, sizeof ik::ir::ir_magic);
    m.attr("ir_version") = ik::ir::ir_format_version;
    py::dict reductions;
#define IK_X(name) reductions[py::str(#name)] = static_cast<int>(ik::eval::Reduce::name);
    IK_REDUCTIONS(IK_X)
#undef IK_X
    m.attr("reductions") = reductions;
    m.attr("stage_input_kinds") =
        py::dict(py::arg("vector_input") = static_cast<int>(ik::eval::StageInput::vector_input),
                 py::arg("table") = static_cast<int>(ik::eval::StageInput::table));
    m.attr("stage_output_kinds") =
        py::dict(py::arg("reduce_into_table") = static_cast<int>(ik::eval::StageOutput::reduce_into_table),
                 py::arg("table") = static_cast<int>(ik::eval::StageOutput::table),
                 py::arg("vector_output") = static_cast<int>(ik::eval::StageOutput::vector_output));
    m.attr("call_key_codes") =
        py::dict(py::arg("weak_int") = ik::ufunc::weak_int, py::arg("weak_float") = ik::ufunc::weak_float,
                 py::arg("weak_complex") = ik::ufunc::weak_complex, py::arg("no_operand") = ik::ufunc::no_operand,
                 py::arg("not_fixed") = ik::ufunc::not_fixed);
    m.attr("version") = IK_VERSION;
}

PYBIND11_MODULE(_core, m) {
    m.doc() = "ironkernel's C++ core: compile typed IR, register ufuncs, control threads.";
    if (!ik::ufunc::init_numpy()) throw py::error_already_set();

    py::register_exception<ik::ir::InvalidGraph>(m, "InvalidIRError", PyExc_ValueError);
    py::register_exception<ik::eval::NoKernel>(m, "NoKernelError", PyExc_NotImplementedError);
    py::register_exception<ik::eval::InvalidPlan>(m, "InvalidPlanError", PyExc_ValueError);

    py::class_<ik::eval::Program, ProgramHandle>(m, "Program")
        .def("__str__", [](const ik::eval::Program& p) { return ik::eval::to_string(p); })
        .def_property_readonly("graph", [](const ik::eval::Program& p) { return ik::ir::to_string(p.graph); })
        .def_property_readonly("cost_per_element", [](const ik::eval::Program& p) { return p.cost_per_element; });

    py::class_<ik::eval::GufuncPlan, PlanHandle>(m, "GufuncPlan")
        .def_property_readonly("stages", [](const ik::eval::GufuncPlan& p) {
            // (is a pass, program, what each program input reads, where each output goes) per
            // stage, for ik.explain.
            std::vector<std::tuple<bool, ProgramHandle, std::vector<std::string>, std::vector<std::string>>> out;
            for (const auto& s : p.stages)
                out.emplace_back(s.pass, std::const_pointer_cast<ik::eval::Program>(s.program),
                                 ik::eval::describe_inputs(s), ik::eval::describe_outputs(s));
            return out;
        });
    m.def("make_plan", &make_plan);
    m.def("make_gufunc", &make_gufunc, py::arg("name"), py::arg("doc"), py::arg("nin"), py::arg("nout"),
          py::arg("signature"), py::arg("loop_maker"), py::arg("payload"), py::arg("row_warnings"));
    m.def(
        "plans_of",
        [](py::handle u) {
            std::vector<PlanHandle> out;
            for (const auto& p : ik::ufunc::plans_of(u.ptr()))
                out.push_back(std::const_pointer_cast<ik::eval::GufuncPlan>(p));
            return out;
        },
        py::arg("ufunc"));
    m.def("compile", &compile, py::arg("ir"), "Verify, optimise and lower serialised typed IR to a program.");
    m.def("make_ufunc", &make_ufunc, py::arg("name"), py::arg("doc"), py::arg("nin"), py::arg("nout"),
          py::arg("identity"), py::arg("loop_maker"), py::arg("payload"));
    m.def("payload_of", &payload_of, py::arg("ufunc"), "The pickling payload of an ironkernel ufunc, else None.");
    m.def(
        "programs_of",
        [](py::handle u) {
            std::vector<ProgramHandle> out;
            for (const auto& p : ik::ufunc::programs_of(u.ptr()))
                out.push_back(std::const_pointer_cast<ik::eval::Program>(p));
            return out;
        },
        py::arg("ufunc"));
    m.def(
        "loop_maker_of",
        [](py::handle u) -> py::object {
            PyObject* maker = ik::ufunc::maker_object_of(u.ptr());
            return maker ? py::reinterpret_borrow<py::object>(maker) : py::none();
        },
        py::arg("ufunc"), "The Python loop maker of an ironkernel kernel, else None.");
    m.def("loop_types_of", [](py::handle u) { return ik::ufunc::loop_types_of(u.ptr()); }, py::arg("ufunc"));
    m.def(
        "loop_types_for",
        [](py::handle u, const ik::ufunc::CallKey& key) {
            auto types = ik::ufunc::loop_types_for(u.ptr(), key);
            if (!types) throw py::error_already_set();
            return *types;
        },
        py::arg("ufunc"), py::arg("key"), "The type numbers of the loop a call with this key runs (made if new).");
    m.def("op_table", &op_table, "(name, arity, result, accuracy) for every op, in op-number order.");
    m.def("ir_format_version", [] { return ik::ir::ir_format_version; });
    export_numbers(m);
    m.def("set_num_threads", &ik::eval::set_num_threads, py::arg("n"));
    m.def("get_num_threads", &ik::eval::get_num_threads);
    m.def("get_requested_threads", &ik::eval::get_requested_threads);
    m.def("set_parallel_threshold_ns", &ik::eval::set_parallel_threshold_ns, py::arg("ns"));
    m.def("get_parallel_threshold_ns", &ik::eval::get_parallel_threshold_ns);
    m.def(
        "pool_statistics",
        [] {
            const auto& s = ik::eval::pool_statistics();
            return py::dict(py::arg("offered") = s.offered.load(), py::arg("unhelped") = s.unhelped.load(),
                            py::arg("withheld") = s.withheld.load(), py::arg("crowded") = s.crowded.load());
        },
        "Counts of what the thread pool did with threaded calls (eval/threads/thread_pool.hpp: PoolStatistics).");
    m.def("simd_isa", [] { return std::string(ik::simd::math_table().isa); });
    m.def("kernel_isa", [] { return std::string(ik::eval::kernel_isa()); });
    m.def("jit_status", &ik::passes::jit_status);
    m.def(
        "set_signals_underflow",
        [](const std::string& name, bool is_f32, bool signals) {
#define IK_X(f) \
    if (name == #f) return ik::simd::set_signals_underflow(ik::simd::Unary::f, is_f32, signals);
            IK_SIMD_UNARY_FUNCTIONS(IK_X)
#undef IK_X
            throw py::value_error("no vector math function named " + name);
        },
        py::arg("name"), py::arg("is_f32"), py::arg("signals"),
        "Whether NumPy's loop of this function and dtype signals underflow for a vanishing result.");
    m.def("set_numpy_sum_block", &ik::eval::set_numpy_sum_block, py::arg("block"),
          "The length of NumPy's buffers in a row's sum (0: the whole row, as NumPy 2).");
    m.def("unary_math_functions", [] {
        return std::vector<std::string>{
#define IK_X(f) #f,
            IK_SIMD_UNARY_FUNCTIONS(IK_X)
#undef IK_X
        };
    });

    // ops.def's columns beyond op_table's, and what the core has for each op: the tests derive
    // their lists from these and check that every op has a kernel, a flag rule and a test row.
    m.def(
        "op_facts",
        [] {
            static constexpr const char* flags[] = {"none",   "some",     "invalid",
                                                    "divide", "overflow", "divide_or_overflow"};
            static constexpr const char* chain[] = {"step", "select", "no"};
            std::vector<py::dict> out;
            for (int k = 0; k < ik::ir::op_count; ++k) {
                const auto op = static_cast<ik::ir::Op>(k);
                const ik::ir::OpInfo& info = ik::ir::info(op);
                std::vector<std::string> kernel_dtypes;
#define IK_X(name, ...)                                            \
    if (ik::eval::find_kernel(op, ik::ir::DType::name) != nullptr) \
        kernel_dtypes.emplace_back(ik::ir::dtype_name(ik::ir::DType::name));
                IK_DTYPES(IK_X)
#undef IK_X
                std::string math_table;
#define IK_X(f) \
    if (op == ik::ir::Op::f) math_table = "unary";
                IK_SIMD_UNARY_FUNCTIONS(IK_X)
#undef IK_X
#define IK_X(f) \
    if (op == ik::ir::Op::f) math_table = "binary";
                IK_SIMD_BINARY_FUNCTIONS(IK_X)
#undef IK_X
                py::dict row;
                row["name"] = std::string(info.name);
                row["flags"] = flags[static_cast<int>(info.flags)];
                row["underflow"] = info.underflow;
                row["chain"] = chain[static_cast<int>(info.chain)];
                row["math_table"] = math_table;
                row["libm"] = std::string(info.libm);
                row["kernel_dtypes"] = kernel_dtypes;
                out.push_back(row);
            }
            return out;
        },
        "ops.def's flags, underflow, chain and libm columns per op, its math table (unary, binary or ''), "
        "and the dtypes find_kernel has a kernel for, in op-number order.");
    m.def(
        "result_dtypes",
        [] {
            std::vector<py::dict> out;
            for (int k = 0; k < ik::ir::op_count; ++k) {
                py::dict row;
#define IK_X(name, ...)                                    \
    row[py::int_(static_cast<int>(ik::ir::DType::name))] = \
        static_cast<int>(ik::ir::result_dtype(static_cast<ik::ir::Op>(k), ik::ir::DType::name));
                IK_DTYPES(IK_X)
#undef IK_X
                out.push_back(row);
            }
            return out;
        },
        "Per op, in op-number order: {operand dtype code: result dtype code} for every dtype, by ops.def's "
        "result column (ir::result_dtype), which the IR verifier applies too.");
}
