"""The command line, ``sklearn-ovr-logit`` or ``python -m sklearn_ovr_logit``.

Subcommands ``train``, ``search`` and ``predict``, one module each; ``main``
parses the options and turns bad input into one-line errors.
"""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
