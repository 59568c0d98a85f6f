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

#include "eval/direct/direct.hpp"
#include "eval/threads/parallel.hpp"

namespace ik::ufunc {
namespace {

constexpr const char* owner_capsule_name = "ironkernel.ufunc_owner";

// Everything a ufunc needs that is not NumPy's: kept alive by ufunc->obj, dropped with it.
// Its only Python object is the loop maker, which never refers to the ufunc (no reference cycle).
struct Owner {
    int nargs = 0;
    LoopMaker make_loop;
    PyObject* maker_object = nullptr;  // a strong reference, or nullptr
    // The ufunc's loop arrays (ufunc->functions, data, types point into them). Their capacity is
    // reserved for max_loops at creation, so adding a loop never moves them.
    std::vector<Loop> loops;
    std::vector<PyUFuncGenericFunction> functions;
    std::vector<void*> data;
    std::vector<char> types;
    std::vector<std::pair<CallKey, std::size_t>> loop_of_key;  // keys NumPy asked for, and their loop
    std::string payload;
    std::string empty_row_error;  // gufuncs reducing without identity: the error for a zero-length core
    std::vector<std::pair<std::string, double>> row_warnings;  // see UfuncSpec
};

void destroy_owner(PyObject* capsule) {
    auto* owner = static_cast<Owner*>(PyCapsule_GetPointer(capsule, owner_capsule_name));
    Py_XDECREF(owner->maker_object);
    delete owner;
}

// The one inner loop of every ironkernel ufunc: data points at the loop's program.
// The evaluator returns false when it could not allocate its scratch memory (the outputs are then
// not written): the loop raises MemoryError, taking the GIL NumPy released around it.
void raise_memory_error() noexcept {
    NPY_ALLOW_C_API_DEF
    NPY_ALLOW_C_API
    PyErr_NoMemory();
    NPY_DISABLE_C_API
}

void elementwise_loop(char** args, npy_intp const* dimensions, npy_intp const* steps, void* data) noexcept {
    const auto& program = *static_cast<const eval::Program*>(data);
    if (eval::run_short_direct(program, args, steps, dimensions[0])) return;
    if (!eval::run(program, args, steps, dimensions[0])) raise_memory_error();
}

// The inner loop of every ironkernel gufunc: data points at the loop's plan.
void gufunc_loop(char** args, npy_intp const* dimensions, npy_intp const* steps, void* data) noexcept {
    if (!eval::run_gufunc(*static_cast<const eval::GufuncPlan*>(data), args, dimensions, steps)) raise_memory_error();
}

Owner* owner_of(PyObject* object) {
    if (!PyObject_TypeCheck(object, &PyUFunc_Type)) return nullptr;
    PyObject* obj = reinterpret_cast<PyUFuncObject*>(object)->obj;
    if (!obj || !PyCapsule_IsValid(obj, owner_capsule_name)) return nullptr;
    return static_cast<Owner*>(PyCapsule_GetPointer(obj, owner_capsule_name));
}

// NumPy marks the 0-d arrays it made of Python int/float/complex arguments (NEP 50's weak scalars)
// with these private flags (numpy/_core/src/multiarray/arrayobject.h; the same bits in 1.26 and 2.x).
constexpr int numpy_was_python_int = 1 << 30, numpy_was_python_float = 1 << 29, numpy_was_python_complex = 1 << 28;

// NumPy 1.x promotes a 0-d operand beside arrays by its value, and marks no Python scalar: there a
// 0-d int, float or complex operand beside an array counts as weak, which gives 1.x's dtypes where
// the value fits (resolve_types checks that it does).
bool numpy_1() { return PyArray_GetNDArrayCFeatureVersion() < 0x12; }

int weak_code_of_kind(const PyArray_Descr* descr) {
    switch (descr->kind) {
        case 'i':
        case 'u':
            return weak_int;
        case 'f':
            return weak_float;
        case 'c':
            return weak_complex;
        default:
            return descr->type_num;
    }
}

int operand_code(PyArrayObject* operand, bool value_based) {
    if (!operand) return no_operand;
    const int flags = PyArray_FLAGS(operand);
    if (flags & numpy_was_python_int) return weak_int;
    if (flags & numpy_was_python_float) return weak_float;
    if (flags & numpy_was_python_complex) return weak_complex;
    if (value_based && PyArray_NDIM(operand) == 0) return weak_code_of_kind(PyArray_DESCR(operand));
    return PyArray_DESCR(operand)->type_num;
}

// The key of a call: its input operands, then what dtype=/signature= fixed (type_tup: nullptr, or a
// tuple of a descriptor or None per operand). False with a Python error set.
bool call_key(int nin, int nargs, PyArrayObject** operands, PyObject* type_tup, CallKey& key) {
    bool any_array = false;
    for (int i = 0; i < nin; ++i) any_array = any_array || (operands[i] && PyArray_NDIM(operands[i]) > 0);
    const bool value_based = any_array && numpy_1();
    for (int i = 0; i < nin; ++i) key.push_back(operand_code(operands[i], value_based));
    for (int i = 0; i < nargs; ++i) {
        PyObject* item = type_tup && PyTuple_Check(type_tup) && PyTuple_GET_SIZE(type_tup) == nargs
                             ? PyTuple_GET_ITEM(type_tup, i)
                             : Py_None;
        if (item == Py_None)
            key.push_back(not_fixed);
        else if (PyArray_DescrCheck(item))
            key.push_back(reinterpret_cast<PyArray_Descr*>(item)->type_num);
        else {
            PyErr_SetString(PyExc_TypeError, "ironkernel: cannot read the ufunc's signature= or dtype= argument");
            return false;
        }
    }
    return true;
}

// The loop for a key: the one made for it before, or a new one from the loop maker, added to the
// ufunc's loops unless a loop with the same types exists. Runs with the GIL held, as NumPy's type
// resolution does; the loop maker may let other threads run, so the key is looked up again after.
const Loop* loop_for(PyUFuncObject* ufunc, Owner& owner, const CallKey& key) {
    const auto known = [&]() -> const Loop* {
        for (const auto& [k, index] : owner.loop_of_key)
            if (k == key) return &owner.loops[index];
        return nullptr;
    };
    if (const Loop* loop = known()) return loop;
    std::optional<Loop> made = owner.make_loop(key);
    if (!made) return nullptr;
    if (const Loop* loop = known()) return loop;
    std::size_t index = 0;
    while (index < owner.loops.size() && owner.loops[index].type_nums != made->type_nums) ++index;
    if (index == owner.loops.size()) {
        if (owner.loops.size() == max_loops) {
            PyErr_Format(PyExc_TypeError,
                         "%s: this kernel has compiled %d loops already, one per combination of argument dtypes it "
                         "was called with, and compiles no more; cast the arguments to fewer dtypes",
                         ufunc->name, static_cast<int>(max_loops));
            return nullptr;
        }
        owner.loops.push_back(std::move(*made));
        const Loop& l = owner.loops.back();
        owner.functions.push_back(l.plan ? &gufunc_loop : &elementwise_loop);
        owner.data.push_back(l.plan ? static_cast<void*>(const_cast<eval::GufuncPlan*>(l.plan.get()))
                                    : static_cast<void*>(const_cast<eval::Program*>(l.program.get())));
        for (int t : l.type_nums) owner.types.push_back(static_cast<char>(t));
        if (l.plan && owner.empty_row_error.empty()) owner.empty_row_error = l.plan->empty_row_error;
        ufunc->ntypes = static_cast<int>(owner.loops.size());
    }
    owner.loop_of_key.emplace_back(key, index);
    return &owner.loops[index];
}

// NumPy's type-resolver hook, called when no loop the ufunc has matches a call's dtypes exactly
// (NumPy caches the answer per combination of operand DTypes): the descriptors of the call's loop.
int resolve_types(PyUFuncObject* ufunc, NPY_CASTING, PyArrayObject** operands, PyObject* type_tup,
                  PyArray_Descr** out_dtypes) {
    Owner* owner = owner_of(reinterpret_cast<PyObject*>(ufunc));
    if (!owner) {
        PyErr_SetString(PyExc_RuntimeError, "ironkernel: a kernel's loops are missing");
        return -1;
    }
    CallKey key;
    if (!call_key(ufunc->nin, owner->nargs, operands, type_tup, key)) return -1;
    const Loop* loop = loop_for(ufunc, *owner, key);
    if (!loop) return -1;
    if (numpy_1()) {
        // A 0-d operand counted as weak whose value does not fit its loop dtype (300 for int8): as
        // its own dtype instead (NumPy 1.x would have promoted by the value, to a dtype between).
        bool changed = false;
        for (int i = 0; i < ufunc->nin; ++i) {
            if (key[static_cast<std::size_t>(i)] >= 0 || !operands[i] || PyArray_NDIM(operands[i]) != 0) continue;
            // By the value's smallest dtype (PyArray_CanCastArrayTo looks at values only in some of
            // NumPy 1.x's promotion states).
            PyArray_Descr* descr = PyArray_DescrFromType(loop->type_nums[static_cast<std::size_t>(i)]);
            PyArray_Descr* smallest = descr ? PyArray_MinScalarType(operands[i]) : nullptr;
            const bool fits = smallest && PyArray_CanCastTo(smallest, descr);
            Py_XDECREF(smallest);
            Py_XDECREF(descr);
            if (PyErr_Occurred()) return -1;
            if (!fits) {
                key[static_cast<std::size_t>(i)] = PyArray_DESCR(operands[i])->type_num;
                changed = true;
            }
        }
        if (changed && !(loop = loop_for(ufunc, *owner, key))) return -1;
    }
    for (int i = 0; i < owner->nargs; ++i) {
        out_dtypes[i] = PyArray_DescrFromType(loop->type_nums[static_cast<std::size_t>(i)]);
        if (!out_dtypes[i]) {
            for (int k = 0; k < i; ++k) Py_CLEAR(out_dtypes[k]);
            return -1;
        }
    }
    return 0;
}

// NumPy >= 2.1 lets a gufunc check its core dimensions before any loop runs. A body reducing
// without identity (np.max, np.argmax) refuses empty rows there with NumPy's own error.
int check_core_dims(PyUFuncObject* ufunc, npy_intp* core_dim_sizes) {
    const Owner* owner = owner_of(reinterpret_cast<PyObject*>(ufunc));
    if (!owner) return 0;
    for (const auto& [message, most] : owner->row_warnings)
        if (static_cast<double>(core_dim_sizes[0]) <= most &&
            PyErr_WarnEx(PyExc_RuntimeWarning, message.c_str(), 1) < 0)
            return -1;
    if (owner->empty_row_error.empty() || core_dim_sizes[0] != 0) return 0;
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
    const int nargs = spec.nin + spec.nout;
    // One raw block for the name and doc, freed by NumPy's ufunc_dealloc; the loop arrays are the
    // owner's.
    const std::size_t name_bytes = spec.name.size() + 1;
    char* block = static_cast<char*>(PyMem_RawMalloc(name_bytes + spec.doc.size() + 1));
    if (!block) return PyErr_NoMemory();
    char* name = block;
    char* doc = block + name_bytes;
    std::memcpy(name, spec.name.c_str(), name_bytes);
    std::memcpy(doc, spec.doc.c_str(), spec.doc.size() + 1);

    auto* owner = new Owner;
    owner->nargs = nargs;
    owner->make_loop = spec.make_loop;
    owner->maker_object = spec.maker_object;
    Py_XINCREF(owner->maker_object);
    owner->payload = spec.payload;
    owner->row_warnings = spec.row_warnings;
    owner->loops.reserve(max_loops);
    owner->functions.reserve(max_loops);
    owner->data.reserve(max_loops);
    owner->types.reserve(max_loops * static_cast<std::size_t>(nargs));
    PyObject* capsule = PyCapsule_New(owner, owner_capsule_name, &destroy_owner);
    if (!capsule) {
        delete owner;
        PyMem_RawFree(block);
        return nullptr;
    }
    const int identity = spec.identity ? PyUFunc_IdentityValue : PyUFunc_None;
    PyObject* ufunc = PyUFunc_FromFuncAndDataAndSignatureAndIdentity(
        owner->functions.data(), owner->data.data(), owner->types.data(), 0, spec.nin, spec.nout, identity, name, doc,
        0, spec.signature.empty() ? nullptr : spec.signature.c_str(), spec.identity);
    if (!ufunc) {
        Py_DECREF(capsule);
        PyMem_RawFree(block);
        return nullptr;
    }
    auto* u = reinterpret_cast<PyUFuncObject*>(ufunc);
    u->ptr = block;
    u->obj = capsule;
    u->type_resolver = &resolve_types;
    // NumPy asks the type resolver only of a ufunc that has loops or user loops
    // (promote_and_get_info_and_ufuncimpl: `ntypes == 0 && userloops == NULL` means "no loop"). A
    // kernel starts without loops: an empty dict of user loops lets NumPy ask for the first one. NumPy
    // looks into it only for user-defined dtypes, which ironkernel never registers.
    u->userloops = PyDict_New();
    if (!u->userloops) {
        Py_DECREF(ufunc);
        return nullptr;
    }
    if (!spec.signature.empty()) set_core_dims_check(u);
    return ufunc;
}

const std::string* payload_of(PyObject* ufunc) {
    const Owner* owner = owner_of(ufunc);
    return owner ? &owner->payload : nullptr;
}

PyObject* maker_object_of(PyObject* ufunc) {
    const Owner* owner = owner_of(ufunc);
    return owner ? owner->maker_object : nullptr;
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
        for (const auto& l : owner->loops)
            if (l.plan) out.push_back(l.plan);
    return out;
}

std::vector<std::vector<int>> loop_types_of(PyObject* ufunc) {
    std::vector<std::vector<int>> out;
    if (const Owner* owner = owner_of(ufunc))
        for (const auto& l : owner->loops) out.push_back(l.type_nums);
    return out;
}

std::optional<std::vector<int>> loop_types_for(PyObject* ufunc, const CallKey& key) {
    Owner* owner = owner_of(ufunc);
    if (!owner) {
        PyErr_SetString(PyExc_TypeError, "not an ironkernel kernel");
        return std::nullopt;
    }
    const Loop* loop = loop_for(reinterpret_cast<PyUFuncObject*>(ufunc), *owner, key);
    if (!loop) return std::nullopt;
    return loop->type_nums;
}

}  // namespace ik::ufunc
