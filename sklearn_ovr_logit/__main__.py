"""``python -m sklearn_ovr_logit``: the command line of ``sklearn_ovr_logit.app``."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

import sys

from .app import main

if __name__ == "__main__":
    sys.exit(main())
