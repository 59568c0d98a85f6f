"""Damaged pickles of kernels, and the inputs the fuzzers found, fail with a clear ValueError.

A pickled kernel is a call of ironkernel._pickle._rebuild on its payload ("IKPY" + JSON of the
traced graph); rebuilding compiles typed IR ("IKIR" bytes) in the C++ core. tests/fuzz fuzzes
both byte formats; every input that once crashed or hung is replayed here.
"""

import pathlib
import pickle
import subprocess
import sys

import numpy as np
import pytest

import ironkernel as ik
from ironkernel import _api, _core, _pickle, _registry

FUZZ = pathlib.Path(__file__).resolve().parents[1] / "fuzz"


class _PickledPayload:
    """Pickles exactly as a kernel does, with a payload of our choosing."""

    def __init__(self, payload: bytes):
        self.payload = payload

    def __reduce__(self):
        return _pickle._rebuild, (self.payload,)


def _payload(kernel) -> bytes:
    return _core.payload_of(kernel)


def _unpickle_damaged(payload: bytes):
    _registry._cache.clear()  # as in a fresh process
    return pickle.loads(pickle.dumps(_PickledPayload(payload)))


@pytest.fixture(scope="module")
def kernel():
    return ik.ufunc(lambda a, b: np.where(a > b, np.sqrt(a) * 2.5, b - 1), name="kernel_to_damage")


def _expect_clear_error(payload: bytes, *fragments: str) -> str:
    with pytest.raises(ValueError) as info:
        _unpickle_damaged(payload)
    message = str(info.value)
    assert "ironkernel" in message and "pickle the kernel again" in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_the_stand_in_pickles_like_a_kernel(kernel):
    assert pickle.dumps(_PickledPayload(_payload(kernel))) == pickle.dumps(kernel)


def test_truncated_payload(kernel):
    payload = _payload(kernel)
    for n in (0, 3, 4, 5, 6, 7, len(payload) // 2, len(payload) - 1):
        _expect_clear_error(payload[:n])


def test_wrong_magic(kernel):
    _expect_clear_error(b"XKPY" + _payload(kernel)[4:], "not an ironkernel kernel payload")


def test_wrong_version(kernel):
    payload = _payload(kernel)
    _expect_clear_error(payload[:4] + b"\x02\x00" + payload[6:], "version 2", "reads version 1")


def test_bit_flips_give_a_kernel_or_a_clear_error(kernel):
    payload = _payload(kernel)
    x, y = np.linspace(0, 4, 9), np.full(9, 1.5)
    for i in range(len(payload)):
        damaged = bytearray(payload)
        damaged[i] ^= 1 << (i % 8)
        try:
            u = _unpickle_damaged(bytes(damaged))
        except ValueError as exc:
            assert "ironkernel" in str(exc) and "pickle the kernel again" in str(exc), (i, str(exc))
            continue
        # Flips inside the name, a constant's digits or the input count still describe a kernel.
        assert isinstance(u, np.ufunc)
        with np.errstate(all="ignore"):
            u(x, y, *[x] * (u.nin - 2))


def test_truncated_pickle_stream_is_refused_by_pickle(kernel):
    data = pickle.dumps(kernel)
    _registry._cache.clear()
    for n in (1, len(data) // 2, len(data) - 1):
        with pytest.raises((pickle.UnpicklingError, EOFError, ValueError)):
            pickle.loads(data[:n])


def test_seed_corpus_compiles():
    files = sorted((FUZZ / "corpus").iterdir())
    assert files
    for path in files:
        _core.compile(path.read_bytes())


def test_seed_payloads_rebuild():
    files = sorted((FUZZ / "corpus_payload").iterdir())
    assert files
    for path in files:
        _registry._cache.clear()
        assert isinstance(_api.rebuild(path.read_bytes()), np.ufunc)


@pytest.mark.parametrize("path", sorted((FUZZ / "regressions").iterdir()), ids=lambda p: p.name)
def test_ir_fuzz_regression_is_refused(path):
    with pytest.raises(ValueError, match="invalid IR"):
        _core.compile(path.read_bytes())


def test_payload_fuzz_regressions_rebuild_or_fail_cleanly_and_quickly():
    # In a subprocess with a timeout: some of these inputs once hung the process.
    code = """
import pathlib, sys
from ironkernel import _api
from ironkernel._ir import PayloadError
for path in sorted(pathlib.Path(sys.argv[1]).iterdir()):
    try:
        _api.rebuild(path.read_bytes())
        print(path.name, "rebuilt")
    except PayloadError as exc:
        print(path.name, "refused:", exc)
"""
    out = subprocess.run(
        [sys.executable, "-c", code, str(FUZZ / "regressions_payload")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == len(list((FUZZ / "regressions_payload").iterdir()))
