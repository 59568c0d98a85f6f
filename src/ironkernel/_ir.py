"""The untyped IR built by the tracer, and the two byte formats it travels in.

A graph is a list of nodes in topological order; operands are indices of earlier nodes and equal
nodes are merged on insertion. Untyped nodes keep NumPy's own objects (the ufunc name, Python or
NumPy scalar constants) so that typing can ask NumPy. ``to_payload``/``from_payload`` give the
versioned bytes that pickling stores; ``typed_bytes`` gives the format the C++ core reads.
"""

from __future__ import annotations

import functools
import json
import struct
import sys
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from . import _core
from ._ops import OPS, op_for_ufunc

PAYLOAD_MAGIC = b"IKPY"
PAYLOAD_VERSION = 1


class PayloadError(ValueError):
    """Bytes that are not a valid ironkernel pickle payload."""


@dataclass(frozen=True)
class Node:
    kind: str  # "input", "constant", "call", "where", "cast", "pow_operator", "part" (real/imag)
    # call: value is the output index of a ufunc with several outputs, or "operator" for a call
    # written as a Python operator (a + b), or None
    args: tuple[int, ...] = ()
    name: str = ""  # call: the NumPy ufunc name; cast: the target dtype string
    value: object = None  # input: position; constant: the Python or NumPy scalar
    where: str = field(default="", compare=False)  # source location, for error messages

    def key(self) -> tuple:
        # Constants compare by type and bits, so 0.0 and -0.0 (or 1 and 1.0) stay apart.
        value = self.value
        if self.kind == "constant":
            value = (type(value).__name__, _scalar_bits(value))
        elif self.kind == "nan_to_num":
            value = tuple(None if v is None else (type(v).__name__, _scalar_bits(v)) for v in value)
        return (self.kind, self.args, self.name, value)


def _scalar_bits(value: object) -> object:
    if isinstance(value, float):
        return struct.pack("<d", value)
    if isinstance(value, complex):
        return struct.pack("<dd", value.real, value.imag)
    if isinstance(value, np.generic):
        return (value.dtype.str, value.tobytes())
    return value


@dataclass
class Graph:
    n_inputs: int
    nodes: list[Node] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    func_name: str = "kernel"  # the traced function's name, for error messages
    _index: dict = field(default_factory=dict, repr=False)

    def add(self, node: Node) -> int:
        key = node.key()
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.nodes)
            self.nodes.append(node)
        return index


# ---- the pickle payload: JSON with exact scalar encodings -----------------------------------


def _encode_scalar(value: object) -> list:
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, float):
        return ["float", value.hex()]
    if isinstance(value, complex):
        return ["complex", value.real.hex(), value.imag.hex()]
    if isinstance(value, np.generic):
        return ["numpy", value.dtype.str, value.tobytes().hex()]
    raise TypeError(f"cannot encode constant {value!r}")


def _decode_scalar(item: object) -> object:
    tag = item[0] if isinstance(item, list) and item else None
    if tag == "bool" and len(item) == 2 and isinstance(item[1], bool):
        return item[1]
    if tag == "int" and len(item) == 2 and isinstance(item[1], str):
        return int(item[1])
    if tag == "float" and len(item) == 2 and isinstance(item[1], str):
        return float.fromhex(item[1])
    if tag == "complex" and len(item) == 3 and all(isinstance(v, str) for v in item[1:]):
        return complex(float.fromhex(item[1]), float.fromhex(item[2]))
    if tag == "numpy" and len(item) == 3 and all(isinstance(v, str) for v in item[1:]):
        dtype = np.dtype(item[1])
        data = bytes.fromhex(item[2])
        if dtype not in DTYPE_CODES or len(data) != dtype.itemsize:
            raise _Malformed(f"constant {item!r} is not a scalar of a supported dtype")
        return np.frombuffer(data, dtype=dtype)[0]
    raise _Malformed(f"cannot read constant {item!r}")


def to_payload(graph: Graph, options: dict) -> bytes:
    nodes = []
    for n in graph.nodes:
        value = n.value
        if n.kind == "constant":
            value = _encode_scalar(value)
        elif n.kind == "nan_to_num":
            value = [None if v is None else _encode_scalar(v) for v in value]
        nodes.append([n.kind, list(n.args), n.name, value])
    body = {"n_inputs": graph.n_inputs, "nodes": nodes, "outputs": graph.outputs, "options": options}
    return (
        PAYLOAD_MAGIC + struct.pack("<H", PAYLOAD_VERSION) + json.dumps(body, separators=(",", ":")).encode()
    )


_WHAT_TO_DO = (
    "The pickle is damaged, or was not written by ironkernel: pickle the kernel again in the process "
    "that defined it."
)

