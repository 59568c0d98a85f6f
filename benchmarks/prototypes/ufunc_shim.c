/* A real np.ufunc around a generated kernel, to measure what a JIT kernel costs inside NumPy's
 * call machinery (the per-call overhead an integrated JIT would pay). Prototype only: one float64
 * loop; contiguous operands run the kernel once, anything else element by element. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/ndarraytypes.h>
#include <numpy/ufuncobject.h>
#include <stdint.h>

typedef void (*Kernel)(const double *const *, double *, int64_t);
typedef struct {
    Kernel fn;
    int nin;
} Loop;

static void loop(char **args, const npy_intp *dims, const npy_intp *steps, void *data) {
    const Loop *l = (const Loop *)data;
    const double *ins[32];
    int contiguous = steps[l->nin] == sizeof(double);
    for (int k = 0; k < l->nin; ++k) {
        ins[k] = (const double *)args[k];
        contiguous &= steps[k] == sizeof(double);
    }
    if (contiguous) {
        l->fn(ins, (double *)args[l->nin], dims[0]);
        return;
    }
    for (npy_intp i = 0; i < dims[0]; ++i) {
        for (int k = 0; k < l->nin; ++k) ins[k] = (const double *)(args[k] + i * steps[k]);
        l->fn(ins, (double *)(args[l->nin] + i * steps[l->nin]), 1);
    }
}

static PyUFuncGenericFunction functions[] = {loop};

/* make(kernel_address, nin, name) -> np.ufunc. The Loop and type arrays are leaked on purpose. */
static PyObject *make(PyObject *self, PyObject *args) {
    unsigned long long address;
    int nin;
    const char *name;
    if (!PyArg_ParseTuple(args, "Kis", &address, &nin, &name)) return NULL;
    if (nin < 1 || nin > 31) return PyErr_Format(PyExc_ValueError, "nin %d", nin);
    Loop *l = PyMem_RawMalloc(sizeof(Loop));
    char *types = PyMem_RawMalloc(nin + 1);
    void **data = PyMem_RawMalloc(sizeof(void *));
    char *owned_name = PyMem_RawMalloc(strlen(name) + 1);
    strcpy(owned_name, name);
    l->fn = (Kernel)(uintptr_t)address;
    l->nin = nin;
    for (int k = 0; k <= nin; ++k) types[k] = NPY_DOUBLE;
    data[0] = l;
    return PyUFunc_FromFuncAndData(functions, data, types, 1, nin, 1, PyUFunc_None, owned_name, "", 0);
}

static PyMethodDef methods[] = {{"make", make, METH_VARARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "ufunc_shim", NULL, -1, methods};

PyMODINIT_FUNC PyInit_ufunc_shim(void) {
    import_array();
    import_umath();
    return PyModule_Create(&module);
}
