"""How our estimators look in a notebook: links to our documentation.

scikit-learn's HTML display (``estimator._repr_html_()``,
:func:`sklearn.utils.estimator_html_repr`) puts a "?" link to an estimator's API
page next to its name, and links and tooltips on its parameters, taken from the
class docstring, but only for estimators whose ``_doc_link_module`` and
``_doc_link_template`` say where their pages are. Every estimator of this
package lists :class:`DocumentationLinkMixin` before ``BaseEstimator``.
"""

try:  # scikit-learn >= 1.7
    from sklearn.utils._repr_html.estimator import _VisualBlock
except ImportError:  # scikit-learn 1.6
    from sklearn.utils._estimator_html_repr import _VisualBlock

from sklearn.utils.fixes import parse_version

DOCUMENTATION_URL = "https://sklearn-ovr-logit.readthedocs.io"


def documentation_version(version):
    """The documentation version that describes package version ``version``.

    ``"latest"`` (the documentation of the development branch) for a
    development version, ``"stable"`` (the latest release) otherwise.
    """
    parsed = parse_version(version)
    return "latest" if parsed.is_devrelease or parsed.local else "stable"


class DocumentationLinkMixin:
    """Link the HTML display to this package's API page of the estimator.

    scikit-learn formats ``_doc_link_template`` with the public module (the
    module path up to its first private part, ``sklearn_ovr_logit``) and the
    class name: the pages that ``docs/api.rst`` generates under
    ``gen_modules/``.
    """

    _doc_link_module = "sklearn_ovr_logit"

    @property
    def _doc_link_template(self):
        # Imported here: the package's __init__ imports the estimators first.
        from . import __version__

        return (
            f"{DOCUMENTATION_URL}/en/{documentation_version(__version__)}/"
            "gen_modules/{estimator_module}.{estimator_name}.html"
        )


class DefaultEstimatorDisplayMixin:
    """Show the base estimator that ``estimator=None`` stands for.

    With ``estimator=None`` a meta-estimator has no base estimator among its
    parameters, and scikit-learn's display would show none. This one shows the
    default, ``self._base_estimator()``, with its parameters and documentation
    link, as scikit-learn's ``StackingClassifier`` shows its default final
    estimator. ``get_params()`` is unchanged.
    """

    def _sk_visual_block_(self):
        estimator = self._base_estimator()
        return _VisualBlock(
            "parallel",
            [estimator],
            names=[f"estimator: {type(estimator).__name__}"],
            name_details=[str(estimator)],
        )
