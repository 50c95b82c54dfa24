"""Benchmarks: ``python -m gmcourse.bench NAME [NAME ...]`` (``list`` shows them).

Each benchmark is a module ``gmcourse/benchmarks/NAME.py`` with a function
``run(profile) -> list[dict]``; each dict is one row with at least ``metric`` and
``value`` (``seconds`` when it timed something). The runner adds the device and
profile, prints a table and writes the same rows as JSON to
``bench-results/NAME-PROFILE.json``. Options after a name go to that benchmark's
``run`` as keyword arguments (strings): ``python -m gmcourse.bench full --budget-s 20``
calls ``run(profile, budget_s="20")``; a flag with no value passes ``True``. A benchmark
that defines ``format_table(rows)`` prints its table that way.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import statistics
import sys
import time
from pathlib import Path

from . import benchmarks
from .config import get_device, get_profile, set_threads

RESULTS = Path(__file__).resolve().parent.parent / "bench-results"


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__))


def format_table(rows: list[dict]) -> str:
    cols = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    cells = [[_fmt(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths))  # noqa: E731
    return "\n".join([line(cols), line(["-" * w for w in widths])] + [line(r) for r in cells])


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)



# --- helpers the benchmarks share ----------------------------------------------------------

def timed(fn):
    """(fn(), wall seconds)."""
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def mean_se(v):
    """Mean and standard error of a list of numbers."""
    return statistics.mean(v), statistics.stdev(v) / len(v) ** 0.5


def show(row: dict) -> dict:
    """Print one row as it is measured (long benchmarks), and return it."""
    print("  " + "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in row.items()), flush=True)
    return row


def run(name: str, profile: str | None = None, **options) -> list[dict]:
    if name not in available():
        raise SystemExit(f"unknown benchmark {name!r}; available: {', '.join(available())}")
    profile = profile or get_profile()
    set_threads()
    module = importlib.import_module(f"{benchmarks.__name__}.{name}")
    t0 = time.perf_counter()
    rows = module.run(profile, **options)
    device = str(get_device())
    rows = [{**r, "device": r.get("device", device), "profile": profile} for r in rows]
    print(f"\n== {name} ({profile} profile, {time.perf_counter() - t0:.1f} s) ==")
    print(getattr(module, "format_table", format_table)(rows))  # a benchmark's own layout
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}-{profile}.json"
    out.write_text(json.dumps(rows, indent=1, default=str))
    print(f"wrote {out}")
    return rows


def parse(argv: list[str]) -> list[tuple[str, dict]]:
    """``["full", "--budget-s", "20", "--smoke", "vae"]`` -> ``[("full", {"budget_s":
    "20", "smoke": True}), ("vae", {})]``."""
    jobs: list[tuple[str, dict]] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--"):
            jobs.append((arg, {}))
            i += 1
            continue
        if not jobs:
            raise SystemExit(f"option {arg} comes before any benchmark name")
        key = arg[2:].replace("-", "_")
        if i + 1 < len(argv) and not argv[i + 1].startswith("--") and "=" not in arg:
            jobs[-1][1][key], i = argv[i + 1], i + 2
        elif "=" in arg:
            k, v = arg[2:].split("=", 1)
            jobs[-1][1][k.replace("-", "_")], i = v, i + 1
        else:
            jobs[-1][1][key], i = True, i + 1
    return jobs


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("list", "-h", "--help"):
        print("usage: python -m gmcourse.bench NAME [--option VALUE ...] [NAME ...]\n"
              "benchmarks: " + ", ".join(available()))
        return
    for name, options in parse(argv):
        run(name, **options)


if __name__ == "__main__":
    main(sys.argv[1:])
