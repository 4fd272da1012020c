"""Fixtures shared by the tests (the environment is set in ../conftest.py)."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mnist_dir():
    """The folder holding the four MNIST idx files, or skip when it is absent."""
    folder = os.environ.get("SKLEARN_OVR_LOGIT_MNIST")
    if not folder or not Path(folder).is_dir():
        pytest.skip("MNIST not available: set SKLEARN_OVR_LOGIT_MNIST")
    return Path(folder)
