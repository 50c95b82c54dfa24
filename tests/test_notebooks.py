"""Every chapter's and every solutions notebook's .ipynb holds the same cells as its .py
source, and was executed."""
import shutil
import sys
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nb  # noqa: E402

CHAPTERS = nb.chapter_sources()
SOLUTIONS = nb.solution_sources()
PAIRS = CHAPTERS + SOLUTIONS


def test_there_are_chapters():
    assert CHAPTERS and CHAPTERS[0].name == "00_introduction.py"


@pytest.mark.parametrize("py", PAIRS, ids=[f"{p.parent.name}/{p.stem}" for p in PAIRS])
def test_notebook_matches_source(py):
    assert nb.drift(py) == []


def test_there_are_solutions():
    assert SOLUTIONS and SOLUTIONS[0].name == "00_introduction.py"
    assert {p.name for p in SOLUTIONS} <= {p.name for p in CHAPTERS}


@pytest.mark.parametrize("py", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solutions_notebook_was_executed(py):
    """The committed solutions notebook shows every check's outcome."""
    import nbformat
    book = nbformat.read(py.with_suffix(".ipynb"), as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code)


@pytest.mark.parametrize("py", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_notebook_has_stored_outputs(py):
    """The committed notebook shows its figures on a static page: it was executed."""
    import nbformat
    book = nbformat.read(py.with_suffix(".ipynb"), as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code)
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)


def test_a_drifted_pair_is_caught(tmp_path):
    src = CHAPTERS[0]
    py, ipynb = tmp_path / src.name, tmp_path / src.with_suffix(".ipynb").name
    shutil.copy(src, py)
    shutil.copy(src.with_suffix(".ipynb"), ipynb)
    assert nb.drift(py) == []
    text = py.read_text()
    py.write_text(text.replace("device = setup(seed=0)", "device = setup(seed=1)", 1))
    assert any("cell" in p and "differs" in p for p in nb.drift(py))
    py.write_text(text + "\n# %%\nprint('a new cell')\n")
    assert nb.drift(py)
    nb.sync(py)
    assert nb.drift(py) == []
    assert jupytext.read(ipynb).cells[-1].source == "print('a new cell')"
