"""Sphinx configuration of the sklearn_ovr_logit documentation.

Build (warnings are errors, nothing is fetched from the network)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Environment variables:

``DOCS_PLOT_GALLERY``
    ``0`` builds the gallery pages without running the examples (fast
    iterations on the prose). Default ``1``. ``-D plot_gallery=0`` does the same.
``DOCS_INTERSPHINX``
    ``1`` downloads the intersphinx inventories of Python, NumPy, SciPy,
    scikit-learn, matplotlib, joblib and pandas so that their names become links. By
    default nothing is downloaded: inventories saved as
    ``docs/_intersphinx/<name>.inv`` are used if present, the other names are
    shown as plain code.
``SKLEARN_OVR_LOGIT_MNIST``
    The folder with the four MNIST idx files that the examples load. When unset,
    ``../shared/mnist`` beside the checkout is used if it exists.
"""

import argparse
import builtins
import os
import sys
from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parent
REPO_ROOT = DOCS_DIR.parent

# Document the checkout being built, also when the package is not installed.
sys.path.insert(0, str(REPO_ROOT))
# Local helpers: the order of the gallery's examples.
sys.path.insert(0, str(DOCS_DIR / "_ext"))

# The gallery examples load MNIST. Point them at a local copy, so that building
# the documentation downloads nothing, as the test suite does.
_SHARED_MNIST = REPO_ROOT.parent / "shared" / "mnist"
if "SKLEARN_OVR_LOGIT_MNIST" not in os.environ and _SHARED_MNIST.is_dir():
    os.environ["SKLEARN_OVR_LOGIT_MNIST"] = str(_SHARED_MNIST)

# Figures are drawn without a display.
os.environ.setdefault("MPLBACKEND", "Agg")

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

import sklearn_ovr_logit
from sklearn_ovr_logit import app as _app
from sklearn_ovr_logit import datasets as _datasets
from sklearn_ovr_logit import onnx as _onnx

# -- Project information -----------------------------------------------------

project = "sklearn_ovr_logit"
author = "The sklearn_ovr_logit developers"
copyright = f"2026, {author}"
release = sklearn_ovr_logit.__version__
version = ".".join(release.split(".")[:2])

# -- General configuration ---------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_intersphinx",
    "Thumbs.db",
    ".DS_Store",
    # Written by sphinx-gallery, included by no page.
    "sg_execution_times.rst",
]
root_doc = "index"
language = "en"
default_role = "literal"
pygments_style = "sphinx"
pygments_dark_style = "monokai"

# -- autodoc and autosummary -------------------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
# The signature is shown by the class page itself; numpydoc renders the rest.
autodoc_typehints = "none"
add_module_names = False
# "fit()" rather than "OneVsRestClassifier.fit()" in the page's table of contents.
toc_object_entries_show_parents = "hide"

# -- numpydoc ----------------------------------------------------------------

# The class template lists the methods itself (_templates/autosummary/class.rst).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Link the types that readers click on; leave prose like "of shape" alone.
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"
_XREF_ALIASES = {
    "ndarray": "numpy.ndarray",
    "dtype": "numpy.dtype",
    "sparse matrix": "scipy.sparse.spmatrix",
    "DataFrame": "pandas.DataFrame",
    "Series": "pandas.Series",
    "Bunch": "sklearn.utils.Bunch",
    "LabelBinarizer": "sklearn.preprocessing.LabelBinarizer",
    "MetadataRouter": "sklearn.utils.metadata_routing.MetadataRouter",
    "BinaryLogisticRegression": "sklearn_ovr_logit.BinaryLogisticRegression",
}
# Every check except those that ask for more than the project's style requires:
# see-also and examples on every method, an extended summary everywhere, the
# summary's grammar and the name-plus-type form of single return values
# ("self : object"), which numpydoc accepts and scikit-learn uses.
numpydoc_validation_checks = {
    "all",
    "GL01",  # summary on the line of the opening quotes
    "GL02",  # closing quotes on their own line
    "ES01",  # no extended summary
    "SA01",  # no See Also section
    "EX01",  # no Examples section (methods)
    "SS05",  # summary starts with a third-person verb ("Coefficients ...")
    "RT02",  # a single return value with a name
}
# A See Also description may start with the lowercase name "scikit-learn".
numpydoc_validation_overrides = {
    "SA03": [r"(?m)^\s*sklearn\.[\w.]+ : scikit-learn"],
}
# Methods that our classes inherit from scikit-learn, with scikit-learn's
# docstrings: validated (and owned) by scikit-learn.
numpydoc_validation_exclude = {
    r"\.get_params$",
    r"\.set_params$",
    r"\.score$",
    r"\.set_[a-z_]+_request$",
    r"^sklearn_ovr_logit\.BinaryLogisticRegression\.get_metadata_routing$",
    r"\.__init__$",
}

