"""Every chapter's full-profile cells run with ``GMCOURSE_PROFILE=full``: on a CPU, with
``GMCOURSE_MAX_STEPS=2`` capping their training steps and evaluation sizes, each chapter's
first cell (imports, setup) and its full-profile cells run in one namespace and must say
which images and which device they used.

Chapter 06 has no separate full-profile cell: its full profile reruns the whole chapter
on MNIST (``DATASET``), which is too slow for CI on a CPU; the GPU track's rehearsal
(``tests/test_full_track.py``) trains and samples that chapter's MNIST recipe,
``pixelcnn_recipe(256, True, "mnist")``, instead.
"""
import re
from pathlib import Path

import jupytext
import matplotlib
import pytest

from conftest import require_mnist

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
FULL_CELL = re.compile(r'full=\[|get_profile\(\) == "full"')


def full_profile_cells(chapter: str) -> list[str]:
    code = [c.source for c in jupytext.read(CHAPTERS / f"{chapter}.py").cells
            if c.cell_type == "code"]
    return [code[0]] + [src for src in code[1:] if FULL_CELL.search(src)]


@pytest.mark.parametrize("chapter", ["03_wgan", "04_vae", "05_flows", "07_ddpm"])
def test_full_profile_cells_run_with_capped_steps(chapter, monkeypatch, capsys):
    require_mnist()
    monkeypatch.setenv("GMCOURSE_PROFILE", "full")
    monkeypatch.setenv("GMCOURSE_MAX_STEPS", "2")
    cells = full_profile_cells(chapter)
    assert len(cells) >= 2, f"{chapter}: no full-profile cell found"
    namespace: dict = {}
    try:
        for i, src in enumerate(cells):
            exec(compile(src, f"{chapter} full-profile cell {i}", "exec"), namespace)
    finally:
        plt.close("all")
    out = capsys.readouterr().out
    device = namespace["device"]
    assert "profile=full" in out
    assert re.search(r"mnist: .*(train split|test images).*\| device " + re.escape(str(device)),
                     out), out[-2000:]
