"""The offline HTML rendering (tools/render_html.py, `make html`): every executed chapter's
page opens from disk in headless Chromium with no network, its figures load, its
equations are typeset by the local MathJax, and its widgets show their stored state.
Full-page screenshots are kept in test-artifacts/html/.
"""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from _chromium import ROOT, artifacts, chromium, in_ci, require_chromium

sys.path.insert(0, str(ROOT / "tools"))
import nb  # noqa: E402
import render_html  # noqa: E402

pytestmark = pytest.mark.browser

# raw TeX left on the page: a $...$ pair around a backslash command
RAW_TEX = r"/\$[^$\n]*\\[a-zA-Z]+[^$\n]*\$/"
PAGE_JS = """() => {
  const md = [...document.querySelectorAll('.jp-MarkdownCell')];
  return {
    images: [...document.images].map(i => ({src: i.src.slice(0, 60),
                                            ok: i.complete && i.naturalWidth > 0})),
    equations: document.querySelectorAll('.MathJax_CHTML, .MathJax_Display, mjx-container').length,
    mathErrors: document.querySelectorAll('.MathJax_Error, merror').length,
    rawTex: md.filter(c => %s.test(c.innerText)).length,
    widgetViews: document.querySelectorAll('.jupyter-widgets').length,
  };
}""" % RAW_TEX


# the embedded widget manager replaces each stored view's script tag with a drawn widget
WIDGETS_DRAWN = ("!document.querySelector("
                 "'script[type=\"application/vnd.jupyter.widget-view+json\"]')"
                 " || document.querySelector('.jupyter-widgets')")


def require_npm():
    have = (ROOT / "build" / "npm" / "node_modules" / "mathjax").exists()
    if not have and shutil.which("npm") is None:
        if in_ci():
            pytest.fail("CI must render the HTML pages: npm is missing (apt-get install npm)")
        pytest.skip("npm is needed once to fetch the page scripts (apt-get install npm)")


def executed_chapters() -> list[Path]:
    return [py for py in nb.chapter_sources()
            if render_html.is_executed(nbformat.read(py.with_suffix(".ipynb"), as_version=4))]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_chromium()
    require_npm()
    out = tmp_path_factory.mktemp("site") / "html"
    render_html.render(out=out)
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory, site):
    with chromium(tmp_path_factory.mktemp("chromium")) as ctx:
        remote = []
        ctx.route(lambda url: not url.startswith(("file:", "data:", "blob:")),
                  lambda route: (remote.append(route.request.url), route.abort()))
        ctx.remote_requests = remote
        yield ctx


