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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """A chapter that the browser test runs whole (Run All in JupyterLab, failing on any
    cell's error) is not run a second time by nbval. Only when the browser test is selected
    (after -m and -k) and can run here; otherwise nbval runs every notebook."""
    from _chromium import chromium_problem
    if chromium_problem():
        return
    in_lab = {item.callspec.id for item in items
              if getattr(item, "originalname", None) == "test_chapter_widgets_work_in_jupyterlab"}
    twice = [item for item in items if item.path.suffix == ".ipynb"
             and item.path.parent.name == "chapters" and item.path.stem in in_lab]
    if twice:
        config.hook.pytest_deselected(items=twice)
        gone = set(map(id, twice))
        items[:] = [item for item in items if id(item) not in gone]
