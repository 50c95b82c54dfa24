"""Denoising diffusion probabilistic models (Ho et al. 2020) and DDIM (Song et al. 2021).

Symbols (slides and papers; t = 1..T, index 0 means "no noise"):
    beta_t          noise added at step t;  alpha_t = 1 - beta_t
    alpha_bar_t     prod_{s<=t} alpha_s, so q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, 1 - alpha_bar_t)
    x0, xt, eps     data, noised data, the standard normal noise with xt = q_sample(x0, t, eps)
    eps_theta       the network eps_theta(x_t, t[, y]) that predicts eps from x_t
    tilde_mu_t, tilde_beta_t   mean and variance of the posterior q(x_{t-1} | x_t, x_0)
    w               classifier-free guidance scale: eps = (1 + w) eps(x, y) - w eps(x, null)
    eta             DDIM's stochasticity: 0 deterministic, 1 the ancestral sampler's noise

Equation numbers are those of Ho et al. (2020) unless marked [DDIM] (Song, Meng and
Ermon 2021), [iDDPM] (Nichol and Dhariwal 2021) or [CFG] (Ho and Salimans 2022).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# --- noise schedules: beta_1..beta_T as float64 tensors (T,) ---------------------------


def linear_beta(T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02) -> torch.Tensor:
    """Ho et al.'s linear schedule; for T != 1000 the betas scale by 1000/T [iDDPM] so
    that alpha_bar_T, the signal left at the end, stays about the same."""
    s = 1000 / T
    return torch.linspace(beta_1 * s, beta_T * s, T, dtype=torch.float64)


def cosine_beta(T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """alpha_bar_t = f(t) / f(0), f(t) = cos((t/T + s) / (1 + s) * pi/2)^2 [iDDPM Eq. (17)];
    it destroys information more slowly than the linear one, which helps small images."""
    t = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = f / f[0]
    return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=max_beta)


SCHEDULES = {"linear": linear_beta, "cosine": cosine_beta}


def _at(a: torch.Tensor, t, x: torch.Tensor) -> torch.Tensor:
    """a[t] shaped to broadcast against x: (B,) -> (B, 1, ..., 1)."""
    if isinstance(t, int):  # one step for the whole batch: a 0-dim tensor broadcasts
        return a[t]
    return a[t.to(a.device)].view(-1, *[1] * (x.dim() - 1))


class DDPM(nn.Module):
    """The diffusion process around a network ``eps_model(xt, t[, y]) -> eps``.

    shape: the shape of one example, e.g. (2,) or (1, 8, 8). With ``n_classes`` > 0 the
    model is conditional and trained with label dropout: a label becomes the null label
    ``n_classes`` with probability ``p_uncond`` [CFG Algorithm 1], so the same network
    also predicts the unconditional eps. ``clip_x0`` clips the predicted x_0 during
    sampling (images live in [-1, 1]); None leaves it alone.
    """

    def __init__(self, eps_model: nn.Module, beta: torch.Tensor, shape=(2,),
                 n_classes: int = 0, p_uncond: float = 0.1, clip_x0: float | None = None):
        super().__init__()
        self.eps_model, self.shape = eps_model, tuple(shape)
        self.n_classes, self.p_uncond, self.clip_x0 = n_classes, p_uncond, clip_x0
        beta = torch.cat([beta.new_zeros(1), beta.double()])  # beta[0] = 0: index t = 1..T
        alpha = 1 - beta
        alpha_bar = torch.cumprod(alpha, 0)
        alpha_bar_prev = torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])
        tilde_beta = beta * (1 - alpha_bar_prev) / (1 - alpha_bar).clamp_min(1e-300)  # Eq. (7)
        # 1 - alpha_bar is kept as its own buffer: computed from a float32 alpha_bar near
        # t = 1 it would lose three of its seven digits
        for name, v in [("beta", beta), ("alpha", alpha), ("alpha_bar", alpha_bar),
                        ("alpha_bar_prev", alpha_bar_prev), ("tilde_beta", tilde_beta),
                        ("one_minus_alpha_bar", 1 - alpha_bar),
                        ("one_minus_alpha_bar_prev", 1 - alpha_bar_prev)]:
            self.register_buffer(name, v.float(), persistent=False)

    @property
    def T(self) -> int:
        return len(self.beta) - 1

    # data space <-> the space the process runs in (identity here; images override)
    def to_model(self, x):
        return x

    def to_data(self, x):
        return x

    # --- the forward process ----------------------------------------------------------
    def q_step(self, x_prev, t, eps):
        """One forward step, q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I)."""
        return _at(self.alpha, t, x_prev).sqrt() * x_prev + _at(self.beta, t, x_prev).sqrt() * eps  # Eq. (2)

    def q_sample(self, x0, t, eps):
        """The closed form q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I)."""
        ab, one_minus_ab = _at(self.alpha_bar, t, x0), _at(self.one_minus_alpha_bar, t, x0)
        return ab.sqrt() * x0 + one_minus_ab.sqrt() * eps  # Eq. (4)

    def posterior(self, x0, xt, t):
        """Mean and variance of q(x_{t-1} | x_t, x_0) = N(tilde_mu_t, tilde_beta_t I)."""
        ab_prev, beta, alpha = (_at(a, t, xt) for a in (self.alpha_bar_prev, self.beta, self.alpha))
        one_minus_ab = _at(self.one_minus_alpha_bar, t, xt)  # 1 - alpha_bar_t
        one_minus_ab_prev = _at(self.one_minus_alpha_bar_prev, t, xt)
        mean = (ab_prev.sqrt() * beta * x0 + alpha.sqrt() * one_minus_ab_prev * xt) / one_minus_ab  # Eq. (7)
        return mean, _at(self.tilde_beta, t, xt)

    # --- the network and the loss -----------------------------------------------------
    def eps_theta(self, xt, t, y=None, w: float = 0.0):
        """Predicted noise; with labels y and w != 0, the guided (1 + w) eps_c - w eps_u."""
        t = torch.as_tensor(t, device=xt.device).expand(len(xt))
        if y is None or not self.n_classes:
            return self.eps_model(xt, t) if not self.n_classes else self.eps_model(xt, t, None)
        if w == 0:
            return self.eps_model(xt, t, y)
        null = torch.full_like(y, self.n_classes)
        eps_c, eps_u = self.eps_model(torch.cat([xt, xt]), torch.cat([t, t]),
                                      torch.cat([y, null])).chunk(2)
        return (1 + w) * eps_c - w * eps_u  # [CFG] Eq. (6)

    def loss(self, x0, y=None):
        """E_{t, x0, eps} |eps - eps_theta(sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps, t)|^2."""
        x0 = self.to_model(x0)
        t = torch.randint(1, self.T + 1, (len(x0),), device=x0.device)  # Algorithm 1
        eps = torch.randn_like(x0)
        if y is not None and self.n_classes:  # label dropout [CFG Algorithm 1]
            drop = torch.rand(len(y), device=y.device) < self.p_uncond
            y = torch.where(drop, torch.full_like(y, self.n_classes), y)
        return F.mse_loss(self.eps_theta(self.q_sample(x0, t, eps), t, y), eps)  # Eq. (14)

    def predict_x0(self, xt, t, eps):
        """x_0 implied by x_t and a noise estimate: invert Eq. (4), then clip if asked."""
        ab, one_minus_ab = _at(self.alpha_bar, t, xt), _at(self.one_minus_alpha_bar, t, xt)
        x0 = (xt - one_minus_ab.sqrt() * eps) / ab.sqrt()
        return x0 if self.clip_x0 is None else x0.clamp(-self.clip_x0, self.clip_x0)

    # --- samplers ---------------------------------------------------------------------
    def _labels(self, n, y, device):
        """A conditional model given no labels draws them uniformly: x ~ sum_y p(y) p(x|y)."""
        if not self.n_classes:
            return None
        if y is None:
            return torch.randint(0, self.n_classes, (n,), device=device)
        y = torch.as_tensor(y, device=device)
        return y.expand(n) if y.dim() == 0 else y

    @torch.no_grad()
    def p_step(self, xt, t, y=None, w: float = 0.0):
        """One ancestral step x_t -> x_{t-1} ~ p_theta(x_{t-1} | x_t) (Algorithm 2).

        With x_0 predicted from eps_theta, the posterior mean tilde_mu_t(x0_hat, x_t) equals
        Algorithm 2's 1/sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_theta);
        the variance is sigma_t^2 = tilde_beta_t (Sec. 3.2: as good as beta_t, and 0 at t=1).
        """
        x0_hat = self.predict_x0(xt, t, self.eps_theta(xt, t, y, w))
        mean, var = self.posterior(x0_hat, xt, t)
        return mean + var.sqrt() * torch.randn_like(xt)

    @torch.no_grad()
    def sample(self, n: int, y=None, w: float = 0.0, return_path: bool = False):
        """Ancestral sampling, T network calls: x_T ~ N(0, I), then x_{t-1} ~ p(x_{t-1}|x_t).

        y: labels (n,) or one label, for a conditional model (None: uniform labels).
        return_path=True also returns every x_t, (T+1, n, *shape), from x_T to x_0.
        """
        device = self.beta.device
        y = self._labels(n, y, device)
        x = torch.randn(n, *self.shape, device=device)  # (n, *shape)
        path = [x]
        for t in range(self.T, 0, -1):
            x = self.p_step(x, t, y, w)
            if return_path:
                path.append(x)
        x = self.to_data(x)
        return (x, torch.stack(path)) if return_path else x

    @torch.no_grad()
    def ddim_sample(self, n: int, steps: int = 50, eta: float = 0.0, y=None, w: float = 0.0,
                    x_T: torch.Tensor | None = None):
        """DDIM: ``steps`` network calls at tau = 1, 1 + T/steps, ..., then down to 0.

        From x_t to x_s (s < t) [DDIM Eq. (12)]:
            x_s = sqrt(alpha_bar_s) x0_hat + sqrt(1 - alpha_bar_s - sigma^2) eps_theta + sigma z,
            sigma = eta sqrt((1 - alpha_bar_s) / (1 - alpha_bar_t)) sqrt(1 - alpha_bar_t / alpha_bar_s)
        eta = 0 is deterministic (an ODE solver); eta = 1 with steps = T is the ancestral sampler.
        Starting below T (DDIM's own spacing) matters for the cosine schedule: its alpha_bar_T
        is ~1e-9, and x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps_theta) / sqrt(alpha_bar_t)
        would multiply the network's error by 1 / sqrt(alpha_bar_T) ~ 2e4 in the first step.
        """
        device = self.beta.device
        y = self._labels(n, y, device)
        x = torch.randn(n, *self.shape, device=device) if x_T is None else x_T.to(device)
        tau = [1 + i * self.T // steps for i in range(steps)][::-1] + [0]  # x_T stands for x_tau
        for t, s in zip(tau[:-1], tau[1:]):
            ab_t, ab_s = self.alpha_bar[t], self.alpha_bar[s]  # alpha_bar[0] = 1
            one_minus_ab_t, one_minus_ab_s = self.one_minus_alpha_bar[t], self.one_minus_alpha_bar[s]
            eps = self.eps_theta(x, t, y, w)
            x0_hat = self.predict_x0(x, t, eps)
            eps = (x - ab_t.sqrt() * x0_hat) / one_minus_ab_t.sqrt()  # agrees with a clipped x0_hat
            sigma = eta * (one_minus_ab_s / one_minus_ab_t * (1 - ab_t / ab_s)).sqrt()  # [DDIM] Eq. (16)
            x = ab_s.sqrt() * x0_hat + (one_minus_ab_s - sigma ** 2).clamp_min(0).sqrt() * eps \
                + sigma * torch.randn_like(x)  # [DDIM] Eq. (12)
        return self.to_data(x)

    @torch.no_grad()
    def inpaint(self, x_known, mask, y=None, w: float = 0.0):
        """Fill the pixels where ``mask`` is 0, keeping those where it is 1 (RePaint's basic
        step, Lugmayr et al. 2022): after each ancestral step the known part is replaced
        by a fresh draw of q(x_{t-1} | x_0), so the unknown part is generated to agree."""
        x0 = self.to_model(x_known)
        mask = mask.to(x0)
        if y is not None:  # no labels: the unconditional (null-label) model
            y = self._labels(len(x0), y, x0.device)
        x = torch.randn_like(x0)
        for t in range(self.T, 0, -1):
            x = self.p_step(x, t, y, w)
            known = self.q_sample(x0, t - 1, torch.randn_like(x0)) if t > 1 else x0
            x = mask * known + (1 - mask) * x
        return self.to_data(x)


class ImageDDPM(DDPM):
    """A DDPM on images given in [0, 1]: the process runs on 2x - 1 in [-1, 1]."""

    def to_model(self, x):
        return 2 * x - 1

    def to_data(self, x):
        return ((x + 1) / 2).clamp(0, 1)
