"""The version of the Python package (meson.build's project version and pyproject.toml's too)."""

__version__ = "0.1.0"
