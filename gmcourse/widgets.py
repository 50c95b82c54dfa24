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

def draw_latent_traversal(fig, z1: float = 0.0, z2: float = 0.0, *, model, codes, labels,
                          extent: float = 3.5):
    """A 2D-latent VAE: the data's posterior means (colour = digit) with the point z = (z1, z2)
    marked, and the decoder's mean image at z. ``codes`` (n, 2), ``labels`` (n,) precomputed."""
    import torch

    codes, labels = torch.as_tensor(codes).cpu().numpy(), torch.as_tensor(labels).cpu().numpy()
    ax1 = fig.add_axes((0.08, 0.12, 0.5, 0.78))  # fixed layout: tight_layout is slow
    ax2 = fig.add_axes((0.64, 0.12, 0.33, 0.78))
    ax1.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
    ax1.plot([z1], [z2], "k*", ms=16)
    ax1.set(xlim=(-extent, extent), ylim=(-extent, extent), xlabel="z1", ylabel="z2",
            title="posterior means (colour: digit)")
    param = next(model.parameters())
    z = torch.tensor([[z1, z2]], dtype=param.dtype, device=param.device)
    ax2.imshow(model.decode(z)[0, 0].cpu(), cmap="gray", vmin=0, vmax=1)
    ax2.set_title(f"decoder mean at z = ({z1:.1f}, {z2:.1f})")
    ax2.axis("off")


# --- chapter 05 ----------------------------------------------------------------------


# --- chapter 06 ----------------------------------------------------------------------


# --- chapter 07 ----------------------------------------------------------------------


# --- chapter 08 ----------------------------------------------------------------------
