// Registering programs as a real NumPy ufunc through the C API (Python and NumPy headers needed).
#pragma once

#include <Python.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eval/gufunc/gufunc.hpp"
#include "eval/program.hpp"

namespace ik::ufunc {

struct Loop {
    std::vector<int> type_nums;                    // NumPy type numbers: nin inputs then nout outputs
    std::shared_ptr<const eval::Program> program;  // element-wise ufuncs
    std::shared_ptr<const eval::GufuncPlan> plan;  // gufuncs (signature set)
};

// What a call passed, as the key of its loop: per operand (inputs, then outputs) its NumPy type
// number, or a weak Python scalar's code below (inputs only), or `no_operand`; then per operand
// the type number `dtype=`/`signature=` fixed, or `not_fixed`.
using CallKey = std::vector<int>;
constexpr int weak_int = -1, weak_float = -2, weak_complex = -3, no_operand = -9, not_fixed = -1;

// Types and compiles the loop for a key NumPy has not asked for before. Called with the GIL held;
// returns the loop, or nullopt with a Python error set (the body is rejected for these dtypes).
using LoopMaker = std::function<std::optional<Loop>(const CallKey&)>;

struct UfuncSpec {
    std::string name, doc;
    int nin = 1, nout = 1;
    PyObject* identity = nullptr;  // borrowed; nullptr: no identity (and not reorderable)
    LoopMaker make_loop;
    PyObject* maker_object = nullptr;  // borrowed: the Python object behind make_loop, kept with the ufunc
    std::string payload;               // what pickling stores to rebuild this ufunc elsewhere
    std::string signature;             // empty for element-wise ufuncs
    // Gufuncs: NumPy's RuntimeWarnings for short rows, (message, most): warned before the loop
    // when the core length is at most `most` (np.mean of an empty row, np.var with ddof >= n).
    std::vector<std::pair<std::string, double>> row_warnings;
};

// A kernel compiles at most this many loops (one per combination of argument dtypes it is called
// with); the next new combination raises TypeError.
constexpr std::size_t max_loops = 1024;

// Imports NumPy's C API; call once at module load. Returns false with a Python error set.
bool init_numpy();

// A new reference to a fresh np.ufunc without loops, or nullptr with a Python error set. Each call
// with argument dtypes it has not seen asks spec.make_loop for a loop (NumPy's type-resolver hook)
// and adds it to the ufunc's loops, where NumPy finds it from then on.
PyObject* make_ufunc(const UfuncSpec& spec);

// For ufuncs made here: the pickling payload and the programs; nullptr/empty for any other ufunc.
const std::string* payload_of(PyObject* ufunc);
PyObject* maker_object_of(PyObject* ufunc);  // borrowed; nullptr if none
std::vector<std::shared_ptr<const eval::Program>> programs_of(PyObject* ufunc);
std::vector<std::vector<int>> loop_types_of(PyObject* ufunc);
// The type numbers of the loop a call with this key runs, made and added as a call would; nullopt
// with a Python error set if the body is rejected for it or `ufunc` is not ironkernel's.
std::optional<std::vector<int>> loop_types_for(PyObject* ufunc, const CallKey& key);
std::vector<std::shared_ptr<const eval::GufuncPlan>> plans_of(PyObject* ufunc);

}  // namespace ik::ufunc
