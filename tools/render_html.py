"""Render every executed chapter to a static, offline HTML site: build/html/index.html.

    python tools/render_html.py [--out DIR] [--npm DIR] [CHAPTERS]     (or `make html`)

Each page keeps its figures, its equations (MathJax 2.7) and its widgets' stored state
(the @jupyter-widgets HTML manager draws the sliders and the figure they last showed;
without a kernel they do not move). Nothing is loaded from a CDN: the three npm packages
below are installed once into ``build/npm`` (needs ``npm``) and copied under
``DIR/_static``, so the folder can be opened from disk or served as it is.
A chapter whose notebook holds no stored outputs is skipped with a note.
"""
from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nb  # noqa: E402

NPM_PACKAGES = {"@jupyter-widgets/html-manager": "1.0.15",  # matches ipywidgets 8.1
                "requirejs": "2.3.8",
                "mathjax": "2.7.9"}                           # nbconvert's pages expect MathJax 2
MATHJAX_CONFIG = "TeX-AMS_CHTML-full,Safe"
# What MathJax 2 needs for TeX input and CommonHTML output (about 6 MB of its 70 MB).
MATHJAX_PARTS = ["MathJax.js", "config", "extensions", "jax/input/TeX", "jax/output/CommonHTML",
                 "jax/element", "fonts/HTML-CSS/TeX/woff", "fonts/HTML-CSS/TeX/otf",
                 "localization/en"]


def npm_assets(npm_dir: Path) -> Path:
    """node_modules holding the pinned packages, installed with npm on first use."""
    modules = npm_dir / "node_modules"
    wanted = {name: modules / name / "package.json" for name in NPM_PACKAGES}
    import json
    if all(p.exists() and json.loads(p.read_text())["version"] == NPM_PACKAGES[n]
           for n, p in wanted.items()):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("render_html: `npm` is needed once to fetch the page scripts "
                         "(Debian/Ubuntu: apt-get install nodejs npm)")
    npm_dir.mkdir(parents=True, exist_ok=True)
    specs = [f"{n}@{v}" for n, v in NPM_PACKAGES.items()]
    print("npm install", " ".join(specs), flush=True)
    subprocess.run([npm, "install", "--prefix", str(npm_dir), "--no-save", "--no-audit",
                    "--no-fund", "--ignore-scripts", "--loglevel=error", *specs], check=True)
    return modules


def copy_static(modules: Path, static: Path) -> None:
    """Copy the scripts the pages load into DIR/_static (skipped when already there)."""
    stamp = static / ".versions"
    versions = " ".join(f"{n}@{v}" for n, v in NPM_PACKAGES.items())
    if stamp.exists() and stamp.read_text() == versions:
        return
    shutil.rmtree(static, ignore_errors=True)
    static.mkdir(parents=True)
    # embed-amd.js and the fonts its CSS names sit side by side in dist/
    shutil.copytree(modules / "@jupyter-widgets/html-manager/dist", static / "widgets")
    shutil.copy(modules / "requirejs/require.js", static / "require.js")
    for part in MATHJAX_PARTS:
        src, dst = modules / "mathjax" / part, static / "mathjax" / part
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
    stamp.write_text(versions)


def is_executed(book) -> bool:
    code = [c for c in book.cells if c.cell_type == "code"]
    return bool(code) and all(c.execution_count for c in code) and any(c.outputs for c in code)


