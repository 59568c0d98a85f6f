// Registering programs as a real NumPy ufunc through the C API (Python and NumPy headers needed).
#pragma once

#include <Python.h>

#include <memory>
#include <string>
#include <vector>

#include "eval/gufunc.hpp"
#include "eval/program.hpp"

namespace ik::ufunc {

struct Loop {
    std::vector<int> type_nums;  // NumPy type numbers: nin inputs then nout outputs
    std::shared_ptr<const eval::Program> program;   // element-wise ufuncs
    std::shared_ptr<const eval::GufuncPlan> plan;   // gufuncs (signature set)
};

struct UfuncSpec {
    std::string name, doc;
    int nin = 1, nout = 1;
    PyObject* identity = nullptr;  // borrowed; nullptr: no identity (and not reorderable)
    std::vector<Loop> loops;
    std::string payload;  // what pickling stores to rebuild this ufunc elsewhere
    std::string signature;  // empty for element-wise ufuncs
};

// Imports NumPy's C API; call once at module load. Returns false with a Python error set.
bool init_numpy();

// A new reference to a fresh np.ufunc, or nullptr with a Python error set.
PyObject* make_ufunc(const UfuncSpec& spec);

// For ufuncs made here: the pickling payload and the programs; nullptr/empty for any other ufunc.
const std::string* payload_of(PyObject* ufunc);
std::vector<std::shared_ptr<const eval::Program>> programs_of(PyObject* ufunc);
std::vector<std::vector<int>> loop_types_of(PyObject* ufunc);
std::vector<std::shared_ptr<const eval::GufuncPlan>> plans_of(PyObject* ufunc);

}  // namespace ik::ufunc
