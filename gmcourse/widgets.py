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

def flow_stages(flow, n: int = 2000, grid: int = 90, seed: int = 0) -> list[dict]:
    """Precompute, for every stage k of a 2D flow (k generative layers applied to the base),
    samples and the stage's density on a grid around them, so that a slider only redraws."""
    import torch
    from .viz import grid_points

    z = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))
    names = ["base N(0, I)"] + [type(m).__name__ for m in reversed(flow.layers)]
    stages = []
    with torch.no_grad():
        for k, h in enumerate(flow.trajectory(z.to(flow._ref.device))):
            h = h.cpu()
            ext = float(h.abs().quantile(0.995)) * 1.15
            xx, yy, pts = grid_points(ext, grid)
            p = flow.stage_log_prob(pts.to(flow._ref.device), k).exp().cpu().reshape(grid, grid)
            stages.append({"samples": h, "xx": xx, "yy": yy, "density": p, "extent": ext,
                           "name": names[k]})
    return stages


def draw_flow_stages(fig, k: int = 0, stages=()):
    """Stage k of a flow: its density (left) and where the base samples have moved (right)."""
    s = stages[k]
    ax1, ax2 = fig.subplots(1, 2)
    ax1.pcolormesh(s["xx"].numpy(), s["yy"].numpy(), s["density"].numpy(), shading="auto")
    ax1.set(title=f"stage {k}/{len(stages) - 1}: density", aspect="equal")
    z0 = stages[0]["samples"]
    colour = (z0[:, 0] > 0).float() + 2 * (z0[:, 1] > 0).float()  # the base's quadrant
    ax2.scatter(s["samples"][:, 0], s["samples"][:, 1], c=colour, s=1.5, cmap="tab10",
                vmin=0, vmax=9)
    ax2.set(title=f"after {s['name']}" if k else "base samples, coloured by quadrant",
            xlim=(-s["extent"], s["extent"]), ylim=(-s["extent"], s["extent"]), aspect="equal")
    for ax in (ax1, ax2):
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()



# --- chapter 06 ----------------------------------------------------------------------


# --- chapter 07 ----------------------------------------------------------------------


# --- chapter 08 ----------------------------------------------------------------------
