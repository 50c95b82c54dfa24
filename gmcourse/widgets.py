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

def draw_change_of_variables(fig, a: float = 1.0, n: int = 20_000):
    """Histogram of x = sinh(a z)/a, z ~ N(0, 1), against the change-of-variables density."""
    import torch
    from .intro import sinh_map, sinh_map_log_prob

    x = sinh_map(torch.randn(n, generator=torch.Generator().manual_seed(0)), a)
    grid = torch.linspace(-4, 4, 400)
    ax1, ax2 = fig.subplots(1, 2)
    z = torch.linspace(-3, 3, 200)
    ax1.plot(z, sinh_map(z, a))
    ax1.set(title=f"x = f(z) = sinh({a:.2f} z) / {a:.2f}", xlabel="z", ylabel="x", ylim=(-4, 4))
    ax2.hist(x.clamp(-4, 4).numpy(), bins=80, range=(-4, 4), density=True, alpha=0.5,
             label="histogram of f(z)")
    ax2.plot(grid, sinh_map_log_prob(grid, a).exp(), "k", label="p_z(f^-1(x)) |df^-1/dx|")
    ax2.set(title="density of x", xlabel="x", ylim=(0, 0.8))
    ax2.legend(loc="upper right", fontsize=8)
    fig.tight_layout()


# --- chapter 01 ----------------------------------------------------------------------


# --- chapters 02-03 ------------------------------------------------------------------


# --- chapter 04 ----------------------------------------------------------------------


# --- chapter 05 ----------------------------------------------------------------------


# --- chapter 06 ----------------------------------------------------------------------


# --- chapter 07 ----------------------------------------------------------------------


# --- chapter 08 ----------------------------------------------------------------------
