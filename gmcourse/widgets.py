"""ipywidgets helpers. Each widget's callback is a plain function that draws on a
matplotlib figure, so tests call it without a browser and time it as a benchmark.

    live(draw, **controls)   sliders/dropdowns -> draw(fig, **values) -> figure shown
    render_png(fig)          the PNG one update sends to the browser
    update_ms(draw, settings)  the time of each update, for the benchmarks
    LiveTraining(draw, every)  a training callback that redraws one figure in place
"""
from __future__ import annotations

import io
import matplotlib.pyplot as plt


def live(draw, figsize=(9, 3.5), continuous_update: bool = False, **controls):
    """An interactive figure: ``draw(fig, **values)`` re-runs whenever a control moves.

    ``controls`` are ipywidgets (``FloatSlider(...)``, ``Dropdown(...)``) or anything
    ``ipywidgets.interactive`` accepts. Returns the ``interactive`` widget, to display.
    """
    import ipywidgets as w

    for c in controls.values():
        if hasattr(c, "continuous_update"):
            c.continuous_update = continuous_update

    def update(**values):
        from IPython.display import Image, display
        fig = plt.figure(figsize=figsize)
        draw(fig, **values)
        display(Image(render_png(fig)))

    return w.interactive(update, **controls)


def render_png(fig, close: bool = True) -> bytes:
    """``fig`` as PNG bytes, rendered once.

    Jupyter's inline backend saves with ``bbox_inches="tight"``, which renders the figure
    twice (once to measure it); a widget update does not need that, and it halves the
    time of each update. Draw functions lay out their own margins.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    if close:
        plt.close(fig)
    return buf.getvalue()


def update_ms(draw, settings, figsize=(9, 3.5)) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each widget update ``draw(fig, **values)`` + its PNG,
    one per dict in ``settings``: what a benchmark reports against the 300 ms target."""
    import time
    wall, cpu = [], []
    for values in settings:
        fig = plt.figure(figsize=figsize)
        t, c = time.perf_counter(), time.process_time()
        draw(fig, **values)
        render_png(fig)
        wall.append(1000 * (time.perf_counter() - t))
        cpu.append(1000 * (time.process_time() - c))
    return wall, cpu


class LiveTraining:
    """A training callback ``(i, model)`` that redraws ``draw(fig, i, model)`` every
    ``every`` steps and at step ``last``, in one figure that updates in place in a
    notebook (one display handle); the final frame stays on the page."""

    def __init__(self, draw, every: int = 250, last: int | None = None, figsize=(4, 4)):
        self.draw, self.every, self.last, self.figsize = draw, every, last, figsize
        self.handle = None

    def __call__(self, i, model):
        if i % self.every and i != self.last:
            return
        from IPython.display import display
        fig = plt.figure(figsize=self.figsize)
        self.draw(fig, i, model)
        if self.handle is None:
            self.handle = display(fig, display_id=True)
        else:
            self.handle.update(fig)
        plt.close(fig)