# -- Cross-references --------------------------------------------------------

# Broken references to our own names are errors...
nitpicky = True
# ...but names of other projects only become links when their inventories are
# available (see intersphinx below), so they are never errors.
_EXTERNAL_PACKAGES = (
    "sklearn",
    "numpy",
    "np",
    "scipy",
    "joblib",
    "matplotlib",
    "pandas",
    "pd",
    "dask",
    "distributed",
    "threadpoolctl",
    "skl2onnx",
    "onnx",
    "onnxruntime",
    "PIL",
    "os",
    "pathlib",
    "concurrent",
    "multiprocessing",
    "threading",
    "typing",
    "collections",
)
_BUILTIN_NAMES = sorted(name for name in dir(builtins) if not name.startswith("_"))
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(_EXTERNAL_PACKAGES)})(\..+)?"),
    (r"py:.*", rf"({'|'.join(_BUILTIN_NAMES)})"),
    # numpydoc links the builtin types of parameter types to Python's docs.
    (r"py:.*", r"python:.+"),
    # Words of numpydoc type specifications.
    (r"py:.*", r"(optional|array-like|array_like|callable|path-like|file-like)"),
    # scikit-learn's glossary and labels, e.g. :term:`fit`,
    # :ref:`sklearn:metadata_routing`.
    (r"std:term", r".*"),
    (r"std:ref", r"(sklearn|numpy|scipy|matplotlib|joblib|python):.*"),
    # Unprefixed labels in the docstrings of methods inherited from scikit-learn.
    (r"std:ref", r"(accuracy_score|metadata_routing|r2_score)"),
]

# -- intersphinx -------------------------------------------------------------

_INVENTORIES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "scipy": "https://docs.scipy.org/doc/scipy",
    "sklearn": "https://scikit-learn.org/stable",
    "matplotlib": "https://matplotlib.org/stable",
    "joblib": "https://joblib.readthedocs.io/en/stable",
    "pandas": "https://pandas.pydata.org/docs",
}


def _intersphinx_mapping():
    """Inventories to use without ever fetching one unless asked to.

    ``DOCS_INTERSPHINX=1`` fetches every inventory from its project. Otherwise
    only inventories saved under ``docs/_intersphinx/<name>.inv`` are used (the
    links still point at the projects' sites), and the build is offline.
    """
    if os.environ.get("DOCS_INTERSPHINX", "0").lower() in {"1", "true", "yes"}:
        return {name: (url, None) for name, url in _INVENTORIES.items()}
    mapping = {}
    for name, url in _INVENTORIES.items():
        local = DOCS_DIR / "_intersphinx" / f"{name}.inv"
        if local.is_file():
            mapping[name] = (url, str(local))
    return mapping


intersphinx_mapping = _intersphinx_mapping()
intersphinx_timeout = 10


def _numpydoc_xref_aliases():
    """Link parameter types to the projects whose inventories are available.

    Without an inventory, numpydoc's default links (``int`` to
    ``python:int``, ``array-like`` to ``numpy:array_like``, ...) would show
    their targets instead of the words; the words are then shown as they are.
    """
    from numpydoc.xref import DEFAULT_LINKS

    aliases = {**DEFAULT_LINKS, **_XREF_ALIASES}
    for word, link in aliases.items():
        target = link.rsplit("`", 2)[-2] if "`" in link else link
        target = target.split("<")[-1].rstrip(">")
        owner = target.split(":")[0] if ":" in target else target.split(".")[0]
        if owner == "sklearn_ovr_logit":
            continue
        if owner not in intersphinx_mapping:
            aliases[word] = word
    return aliases


