"""The chapters' live figures: each ``draw(fig, **values)`` draws one state of a widget on
a matplotlib figure from the families' public APIs, so that tests and benchmarks call it
without a browser (``widgets.live`` shows it with controls; ``widgets.update_ms`` times it).

    00  draw_change_of_variables          01  divergence_fit_draw, draw_parallel_lines
    02  draw_dirac_gan, draw_gan_state    02-03  live_gan (a training callback)
    04  draw_latent_traversal             05  flow_stages, draw_flow_stages
    06  draw_receptive_field              07  draw_guidance
    08  draw_annealed_langevin            10  flow_sampler_state, draw_flow_sampler
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from . import dirac, widgets
from .data import GaussianMixture, ring8
from .divergences import F_DIVERGENCES, blurred_lines, parallel_lines
from .divfit import LiveFit
from .flow_matching import SOLVERS
from .intro import sinh_map, sinh_map_log_prob
from .metrics import mode_coverage
from .score import MixtureScore, annealed_langevin, geometric_sigmas, langevin, mode_weights, two_modes
from .vae_posteriors import log_q
from .viz import grid_points, image_grid


# --- chapter 00 ----------------------------------------------------------------------

def draw_change_of_variables(fig, a: float = 1.0, n: int = 20_000):
    """Histogram of x = sinh(a z)/a, z ~ N(0, 1), against the change-of-variables density."""

    x = sinh_map(torch.randn(n, generator=torch.Generator().manual_seed(0)), a)
    grid = torch.linspace(-4, 4, 400)
    ax1, ax2 = fig.subplots(1, 2)
    z = torch.linspace(-3, 3, 200)
    ax1.plot(z, sinh_map(z, a))
    ax1.set(title=f"x = f(z) = sinh({a:.2f} z) / {a:.2f}", xlabel="z", ylabel="x", ylim=(-4, 4))
    # every sample counts (no clamping: that would pile the tails into the edge bins), so
    # the bars integrate to the mass inside [-4, 4], as the density does
    inside = (x.abs() < 4).float().mean().item()
    ax2.hist(x.numpy(), bins=80, range=(-4, 4), weights=np.full(n, 80 / (8 * n)), alpha=0.5,
             label="histogram of f(z)")
    ax2.plot(grid, sinh_map_log_prob(grid, a).exp(), "k", label="p_z(f^-1(x)) |df^-1/dx|")
    ax2.set(title=f"density of x ({100 * inside:.1f}% of the mass in [-4, 4])", xlabel="x",
            ylim=(0, 0.8))
    ax2.legend(loc="upper right", fontsize=8)
    # fixed margins: tight_layout measures every tick label and costs ~100 ms per update
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)


# --- chapter 01 ----------------------------------------------------------------------

def divergence_fit_draw(live_fit=None):
    """The divergence-fit widget's callback, ``draw(fig, separation, weight, std_left,
    std_right, tilt, divergence)``: a two-component target, its best Gaussian under the
    chosen divergence, and every divergence between the two. It keeps the last optimum
    per divergence (``divfit.LiveFit``) to warm-start the next update."""

    state = live_fit or LiveFit()
    angle = torch.linspace(0, 2 * np.pi, 60, dtype=torch.float64)
    circle = torch.stack([angle.cos(), angle.sin()], 1)  # (60, 2)

    def draw(fig, separation=4.0, weight=0.5, std_left=0.5, std_right=0.5, tilt=0.0,
             divergence="KL"):
        right = std_right ** 2 * np.array([[1.0, tilt], [tilt, 1.0]])
        p = GaussianMixture([[-separation / 2, 0.0], [separation / 2, 0.0]],
                            [std_left ** 2 * np.eye(2), right], [weight, 1 - weight])
        q, values = state.update(p, divergence)
        ext = p.extent
        *_, pts = grid_points(ext, 64, dtype=torch.float64)
        dens = p.log_prob(pts).exp().reshape(64, 64)
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        ax1.imshow(dens.numpy(), origin="lower", extent=(-ext, ext, -ext, ext), cmap="Greys")
        with torch.no_grad():
            mu, L = q.mu[0], q.L[0]
            for r in (1, 2):  # 1 and 2 standard-deviation ellipses of the fit
                e = mu + r * circle @ L.T
                ax1.plot(e[:, 0], e[:, 1], "C3", lw=1.5)
            ax1.plot(*mu.numpy(), "C3x")
            S = q.Sigma[0]
        ax1.set(xlim=(-ext, ext), ylim=(-ext, ext), xticks=[], yticks=[],
                title=f"best Gaussian under {divergence}\nmean ({mu[0]:.2f}, {mu[1]:.2f}), "
                      f"var_x {S[0, 0]:.2f}, var_y {S[1, 1]:.2f}")
        names = list(values)  # the value goes into the label: fewer texts to render
        ax2.barh([f"{k}  {values[k]:.3g}" for k in names], [min(values[k], 3.0) for k in names],
                 color=["C3" if k == divergence else "C0" for k in names])
        ax2.set(xlim=(0, 3), xticks=[], title="D(target || fit), bars clipped at 3")
        ax2.invert_yaxis()
        fig.subplots_adjust(left=0.02, right=0.97, bottom=0.05, top=0.84, wspace=0.6)
    return draw


_THETAS = tuple(float(t) for t in np.round(np.linspace(-2, 2, 81), 10))


@lru_cache(maxsize=4)
def parallel_lines_curves(thetas=_THETAS, sigma: float = 0.1) -> dict:
    """JS, TV, W1 of the parallel lines, and JS of the blurred lines, over ``thetas``."""
    rows = [parallel_lines(t) for t in thetas]
    out = {k: [r[k] for r in rows] for k in ("JS", "TV", "W1")}
    out[f"JS, lines blurred by {sigma}"] = [
        blurred_lines(t, F_DIVERGENCES["JS"], sigma).item() for t in thetas]
    return out


def draw_parallel_lines(fig, theta: float = 1.0):
    """The disjoint-supports widget: P_0 on x = 0, P_theta on x = theta, and each
    divergence against theta (the curves are computed once and cached)."""
    curves = parallel_lines_curves()
    now = parallel_lines(theta)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2]})
    ax1.plot([0, 0], [0, 1], "C0", lw=4, label="$P_0$")
    ax1.plot([theta, theta], [0, 1], "C1", lw=4, label=r"$P_\theta$")
    ax1.annotate("", (theta, 0.5), (0, 0.5), arrowprops={"arrowstyle": "->"})
    ax1.set(xlim=(-2.2, 2.2), ylim=(-0.2, 1.2), title=f"theta = {theta:.2f}", yticks=[],
            xticks=[-2, 0, 2])  # few ticks: tick labels are most of the drawing time
    ax1.legend(loc="lower left", fontsize=8)
    t = np.array(_THETAS)
    for i, (k, v) in enumerate(curves.items()):
        v = np.array(v)
        if "blurred" in k or k == "W1":
            ax2.plot(t, v, label=k, lw=1 if "blurred" in k else 2, color=f"C{i}")
        else:  # jumps at theta = 0: draw both sides and the value at 0 as a dot
            for side in (t < 0, t > 0):
                ax2.plot(t[side], v[side], lw=2, color=f"C{i}", label=k if side[0] else None)
            ax2.plot(0, v[t == 0][0], "o", color=f"C{i}", ms=4)
    ax2.axvline(theta, color="k", lw=0.8)
    ax2.set(xlabel="theta", ylim=(-0.05, 2.1), xticks=[-2, -1, 0, 1, 2], yticks=[0, 0.693, 1, 2],
            yticklabels=["0", "log 2", "1", "2"],
            title=f"JS {now['JS']:.3f}   TV {now['TV']:.2f}   KL {now['KL']:.3g}   W1 {now['W1']:.2f}")
    ax2.legend(loc="upper center", fontsize=8, ncol=2)
    fig.subplots_adjust(left=0.04, right=0.98, bottom=0.15, top=0.88, wspace=0.15)


# --- chapters 02-03 ------------------------------------------------------------------


def draw_gan_state(fig, gan, target, n: int = 1000, extent: float | None = None,
                   title: str = "", x_fake=None, ax=None):
    """Samples of G over the data, on the discriminator's (or critic's) contours."""
    extent = extent or target.extent
    xx, yy, pts = grid_points(extent, 80)
    with torch.no_grad():
        d = gan.discriminate(pts.to(next(gan.D.parameters()).device)).reshape(80, 80).cpu()
        x_fake = gan.sample(n).cpu() if x_fake is None else x_fake
    x_real = target.sample(n, generator=torch.Generator().manual_seed(0))
    ax = ax or fig.gca()
    ax.contourf(xx, yy, d, levels=20, cmap="coolwarm", alpha=0.6)
    ax.scatter(x_real[:, 0], x_real[:, 1], s=2, c="k", alpha=0.4, label="data")
    ax.scatter(x_fake[:, 0], x_fake[:, 1], s=2, c="gold", alpha=0.6, label="G(z)")
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal", title=title)
    ax.set_xticks([]), ax.set_yticks([])


def live_gan(target, steps: int, every: int = 250, n: int = 1000):
    """A training callback that redraws G's samples on D's contours every ``every`` steps
    and at the last step (``steps - 1``), in one figure that updates in place."""
    def draw(fig, i, gan):
        with torch.random.fork_rng():  # drawing must not change the training's random numbers
            draw_gan_state(fig, gan, target, n, title=f"step {i + 1} of {steps}")
    return widgets.LiveTraining(draw, every=every, last=steps - 1, figsize=(4, 4))


def draw_dirac_gan(fig, method: str = "simultaneous", h: float = 0.2, gamma: float = 0.0,
                   lam: float = 0.0, steps: int = 200):
    """Phase portrait of the Dirac-GAN: the field v(theta, psi) and one trajectory
    (gamma: R1's damping; lam: ODE-GAN's gradient regulariser)."""
    traj = dirac.trajectory(dirac.METHODS[method], h, steps, gamma, lam=lam)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    s = np.linspace(-2.5, 2.5, 15)
    T, P = np.meshgrid(s, s)
    ax1.quiver(T, P, *dirac.field(T, P, gamma, lam), color="0.6", angles="xy")
    ax1.plot(traj[:, 0], traj[:, 1], ".-", ms=2, lw=0.8)
    ax1.plot(*traj[0], "go", label="start")
    ax1.plot(0, 0, "k*", ms=10, label="equilibrium")
    ax1.set(xlim=(-2.5, 2.5), ylim=(-2.5, 2.5), xlabel="theta (generator)",
            ylabel="psi (discriminator)",
            title=f"{method}, h = {h:.2f}, gamma = {gamma:.2f}, lambda = {lam:.2f}")
    ax1.legend(loc="lower left", fontsize=8)
    ax2.semilogy(dirac.distance(traj) + 1e-12)
    ax2.set(xlabel="step", ylabel="distance to (0, 0)", title="convergence?")
    # fixed margins: tight_layout measures every tick label and costs ~100 ms per update
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)


# --- chapter 04 ----------------------------------------------------------------------

def draw_latent_traversal(fig, z1: float = 0.0, z2: float = 0.0, *, model, codes, labels,
                          extent: float = 3.5):
    """A 2D-latent VAE: the data's posterior means (colour = digit) with the point z = (z1, z2)
    marked, and the decoder's mean image at z. ``codes`` (n, 2), ``labels`` (n,) precomputed."""

    codes, labels = torch.as_tensor(codes).cpu().numpy(), torch.as_tensor(labels).cpu().numpy()
    ax1 = fig.add_axes((0.08, 0.12, 0.5, 0.78))  # fixed layout: tight_layout is slow
    ax2 = fig.add_axes((0.64, 0.12, 0.33, 0.78))
    sc = ax1.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
    ax1.legend(*sc.legend_elements(), title="digit", fontsize=6, title_fontsize=7, ncol=2,
               loc="upper left", markerscale=0.7, handletextpad=0.1, columnspacing=0.5)
    ax1.plot([z1], [z2], "k*", ms=16)
    ax1.set(xlim=(-extent, extent), ylim=(-extent, extent), xlabel="z1", ylabel="z2",
            title="posterior means (colour: digit)")
    param = next(model.parameters())
    z = torch.tensor([[z1, z2]], dtype=param.dtype, device=param.device)
    ax2.imshow(model.decode(z)[0, 0].cpu().numpy(), cmap="gray", vmin=0, vmax=1)
    ax2.set_title(f"decoder mean at z = ({z1:.1f}, {z2:.1f})")
    ax2.axis("off")