def stateless_widget_views(book) -> int:
    """Widget outputs whose model state the notebook does not hold (they cannot be drawn)."""
    state = book.metadata.get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    views = [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
             for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    return sum(v not in state for v in views)


def title_of(book, fallback: str) -> str:
    for c in book.cells:
        if c.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", c.source, re.M)
            if m:
                return m.group(1).strip()
    return fallback


def exporter():
    from nbconvert import HTMLExporter
    return HTMLExporter(template_name="lab",
                        require_js_url="_static/require.js",
                        widget_renderer_url="_static/widgets/embed-amd.js",
                        mathjax_url=f"_static/mathjax/MathJax.js?config={MATHJAX_CONFIG}",
                        mermaid_js_url="", mermaid_layout_elk_js_url="")


NAV_STYLE = ("font-family:sans-serif;font-size:14px;padding:8px 16px;"
             "border-bottom:1px solid #ddd;background:#fafafa")


# The widget manager's labels fall back to a serif font outside JupyterLab; a long text
# output scrolls in its own box, as in JupyterLab's "scroll output" view.
PAGE_STYLE = ("<style>.jupyter-widgets, .widget-readout, .widget-label "
              "{font-family: var(--jp-ui-font-family, sans-serif); font-size: 13px}\n"
              ".jp-OutputArea-output pre {max-height: 40em; overflow-y: auto}</style>\n")
LONG_TEXT = 5000  # characters of one text output that are worth a warning


def long_text_outputs(book) -> list[int]:
    """Indices of code cells with a text output longer than LONG_TEXT characters."""
    def text(o):
        return o.get("text", "") if o.get("output_type") == "stream" else \
            o.get("data", {}).get("text/plain", "")
    return [i for i, c in enumerate(book.cells) if c.cell_type == "code"
            and any(len(text(o)) > LONG_TEXT and len(o.get("data", {})) <= 1
                    for o in c.get("outputs", []))]


def nav(prev: tuple | None, nxt: tuple | None) -> str:
    links = ['<a href="index.html">contents</a>']
    if prev:
        links.insert(0, f'<a href="{prev[0]}">&larr; {html.escape(prev[1])}</a>')
    if nxt:
        links.append(f'<a href="{nxt[0]}">{html.escape(nxt[1])} &rarr;</a>')
    return f'<nav class="gm-nav" style="{NAV_STYLE}">{" &middot; ".join(links)}</nav>'


def index_page(pages: list[tuple[str, str]], skipped: list[str]) -> str:
    items = "\n".join(f'    <li><a href="{href}">{html.escape(title)}</a></li>'
                      for href, title in pages)
    note = ""
    if skipped:
        note = ("<p>Not rendered (no stored outputs; run <code>make notebooks</code>): "
                + ", ".join(html.escape(s) for s in skipped) + "</p>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>gmcourse: deep generative models</title>
<style>body{{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.5}}
li{{margin:.3em 0}}</style></head>
<body>
<h1>gmcourse: deep generative models</h1>
<p>The chapters as executed in the lecture profile. Widgets show their stored state;
to move them, open the notebooks in JupyterLab (<code>make lab</code>).</p>
<ol start="0" id="chapters">
{items}
</ol>
{note}
</body></html>
"""


def render(chapters: list[Path] | None = None, out: Path = ROOT / "build" / "html",
           npm_dir: Path = ROOT / "build" / "npm") -> list[Path]:
    """Write out/NN_topic.html for each executed chapter and out/index.html; returns pages."""
    chapters = chapters or nb.chapter_sources()
    out.mkdir(parents=True, exist_ok=True)
    copy_static(npm_assets(npm_dir), out / "_static")
    books, skipped = [], []
    for py in chapters:
        book = nbformat.read(py.with_suffix(".ipynb"), as_version=4)
        if is_executed(book):
            books.append((py.stem, book))
            if stateless_widget_views(book):
                print(f"warning: {py.stem} has widgets without stored state; re-run "
                      f"`python tools/nb.py execute chapters/{py.name}`", flush=True)
            for i in long_text_outputs(book):
                print(f"warning: {py.stem} cell {i} prints over {LONG_TEXT} characters "
                      "(a return value left as the cell's last line?)", flush=True)
        else:
            skipped.append(py.stem)
            print(f"skip {py.stem}: not executed", flush=True)
    entries = [(f"{stem}.html", title_of(book, stem)) for stem, book in books]
    ex, written = exporter(), []
    for i, (stem, book) in enumerate(books):
        body, _ = ex.from_notebook_node(book, resources={"metadata": {"name": stem}})
        bar = nav(entries[i - 1] if i else None, entries[i + 1] if i + 1 < len(entries) else None)
        body = body.replace("</head>", PAGE_STYLE + "</head>", 1)
        body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + bar, body, count=1)
        page = out / f"{stem}.html"
        page.write_text(body, encoding="utf-8")
        written.append(page)
        print(f"wrote {page.relative_to(out.parent) if out.parent in page.parents else page}",
              flush=True)
    (out / "index.html").write_text(index_page(entries, skipped), encoding="utf-8")
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("chapters", nargs="*", help="chapter .py or .ipynb files (default: all)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "html")
    ap.add_argument("--npm", type=Path, default=ROOT / "build" / "npm")
    a = ap.parse_args(argv)
    render(nb.chapter_sources(a.chapters) if a.chapters else None, a.out.resolve(),
           a.npm.resolve())
    print(f"open {a.out.resolve() / 'index.html'}")


if __name__ == "__main__":
    main()
