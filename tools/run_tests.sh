#!/usr/bin/env bash
# Installs everything the tests need and runs every test: pytest against NumPy, and the Google
# Test suite of the C++ core. Run from the repository root on Debian/Ubuntu (as root or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's start, with the minutes since the run began: the log shows where CI's time goes.
START=$SECONDS
step() { printf '\n=== [%d:%02d] %s ===\n' $(((SECONDS - START) / 60)) $(((SECONDS - START) % 60)) "$*"; }

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
# libxbyak-dev: the header-only assembler the JIT (csrc/jit) is built with; without it, no JIT.
if ! dpkg -s libgtest-dev libxbyak-dev >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq libgtest-dev libxbyak-dev g++ pkg-config >/dev/null
fi

# The formatters and the linter first: clang-format and ruff, pinned (tools/lint.sh --fix applies them).
step "lint"
bash tools/lint.sh
step "install the package"
python -m pip install -q ".[test]"
step "pytest"
pytest                                   # settings in pyproject.toml: the installed package is tested
# NumPy's own ufunc tests with NumPy's ufuncs replaced by kernels, a fixed sample (tests/numpy_suite/README.md)
step "NumPy's ufunc tests, a sample"
python tests/numpy_suite/run.py --sample 2000
# The kernels are compiled per instruction set; the exactness tests run on each this CPU has.
step "IK_SIMD=avx2, sse2"
for isa in avx2 sse2; do
  IK_SIMD=$isa pytest -q -p no:cacheprovider tests/python/test_operations*.py tests/python/test_where_lazy.py \
    tests/python/test_uniform_divisor.py
done
# Arrays of 256+ elements run in chunks where they can; the blocked evaluator alone, too.
step "IK_CHUNKS=0"
IK_CHUNKS=0 pytest -q -p no:cacheprovider tests/python/test_operations*.py tests/python/test_where_lazy.py \
  tests/python/test_random_expressions.py tests/python/test_chunks*.py
# One-op bodies run as their kernel straight over the arrays; every op through the evaluators, too.
step "IK_DIRECT=0"
IK_DIRECT=0 pytest -q -p no:cacheprovider tests/python/test_operations*.py tests/python/test_chunks*.py
# Float bodies run as machine code where the CPU has AVX-512 (csrc/jit); the evaluators alone, too.
step "IK_JIT=0"
IK_JIT=0 pytest -q -p no:cacheprovider tests/python/test_operations*.py tests/python/test_where_lazy.py \
  tests/python/test_random_expressions.py

# The portable build (-Dportable=true: the baseline kernels and libm, as on aarch64, macOS or musl;
# -Dopenmp=disabled: no OpenMP, as with clang without libomp), installed into a venv of its own
# beside the full build: the tests of the operations and of the thread controls against it.
PORTABLE_VENV="${TMPDIR:-/tmp}/ironkernel-portable-venv"
step "the portable build"
rm -rf "$PORTABLE_VENV"
python -m venv "$PORTABLE_VENV"
"$PORTABLE_VENV/bin/python" -m pip install -q pytest hypothesis "numpy==$(python -c 'import numpy; print(numpy.__version__)')"
"$PORTABLE_VENV/bin/python" -m pip install -q . -Csetup-args=-Dportable=true -Csetup-args=-Dopenmp=disabled
"$PORTABLE_VENV/bin/python" -c "import ironkernel as ik; ik.show_config()"
"$PORTABLE_VENV/bin/python" -m pytest -q -p no:cacheprovider tests/python/test_operations*.py tests/python/test_where_lazy.py \
  tests/python/test_gufunc.py tests/python/test_gufunc_sums.py tests/python/test_dtype_matrix.py tests/python/test_errors.py tests/python/test_install.py \
  tests/python/test_direct.py tests/python/test_uniform_divisor.py
# Threads without OpenMP: OMP_NUM_THREADS, ik.set_num_threads, results the same whatever the count
# (threadpoolctl needs OpenMP: its test is in test_interop, not run here).
"$PORTABLE_VENV/bin/python" -m pytest -q -p no:cacheprovider tests/python/test_threads.py -k "not dask"

# The code other CPUs compile and nothing above does (without SSE2: the chain kernels' generic
# lanes, the C library's flag functions): the core and the C++ suite cross-compiled for aarch64
# and run under qemu-user. IK_CROSS_AARCH64=0 skips it.
step "aarch64 cross build under qemu"
if [ "${IK_CROSS_AARCH64:-1}" != 0 ]; then
  if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq g++-aarch64-linux-gnu qemu-user >/dev/null
  fi
  rm -rf build/aarch64
  meson setup build/aarch64 --cross-file tools/cross/aarch64-linux-gnu.ini -Dgtest=true -Dpython=false \
    -Dportable=true >/dev/null
  meson test -C build/aarch64 --print-errorlogs
fi

# The C++ suite, built once, under AddressSanitizer (with leak checks) and UndefinedBehaviorSanitizer:
# any report fails the run. Without the AVX-512 kernels: they are the same templates as the AVX2 and
# baseline kernels built here, compiled for another instruction set (the Python tests above run
# them, in the installed package), and the slowest part of the build; the CI run must stay under
# 30 minutes. (Kernels for a set this CPU lacks are never run by the tests either.)
step "Google Test under ASan and UBSan"
rm -rf build/asan
meson setup build/asan -Dgtest=true -Dpython=false -Db_sanitize=address,undefined -Db_lundef=false \
  -Dbuildtype=debugoptimized -Davx512=false >/dev/null
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build/asan --print-errorlogs

# Fuzzing of the IR byte format (tests/fuzz/README.md). The build above replays the seed corpus and
# the regression inputs through the fuzz target; here libFuzzer mutates the corpus under ASan and
# UBSan for IK_FUZZ_SECONDS seconds (default 45; 0 skips it). It needs clang (about 20 s of apt).
FUZZ_SECONDS="${IK_FUZZ_SECONDS:-45}"
step "fuzzing"
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  if ! command -v clang++-14 >/dev/null || ! dpkg -s libclang-rt-14-dev libomp-14-dev >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq clang-14 libclang-rt-14-dev libomp-14-dev >/dev/null
  fi
  rm -rf build/fuzz
  CXX=clang++-14 meson setup build/fuzz -Dfuzz=true -Dpython=false -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized -Davx512=false >/dev/null
  if ! ninja -C build/fuzz tests/fuzz/fuzz_deserialize >build/fuzz/build.log 2>&1; then
    tail -n 40 build/fuzz/build.log
    echo "the clang build of the fuzz target failed" >&2
    exit 1
  fi
  mkdir -p build/fuzz/work
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      build/fuzz/tests/fuzz/fuzz_deserialize -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix=build/fuzz/ build/fuzz/work tests/fuzz/corpus >build/fuzz/fuzz.log 2>&1; then
    tail -n 60 build/fuzz/fuzz.log
    echo "fuzz_deserialize found a failing input: build/fuzz/crash-* (see tests/fuzz/README.md)" >&2
    exit 1
  fi
  grep DONE build/fuzz/fuzz.log
fi
step "done"