# --- chapter 05 ----------------------------------------------------------------------

def flow_stages(flow, n: int = 2000, grid: int = 90, seed: int = 0) -> list[dict]:
    """Precompute, for every stage k of a 2D flow (k generative layers applied to the base),
    samples and the stage's density on a grid around them, so that a slider only redraws."""

    device = next(flow.parameters()).device
    z = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))
    names = ["base N(0, I)"] + [type(m).__name__ for m in reversed(flow.layers)]
    stages = []
    with torch.no_grad():
        for k, h in enumerate(flow.trajectory(z.to(device))):
            h = h.cpu()
            ext = float(h.abs().quantile(0.995)) * 1.15
            xx, yy, pts = grid_points(ext, grid)
            p = flow.stage_log_prob(pts.to(device), k).exp().cpu().reshape(grid, grid)
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

def draw_receptive_field(fig, grads: dict, row: int = 5, col: int = 5):
    """Where output pixel (row, col) looks, for each network of ``grads`` (name -> the
    (H*W, H, W) array of ``pixelcnn.input_gradients``): blue = seen (the darker, the larger
    the gradient), orange = before it in raster order but never seen, grey = after it."""
    axes = fig.subplots(1, len(grads))
    for ax, (name, g) in zip(np.atleast_1d(axes), grads.items()):
        H, W = g.shape[1:]
        i = row * W + col
        mag = np.asarray(g[i], dtype=float)
        before = (np.arange(H * W) < i).reshape(H, W)
        img = np.ones((H, W, 3)) * 0.85  # after i: grey
        img[before & (mag == 0)] = (1.0, 0.6, 0.1)  # before i, zero gradient: orange
        seen = mag > 0
        if seen.any():
            level = np.log(mag[seen]) - np.log(mag[seen]).max()  # 0 = largest gradient
            shade = np.clip(1 + level / 12, 0.15, 1)[:, None]
            img[seen] = (1 - shade) * np.array([0.8, 0.9, 1.0]) + shade * np.array([0.1, 0.3, 0.8])
        img[row, col] = (0.85, 0.1, 0.1)  # the output pixel i itself
        ax.imshow(img, interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(f"{name}: {int((before & seen).sum())} of {int(before.sum())} earlier"
                     f" pixels reach ({row}, {col})", fontsize=9)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9, wspace=0.1)


