"""Sphinx configuration of the ironkernel documentation (built by tests/python/test_docs.py)."""

import sys
from pathlib import Path

import ironkernel

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))  # plot_speedups, run at build time

project = "ironkernel"
copyright = "the ironkernel developers"
version = release = ironkernel.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
nitpicky = True  # a reference that resolves to nothing is a warning, so the -W build fails
# Pages that other pages include, and the build output: not pages of their own.
exclude_patterns = ["_build", "_generated", "functions.md", "performance_results.md"]

myst_heading_anchors = 3

autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
# Every public docstring must pass all of numpydoc's checks; a failure is a build warning, and
# the tests build with -W.
numpydoc_validation_checks = {"all"}
numpydoc_validation_exclude = {r"\.__init__$", r"\.__enter__$", r"\.__exit__$"}


html_theme = "pydata_sphinx_theme"
html_title = "ironkernel"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}


def _make_plot(app):
    """The speedup plot of the performance page, drawn from the table that page includes."""
    import plot_speedups

    plot_speedups.main(
        [str(DOCS / "performance_results.md"), str(DOCS / "_generated" / "speedup_float64.png")]
    )


def setup(app):
    app.connect("builder-inited", _make_plot)
