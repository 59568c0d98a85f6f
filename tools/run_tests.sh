#!/usr/bin/env bash
# Installs everything the tests need and runs every test: pytest against NumPy, and the Google
# Test suite of the C++ core. Run from the repository root on Debian/Ubuntu (as root or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! dpkg -s libgtest-dev >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq libgtest-dev g++ pkg-config >/dev/null
fi

python -m pip install -q ".[test]"
pytest                                   # settings in pyproject.toml: the installed package is tested

rm -rf build/gtest
meson setup build/gtest -Dgtest=true -Dpython=false >/dev/null
meson test -C build/gtest --print-errorlogs
