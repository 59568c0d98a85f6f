"""The untyped IR built by the tracer, and the two byte formats it travels in.

A graph is a list of nodes in topological order; operands are indices of earlier nodes and equal
nodes are merged on insertion. Untyped nodes keep NumPy's own objects (the ufunc name, Python or
NumPy scalar constants) so that typing can ask NumPy. ``to_payload``/``from_payload`` give the
versioned bytes that pickling stores; ``typed_bytes`` gives the format the C++ core reads.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

import numpy as np

from ._ops import OPS

PAYLOAD_MAGIC = b"IKPY"
PAYLOAD_VERSION = 1


class PayloadError(ValueError):
    """Bytes that are not a valid ironkernel pickle payload."""


@dataclass(frozen=True)
class Node:
    kind: str  # "input", "constant", "call", "where", "cast", "pow_operator", "part" (real/imag)
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


def _decode_scalar(item: list) -> object:
    tag = item[0]
    if tag == "bool":
        return bool(item[1])
    if tag == "int":
        return int(item[1])
    if tag == "float":
        return float.fromhex(item[1])
    if tag == "complex":
        return complex(float.fromhex(item[1]), float.fromhex(item[2]))
    if tag == "numpy":
        return np.frombuffer(bytes.fromhex(item[2]), dtype=np.dtype(item[1]))[0]
    raise PayloadError(f"unknown constant tag {tag!r}")


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
    return PAYLOAD_MAGIC + struct.pack("<H", PAYLOAD_VERSION) + json.dumps(body, separators=(",", ":")).encode()


def from_payload(data: bytes) -> tuple[Graph, dict]:
    """Parses and checks payload bytes; raises PayloadError on anything malformed."""
    if not isinstance(data, bytes) or not data.startswith(PAYLOAD_MAGIC) or len(data) < 6:
        raise PayloadError("not an ironkernel kernel payload")
    (version,) = struct.unpack("<H", data[4:6])
    if version != PAYLOAD_VERSION:
        raise PayloadError(f"kernel payload version {version}; this ironkernel reads version {PAYLOAD_VERSION}")
    try:
        body = json.loads(data[6:].decode())
        graph = Graph(int(body["n_inputs"]))
        for i, (kind, args, name, value) in enumerate(body["nodes"]):
            if kind not in ("input", "constant", "call", "where", "cast", "pow_operator", "part", "nan_to_num", "sinc", "reduce", "length", "mean"):
                raise PayloadError(f"unknown node kind {kind!r}")
            args = tuple(int(a) for a in args)
            if any(not 0 <= a < i for a in args):
                raise PayloadError("operand is not an earlier node")
            if kind == "constant":
                value = _decode_scalar(value)
            elif kind == "nan_to_num":
                value = tuple(None if v is None else _decode_scalar(v) for v in value)
            graph.nodes.append(Node(kind, args, str(name), value))
        graph.outputs = [int(o) for o in body["outputs"]]
        if not graph.outputs or any(not 0 <= o < len(graph.nodes) for o in graph.outputs):
            raise PayloadError("bad outputs")
        return graph, dict(body["options"])
    except PayloadError:
        raise
    except Exception as exc:  # any structural problem in the JSON
        raise PayloadError(f"corrupted kernel payload ({type(exc).__name__}: {exc})") from None


# ---- the typed format read by the C++ core (csrc/ir/serialize.cpp) --------------------------

IR_MAGIC = b"IKIR"
IR_VERSION = 1

# csrc/ir/dtype.hpp numbering.
DTYPE_CODES = {
    np.dtype(np.bool_): 0,
    np.dtype(np.int8): 1,
    np.dtype(np.uint8): 2,
    np.dtype(np.int16): 3,
    np.dtype(np.uint16): 4,
    np.dtype(np.int32): 5,
    np.dtype(np.uint32): 6,
    np.dtype(np.int64): 7,
    np.dtype(np.uint64): 8,
    np.dtype(np.float32): 9,
    np.dtype(np.float64): 10,
    np.dtype(np.float16): 11,
    np.dtype(np.complex64): 12,
    np.dtype(np.complex128): 13,
}


@dataclass(frozen=True)
class TypedNode:
    op: str
    dtype: np.dtype
    args: tuple[int, ...] = ()
    value: object = None  # constant: a NumPy scalar of dtype; input: position


def typed_bytes(n_inputs: int, nodes: list[TypedNode], outputs: list[int]) -> bytes:
    out = [IR_MAGIC, struct.pack("<HHHI", IR_VERSION, n_inputs, len(outputs), len(nodes))]
    for n in nodes:
        out.append(struct.pack("<BB", OPS[n.op].code, DTYPE_CODES[n.dtype]))
        out.append(struct.pack(f"<{len(n.args)}i", *n.args))
        if n.op == "constant":
            out.append(np.asarray(n.value, dtype=n.dtype.newbyteorder("<")).tobytes())
        elif n.op == "input":
            out.append(struct.pack("<H", n.value))
    out.append(struct.pack(f"<{len(outputs)}I", *outputs))
    return b"".join(out)
