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

def draw_annealed_langevin(fig, eps: float = 0.1, steps: int = 50, levels: int = 10,
                           n: int = 300, seed: int = 0):
    """Langevin on NCSN's two-mode mixture with exact scores, from a uniform start.

    levels = 1 is plain Langevin with step eps; levels = L > 1 anneals over L noise levels
    from 20 down to 1, ``steps`` steps each, step eps sigma_i^2 / sigma_L^2.
    """
    import torch
    from .score import (MixtureScore, annealed_langevin, geometric_sigmas, langevin,
                        mode_weights, two_modes)

    p = two_modes()
    s = MixtureScore(p)
    g = torch.Generator().manual_seed(seed)
    x = 16 * torch.rand(n, 2, generator=g) - 8
    if levels == 1:
        x = langevin(s, x, eps, steps, g)
    else:
        x = annealed_langevin(s, x, geometric_sigmas(20.0, 1.0, levels), eps, steps, g)
    w = mode_weights(x, p)
    ax = fig.subplots()
    ax.scatter(x[:, 0], x[:, 1], s=3, alpha=0.6)
    ax.set(xlim=(-10, 10), ylim=(-10, 10), aspect="equal",
           title=f"{'plain' if levels == 1 else f'annealed, {levels} levels'}: weight of the "
                 f"lower-left mode {w[0]:.2f} (true 0.20)")
    fig.tight_layout()