# Operand count of each node kind (calls: the ufunc's nin); kinds in _CORE_KINDS exist in gufuncs only.
_KIND_ARITY = {
    "input": 0,
    "constant": 0,
    "where": 3,
    "cast": 1,
    "pow_operator": 1,
    "part": 1,
    "nan_to_num": 1,
    "sinc": 1,
    "angle": 1,
    "round": 1,
    "reduce": 1,
    "length": 0,
    "mean": 1,
    "divide_by_dof": 1,
}
_CORE_KINDS = ("reduce", "length", "mean", "divide_by_dof")
_REDUCTIONS = ("sum", "prod", "max", "min", "any", "all", "dot")
MAX_INPUTS = 64  # csrc/ir/graph.cpp's verifier (NumPy 2's operand limit)


class _Malformed(Exception):
    """What is wrong with a payload's structure (reported as a PayloadError)."""


def from_payload(data: bytes) -> tuple[Graph, dict]:
    """Parses and checks payload bytes; raises PayloadError on anything malformed.

    Every node is checked against what the tracer makes (kind, operand count, name, value), so
    that damage is reported with the node it is in; what these checks cannot see (a body NumPy
    rejects, a signature that does not fit) fails when ``_api.rebuild`` builds the kernel.
    """
    if not isinstance(data, bytes) or not data.startswith(PAYLOAD_MAGIC) or len(data) < 6:
        raise PayloadError(
            "cannot unpickle an ironkernel kernel: not an ironkernel kernel payload (it does not start "
            f"with {PAYLOAD_MAGIC!r} and a version). {_WHAT_TO_DO}"
        )
    (version,) = struct.unpack("<H", data[4:6])
    if version != PAYLOAD_VERSION:
        raise PayloadError(
            f"cannot unpickle an ironkernel kernel: kernel payload version {version}; this ironkernel "
            f"reads version {PAYLOAD_VERSION}. Unpickle it with the ironkernel that pickled it, or "
            "pickle the kernel again with this one."
        )
    try:
        body = json.loads(data[6:].decode())
        options = dict(body["options"])
        _check_options(options)
        graph = Graph(_check_int(body["n_inputs"], "n_inputs", 1, MAX_INPUTS + 1))
        for i, node in enumerate(body["nodes"]):
            graph.nodes.append(_read_node(i, node, graph.n_inputs, bool(options.get("signature"))))
        graph.outputs = [_check_int(o, "output", 0, len(graph.nodes)) for o in body["outputs"]]
        if not graph.outputs:
            raise _Malformed("no outputs")
        return graph, options
    except Exception as exc:  # _Malformed, or any structural problem in the JSON
        what = str(exc) if isinstance(exc, _Malformed) else f"{type(exc).__name__}: {exc}"
        raise PayloadError(
            f"cannot unpickle an ironkernel kernel: corrupted kernel payload ({what}). {_WHAT_TO_DO}"
        ) from None