def page_problems(ctx, page_file: Path, expect_equations: bool, expect_widgets: bool,
                  expect_images: int, shot: Path | None = None) -> list[str]:
    """Open one page from disk; return what is wrong with it ([] when all is in place)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    page, errors = ctx.new_page(), []
    page.on("pageerror", lambda e: errors.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"failed to load {r.url[:120]}"))
    start = len(ctx.remote_requests)
    try:
        page.goto(page_file.as_uri(), wait_until="load")
        # MathJax's "End" startup hook fires once the first typesetting pass is done
        page.evaluate("() => { if (window.MathJax && MathJax.Hub) MathJax.Hub.Register"
                      ".StartupHook('End', () => { window.mathDone = true; }); }")
        try:
            page.wait_for_function(
                f"() => (!window.MathJax || window.mathDone) && ({WIDGETS_DRAWN})",
                timeout=30_000)
        except PlaywrightTimeout:
            errors.append("equations or widgets still not drawn after 30 s")
        page.wait_for_timeout(500)
        info = page.evaluate(PAGE_JS)
        if shot is not None:
            page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    problems = list(errors)
    problems += [f"asked the network for {u[:120]}" for u in ctx.remote_requests[start:]]
    broken = [i["src"] for i in info["images"] if not i["ok"]]
    if broken:
        problems.append(f"{len(broken)} image(s) did not load: {broken[:3]}")
    if len(info["images"]) < expect_images:
        problems.append(f"{len(info['images'])} images on the page, "
                        f"{expect_images} figures stored")
    if expect_equations and not info["equations"]:
        problems.append("no typeset equations (MathJax did not run)")
    if info["mathErrors"]:
        problems.append(f"{info['mathErrors']} MathJax error(s)")
    if info["rawTex"]:
        problems.append(f"{info['rawTex']} markdown cell(s) still show raw TeX")
    if expect_widgets and not info["widgetViews"]:
        problems.append("the stored widgets were not drawn")
    return problems


def expectations(book) -> dict:
    md = "\n".join(c.source for c in book.cells if c.cell_type == "markdown")
    figures = sum(1 for c in book.cells if c.cell_type == "code" for o in c.outputs
                  if {"image/png", "image/jpeg"} & set(o.get("data", {})))
    views = any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                for c in book.cells if c.cell_type == "code" for o in c.outputs)
    return dict(expect_equations="$" in md, expect_widgets=views, expect_images=figures)


def test_index_lists_every_executed_chapter_in_order(site):
    html = (site / "index.html").read_text()
    links = re.findall(r'<li><a href="([^"]+)"', html)
    assert links == [f"{py.stem}.html" for py in executed_chapters()]
    assert all((site / link).exists() for link in links)
    assert "http://" not in html and "https://" not in html


@pytest.mark.parametrize("py", executed_chapters(), ids=lambda p: p.stem)
def test_rendered_page_shows_figures_equations_and_widgets_offline(py, site, browser):
    page = site / f"{py.stem}.html"
    text = page.read_text(encoding="utf-8")
    assert not re.search(r'<script[^>]+src="https?://', text), "a script is loaded from the web"
    book = nbformat.read(py.with_suffix(".ipynb"), as_version=4)
    assert not render_html.stateless_widget_views(book), (
        f"{py.name}: widget outputs without stored state cannot be drawn on a static page; "
        f"re-run `python tools/nb.py execute chapters/{py.name}`")
    problems = page_problems(browser, page, **expectations(book),
                             shot=artifacts("html") / f"{py.stem}.png")
    assert problems == []


def test_a_broken_page_is_caught(site, browser):
    """The checks fail on a page with a missing figure, untypeset TeX and a CDN script."""
    bad = site / "broken.html"
    bad.write_text("""<!DOCTYPE html><html><body>
<div class="jp-MarkdownCell"><p>An equation left as text: $\\alpha + \\beta$</p></div>
<img src="no-such-figure.png">
<script src="https://cdn.example.org/lib.js"></script>
</body></html>""")
    problems = page_problems(browser, bad, expect_equations=True, expect_widgets=True,
                             expect_images=2)
    joined = "\n".join(problems)
    for expected in ["did not load", "2 figures stored", "no typeset equations", "raw TeX",
                     "widgets were not drawn", "network"]:
        assert expected in joined, (expected, problems)


def test_sync_keeps_the_stored_widget_state(tmp_path):
    """tools/nb.py sync (after a prose edit) must not drop the state the widgets need."""
    src = ROOT / "chapters" / "00_introduction.py"
    py, ipynb = tmp_path / src.name, tmp_path / src.with_suffix(".ipynb").name
    shutil.copy(src, py)
    shutil.copy(src.with_suffix(".ipynb"), ipynb)
    assert render_html.stateless_widget_views(nbformat.read(ipynb, as_version=4)) == 0
    py.write_text(py.read_text().replace("Move the slider:", "Move the slider now:", 1))
    nb.sync(py)
    book = nbformat.read(ipynb, as_version=4)
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for c in book.cells if c.cell_type == "code" for o in c.outputs)
    assert render_html.stateless_widget_views(book) == 0
    del book.metadata["widgets"]
    assert render_html.stateless_widget_views(book) > 0
