"""Writes the seed corpus of the fuzz targets from real kernels.

corpus/          typed IR ("IKIR" bytes), as ironkernel hands them to ik._core.compile: the C++
                 deserialiser's input (fuzz_deserialize.cpp).
corpus_payload/  pickle payloads ("IKPY" bytes): what unpickling rebuilds a kernel from
                 (fuzz_payload.py).

Run with ironkernel installed:  python tests/fuzz/make_corpus.py
The files are named by kernel and a hash of their content, so rerunning it changes nothing
unless tracing, typing or a byte format changed.
"""

from __future__ import annotations

import hashlib
import pathlib

import numpy as np

import ironkernel as ik
from ironkernel import _core

HERE = pathlib.Path(__file__).parent


def seed(x):
    return np.where(x > 0, np.sqrt(np.abs(x)) + np.sin(x), 0)


def nested_where(x, y):
    return np.where(x > y, np.where(x > 2 * y, np.log(x), np.exp(y)), np.clip(x - y, -1, 1))


def two_outputs(a, b):
    return np.divmod(a, b)


def bits(a, b):
    return (a & b) ^ (~a | (b >> 1)), a << 2


def mixed(a):
    m, e = np.frexp(a)
    return np.ldexp(m, e) + a.astype(np.float32), np.isnan(a) | (a > 1.5)


def complex_body(z):
    return np.conjugate(z) * z + np.real(z) - 1j * np.imag(z), np.angle(z)


def constants(x):
    return np.nan_to_num(x * np.float32(0.5) - (-0.0), nan=1.0, posinf=2.0) + np.int8(3)


def dist(a, b):
    return np.sqrt(np.sum((a - b) ** 2))


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


UFUNCS = [seed, nested_where, two_outputs, bits, mixed, complex_body, constants]
GUFUNCS = [(dist, "(n),(n)->()"), (softmax, "(n)->(n)")]


def write(folder: pathlib.Path, stem: str, data: bytes) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{stem}-{hashlib.sha1(data).hexdigest()[:10]}").write_bytes(data)


def main() -> None:
    recorded: list[bytes] = []
    real_compile = _core.compile

    def recording_compile(ir: bytes):
        recorded.append(ir)
        return real_compile(ir)

    kernels = []
    _core.compile = recording_compile  # sees the typed IR of every loop (and gufunc stage)
    try:
        for f in UFUNCS:
            start = len(recorded)
            kernels.append((f.__name__, ik.ufunc(f), recorded[start:]))
        for f, signature in GUFUNCS:
            start = len(recorded)
            kernels.append((f.__name__, ik.gufunc(signature)(f), recorded[start:]))
    finally:
        _core.compile = real_compile
    for name, u, irs in kernels:
        for ir in dict.fromkeys(irs):  # loops of one kernel often share a program
            write(HERE / "corpus", name, ir)
        write(HERE / "corpus_payload", name, _core.payload_of(u))


if __name__ == "__main__":
    main()
