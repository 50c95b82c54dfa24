"""ipywidgets helpers. Each widget's callback is a plain function that draws on a
matplotlib figure, so tests call it without a browser and time it as a benchmark.

    live(draw, **controls)   sliders/dropdowns -> draw(fig, **values) -> figure shown
    render_png(fig)          the PNG one update sends to the browser
    update_ms(draw, settings)  the time of each update, for the benchmarks
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


# --- chapters 02-03 ------------------------------------------------------------------

def draw_dirac_gan(fig, method: str = "simultaneous", h: float = 0.2, gamma: float = 0.0,
                   steps: int = 200):
    """Phase portrait of the Dirac-GAN: the field v(theta, psi) and one trajectory."""
    import numpy as np
    from . import dirac

    traj = dirac.trajectory(dirac.METHODS[method], h, steps, gamma)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    s = np.linspace(-2.5, 2.5, 15)
    T, P = np.meshgrid(s, s)
    ax1.quiver(T, P, *dirac.field(T, P, gamma), color="0.6", angles="xy")
    ax1.plot(traj[:, 0], traj[:, 1], ".-", ms=2, lw=0.8)
    ax1.plot(*traj[0], "go", label="start")
    ax1.plot(0, 0, "k*", ms=10, label="equilibrium")
    ax1.set(xlim=(-2.5, 2.5), ylim=(-2.5, 2.5), xlabel="theta (generator)",
            ylabel="psi (discriminator)", title=f"{method}, h = {h:.2f}, gamma = {gamma:.2f}")
    ax1.legend(loc="lower left", fontsize=8)
    ax2.semilogy(dirac.distance(traj) + 1e-12)
    ax2.set(xlabel="step", ylabel="distance to (0, 0)", title="convergence?")
    # fixed margins: tight_layout measures every tick label and costs ~100 ms per update
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)


def draw_gan_state(fig, gan, target, n: int = 1000, extent: float | None = None,
                   title: str = "", x_fake=None, ax=None):
    """Samples of G over the data, on the discriminator's (or critic's) contours."""
    import torch
    from .viz import grid_points

    extent = extent or target.extent
    xx, yy, pts = grid_points(extent, 80)
    with torch.no_grad():
        d = gan.D(pts.to(next(gan.D.parameters()).device)).reshape(80, 80).cpu()
        x_fake = gan.sample(n).cpu() if x_fake is None else x_fake
    x_real = target.sample(n, generator=torch.Generator().manual_seed(0))
    ax = ax or fig.gca()
    ax.contourf(xx, yy, d, levels=20, cmap="coolwarm", alpha=0.6)
    ax.scatter(x_real[:, 0], x_real[:, 1], s=2, c="k", alpha=0.4, label="data")
    ax.scatter(x_fake[:, 0], x_fake[:, 1], s=2, c="gold", alpha=0.6, label="G(z)")
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal", title=title)
    ax.set_xticks([]), ax.set_yticks([])


class LiveGAN:
    """A training callback that redraws samples and D's contours every ``every`` steps.

    ``fit_adversarial(gan, data, callback=LiveGAN(target))``: the figure updates in
    place in a notebook (one display handle), and stays as the last frame.
    """

    def __init__(self, target, every: int = 250, n: int = 1000, figsize=(4, 4)):
        self.target, self.every, self.n, self.figsize = target, every, n, figsize
        self.handle = None

    def __call__(self, i, gan):
        if i % self.every and i != 0:
            return
        from IPython.display import display
        fig = plt.figure(figsize=self.figsize)
        draw_gan_state(fig, gan, self.target, self.n, title=f"step {i}")
        if self.handle is None:
            self.handle = display(fig, display_id=True)
        else:
            self.handle.update(fig)
        plt.close(fig)
