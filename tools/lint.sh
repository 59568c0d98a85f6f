#!/usr/bin/env bash
# The formatters and the linter as CI runs them, pinned so that every machine formats alike:
# clang-format (C++: .clang-format) and ruff (Python: pyproject.toml's [tool.ruff]).
#   bash tools/lint.sh          check: fails on any file that is not formatted or has a finding
#   bash tools/lint.sh --fix    format every file and apply ruff's safe fixes
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q "clang-format==19.1.7" "ruff==0.17.6"
cpp_files() {
  git ls-files 'csrc/*.cpp' 'csrc/*.hpp' 'csrc/*.inc' 'tests/cpp/*.cpp' 'tests/cpp/*.hpp' 'tests/fuzz/*.cpp' \
    'tools/*.cpp' 'benchmarks/limit/*.cpp'
}
if [ "${1:-}" = "--fix" ]; then
  cpp_files | xargs clang-format -i
  ruff format .
  ruff check --fix .
else
  cpp_files | xargs clang-format --dry-run --Werror
  ruff format --check .
  ruff check .
fi