def _check_int(value: object, what: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value < high:
        raise _Malformed(f"{what} {value!r} is not an integer in [{low}, {high})")
    return value


def _check_options(options: dict) -> None:
    for key in ("name", "doc"):
        if not isinstance(options.get(key), str):
            raise _Malformed(f"option {key!r} is not a string")
    if not options["name"] or not all(c.isalnum() or c == "_" for c in options["name"]):
        raise _Malformed(f"kernel name {options['name']!r} is not a ufunc name ironkernel makes")
    signature = options.get("signature")
    if signature is not None and not isinstance(signature, str):
        raise _Malformed("option 'signature' is not a string")
    identity = options.get("identity")
    if identity is not None and type(identity) not in (bool, int, float):
        raise _Malformed(f"identity {identity!r} is not a number")


def _read_node(i: int, node: object, n_inputs: int, in_gufunc: bool) -> Node:
    """Node i of a payload, checked as the tracer would have made it."""
    if not isinstance(node, list) or len(node) != 4:
        raise _Malformed(f"node {i} is not [kind, operands, name, value]")
    kind, args, name, value = node
    if not isinstance(args, list) or not isinstance(name, str):
        raise _Malformed(f"node {i} has malformed operands or name")
    args = tuple(_check_int(a, f"operand of node {i}", 0, i) for a in args)
    arity = _KIND_ARITY.get(kind)
    if kind == "call":
        ufunc = getattr(np, name, None)
        if not isinstance(ufunc, np.ufunc) or op_for_ufunc(ufunc) is None:
            raise _Malformed(f"node {i} calls {name!r}, which is not a function ironkernel supports")
        arity = ufunc.nin
        if ufunc.nout > 1:
            _check_int(value, f"output index of node {i}", 0, ufunc.nout)
        elif value not in (None, "operator"):
            raise _Malformed(f"node {i} has an output index but np.{name} has one output")
    elif arity is None:
        raise _Malformed(f"unknown node kind {kind!r}")
    elif kind in _CORE_KINDS and not in_gufunc:
        raise _Malformed(f"node {i} is a {kind} outside a gufunc")
    if len(args) != arity:
        raise _Malformed(f"node {i} ({kind} {name}) has {len(args)} operands, not {arity}")
    if kind == "input":
        _check_int(value, f"position of input node {i}", 0, n_inputs)
    elif kind == "constant":
        value = _decode_scalar(value)
    elif kind == "cast":
        if np.dtype(name) not in DTYPE_CODES:
            raise _Malformed(f"node {i} casts to {name!r}, which is not a dtype ironkernel computes in")
    elif kind == "pow_operator":
        if type(value) not in (int, float) or value not in (2, -1, 0.5):
            raise _Malformed(f"node {i} raises to the power {value!r}")
        value = float(value) if value == 0.5 else int(value)
    elif kind == "part":
        if name not in ("real", "imag"):
            raise _Malformed(f"node {i} takes part {name!r} of a complex value")
    elif kind == "nan_to_num":
        if not isinstance(value, list) or len(value) != 3:
            raise _Malformed(f"node {i} has no three nan_to_num replacements")
        value = tuple(None if v is None else _decode_scalar(v) for v in value)
    elif kind == "reduce":
        if name not in _REDUCTIONS:
            raise _Malformed(f"node {i} is an unknown reduction {name!r}")
    elif kind == "length":
        _check_int(value, f"ddof of node {i}", -(2**62), 2**62)
    elif kind == "divide_by_dof":
        if type(value) not in (int, float):
            raise _Malformed(f"node {i} has ddof {value!r}, not a number")
    elif kind == "mean":
        if value not in (None, "var"):
            raise _Malformed(f"node {i} is a mean of {value!r}")
    elif kind == "round":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or type(value[0]) is not int
            or type(value[1]) is not bool
        ):
            raise _Malformed(f"node {i} rounds to {value!r}, not [decimals, to_int]")
        value = tuple(value)
    return Node(kind, args, name, value)


# ---- the typed format read by the C++ core (csrc/ir/serialize.cpp) --------------------------

IR_MAGIC = _core.ir_magic
IR_VERSION = _core.ir_version

# csrc/ir/dtype.hpp numbering, as _core gives it.
DTYPE_CODES = {np.dtype(getattr(np, name)): code for name, code in _core.dtype_codes.items()}


class TypedNode(NamedTuple):  # a tuple: made many times per decoration, and cheaply
    op: str
    dtype: np.dtype
    args: tuple[int, ...] = ()
    value: object = None  # constant: a NumPy scalar of dtype; input: position


def typed_bytes(n_inputs: int, nodes: list[TypedNode], outputs: list[int]) -> bytes:
    out = [IR_MAGIC, struct.pack("<HHHI", IR_VERSION, n_inputs, len(outputs), len(nodes))]
    for n in nodes:
        if n.op == "constant":
            out.append(_node_head(n.op, n.dtype))
            out.append(constant_bytes(n.value, n.dtype))
        elif n.op == "input":
            out.append(_node_head(n.op, n.dtype))
            out.append(struct.pack("<H", n.value))
        else:
            out.append(_computed_node_bytes(n.op, n.dtype, n.args))
    out.append(struct.pack(f"<{len(outputs)}I", *outputs))
    return b"".join(out)


# Every loop of every kernel packs the same few heads and operand counts (part of decoration time).
@functools.lru_cache(maxsize=1024)
def _node_head(op: str, dtype: np.dtype) -> bytes:
    return struct.pack("<BB", OPS[op].code, DTYPE_CODES[dtype])


@functools.lru_cache(maxsize=4096)
def _computed_node_bytes(op: str, dtype: np.dtype, args: tuple[int, ...]) -> bytes:
    return _node_head(op, dtype) + _int32s(len(args)).pack(*args)


_LITTLE_ENDIAN = sys.byteorder == "little"


def constant_bytes(value: object, dtype: np.dtype) -> bytes:
    """A constant as dtype's little-endian bytes (a native NumPy scalar of dtype as it is)."""
    if _LITTLE_ENDIAN and isinstance(value, np.generic) and value.dtype == dtype and dtype.byteorder in "=<|":
        return value.tobytes()
    return np.asarray(value, dtype=dtype.newbyteorder("<")).tobytes()


@functools.lru_cache(maxsize=8)
def _int32s(count: int) -> struct.Struct:
    return struct.Struct(f"<{count}i")
