"""Chapter 01: one update of each widget (recompute and redraw), and the whole chapter.

Targets (idle 2-core CPU): a widget update under 300 ms median; the chapter under 3 min
in the lecture profile. Each row also gives the CPU time and the load average, since
wall-clock times on a shared machine are inflated by other work.
"""
import os
import statistics
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from .. import figures, widgets  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _updates(draw, settings):
    return widgets.update_ms(draw, settings, figsize=(10, 3.6))


def _row(name, wall, cpu):
    row = {"metric": f"{name}: ms per update (median of {len(wall)})",
           "value": statistics.median(wall), "max_ms": max(wall),
           "cpu_ms": statistics.median(cpu), "load": os.getloadavg()[0]}
    print(row, flush=True)
    return row


def _chapter_seconds(profile):
    import jupytext
    from nbclient import NotebookClient
    nb = jupytext.read(ROOT / "chapters" / "01_divergences.py")
    env = {"GMCOURSE_PROFILE": profile, "PYTHONPATH": str(ROOT)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits them
    try:
        t = time.perf_counter()
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT / "chapters")}}).execute()
        return time.perf_counter() - t
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


def run(profile):
    n = 4 if profile == "smoke" else 10
    rows = []
    draw = figures.divergence_fit_draw()
    _updates(draw, [{}])  # the first call fits from every start; updates warm-start
    names = ["KL", "reverse KL", "JS", "squared Hellinger", "TV", "MMD^2", "W2^2"]
    moves = [{"separation": 4.0 - 0.25 * (i % 5), "weight": 0.5 + 0.05 * (i % 3),
              "divergence": names[i % len(names)]} for i in range(n)]
    rows.append(_row("divergence-fit widget", *_updates(draw, moves)))
    thetas = [{"theta": -2 + 4 * i / max(n - 1, 1)} for i in range(n)]
    _updates(figures.draw_parallel_lines, thetas[:1])  # fills the cached curves
    rows.append(_row("parallel-lines widget", *_updates(figures.draw_parallel_lines, thetas)))
    load = os.getloadavg()[0]
    seconds = _chapter_seconds(profile)
    rows.append({"metric": f"chapter 01, {profile} profile: seconds", "value": seconds,
                 "seconds": seconds, "load": f"{load:.1f} -> {os.getloadavg()[0]:.1f}"})
    print(rows[-1], flush=True)
    return rows
