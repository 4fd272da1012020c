"""The command line's error for invalid options, reported as a usage error."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause


class UsageError(ValueError):
    """An option value that argparse alone cannot check, such as one too large.

    The command line prints it like argparse's own errors and exits with 2.
    """
