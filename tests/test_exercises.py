"""Every chapter's exercises: enough of each kind, solved by their solutions notebook, and
reported "not attempted" when the chapter runs with its blank stubs."""
import contextlib
import io

import jupytext
import pytest

from exercise_support import NAMES, ROOT, solved
from gmcourse import exercises as ex
from gmcourse.exercises import REGISTRY, progress
from gmcourse.exercises.core import LINE

KEYS = sorted(REGISTRY)


def test_thirty_or_more_exercises_over_the_ten_chapters():
    assert len(KEYS) >= 30 and {k[:2] for k in KEYS} == set(NAMES)


@pytest.mark.parametrize("chapter", sorted(NAMES))
def test_every_chapter_has_three_exercises_with_code_and_derivation(chapter):
    mine = ex.exercises(chapter)
    assert len(mine) >= 3
    kinds = {e.kind for e in mine}
    assert "code" in kinds and "derivation" in kinds
    assert all(e.title and len(e.hint) > 40 for e in mine)


@pytest.mark.parametrize("key", KEYS)
def test_solution_passes(key):
    """The solutions notebook's check of this exercise passed (its printed line)."""
    statuses = dict(LINE.findall(solved(key[:2])[1]))
    assert statuses.get(key) == "passed", solved(key[:2])[1]


def test_stored_solutions_notebooks_show_every_check_passed():
    rows = progress(ROOT / "solutions")
    assert {r.key for r in rows} == set(KEYS)
    assert all(r.status == "passed" for r in rows), [r for r in rows if r.status != "passed"]


@pytest.mark.parametrize("chapter", sorted(NAMES))
def test_chapter_exercise_cells_with_blank_stubs_report_not_attempted(chapter):
    """The chapter's Exercises section, run as shipped: every check says not attempted."""
    book = jupytext.read(ROOT / "chapters" / f"{NAMES[chapter]}.py")
    start = next(i for i, c in enumerate(book.cells) if c.source.startswith("## Exercises"))
    ends = [i for i, c in enumerate(book.cells) if i > start and c.cell_type == "markdown"
            and c.source.startswith(("## ", "**Summary"))]
    stop = ends[0] if ends else len(book.cells)
    code = [c.source for c in book.cells[start:stop] if c.cell_type == "code"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec("\n\n".join(code), {})
    statuses = dict(LINE.findall(out.getvalue()))
    assert statuses == {e.key: "not attempted" for e in ex.exercises(chapter)}
    assert all(f'# hint("{e.key}")' in "\n".join(code) for e in ex.exercises(chapter))
