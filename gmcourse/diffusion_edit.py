"""Editing with a trained diffusion model: DDIM inversion and interpolation of noise codes.

Symbols as in ``diffusion.py``; tau_0 = 0 < tau_1 < ... < tau_S the DDIM steps.
    invert     x_0 -> x_T by running the deterministic DDIM step (eta = 0) forwards:
               x_t = sqrt(alpha_bar_t) x0_hat(x_s) + sqrt(1 - alpha_bar_t) eps_theta(x_s, s)
               for s < t, i.e. the probability-flow ODE integrated from 0 to T (Song et al.
               2021, Sec. 4.3; Dhariwal and Nichol 2021, App. F); ``ddim_sample(x_T=...)``
               integrates it back, so decode(invert(x)) ~ x up to the solver's error
    slerp      spherical interpolation of two noise codes: x_T ~ N(0, I) in high dimension
               lies near the sphere of radius sqrt(D), which a straight line leaves
"""
from __future__ import annotations

import math

import torch

from .diffusion import DDPM


def ddim_times(model: DDPM, steps: int) -> list[int]:
    """The DDIM steps 0 = tau_0 < tau_1 = 1 < ... (the spacing ``ddim_sample`` uses)."""
    return [0] + [1 + i * model.T // steps for i in range(steps)]


@torch.no_grad()
def invert(model: DDPM, x, steps: int = 50, y=None) -> torch.Tensor:
    """x (data space) -> its noise code x_T: the deterministic DDIM chain run forwards."""
    xs = model.to_model(x)
    y = model._labels(len(xs), y, xs.device) if y is not None else None
    tau = ddim_times(model, steps)
    for s, t in zip(tau[:-1], tau[1:]):
        if s == 0:  # eps_theta is not trained at t = 0: take the first step with eps(x, tau_1)
            eps = model.eps_theta(xs, t, y)
        else:
            eps = model.eps_theta(xs, s, y)
        ab_s, ab_t = model.alpha_bar[s], model.alpha_bar[t]
        x0_hat = (xs - (1 - ab_s).sqrt() * eps) / ab_s.sqrt()
        xs = ab_t.sqrt() * x0_hat + model.one_minus_alpha_bar[t].sqrt() * eps  # [DDIM] Eq. (12), eta 0
    return xs


@torch.no_grad()
def decode(model: DDPM, x_T, steps: int = 50, y=None) -> torch.Tensor:
    """x_T -> x_0 by deterministic DDIM (eta = 0): the inverse of ``invert``."""
    return model.ddim_sample(len(x_T), steps, eta=0.0, y=y, x_T=x_T)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between batches a, b (B, ...): angle Omega between them,
    sin((1 - t) Omega) / sin(Omega) a + sin(t Omega) / sin(Omega) b."""
    af, bf = a.flatten(1), b.flatten(1)
    cos = (af * bf).sum(1) / (af.norm(dim=1) * bf.norm(dim=1))
    omega = cos.clamp(-1 + 1e-7, 1 - 1e-7).acos().view(-1, *[1] * (a.dim() - 1))
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def interpolate(model: DDPM, x_a, x_b, n: int = 8, steps: int = 50, y=None) -> torch.Tensor:
    """Decoded slerp between the noise codes of x_a and x_b (one pair each): (n, *shape)."""
    za, zb = invert(model, x_a, steps, y), invert(model, x_b, steps, y)
    codes = torch.cat([slerp(za, zb, t) for t in torch.linspace(0, 1, n).tolist()])
    ys = None if y is None else torch.as_tensor(y).expand(n)
    return decode(model, codes, steps, ys)


def mean_norm_ratio(x: torch.Tensor) -> float:
    """|x| / sqrt(D), averaged over the batch: about 1 for x ~ N(0, I)."""
    return (x.flatten(1).norm(dim=1) / math.sqrt(x[0].numel())).mean().item()


# --- inverse problems: y = A x (+ noise), one trained model for all of them ---------------
# Range-null space decomposition (DDNM, Wang et al. 2023): at every step the predicted clean
# image is corrected to agree with the measurement, x0_hat <- x0_hat - A^+ (A x0_hat - y),
# which changes only the part of x0_hat that A sees; the model fills in the null space.
# Operators are matrices (m, D) acting on flattened images in [0, 1].

def downsample_operator(H: int, W: int, f: int = 2) -> torch.Tensor:
    """Average pooling by f: (H W / f^2, H W); its pseudo-inverse is nearest upsampling."""
    eye = torch.eye(H * W).view(H * W, 1, H, W)
    return torch.nn.functional.avg_pool2d(eye, f).flatten(1).T.contiguous()


def blur_operator(H: int, W: int, std: float = 1.0, k: int = 5) -> torch.Tensor:
    """A Gaussian blur (zero padding) as a matrix (H W, H W)."""
    r = torch.arange(k) - k // 2
    g = torch.exp(-r.double() ** 2 / (2 * std ** 2))
    kernel = (g[:, None] * g[None, :] / g.sum() ** 2).float().view(1, 1, k, k)
    eye = torch.eye(H * W).view(H * W, 1, H, W)
    return torch.nn.functional.conv2d(eye, kernel, padding=k // 2).flatten(1).T.contiguous()


def mask_operator(mask: torch.Tensor) -> torch.Tensor:
    """Keep the pixels where ``mask`` (H, W) is 1: (number kept, H W)."""
    return torch.eye(mask.numel())[mask.flatten().bool()]


def pinv(A: torch.Tensor, rcond: float = 1e-3) -> torch.Tensor:
    """A^+ with singular values below rcond times the largest dropped (a blur's are tiny)."""
    return torch.linalg.pinv(A.double(), rtol=rcond).float()


@torch.no_grad()
def restore(model: DDPM, y: torch.Tensor, A: torch.Tensor, steps: int = 50, eta: float = 0.85,
            labels=None, rcond: float = 1e-3) -> torch.Tensor:
    """Images x (B, *shape) in [0, 1] with A x = y (y: (B, m), A: (m, D)), sampled from the
    model's prior: DDIM with the range-null correction of x0_hat at every step."""
    A_pinv = pinv(A, rcond).to(y.device)
    A = A.to(y.device)
    n, shape = len(y), model.shape
    # the process runs on to_model(x) = a x + b (images: 2x - 1), so it sees a y + A b
    z0 = model.to_model(torch.zeros(1, *shape, device=y.device)).flatten(1)
    a = model.to_model(torch.ones(1, *shape, device=y.device)).flatten(1) - z0
    y_model = a[0, 0] * y + z0 @ A.T
    labels = model._labels(n, labels, y.device) if labels is not None else None
    x = torch.randn(n, *shape, device=y.device)
    tau = ddim_times(model, steps)[::-1]
    for t, s in zip(tau[:-1], tau[1:]):
        ab_t, ab_s = model.alpha_bar[t], model.alpha_bar[s]
        x0 = model.predict_x0(x, t, model.eps_theta(x, t, labels)).flatten(1)
        x0 = x0 - (x0 @ A.T - y_model) @ A_pinv.T  # the range-null correction
        x0 = x0.view(n, *shape)  # predict_x0 clipped it before the correction (images)
        eps = (x - ab_t.sqrt() * x0) / model.one_minus_alpha_bar[t].sqrt()
        sigma = eta * (model.one_minus_alpha_bar[s] / model.one_minus_alpha_bar[t]
                       * (1 - ab_t / ab_s)).sqrt()
        x = ab_s.sqrt() * x0 + (model.one_minus_alpha_bar[s] - sigma ** 2).clamp_min(0).sqrt() * eps \
            + sigma * torch.randn_like(x)  # [DDIM] Eq. (12)
    return model.to_data(x)


@torch.no_grad()
def denoise(model: DDPM, y: torch.Tensor, sigma: float, steps: int = 50, labels=None) -> torch.Tensor:
    """y = x + sigma n in [0, 1] units: in the model's units (2x - 1) that is noise 2 sigma,
    and sqrt(alpha_bar_t*) y is a draw of x_t* when (1 - alpha_bar)/alpha_bar = (2 sigma)^2;
    deterministic DDIM from t* to 0 then gives (nearly) the posterior mean path."""
    s2 = (2 * sigma) ** 2
    ab_star = 1 / (1 + s2)
    t_star = int((model.alpha_bar[1:] - ab_star).abs().argmin()) + 1
    x = model.alpha_bar[t_star].sqrt() * model.to_model(y)
    labels = model._labels(len(y), labels, y.device) if labels is not None else None
    k = max(1, round(steps * t_star / model.T))
    tau = sorted({0, *[round(i * t_star / k) for i in range(1, k + 1)]})[::-1]
    for t, s in zip(tau[:-1], tau[1:]):
        eps = model.eps_theta(x, t, labels)
        x0 = model.predict_x0(x, t, eps)
        x = model.alpha_bar[s].sqrt() * x0 + model.one_minus_alpha_bar[s].sqrt() * eps if s > 0 else x0
    return model.to_data(x)
