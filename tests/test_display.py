"""The HTML display (sklearn_ovr_logit._display): documentation links, parameter
tooltips, and the default base estimator."""

import re
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr
from sklearn.utils.fixes import parse_version

import sklearn_ovr_logit
from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier
from sklearn_ovr_logit._display import documentation_version

API_RST = Path(__file__).resolve().parents[1] / "docs" / "api.rst"


def _page(name):
    version = documentation_version(sklearn_ovr_logit.__version__)
    return (
        f"https://sklearn-ovr-logit.readthedocs.io/en/{version}/gen_modules/"
        f"sklearn_ovr_logit.{name}.html"
    )


def _tooltips(html):
    """{parameter or attribute name: (link, tooltip text)} of an HTML display."""
    found = {}
    pattern = (
        r'<a class="param-doc-link"[^>]*href="([^"]+)">\s*(\w+)\s*'
        r'<span class="param-doc-description"[^>]*>(.*?)</span>'
    )
    for link, name, text in re.findall(pattern, html, flags=re.S):
        found.setdefault(name, (link, text))
    return found


@pytest.mark.parametrize(
    "estimator", [BinaryLogisticRegression(C=0.5), OneVsRestClassifier(n_jobs=2)]
)
def test_the_question_mark_links_to_the_api_page(estimator):
    name = type(estimator).__name__
    assert estimator._get_doc_link() == _page(name)
    html = estimator._repr_html_()
    assert f'href="{_page(name)}">?<span>Documentation for {name}</span></a>' in html


def test_the_api_pages_are_where_the_links_point():
    # The links assume autosummary pages named gen_modules/<module>.<name>.html.
    text = API_RST.read_text(encoding="utf-8")
    table = re.search(
        r"\.\. currentmodule:: sklearn_ovr_logit\n\n\.\. autosummary::\n"
        r"((?:   .*\n|\n)+)",
        text,
    ).group(1)
    assert ":toctree: gen_modules/" in table
    assert {"BinaryLogisticRegression", "OneVsRestClassifier"} <= set(table.split())


def test_parameters_link_to_their_description_with_a_tooltip():
    html = estimator_html_repr(BinaryLogisticRegression(C=0.5))
    tooltips = _tooltips(html)
    assert set(tooltips) == set(BinaryLogisticRegression().get_params())
    link, text = tooltips["C"]
    assert unquote(link) == _page("BinaryLogisticRegression") + (
        "#:~:text=C,-float, default=1.0"
    )
    assert text.strip().startswith("C: float, default=1.0<br><br>Inverse of the")


@pytest.mark.skipif(
    parse_version(sklearn.__version__) < parse_version("1.9"),
    reason="scikit-learn shows fitted attributes in the display from 1.9 on",
)
def test_fitted_attributes_have_tooltips():
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = np.arange(30) % 3
    html = estimator_html_repr(OneVsRestClassifier().fit(X, y))
    tooltips = _tooltips(html)
    link, text = tooltips["coef_"]
    assert link.startswith(_page("OneVsRestClassifier") + "#:~:text=coef_")
    assert "Stacked coefficients" in text


def test_the_default_base_estimator_is_shown_with_its_parameters():
    clf = OneVsRestClassifier()
    html = estimator_html_repr(clf)
    assert "<div>estimator: BinaryLogisticRegression</div>" in html
    assert f'href="{_page("BinaryLogisticRegression")}">?' in html
    # The base estimator's parameters, copied with the prefix set_params takes.
    assert 'data-param-prefix="estimator__"' in html
    assert _page("BinaryLogisticRegression") + "#:~:text=max_iter" in html
    # ...while get_params and clone see the parameters as given.
    assert clf.get_params() == {
        "estimator": None,
        "class_weight": None,
        "n_jobs": None,
        "verbose": 0,
    }
    assert clone(clf).estimator is None


def test_an_explicit_base_estimator_is_shown_with_its_own_links():
    html = estimator_html_repr(OneVsRestClassifier(LogisticRegression(C=3.0)))
    assert "<div>estimator: LogisticRegression</div>" in html
    assert "scikit-learn.org" in html
    assert f'href="{_page("BinaryLogisticRegression")}">?' not in html
    html = estimator_html_repr(OneVsRestClassifier(BinaryLogisticRegression(C=3.0)))
    assert "<div>estimator: BinaryLogisticRegression</div>" in html
    assert "C=3.0" in html


def test_links_inside_a_pipeline():
    html = estimator_html_repr(make_pipeline(StandardScaler(), OneVsRestClassifier()))
    assert f'href="{_page("OneVsRestClassifier")}">?' in html
    assert f'href="{_page("BinaryLogisticRegression")}">?' in html
    assert "scikit-learn.org" in html  # the scaler and the pipeline


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", "stable"),
        ("1.2.3", "stable"),
        ("0.2.0.dev0", "latest"),
        ("0.1.0+g1234abc", "latest"),
    ],
)
def test_documentation_version(version, expected):
    assert documentation_version(version) == expected
