"""The version of the Python package (meson.build's project version and pyproject.toml's too), and
the check that the compiled extension beside it was built as the same version."""

__version__ = "0.1.0"


def check_extension(extension_version: str) -> None:
    """Raises ImportError when the compiled extension (_core) is of another version than this
    package: a mixed installation (a build left over beside a newer one), whose numbers (dtype codes,
    byte formats) need not agree with the Python side's."""
    if extension_version != __version__:
        raise ImportError(
            f"ironkernel's compiled extension is version {extension_version}, but its Python package is "
            f"version {__version__}: the installation mixes two builds. Reinstall it "
            "(pip install --force-reinstall ironkernel, or pip install -e . again in a source checkout)."
        )
