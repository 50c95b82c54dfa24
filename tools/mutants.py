"""The mutation pass: plant one realistic bug at a time and check that the tests catch it.

    python tools/mutants.py                  every mutant of tools/mutants_list.py
    python tools/mutants.py --only pixelcnn  those whose name or file contains "pixelcnn"
    python tools/mutants.py --list           the mutants, without running anything

Each mutant replaces one exact snippet of one package file. The package and its tests are
copied once to a scratch directory; for each mutant the snippet is replaced there (never in
this checkout), the mutant's few fast unit tests run against the copy, and the file is
restored. A mutant is

    caught   some test failed (or the run timed out)
    missed   every test passed: the bug would go unnoticed
    stale    its snippet is not found exactly once in the file (the code moved or was
             refactored): fix the snippet in mutants_list.py
    broken   a test it relies on already fails on the unmutated code (its result would
             mean nothing), or none of its tests was collected

The rate is caught / (caught + missed). Tests run in a worker process started in the
copy (PYTHONPATH pointing there, no bytecode written) that imports torch and the other
heavy libraries once and forks a fresh child for each mutant, which imports gmcourse and
runs pytest; so a mutant costs its tests, not an interpreter start.
``python -m gmcourse.bench mutants`` runs the same pass as a benchmark; it is not part of
the CI run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutants_list import MUTANTS, Mutant  # noqa: E402

COPIED = ("gmcourse", "tests", "solutions", "pyproject.toml")  # solutions: the exercises' tests
PREIMPORT = ("numpy", "torch", "torch.nn.functional", "scipy.stats", "scipy.integrate",
             "scipy.optimize", "scipy.linalg", "sklearn.datasets", "ot", "tqdm.auto",
             "matplotlib.pyplot", "pytest")


def scratch_copy(dest: Path) -> Path:
    """The package, its tests and the pytest settings, copied to ``dest`` (no bytecode)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "test-artifacts")
    for name in COPIED:
        src = ROOT / name
        if not src.exists():
            continue
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    (dest / "data").mkdir()  # checkpoints the tests write stay in the copy
    return dest


# --- the worker: runs inside the copy ---------------------------------------------------

def _worker_main(scratch: str) -> None:
    """Read one JSON request a line ({"args": [...], "timeout": s}); fork a child that runs
    pytest on them; answer {"rc": exit code or null on timeout, "out": its output}."""
    import importlib
    from importlib.metadata import entry_points
    plugins = [ep.module for ep in entry_points(group="pytest11")]  # pytest loads them each run
    for name in (*PREIMPORT, *plugins):
        try:
            importlib.import_module(name)
        except Exception:  # an optional library: the tests that need it import it themselves
            pass
    os.chdir(scratch)
    answer, child = sys.stdout, [0]

    def stop(*_):  # the pass was interrupted: take the running tests down too
        if child[0]:
            os.kill(child[0], signal.SIGKILL)
        os._exit(1)
    signal.signal(signal.SIGTERM, stop)
    for line in sys.stdin:
        req = json.loads(line)
        log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        pid = child[0] = os.fork()
        if pid == 0:  # the child: fresh gmcourse and tests, output into the log
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            code = 3
            try:
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
                import pytest
                code = int(pytest.main(req["args"]))
            finally:
                sys.stdout.flush(), sys.stderr.flush()
                os._exit(code)
        deadline, rc = time.monotonic() + req["timeout"], None
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                rc = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.02)
        child[0] = 0
        log.seek(0)
        out = log.read()
        log.close()
        os.unlink(log.name)
        answer.write(json.dumps({"rc": rc, "out": out[-20_000:]}) + "\n")
        answer.flush()


