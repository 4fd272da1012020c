"""Test configuration for the whole checkout (tests/ and the doctests).

Points the MNIST loader at the shared copy of the dataset beside the checkout
(``../shared/mnist``) unless ``SKLEARN_OVR_LOGIT_MNIST`` is already set, so that
nothing is ever downloaded at test time, and registers the hypothesis profiles.
"""

import os
from pathlib import Path

_SHARED_MNIST = Path(__file__).resolve().parent.parent / "shared" / "mnist"

if "SKLEARN_OVR_LOGIT_MNIST" not in os.environ and _SHARED_MNIST.is_dir():
    os.environ["SKLEARN_OVR_LOGIT_MNIST"] = str(_SHARED_MNIST)

# Under pytest-xdist every worker process would start one BLAS thread per core:
# with two workers on two cores the threads outnumber the cores and OpenBLAS
# slows down several times. One thread per worker uses the cores fully.
if os.environ.get("PYTEST_XDIST_WORKER"):
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")

# Hypothesis profiles: "ci" (the default) keeps the property suite to a few
# minutes on 2 cores and is derandomised so a CI failure reproduces exactly;
# "dev" searches much harder for a long local run:
#     HYPOTHESIS_PROFILE=dev python -m pytest tests/test_properties.py
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is a test extra; the other tests run without it
    pass
else:
    _slow_is_fine = [HealthCheck.too_slow, HealthCheck.data_too_large]
    settings.register_profile(
        "ci",
        max_examples=20,
        deadline=None,
        derandomize=True,
        print_blob=True,
        suppress_health_check=_slow_is_fine,
    )
    settings.register_profile(
        "dev",
        max_examples=500,
        deadline=None,
        print_blob=True,
        suppress_health_check=_slow_is_fine,
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
