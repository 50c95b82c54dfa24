"""Widgets in a real browser: every chapter with widgets runs in JupyterLab, in headless
Chromium, and moving a slider changes both the value shown and the figure.

One JupyterLab server (127.0.0.1, a random token, HOME and Jupyter folders in a temporary
directory) serves copies of the notebooks, cleared of outputs. For each one a fresh page
runs "Run All Cells" from the menu, then every widget's first control is moved one step;
the readout and the figure must both change and the callback must not raise. Kernels run
the smoke profile. Screenshots of each widget before and after are kept in
test-artifacts/browser/. Chapters are found by their source (``live(``, ``ipywidgets``),
so a new chapter with widgets is tested without editing this file.

tests/fixtures/widget_demo.py proves the checks can fail: one of its widgets raises once
moved, another never changes its figure, and a cell raises during Run All.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from _chromium import ROOT, artifacts, chromium, require_chromium

pytestmark = pytest.mark.browser

WIDGET_SOURCE = re.compile(r"\blive\(|\bipywidgets\b|\binteract(ive)?\(")
FIXTURE = ROOT / "tests" / "fixtures" / "widget_demo.py"
RUN_TIMEOUT_S = 300     # Run All in the smoke profile; a chapter takes <= 45 s when idle
CHANGE_TIMEOUT_S = 15   # one widget redraw; the target is < 0.3 s


def widget_chapters(folder: Path = ROOT / "chapters") -> list[Path]:
    """Chapter sources (NN_topic.py) that build widgets, in chapter order."""
    return [py for py in sorted(folder.glob("[0-9][0-9]_*.py"))
            if WIDGET_SOURCE.search(py.read_text(encoding="utf-8"))]


CHAPTERS = widget_chapters()


# --- the JupyterLab server -----------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """``jupyter lab`` on 127.0.0.1 with a token; everything it writes stays in ``home``."""

    def __init__(self, home: Path):
        self.home, self.root = home, home / "notebooks"
        self.root.mkdir(parents=True)
        self.token, self.port = secrets.token_hex(16), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def env(self) -> dict:
        h = self.home
        env = dict(os.environ, HOME=str(h), JUPYTER_CONFIG_DIR=str(h / "jupyter-config"),
                   JUPYTER_DATA_DIR=str(h / "jupyter-data"),
                   JUPYTER_RUNTIME_DIR=str(h / "jupyter-runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(h / "lab-settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(h / "lab-workspaces"),
                   MPLCONFIGDIR=str(h / "matplotlib"), IPYTHONDIR=str(h / "ipython"),
                   GMCOURSE_PROFILE="smoke", GMCOURSE_THREADS="1")
        # kernels import the package from this checkout
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        return env

    def settings(self) -> None:
        """No news pop-up, no update check, and every cell kept in the page."""
        s = self.home / "lab-settings" / "@jupyterlab"
        for ext, name, value in [
                ("apputils-extension", "notification",
                 {"fetchNews": "false", "checkForUpdates": False}),
                ("notebook-extension", "tracker", {"windowingMode": "none"})]:
            (s / ext).mkdir(parents=True, exist_ok=True)
            (s / ext / f"{name}.jupyterlab-settings").write_text(json.dumps(value))

    def start(self, timeout: float = 120) -> None:
        self.settings()
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1",
               "--port", str(self.port), f"--ServerApp.token={self.token}",
               f"--ServerApp.root_dir={self.root}", "--ServerApp.open_browser=False"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log = open(self.home / "jupyterlab.log", "w")
        self.proc = subprocess.Popen(cmd, env=self.env(), stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=self.home)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                break
            try:
                self.api("GET", "/api/status")
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("JupyterLab did not start:\n"
                           + (self.home / "jupyterlab.log").read_text()[-3000:])

    def api(self, method: str, path: str):
        req = urllib.request.Request(self.base + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def start_kernel(self, name: str) -> None:
        body = json.dumps({"path": name, "name": name, "type": "notebook",
                           "kernel": {"name": "python3"}}).encode()
        req = urllib.request.Request(self.base + "/api/sessions", data=body, method="POST",
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=30).close()

    def shutdown_kernels(self) -> None:
        for s in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{s['id']}")

    def url(self, name: str) -> str:
        # a workspace of its own per notebook, so Lab does not reopen earlier notebooks
        ws = re.sub(r"\W", "-", Path(name).stem)
        return f"{self.base}/lab/workspaces/{ws}/tree/{name}?reset&token={self.token}"

    def stage(self, source: Path) -> str:
        """Copy a notebook (jupytext .py or .ipynb) into the server's folder, outputs cleared."""
        import jupytext
        import nbformat
        book = jupytext.read(source)
        for c in book.cells:
            if c.cell_type == "code":
                c.outputs, c.execution_count = [], None
        book.metadata.pop("widgets", None)
        book.metadata.pop("jupytext", None)
        book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
        name = source.stem + ".ipynb"
        nbformat.write(book, self.root / name)
        return name

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require_chromium()
    server = Lab(tmp_path_factory.mktemp("lab"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory, lab):
    with chromium(tmp_path_factory.mktemp("chromium")) as ctx:
        yield ctx


# --- driving a notebook --------------------------------------------------------------

TRACEBACK = re.compile(r"Traceback \(most recent call last\)|\b[A-Z]\w*(Error|Exception)\b")

PROMPTS_JS = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
                      .map(e => e.textContent.trim())"""
# done: every prompt numbered, or nothing pending and at least one numbered (Lab stops a
# Run All at the first error and clears the prompts of the cells it did not run)
DONE_JS = """() => {
  const p = (%s)();
  const num = p.filter(t => /^\\[\\d+\\]:$/.test(t)).length;
  return p.length > 0 && (num === p.length || (num > 0 && !p.some(t => t.includes('*'))));
}""" % PROMPTS_JS
IDLE_JS = """() => /\\|\\s*Idle/.test(
  (document.querySelector('#jp-main-statusbar') || {}).innerText || '')"""
# what a widget shows: its control's readout and its figure(s), as comparable strings
STATE_JS = """cell => {
  const out = cell.querySelector('.jp-Cell-outputWrapper') || cell;
  const ro = out.querySelector('.widget-readout');
  const sel = out.querySelector('.widget-dropdown select, select');
  const figs = [...out.querySelectorAll('.widget-output img, .jupyter-widgets-output-area img')]
                 .map(i => i.src)
    .concat([...out.querySelectorAll('.widget-output canvas')].map(c => c.toDataURL()));
  const err = [...out.querySelectorAll('.widget-output .jp-OutputArea-output')]
                 .map(e => e.innerText).join('\\n');
  return {readout: ro ? ro.innerText.trim() : (sel ? sel.value : null), figs, text: err};
}"""


@dataclass
class WidgetCheck:
    cell: int
    before: str | None = None
    after: str | None = None
    seconds: float = 0.0
    problem: str | None = None


@dataclass
class LabRun:
    name: str
    open_seconds: float = 0.0   # page load until the kernel is idle
    run_seconds: float = 0.0    # Run All
    seconds: float = 0.0        # everything, screenshots and kernel shutdown included
    run_problems: list[str] = field(default_factory=list)
    widgets: list[WidgetCheck] = field(default_factory=list)


def run_all(page, result: LabRun) -> bool:
    """Run All Cells from the menu; False when it never finished."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    t0 = time.monotonic()
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90_000)
    page.wait_for_function(IDLE_JS, timeout=90_000)
    page.wait_for_timeout(1000)  # let Lab finish wiring the kernel before Run All
    result.open_seconds = time.monotonic() - t0
    t0 = time.monotonic()
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    try:
        page.wait_for_function(DONE_JS, timeout=RUN_TIMEOUT_S * 1000, polling=250)
    except PlaywrightTimeout:
        result.run_problems.append(f"Run All did not finish within {RUN_TIMEOUT_S} s; "
                                   f"prompts: {page.evaluate(PROMPTS_JS)}")
        return False
    result.run_seconds = time.monotonic() - t0
    prompts = page.evaluate(PROMPTS_JS)
    unrun = [i for i, p in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", p)]
    if unrun:
        texts = page.eval_on_selector_all(
            ".jp-Notebook .jp-CodeCell .jp-OutputArea-output", "els => els.map(e => e.innerText)")
        errors = [t.strip()[-600:] for t in texts if TRACEBACK.search(t)]
        result.run_problems.append(
            f"Run All stopped: code cells {unrun} did not run; error: "
            + (errors[-1] if errors else "(no traceback shown)"))
    return True


def move(page, cell) -> None:
    """Move the widget's first control by one step (back one step if it is at the end)."""
    handle = cell.query_selector(".jp-Cell-outputWrapper .widget-slider .noUi-handle")
    if handle is not None:
        now, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
        handle.click()
        at_end = now is not None and top is not None and float(now) >= float(top)
        page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
        return
    select = cell.query_selector(".jp-Cell-outputWrapper select")
    options = select.eval_on_selector_all("option", "os => os.map(o => o.value)")
    current = select.input_value()
    select.select_option(next(o for o in options if o != current))


def exercise_widgets(page, result: LabRun, shots: Path, timeout: float) -> None:
    cells = page.query_selector_all(".jp-Notebook .jp-CodeCell")
    for i, cell in enumerate(cells):
        if not cell.query_selector(".jp-Cell-outputWrapper .widget-slider .noUi-handle, "
                                   ".jp-Cell-outputWrapper .widget-dropdown select"):
            continue
        check = WidgetCheck(cell=i)
        result.widgets.append(check)
        cell.scroll_into_view_if_needed()
        before = cell.evaluate(STATE_JS)
        check.before = before["readout"]
        cell.screenshot(path=str(shots / f"{result.name}-cell{i:02d}-before.png"))
        if not before["figs"]:
            check.problem = "no figure before the control moved: " + before["text"][-600:]
            continue
        t0 = time.monotonic()
        move(page, cell)
        while True:
            now = cell.evaluate(STATE_JS)
            check.after, check.seconds = now["readout"], time.monotonic() - t0
            if TRACEBACK.search(now["text"]):
                page.wait_for_timeout(300)  # let the traceback finish arriving
                check.problem = "the callback raised: " + cell.evaluate(STATE_JS)["text"][-600:]
                break
            readout_moved = now["readout"] != before["readout"]
            if readout_moved and now["figs"] and now["figs"] != before["figs"]:
                break
            if check.seconds > timeout:
                check.problem = ("the value shown did not change" if not readout_moved else
                                 "the figure did not change" if now["figs"] else
                                 "the figure disappeared")
                check.problem += f" within {timeout:g} s"
                break
            page.wait_for_timeout(100)
        cell.screenshot(path=str(shots / f"{result.name}-cell{i:02d}-after.png"))


def run_in_lab(lab: Lab, browser, source: Path,
               timeout: float = CHANGE_TIMEOUT_S) -> LabRun:
    shots = artifacts("browser")
    t0 = time.monotonic()
    name = lab.stage(source)
    result = LabRun(name=Path(name).stem)
    lab.start_kernel(name)  # starts while the page loads; Lab attaches to this session
    page = browser.new_page()
    try:
        page.goto(lab.url(name))
        if run_all(page, result):
            exercise_widgets(page, result, shots, timeout)
    finally:
        try:
            page.screenshot(path=str(shots / f"{result.name}-page.png"))
        finally:
            page.close()
            lab.shutdown_kernels()
    result.seconds = time.monotonic() - t0
    print(f"{result.name}: {result.seconds:.1f} s in all, page and kernel up "
          f"{result.open_seconds:.1f} s, Run All {result.run_seconds:.1f} s; widgets "
          + ", ".join(f"cell {w.cell} {w.before}->{w.after} {w.seconds:.2f} s"
                      + (f" [{w.problem[:60]}]" if w.problem else "") for w in result.widgets))
    return result


# --- tests ---------------------------------------------------------------------------

def test_chapters_with_widgets_are_found(tmp_path):
    assert any(p.name == "00_introduction.py" for p in CHAPTERS)
    (tmp_path / "01_a.py").write_text("from gmcourse import widgets\nwidgets.live(draw, a=s)\n")
    (tmp_path / "02_b.py").write_text("import ipywidgets as w\n")
    (tmp_path / "03_c.py").write_text("import torch\nprint('no controls')\n")
    (tmp_path / "notes.py").write_text("widgets.live(draw)\n")
    assert [p.name for p in widget_chapters(tmp_path)] == ["01_a.py", "02_b.py"]


@pytest.mark.parametrize("py", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_widgets_work_in_jupyterlab(py, lab, browser):
    result = run_in_lab(lab, browser, py)
    assert not result.run_problems, result.run_problems
    assert result.widgets, f"{py.name} uses widgets but no slider or dropdown was shown"
    problems = [f"cell {w.cell}: {w.problem}" for w in result.widgets if w.problem]
    assert not problems, problems


def test_broken_callbacks_and_failing_cells_are_caught(lab, browser):
    result = run_in_lab(lab, browser, FIXTURE, timeout=5)  # the fixture redraws in ~50 ms
    ok, raises, frozen = result.widgets
    assert ok.problem is None and (ok.before, ok.after) == ("3.00", "2.75")
    assert raises.problem and "raised" in raises.problem and "ZeroDivisionError" in raises.problem
    assert frozen.problem and "figure did not change" in frozen.problem
    assert len(result.run_problems) == 1
    assert "RuntimeError" in result.run_problems[0] and "on purpose" in result.run_problems[0]
