import os

import pytest


def pytest_configure(config):
    """Honour GMCOURSE_THREADS in tests as chapters do (gmcourse.config.set_threads)."""
    if os.environ.get("GMCOURSE_THREADS"):
        from gmcourse.config import set_threads
        set_threads()


def require_mnist():
    """Skip locally when MNIST is neither cached nor in GMCOURSE_DATA; CI must have it."""
    from gmcourse.data import available
    if not available("mnist", "test"):
        if os.environ.get("CI"):
            pytest.fail("CI needs the MNIST test split: set GMCOURSE_DATA (see .ci/run)")
        pytest.skip("MNIST test split not available offline (set GMCOURSE_DATA)")


@pytest.fixture(autouse=True)
def lecture_profile(monkeypatch):
    """Unit tests check the chapters' claims at the lecture profile's settings, even when
    `make test` runs the notebooks (in the same pytest process) in the smoke profile."""
    monkeypatch.setenv("GMCOURSE_PROFILE", "lecture")
