"""atheris target: bytes through the unpickling path of ironkernel kernels.

ironkernel pickles a kernel as the payload of its traced graph ("IKPY" + JSON, _ir.to_payload);
unpickling calls ironkernel._api.rebuild(payload). Any bytes must either rebuild a working ufunc
or raise PayloadError (a ValueError saying what to do); a rebuilt ufunc must compute on small
arrays. Another exception, a crash or a hang is a bug.

    pip install atheris
    python tests/fuzz/fuzz_payload.py -max_total_time=120 /tmp/payload-work tests/fuzz/corpus_payload

Mutations are structure-aware: most parse the JSON and change one value, operand list or name
(libFuzzer's byte mutations alone rarely keep the JSON valid); the rest are atheris' own.
"""

from __future__ import annotations

import json
import random
import sys
import warnings

import atheris

with atheris.instrument_imports(include=["ironkernel"]):
    import numpy as np

    from ironkernel import _api
    from ironkernel._ir import PAYLOAD_MAGIC, PayloadError

# Values a traced graph is made of: mutations swap them in.
WORDS = [
    "input",
    "constant",
    "call",
    "where",
    "cast",
    "pow_operator",
    "part",
    "nan_to_num",
    "sinc",
    "reduce",
    "length",
    "mean",
    "sin",
    "divmod",
    "frexp",
    "modf",
    "ldexp",
    "add",
    "power",
    "arctan2",
    "real",
    "imag",
    "sum",
    "dot",
    "max",
    "any",
    "float16",
    "int8",
    "uint64",
    "bool",
    "complex64",
    "<f8",
    "|b1",
    "<c8",
    "(n)->()",
    "(n),(n)->()",
    "(n)->(n)",
    "(n),()->(n)",
    "numpy",
    "int",
    "float",
    "complex",
    "0x1.8p+1",
    "ff",
    "",
]
NUMBERS = [-1, 0, 1, 2, 3, 5, 31, 32, 33, 2**31, -(2**40), 0.5, 2.0, True, False, None]


def _paths(obj, path=()):
    yield path, obj
    if isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, path + (i,))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, path + (k,))


def _mutate_json(body, rng: random.Random):
    for _ in range(rng.randint(1, 3)):
        path, value = rng.choice(list(_paths(body)))
        if not path:
            continue
        parent = body
        for k in path[:-1]:
            parent = parent[k]
        if isinstance(value, list) and value and rng.random() < 0.4:
            if rng.random() < 0.5:
                value.pop(rng.randrange(len(value)))
            else:
                value.insert(rng.randrange(len(value) + 1), rng.choice(value))
        else:
            parent[path[-1]] = rng.choice(WORDS) if rng.random() < 0.5 else rng.choice(NUMBERS)
    return body


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    if rng.random() < 0.8 and data.startswith(PAYLOAD_MAGIC):
        try:
            body = json.loads(data[6:])
            return (data[:6] + json.dumps(_mutate_json(body, rng)).encode())[:max_size]
        except (ValueError, UnicodeDecodeError, RecursionError):
            pass
    return atheris.Mutate(data, max_size)


def test_one_input(data: bytes) -> None:
    _api._cache.clear()  # rebuild every time, as in a fresh process
    try:
        u = _api.rebuild(data)
    except PayloadError:
        return
    x = np.linspace(-3, 3, 11)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            u(*[x] * u.nin)
        except TypeError:
            pass  # no loop for float64 inputs (an integer-only or bool-only body)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()