# --- chapter 07 ----------------------------------------------------------------------

def draw_guidance(fig, samples: dict, labels, w: float, classifier=None):
    """Samples guided with scale ``w`` (precomputed: ``samples[w]`` (n, 1, H, W)), one
    column per requested class, titled with how often the classifier agrees."""


    x = samples[w]
    order = torch.argsort(labels, stable=True)  # one column per class
    n_rows = len(labels) // 10
    ax = fig.subplots()
    grid = x[order].reshape(10, n_rows, *x.shape[1:]).transpose(0, 1).reshape(x.shape)
    image_grid(grid, nrow=10, ax=ax)
    title = f"guidance w = {w:g}"
    if classifier is not None:
        acc = (classifier.predict(x) == labels).float().mean().item()
        title += f": {100 * acc:.0f}% classified as the requested digit"
    ax.set_title(title)


def draw_two_guidances(fig, samples: dict, power: float, per_digit: int = 3):
    """Chapter 11: samples of classifier-free and classifier guidance at one strength
    (``samples[method, power]`` (n, 1, H, W), labels 0..9 in turn), ``per_digit`` rows each."""
    axes = fig.subplots(1, 2)
    for ax, method in zip(axes, ("classifier-free", "classifier")):
        x = samples[method, power][:10 * per_digit]
        image_grid(x, nrow=10, ax=ax, pad=1)
        ax.set_title(f"{method} guidance, power {power:g}\n(columns: requested digit 0-9)",
                     fontsize=9)


