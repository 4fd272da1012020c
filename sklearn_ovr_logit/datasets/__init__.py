"""Datasets: the MNIST handwritten digits and the idx files that hold them."""

# Authors: The sklearn_ovr_logit developers
# SPDX-License-Identifier: BSD-3-Clause

from ._idx import load_idx
from ._mnist import fetch_mnist

__all__ = ["fetch_mnist", "load_idx"]
