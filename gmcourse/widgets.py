"""ipywidgets helpers. Each widget's callback is a plain function that draws on a
matplotlib figure, so tests call it without a browser and time it as a benchmark.

    live(draw, **controls)   sliders/dropdowns -> draw(fig, **values) -> figure shown
"""
from __future__ import annotations

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
        fig = plt.figure(figsize=figsize)
        draw(fig, **values)
        plt.show()

    return w.interactive(update, **controls)


# --- chapter 00 ----------------------------------------------------------------------


# --- chapter 01 ----------------------------------------------------------------------


# --- chapters 02-03 ------------------------------------------------------------------


# --- chapter 04 ----------------------------------------------------------------------


# --- chapter 05 ----------------------------------------------------------------------


# --- chapter 06 ----------------------------------------------------------------------


# --- chapter 07 ----------------------------------------------------------------------


# --- chapter 08 ----------------------------------------------------------------------
