"""Shared helpers for the Python tests: comparing a kernel with the same body run by NumPy."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
