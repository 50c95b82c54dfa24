"""Plots used across chapters: 2D densities and samples, image grids, training curves."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch


def grid_points(extent: float = 4.0, n: int = 200, device=None, dtype=None):
    """An n x n grid over [-extent, extent]^2: (xx, yy) for plotting and points (n*n, 2)."""
    s = torch.linspace(-extent, extent, n, device=device, dtype=dtype)
    xx, yy = torch.meshgrid(s, s, indexing="xy")
    return xx, yy, torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)


def grid_cell_area(extent: float, n: int) -> float:
    return (2 * extent / (n - 1)) ** 2


@torch.no_grad()
def plot_density(log_prob, extent: float = 4.0, n: int = 200, ax=None, title=None,
                 cmap="viridis", log: bool = False):
    """Show exp(log_prob) (or log_prob if ``log``) on a grid; ``log_prob``: (m, 2) -> (m,)."""
    ax = ax or plt.gca()
    xx, yy, pts = grid_points(extent, n)
    z = log_prob(pts).reshape(n, n).cpu()
    z = z if log else z.exp()
    ax.pcolormesh(xx.numpy(), yy.numpy(), z.numpy(), cmap=cmap, shading="auto")
    ax.set_aspect("equal")
    ax.set_xticks([]), ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def plot_samples(x, ax=None, title=None, extent: float | None = None, s: float = 2,
                 alpha: float = 0.5, **kw):
    """Scatter (n, 2) points."""
    ax = ax or plt.gca()
    x = torch.as_tensor(x).detach().cpu()
    ax.scatter(x[:, 0], x[:, 1], s=s, alpha=alpha, **kw)
    if extent is not None:
        ax.set_xlim(-extent, extent), ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def image_grid(x, nrow: int = 10, ax=None, title=None, pad: int = 1):
    """Tile images (N, C, H, W) in [0, 1] into one picture."""
    ax = ax or plt.gca()
    x = torch.as_tensor(x).detach().cpu().clamp(0, 1)
    N, C, H, W = x.shape
    ncol = nrow
    nrows = int(np.ceil(N / ncol))
    canvas = torch.ones(C, nrows * (H + pad) + pad, ncol * (W + pad) + pad)
    for i in range(N):
        r, c = divmod(i, ncol)
        canvas[:, pad + r * (H + pad): pad + r * (H + pad) + H,
               pad + c * (W + pad): pad + c * (W + pad) + W] = x[i]
    img = canvas.permute(1, 2, 0).numpy()
    ax.imshow(img.squeeze(-1) if C == 1 else img, cmap="gray" if C == 1 else None,
              vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def plot_history(history, keys=None, ax=None, smooth: int = 20, title=None):
    """Training curves from a ``History``, smoothed with a running mean of ``smooth``."""
    ax = ax or plt.gca()
    for k in keys or history.losses:
        v = np.asarray(history.losses[k], dtype=float)
        if smooth > 1 and len(v) > smooth:
            v = np.convolve(v, np.ones(smooth) / smooth, mode="valid")
        ax.plot(v, label=k)
    ax.set_xlabel("step")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax
