"""Headless Chromium for the browser tests: Debian's ``chromium`` driven by Playwright
through its executable (Playwright's own browser download is not used).

Locally the browser tests skip when Chromium or Playwright is missing; under CI (``CI``
set, as CI services do) they fail instead, so a CI machine cannot pass them by accident.
Screenshots go to ``test-artifacts/`` (ignored by git; ``GMCOURSE_ARTIFACTS`` moves it).
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("GMCOURSE_CHROMIUM")
                or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
                or shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("GMCOURSE_ARTIFACTS", ROOT / "test-artifacts"))
# Without the background-networking flags Chromium keeps calling home on an offline machine.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def chromium_problem() -> str | None:
    """Why the browser cannot be driven here, or None when it can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (Debian/Ubuntu: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make install)"
    return None


def require_chromium() -> None:
    """Skip (locally) or fail (under CI) when the browser cannot be driven."""
    problem = chromium_problem()
    if problem:
        if in_ci():
            pytest.fail(f"CI must run the browser tests: {problem}")
        pytest.skip(problem)


@contextmanager
def chromium(profile_dir: Path, width: int = 1280, height: int = 900):
    """A headless browser context whose profile lives in ``profile_dir``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(profile_dir), executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": width, "height": height})
        try:
            yield ctx
        finally:
            ctx.close()


def artifacts(kind: str) -> Path:
    folder = ARTIFACTS / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder
