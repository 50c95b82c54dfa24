import os

import pytest


def require_mnist():
    """Skip locally when MNIST is neither cached nor in GMCOURSE_DATA; CI must have it."""
    from gmcourse.data import available
    if not available("mnist", "test"):
        if os.environ.get("CI"):
            pytest.fail("CI needs the MNIST test split: set GMCOURSE_DATA (see .ci/run)")
        pytest.skip("MNIST test split not available offline (set GMCOURSE_DATA)")
