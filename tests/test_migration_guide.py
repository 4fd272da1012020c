"""The migration guide's "after" examples run, and print what the page shows.

``docs/user_guide/migrating.rst`` shows, for each use of scikit-learn 1.7's
``multi_class="ovr"``, the code before (with 1.7's output, copied) and after
(as doctest blocks, run here). The page sets scikit-learn's global
configuration (metadata routing); the test restores it.
"""

import doctest
from pathlib import Path

from sklearn import config_context

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "migrating.rst"


def test_the_migration_guide_runs_as_shown():
    with config_context():
        result = doctest.testfile(
            str(GUIDE),
            module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
            raise_on_error=False,
            verbose=False,
        )
    # Every block ran (a guide without examples would pass vacuously).
    assert result.attempted >= 40
    assert result.failed == 0
