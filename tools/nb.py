"""Notebook pipeline: NN_topic.py (jupytext percent) <-> NN_topic.ipynb, in chapters/
(the course) and solutions/ (the exercises solved).

    python tools/nb.py sync [FILES]      .py -> .ipynb inputs, keeping stored outputs
    python tools/nb.py execute [FILES]   sync, then run each notebook in place
                                         (profile from GMCOURSE_PROFILE, default lecture)
    python tools/nb.py check [FILES]     exit 1 if any .ipynb's cells differ from its .py

FILES default to every chapter and every solutions notebook; a folder (chapters, solutions)
stands for its notebooks. Run from the repository root.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
SOLUTIONS = ROOT / "solutions"


def _sources(folder: Path) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.py"))


def chapter_sources(args=()) -> list[Path]:
    """The chapters' .py sources, or those named (files or folders) in ``args``."""
    if args:
        out = []
        for a in args:
            a = Path(a).resolve()
            out += _sources(a) if a.is_dir() else [a.with_suffix(".py")]
        return out
    return _sources(CHAPTERS)


def solution_sources() -> list[Path]:
    """The solutions notebooks' .py sources (solutions/NN_topic.py)."""
    return _sources(SOLUTIONS)


def cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def drift(py: Path) -> list[str]:
    """Differences between a chapter's .py and its .ipynb cells ([] when in sync)."""
    ipynb = py.with_suffix(".ipynb")
    if not ipynb.exists():
        return [f"{ipynb.name} is missing"]
    a, b = cells(jupytext.read(py)), cells(jupytext.read(ipynb))
    problems = []
    if len(a) != len(b):
        problems.append(f"{py.name} has {len(a)} cells, {ipynb.name} has {len(b)}")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            problems.append(f"cell {i} differs: {x[1][:60]!r} vs {y[1][:60]!r}")
            break
    return problems


def sync(py: Path) -> Path:
    """Write the .py's cells into the .ipynb, keeping outputs of unchanged cells."""
    ipynb = py.with_suffix(".ipynb")
    new = jupytext.read(py)
    if ipynb.exists():
        old = nbformat.read(ipynb, as_version=4)
        stored = {(c.cell_type, c.source): c for c in old.cells}
        for c in new.cells:
            o = stored.get((c.cell_type, c.source))
            if o is not None and c.cell_type == "code":
                c.outputs, c.execution_count = o.outputs, o.execution_count
        if "widgets" in old.metadata:  # the kept widget outputs need their stored state
            new.metadata["widgets"] = old.metadata["widgets"]
    new.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}
    new.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    nbformat.write(new, ipynb)
    return ipynb


def execute(py: Path, timeout: int = 1200) -> float:
    from nbclient import NotebookClient
    ipynb = sync(py)
    nb = nbformat.read(ipynb, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(py.parent)}}).execute()
    seconds = time.perf_counter() - t0
    nbformat.write(nb, ipynb)
    return seconds


def main(argv):
    if not argv or argv[0] not in ("sync", "execute", "check"):
        print(__doc__)
        return 2
    cmd = argv[0]
    files = chapter_sources(argv[1:]) if argv[1:] else chapter_sources() + solution_sources()
    status = 0
    for py in files:
        if cmd == "sync":
            print(f"synced {sync(py).relative_to(ROOT)}")
        elif cmd == "execute":
            print(f"executing {py.name} ...", flush=True)
            print(f"executed {py.with_suffix('.ipynb').name} in {execute(py):.1f} s", flush=True)
        else:
            problems = drift(py)
            for p in problems:
                print(f"{py.name}: {p}")
            status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