# --- chapter 08 ----------------------------------------------------------------------

def draw_annealed_langevin(fig, eps: float = 0.1, steps: int = 50, levels: int = 10,
                           n: int = 200, seed: int = 0):
    """Langevin on NCSN's two-mode mixture with exact scores, from a uniform start.

    levels = 1 is plain Langevin with step eps; levels = L > 1 anneals over L noise levels
    from 20 down to 1, ``steps`` steps each, step eps sigma_i^2 / sigma_L^2.
    """

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
    ax.plot(x[:, 0].numpy(), x[:, 1].numpy(), ".", ms=3)  # plot() draws faster than scatter()
    ax.set(xlim=(-10, 10), ylim=(-10, 10), aspect="equal",
           title=f"{'plain' if levels == 1 else f'annealed, {levels} levels'}: weight of the "
                 f"lower-left mode {w[0]:.2f} (true 0.20)")


# --- chapter 10 ----------------------------------------------------------------------

FLOW_STEPS = (1, 2, 4, 10, 20, 50)


def flow_sampler_state(flows: dict, n: int = 600, n_paths: int = 40, seed: int = 0) -> dict:
    """Every (coupling, solver, steps) sample of the flows {coupling name: FlowMatching},
    from the same source points, with the first ``n_paths`` trajectories: what the widget
    shows, computed once so that each update only draws."""
    ring = ring8()
    x0 = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed))
    state = {}
    for coupling, flow in flows.items():
        for solver_name, solver in SOLVERS.items():
            for steps in FLOW_STEPS:
                x, path = flow.sample(n, steps, solver, x0=x0, return_path=True)
                state[coupling, solver_name, steps] = {
                    "x": x.numpy(), "path": path[:, :n_paths].numpy(), "cov": mode_coverage(x, ring)}
    return state