class Worker:
    """One worker process on one scratch copy."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        env = dict(os.environ)
        env["PYTHONPATH"] = str(scratch)  # the copy's package, never the checkout's
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # a same-size mutant in the same second: no stale .pyc
        env.setdefault("GMCOURSE_THREADS", "1")
        env["MPLBACKEND"] = "Agg"
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", str(scratch)],
                                     cwd=scratch, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def pytest(self, args, timeout: float, stop_first: bool = True) -> dict:
        args = ["-q", "--no-header", "-rf", "-p", "no:cacheprovider", "-p", "no:nbval",
                *(["-x"] if stop_first else []), *args]
        self.proc.stdin.write(json.dumps({"args": args, "timeout": timeout}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.terminate()  # stops a test run still in progress (after Ctrl-C)
        self.proc.wait(timeout=30)


# --- the pass ---------------------------------------------------------------------------

def apply(m: Mutant, root: Path = ROOT) -> str | None:
    """The text of ``root / m.file`` with the mutant applied, or None when the snippet is
    not found exactly once."""
    path = root / m.file
    text = path.read_text() if path.exists() else ""
    if text.count(m.original) != 1:
        return None
    return text.replace(m.original, m.replacement)


def _first_failure(out: str) -> str:
    found = re.search(r"^FAILED (\S+)", out, re.M) or re.search(r"^ERROR (\S+)", out, re.M)
    return found.group(1) if found else ""


def _row(m: Mutant, status: str, seconds: float = 0.0, caught_by: str = "") -> dict:
    return {"name": m.name, "file": m.file, "bug": m.bug, "status": status,
            "seconds": seconds, "caught_by": caught_by}


def run_one(m: Mutant, worker: Worker, timeout: float) -> dict:
    target = worker.scratch / m.file  # the copy is the pristine snapshot the pass judges
    mutated = apply(m, worker.scratch)
    if mutated is None:
        n = target.read_text().count(m.original) if target.exists() else 0
        return _row(m, "stale", caught_by=f"snippet found {n} times in {m.file}")
    original = target.read_text()
    target.write_text(mutated)
    t0 = time.perf_counter()
    try:
        res = worker.pytest(list(m.tests), timeout)
    finally:
        target.write_text(original)
    seconds = time.perf_counter() - t0
    rc, out = res["rc"], res["out"]
    if rc is None:
        return _row(m, "caught", seconds, f"timeout after {timeout:g} s")
    if rc == 0:
        return _row(m, "missed", seconds)
    if rc in (1, 2, 3):  # test failures, collection errors (a mutant that breaks imports)
        return _row(m, "caught", seconds, _first_failure(out) or f"pytest exit {rc}")
    last = (out.strip().splitlines() or [""])[-1]  # 4: usage error, 5: nothing collected
    return _row(m, "broken", seconds, f"pytest exit {rc}: {last}")


def baseline(mutants, worker: Worker, timeout: float) -> dict[str, str]:
    """Run every test the mutants use once on the unmutated copy: {failing test id: why}."""
    tests = sorted({t for m in mutants for t in m.tests})
    report = worker.scratch / "baseline.xml"
    res = worker.pytest([*tests, "--junitxml", str(report), "-o", "junit_family=xunit1"],
                        timeout, stop_first=False)
    if res["rc"] is None:
        return {"*": f"the baseline run timed out after {timeout:g} s"}
    if not report.exists():
        return {"*": "the baseline run wrote no report: " + res["out"][-300:]}
    failed = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            path = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
            failed[f"{path}::{case.get('name')}"] = "fails on the unmutated code"
    if res["rc"] not in (0, 1) and not failed:
        failed["*"] = f"the baseline run ended with pytest exit {res['rc']}"
    return failed


def _relies_on(m: Mutant, failing: dict) -> list[str]:
    if "*" in failing:
        return ["*"]
    return [f for f in failing
            if any(f == t or f.split("[")[0] == t or f.startswith(t + "::") for t in m.tests)]


def run(mutants=MUTANTS, jobs: int = 1, timeout: float = 180.0, check_baseline: bool = True,
        progress=print) -> tuple[list[dict], float]:
    """Run the pass; returns (one row per mutant, in the list's order; wall seconds)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gmcourse-mutants-") as tmp:
        workers = [Worker(scratch_copy(Path(tmp) / f"copy{j}")) for j in range(max(1, jobs))]
        try:
            failing = baseline(mutants, workers[0], 20 * timeout) if check_baseline else {}
            if failing:
                progress(f"baseline: {len(failing)} test(s) fail on the unmutated code: "
                         + ", ".join(sorted(failing)[:5]))
            rows = {m.name: _row(m, "broken", caught_by="relies on failing tests: "
                                 + ", ".join(_relies_on(m, failing)))
                    for m in mutants if _relies_on(m, failing)}
            todo = [m for m in mutants if m.name not in rows]
            free = list(workers)

            def work(m):
                worker = free.pop()
                try:
                    row = run_one(m, worker, timeout)
                finally:
                    free.append(worker)
                progress(f"{row['status']:7s} {row['name']:42s} {row['seconds']:6.1f} s  "
                         f"{row['caught_by']}")
                return row

            with ThreadPoolExecutor(max_workers=len(workers)) as pool:
                for row in pool.map(work, todo):
                    rows[row["name"]] = row
        finally:
            for w in workers:
                w.close()
    return [rows[m.name] for m in mutants], time.perf_counter() - t0


def summary(rows: list[dict]) -> dict:
    count = {s: sum(r["status"] == s for r in rows)
             for s in ("caught", "missed", "stale", "broken")}
    judged = count["caught"] + count["missed"]
    return {**count, "total": len(rows),
            "rate": count["caught"] / judged if judged else float("nan")}


def select(only=None, without=None, keep=None) -> list[Mutant]:
    """The mutants to run: ``only`` in the name or file; ``without``/``keep``: see main."""
    mutants = [m for m in MUTANTS if not only or only in m.name or only in m.file]
    if without:
        mutants = [m._replace(tests=tuple(t for t in m.tests if without not in t))
                   for m in mutants if any(without in t for t in m.tests)]
    if keep:
        mutants = [m._replace(tests=tuple(t for t in m.tests if keep in t))
                   for m in mutants if any(keep in t for t in m.tests)]
    return [m for m in mutants if m.tests]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="run only mutants whose name or file contains this")
    ap.add_argument("--without", metavar="TEXT",
                    help="judge only the mutants that have tests whose id contains TEXT, by "
                         "their other tests (--without test_properties_: what the tests "
                         "before those written for this pass catch)")
    ap.add_argument("--with", dest="keep", metavar="TEXT",
                    help="judge the mutants by their tests whose id contains TEXT only")
    ap.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the check that the tests pass on the unmutated code")
    ap.add_argument("--json", metavar="FILE", help="also write the rows to FILE")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--worker", metavar="SCRATCH", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return _worker_main(args.worker)
    mutants = select(args.only, args.without, args.keep)
    if args.list:
        for m in mutants:
            print(f"{m.name:42s} {m.bug}")
        return 0
    # a SIGTERM (a killed benchmark) unwinds like Ctrl-C: the workers stop, the copy goes
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(f"{len(mutants)} mutants, {args.jobs} at a time")
    rows, seconds = run(mutants, args.jobs, args.timeout, not args.no_baseline)
    s = summary(rows)
    print(f"\ncaught {s['caught']}, missed {s['missed']}, stale {s['stale']}, broken "
          f"{s['broken']} of {s['total']}: rate {100 * s['rate']:.1f}% in {seconds:.0f} s")
    for r in rows:
        if r["status"] in ("missed", "stale", "broken"):
            print(f"  {r['status']}: {r['name']} ({r['bug']}) {r['caught_by']}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
