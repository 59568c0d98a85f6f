// Building the np.ufunc object: the loop trampoline, the memory NumPy frees, the owner it drops.
#define PY_ARRAY_UNIQUE_SYMBOL ironkernel_ARRAY_API
#define PY_UFUNC_UNIQUE_SYMBOL ironkernel_UFUNC_API
#define NPY_NO_DEPRECATED_API NPY_1_25_API_VERSION
#define NPY_TARGET_VERSION NPY_1_25_API_VERSION
#include "make_ufunc.hpp"

#include <numpy/arrayobject.h>
#include <numpy/ufuncobject.h>

#include <cstddef>
#include <cstring>

#include "eval/evaluator.hpp"

namespace ik::ufunc {
namespace {

constexpr const char* owner_capsule_name = "ironkernel.ufunc_owner";

// Everything a ufunc needs that is not NumPy's: kept alive by ufunc->obj, dropped with it.
// It holds no Python object, so the ufunc can never be part of a reference cycle.
struct Owner {
    std::vector<Loop> loops;
    std::string payload;
    std::string empty_row_error;  // gufuncs reducing without identity: the error for a zero-length core
};

void destroy_owner(PyObject* capsule) {
    delete static_cast<Owner*>(PyCapsule_GetPointer(capsule, owner_capsule_name));
}

// The one inner loop of every ironkernel ufunc: data points at the loop's program.
void loop(char** args, npy_intp const* dimensions, npy_intp const* steps, void* data) noexcept {
    eval::run(*static_cast<const eval::Program*>(data), args, steps, dimensions[0]);
}

// The inner loop of every ironkernel gufunc: data points at the loop's plan.
void gufunc_loop(char** args, npy_intp const* dimensions, npy_intp const* steps, void* data) noexcept {
    eval::run_gufunc(*static_cast<const eval::GufuncPlan*>(data), args, dimensions, steps);
}

std::size_t align_up(std::size_t n) { return (n + alignof(void*) - 1) / alignof(void*) * alignof(void*); }

const Owner* owner_of(PyObject* object) {
    if (!PyObject_TypeCheck(object, &PyUFunc_Type)) return nullptr;
    PyObject* obj = reinterpret_cast<PyUFuncObject*>(object)->obj;
    if (!obj || !PyCapsule_IsValid(obj, owner_capsule_name)) return nullptr;
    return static_cast<const Owner*>(PyCapsule_GetPointer(obj, owner_capsule_name));
}

// NumPy >= 2.1 lets a gufunc check its core dimensions before any loop runs. A body reducing
// without identity (np.max, np.argmax) refuses empty rows there with NumPy's own error.
int check_core_dims(PyUFuncObject* ufunc, npy_intp* core_dim_sizes) {
    const Owner* owner = owner_of(reinterpret_cast<PyObject*>(ufunc));
    if (!owner || owner->empty_row_error.empty() || core_dim_sizes[0] != 0) return 0;
    PyErr_SetString(PyExc_ValueError, owner->empty_row_error.c_str());
    return -1;
}

// The process_core_dims_func field comes right after _loops in NumPy >= 2.1. This file is built
// against the 1.25 layout (to run on NumPy 1.26 too), so the field is set by its offset, and only
// when the running NumPy has it.
void set_core_dims_check(PyUFuncObject* u) {
    constexpr unsigned numpy_2_1_feature_version = 0x13;
    if (PyArray_GetNDArrayCFeatureVersion() < numpy_2_1_feature_version) return;
    using ProcessCoreDims = int (*)(PyUFuncObject*, npy_intp*);
    char* field = reinterpret_cast<char*>(u) + offsetof(PyUFuncObject, _loops) + sizeof(PyObject*);
    const ProcessCoreDims check = &check_core_dims;
    std::memcpy(field, &check, sizeof check);
}

}  // namespace

bool init_numpy() {
    if (_import_array() < 0) return false;
    import_umath1(false);
    return true;
}

PyObject* make_ufunc(const UfuncSpec& spec) {
    const std::size_t ntypes = spec.loops.size();
    const std::size_t nargs = static_cast<std::size_t>(spec.nin + spec.nout);
    // One raw block, freed by NumPy's ufunc_dealloc: functions, data, types, name, doc.
    const std::size_t functions_bytes = align_up(ntypes * sizeof(PyUFuncGenericFunction));
    const std::size_t data_bytes = align_up(ntypes * sizeof(void*));
    const std::size_t types_bytes = align_up(ntypes * nargs);
    const std::size_t name_bytes = spec.name.size() + 1;
    const std::size_t total = functions_bytes + data_bytes + types_bytes + name_bytes + spec.doc.size() + 1;
    char* block = static_cast<char*>(PyMem_RawMalloc(total));
    if (!block) return PyErr_NoMemory();
    auto* functions = reinterpret_cast<PyUFuncGenericFunction*>(block);
    auto* data = reinterpret_cast<void**>(block + functions_bytes);
    auto* types = block + functions_bytes + data_bytes;
    char* name = types + types_bytes;
    char* doc = name + name_bytes;
    std::memcpy(name, spec.name.c_str(), name_bytes);
    std::memcpy(doc, spec.doc.c_str(), spec.doc.size() + 1);

    auto* owner = new Owner{spec.loops, spec.payload, {}};
    for (const Loop& l : spec.loops)
        if (l.plan && !l.plan->empty_row_error.empty()) owner->empty_row_error = l.plan->empty_row_error;
    for (std::size_t i = 0; i < ntypes; ++i) {
        const Loop& l = owner->loops[i];
        functions[i] = l.plan ? &gufunc_loop : &loop;
        data[i] = l.plan ? static_cast<void*>(const_cast<eval::GufuncPlan*>(l.plan.get()))
                         : static_cast<void*>(const_cast<eval::Program*>(l.program.get()));
        for (std::size_t k = 0; k < nargs; ++k) types[i * nargs + k] = static_cast<char>(spec.loops[i].type_nums[k]);
    }
    PyObject* capsule = PyCapsule_New(owner, owner_capsule_name, &destroy_owner);
    if (!capsule) {
        delete owner;
        PyMem_RawFree(block);
        return nullptr;
    }
    const int identity = spec.identity ? PyUFunc_IdentityValue : PyUFunc_None;
    PyObject* ufunc = PyUFunc_FromFuncAndDataAndSignatureAndIdentity(
        functions, data, types, static_cast<int>(ntypes), spec.nin, spec.nout, identity, name, doc, 0,
        spec.signature.empty() ? nullptr : spec.signature.c_str(), spec.identity);
    if (!ufunc) {
        Py_DECREF(capsule);
        PyMem_RawFree(block);
        return nullptr;
    }
    auto* u = reinterpret_cast<PyUFuncObject*>(ufunc);
    u->ptr = block;
    u->obj = capsule;
    if (!owner->empty_row_error.empty()) set_core_dims_check(u);
    return ufunc;
}

const std::string* payload_of(PyObject* ufunc) {
    const Owner* owner = owner_of(ufunc);
    return owner ? &owner->payload : nullptr;
}

std::vector<std::shared_ptr<const eval::Program>> programs_of(PyObject* ufunc) {
    std::vector<std::shared_ptr<const eval::Program>> out;
    if (const Owner* owner = owner_of(ufunc))
        for (const auto& l : owner->loops)
            if (l.program) out.push_back(l.program);
    return out;
}

std::vector<std::shared_ptr<const eval::GufuncPlan>> plans_of(PyObject* ufunc) {
    std::vector<std::shared_ptr<const eval::GufuncPlan>> out;
    if (const Owner* owner = owner_of(ufunc))
        for (const auto& l : owner->loops) out.push_back(l.plan);
    return out;
}

std::vector<std::vector<int>> loop_types_of(PyObject* ufunc) {
    std::vector<std::vector<int>> out;
    if (const Owner* owner = owner_of(ufunc))
        for (const auto& l : owner->loops) out.push_back(l.type_nums);
    return out;
}

}  // namespace ik::ufunc