def draw_flow_sampler(fig, steps: int = 10, solver: str = "Euler", coupling: str = "independent",
                      state=None):
    """Left: trajectories from t = 0 (grey) to t = 1 (black); right: the samples, with their
    mode coverage of ring-8."""
    s = state[coupling, solver, steps]
    ax1, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.04, right=0.98, top=0.88, bottom=0.06, wspace=0.1)
    path = s["path"]
    ax1.plot(path[:, :, 0], path[:, :, 1], "-", lw=0.6, color="tab:blue", alpha=0.6)
    ax1.plot(path[0, :, 0], path[0, :, 1], ".", color="0.6", ms=3)
    ax1.plot(path[-1, :, 0], path[-1, :, 1], "k.", ms=3)
    ax1.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xticks=[], yticks=[],
            title=f"{len(path[0])} trajectories, {coupling} coupling")
    ax2.plot(s["x"][:, 0], s["x"][:, 1], ".", ms=2)
    ax2.set(xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), aspect="equal", xticks=[], yticks=[],
            title=f"{solver}, {steps} steps: {s['cov'].modes}/8 modes, "
                  f"{100 * s['cov'].high_quality:.0f}% high quality")


# --- chapter 04: a VAE's true posterior against its q(z|x) -------------------------

def draw_posterior_panel(ax, model, x, half=1.0, n=120):
    """Colour: the model's true posterior p(z|x) on a window around its mode (normalised on
    the grid); white: log q(z|x) at 0.5, 2 and 4.5 nats below its maximum."""
    _, _, pts = grid_points(4.0, 100, device=x.device)  # coarse: find the mode
    xs = x.expand(len(pts), *x.shape[1:])
    with torch.no_grad():
        mode = pts[(model.decoder(pts).log_prob(xs) + model.prior().log_prob(pts)).argmax()]
    xx, yy, pts = grid_points(half, n, device=x.device)
    pts, xx, yy = pts + mode, xx + mode[0], yy + mode[1]
    xs = x.expand(len(pts), *x.shape[1:])
    with torch.no_grad():
        log_joint = model.decoder(pts).log_prob(xs) + model.prior().log_prob(pts)
        lq = log_q(model, pts, xs)
    post = (log_joint - log_joint.logsumexp(0)).exp().cpu().reshape(n, n)
    ax.pcolormesh(xx.cpu(), yy.cpu(), post, cmap="viridis", shading="auto")
    ax.contour(xx.cpu(), yy.cpu(), (lq - lq.max()).cpu().reshape(n, n), levels=[-4.5, -2, -0.5],
               colors="w", linewidths=0.7, linestyles="solid")
    ax.set(aspect="equal", xticks=[], yticks=[])