numpydoc_xref_aliases = _numpydoc_xref_aliases()

# -- sphinx-gallery ----------------------------------------------------------

# ``-D plot_gallery=0`` or DOCS_PLOT_GALLERY=0 skips running the examples.
plot_gallery = os.environ.get("DOCS_PLOT_GALLERY", "True")

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Every example runs at each build: a broken example breaks the build.
    "filename_pattern": "/plot_",
    "abort_on_example_error": False,
    # Backreferences: the examples using each of our names, shown on its page.
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sklearn_ovr_logit",),
    # Code in the examples links to our API pages; links to other projects come
    # from the intersphinx inventories. (The old ``reference_url`` option is
    # ignored by sphinx-gallery >= 0.20, which resolves links this way.)
    "prefer_full_module": {r"sklearn_ovr_logit\.datasets"},
    # From a first fit to the finer points: see docs/_ext/gallery_order.py.
    "within_subsection_order": "gallery_order.ExampleOrder",
    "remove_config_comments": True,
    # Report the run time of the examples that take a while.
    "min_reported_time": 5,
}

# -- HTML output -------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_ovr_logit {release}"
html_short_title = "sklearn_ovr_logit"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 8,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sg_download_links"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
    # No icon links: they would point at a hosting site we do not name here.
    "icon_links": [],
}
html_sidebars = {
    # The landing page, the changelog and the contributing guide need no sidebar.
    "index": [],
    "install": [],
    "quickstart": [],
    "changelog": [],
    "contributing": [],
    "benchmarks": [],
}
html_context = {"default_mode": "light"}

# -- sphinx-copybutton -------------------------------------------------------

# Copy the code without prompts or output, from console and doctest blocks.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_exclude = ".linenos, .gp, .go"


class CommandLineHelp(SphinxDirective):
    """``.. command-line-help:: [SUBCOMMAND]``: the ``--help`` text of the CLI.

    The text comes from the parser itself, so the documented options are always
    the real ones.
    """

    optional_arguments = 1

    def run(self):
        from sklearn_ovr_logit.app import build_parser

        parser = build_parser(prog="sklearn-ovr-logit")
        if self.arguments:
            subparsers = next(
                action
                for action in parser._actions
                if isinstance(action, argparse._SubParsersAction)
            )
            parser = subparsers.choices[self.arguments[0]]
        # argparse wraps the text to the terminal's width: make it stable.
        previous = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "80"
        try:
            text = parser.format_help()
        finally:
            if previous is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = previous
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app):
    """Connect the docstring fix-up, the API page check and the CLI help."""
    app.add_directive("command-line-help", CommandLineHelp)
    # Before numpydoc (priority 500) parses the docstring.
    app.connect("builder-inited", _check_api_page_is_complete)


def _check_api_page_is_complete(app):
    public = {f"sklearn_ovr_logit.{name}" for name in sklearn_ovr_logit.__all__}
    public.discard("sklearn_ovr_logit.__version__")
    public |= {f"sklearn_ovr_logit.datasets.{name}" for name in _datasets.__all__}
    public |= {f"sklearn_ovr_logit.onnx.{name}" for name in _onnx.__all__}
    public |= {f"sklearn_ovr_logit.app.{name}" for name in _app.__all__}
    api_text = (DOCS_DIR / "api.rst").read_text(encoding="utf-8")
    listed = set()
    module = None
    for line in api_text.splitlines():
        stripped = line.strip()
        if stripped.startswith(".. currentmodule::"):
            module = stripped.split("::", 1)[1].strip()
        elif module and stripped and stripped.isidentifier() and line.startswith("   "):
            listed.add(f"{module}.{stripped}")
    missing = sorted(public - listed)
    if missing:
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            "docs/api.rst does not list the public name(s) %s; add them to an "
            "autosummary table.",
            ", ".join(missing),
        )
