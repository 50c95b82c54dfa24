"""Chapter 07's exercises: denoising diffusion.

    07.q_sample        code        the closed form of q(x_t | x_0), against the mean and variance
                                   of t chained forward steps q(x_s | x_{s-1})
    07.posterior       derivation  the mean and variance of q(x_{t-1} | x_t, x_0), against Bayes'
                                   rule (a product of two Gaussians: precisions add)
    07.eps_mean        derivation  mu_theta(x_t, t) written with the predicted noise, against the
                                   Bayes posterior mean at the x_0 that the noise implies
    07.guided_eps      derivation  classifier-free guidance, against the autograd score of the
                                   tilted density p_t(x | y)^(1 + w) p_t(x)^(-w) of a mixture

The first three take the schedule as beta (T,), with beta[t - 1] = beta_t, and timesteps t as a
long tensor (B,) of values in 1..T. The schedules are random (not the linear or cosine
ones), so that a formula cannot pass by matching one schedule's numbers.
"""
from __future__ import annotations

import torch

from .core import Wrong, call, expect, register
from ..data import GaussianMixture

f64 = torch.float64


def _case(seed: int, T: int = 40, B: int = 8, d: int = 2):
    g = torch.Generator().manual_seed(seed)
    beta = torch.sort(0.01 + 0.3 * torch.rand(T, generator=g, dtype=f64)).values
    t = torch.randint(2, T + 1, (B,), generator=g)
    t[0], t[1] = T, 2
    x0 = torch.randn(B, d, generator=g, dtype=f64) + 1.0
    return g, beta, t, x0


def _chained(beta):
    """Mean factor m_t and variance v_t of x_t given x_0 after t forward steps
    x_s = sqrt(1 - beta_s) x_{s-1} + sqrt(beta_s) z_s: m_t = m_{t-1} sqrt(1 - beta_t),
    v_t = (1 - beta_t) v_{t-1} + beta_t. Index 0 holds t = 0 (m = 1, v = 0)."""
    m, v = [torch.ones((), dtype=f64)], [torch.zeros((), dtype=f64)]
    for b in beta:
        m.append(m[-1] * (1 - b).sqrt())
        v.append((1 - b) * v[-1] + b)
    return torch.stack(m), torch.stack(v)


def _col(a, t):
    return a[t][:, None]  # (B, 1): broadcasts over the data dimension


def _bayes(beta, t, x0, xt):
    """q(x_{t-1} | x_t, x_0) ∝ q(x_t | x_{t-1}) q(x_{t-1} | x_0), the two Gaussians in x_{t-1}:
    N(x_t; sqrt(alpha_t) x_{t-1}, beta_t) and N(x_{t-1}; m_{t-1} x0, v_{t-1})."""
    m, v = _chained(beta)
    b = _col(torch.cat([beta.new_zeros(1), beta]), t)
    prec = 1 / _col(v, t - 1) + (1 - b) / b  # precisions add
    var = 1 / prec
    mean = var * (_col(m, t - 1) * x0 / _col(v, t - 1) + (1 - b).sqrt() * xt / b)
    return mean, var


def _tensor(out, what):
    return torch.as_tensor(out.detach() if hasattr(out, "detach") else out, dtype=f64)


# --- 07.q_sample ----------------------------------------------------------------------

@register("07.q_sample")
def _q_sample(q_sample):
    for seed in (70, 71):
        g, beta, t, x0 = _case(seed)
        t[2] = 1
        eps = torch.randn(x0.shape, generator=g, dtype=f64)
        out = _tensor(call(q_sample, x0, t, eps, beta, what="q_sample"), "q_sample")
        m, v = _chained(beta)  # the oracle: t chained forward steps
        ab = torch.cat([beta.new_ones(1), torch.cumprod(1 - beta, 0)])
        on = f"x0 of shape {tuple(x0.shape)}, t = {t.tolist()}, a random schedule of T = {len(beta)} " \
             f"(reference: mean and variance of t chained steps q(x_s | x_(s-1)))"
        expect(out, _col(m, t) * x0 + _col(v, t).sqrt() * eps, what="x_t", on=on, mistakes={
            "1 - alpha_bar_t used as the standard deviation: it is the variance, take its "
            "square root": _col(ab, t).sqrt() * x0 + _col(1 - ab, t) * eps,
            "alpha_bar_t used without its square root on x0": _col(ab, t) * x0 + _col(1 - ab, t).sqrt() * eps,
            "a single step q(x_t | x_(t-1)) from x0: alpha_bar_t is the product of every "
            "alpha_s up to t": _col((1 - torch.cat([beta.new_zeros(1), beta])), t).sqrt() * x0
            + _col(torch.cat([beta.new_zeros(1), beta]), t).sqrt() * eps,
            "alpha_bar off by one step (alpha_bar_(t+1)): with beta[0] = beta_1, "
            "alpha_bar_t = cumprod(1 - beta)[t - 1]":
                _col(torch.cat([ab, ab[-1:]]), t + 1).sqrt() * x0
                + _col(1 - torch.cat([ab, ab[-1:]]), t + 1).sqrt() * eps,
            "alpha_bar off by one step (alpha_bar_(t-1))":
                _col(ab, t - 1).sqrt() * x0 + _col(1 - ab, t - 1).sqrt() * eps,
            "the two factors swapped: sqrt(alpha_bar_t) multiplies x0, "
            "sqrt(1 - alpha_bar_t) the noise": _col(1 - ab, t).sqrt() * x0 + _col(ab, t).sqrt() * eps,
        })
    return "x_t has the mean and variance of t chained forward steps, at every t tried"


# --- 07.posterior ---------------------------------------------------------------------

@register("07.posterior")
def _posterior(posterior):
    for seed in (72, 73):
        g, beta, t, x0 = _case(seed)
        xt = torch.randn(x0.shape, generator=g, dtype=f64)
        out = call(posterior, x0, xt, t, beta, what="posterior")
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise Wrong("posterior should return a pair (mean, variance)")
        mean, var = _tensor(out[0], "mean"), _tensor(out[1], "variance")
        true_mean, true_var = _bayes(beta, t, x0, xt)
        on = f"t = {t.tolist()}, a random schedule of T = {len(beta)} (reference: Bayes' rule, " \
             f"the product of q(x_t | x_(t-1)) and q(x_(t-1) | x_0))"
        b = _col(torch.cat([beta.new_zeros(1), beta]), t)
        ab = torch.cat([beta.new_ones(1), torch.cumprod(1 - beta, 0)])
        a_t, ab_t, ab_prev = 1 - b, _col(ab, t), _col(ab, t - 1)
        expect(mean, true_mean, what="the posterior mean", on=on, mistakes={
            "the two coefficients swapped between x0 and x_t":
                (ab_prev.sqrt() * b * xt + a_t.sqrt() * (1 - ab_prev) * x0) / (1 - ab_t),
            "alpha_bar_t where alpha_bar_(t-1) belongs":
                (ab_t.sqrt() * b * x0 + a_t.sqrt() * (1 - ab_t) * xt) / (1 - ab_t),
            "sqrt(alpha_bar_t) where sqrt(alpha_t) multiplies x_t":
                (ab_prev.sqrt() * b * x0 + ab_t.sqrt() * (1 - ab_prev) * xt) / (1 - ab_t),
            "a missing square root on alpha_bar_(t-1) and alpha_t":
                (ab_prev * b * x0 + a_t * (1 - ab_prev) * xt) / (1 - ab_t),
        })
        if var.dim() == 1 and len(var) == len(t):
            var = var[:, None]  # one variance per example
        try:
            var = var.expand_as(true_mean)
        except RuntimeError:
            raise Wrong(f"the variance has shape {tuple(var.shape)}: give one per example, "
                        f"(B,) or (B, 1), or one per entry, {tuple(true_mean.shape)}")
        expect(var, true_var.expand_as(true_mean), what="the posterior variance", on=on, mistakes={
            "beta_t, the forward step's variance: the posterior's is "
            "(1 - alpha_bar_(t-1)) / (1 - alpha_bar_t) beta_t": b.expand_as(true_mean),
            "a standard deviation, not a variance": true_var.sqrt().expand_as(true_mean),
            "the ratio inverted: (1 - alpha_bar_(t-1)) goes on top":
                ((1 - ab_t) / (1 - ab_prev) * b).expand_as(true_mean),
        })
    return "mean and variance agree with Bayes' rule at every t tried"


# --- 07.eps_mean ----------------------------------------------------------------------

@register("07.eps_mean")
def _eps_mean(mean_from_eps):
    for seed in (74, 75):
        g, beta, t, x0 = _case(seed)
        xt = torch.randn(x0.shape, generator=g, dtype=f64)
        eps = torch.randn(x0.shape, generator=g, dtype=f64)
        out = _tensor(call(mean_from_eps, xt, t, eps, beta, what="mean_from_eps"), "mean")
        m, v = _chained(beta)
        x0_hat = (xt - _col(v, t).sqrt() * eps) / _col(m, t)  # x0 implied by x_t and eps
        true = _bayes(beta, t, x0_hat, xt)[0]
        b = _col(torch.cat([beta.new_zeros(1), beta]), t)
        ab = _col(torch.cat([beta.new_ones(1), torch.cumprod(1 - beta, 0)]), t)
        on = f"t = {t.tolist()}, a random schedule of T = {len(beta)} (reference: the Bayes " \
             f"posterior mean at x0 = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t))"
        expect(out, true, what="mu_theta", on=on, mistakes={
            "1/sqrt(alpha_bar_t) in front where 1/sqrt(alpha_t) belongs":
                (xt - b / (1 - ab).sqrt() * eps) / ab.sqrt(),
            "beta_t / (1 - alpha_bar_t): the denominator is sqrt(1 - alpha_bar_t)":
                (xt - b / (1 - ab) * eps) / (1 - b).sqrt(),
            "the wrong sign: the predicted noise is subtracted":
                (xt + b / (1 - ab).sqrt() * eps) / (1 - b).sqrt(),
            "x0_hat itself, not the mean of x_(t-1)": x0_hat,
            "sqrt(1 - alpha_bar_t) eps subtracted: the factor is beta_t / sqrt(1 - alpha_bar_t)":
                (xt - (1 - ab).sqrt() * eps) / (1 - b).sqrt(),
        })
    return "mu_theta equals the Bayes posterior mean at the x0 your noise implies"


# --- 07.guided_eps --------------------------------------------------------------------

@register("07.guided_eps")
def _guided(guided_eps):
    g = torch.Generator().manual_seed(76)
    means = torch.tensor([[-1.5, 0.5], [1.0, 1.5], [0.5, -1.5]], dtype=f64)  # one mode per class
    for ab, w in ((0.6, 2.0), (0.2, 0.5), (0.9, -1.0)):
        # the noised data: p_t(x | y) = N(sqrt(ab) mu_y, (ab s0^2 + 1 - ab) I), s0 = 0.4
        std_t = (ab * 0.4 ** 2 + 1 - ab) ** 0.5
        p_t = GaussianMixture(ab ** 0.5 * means, std=std_t)
        y = torch.randint(0, 3, (12,), generator=g)
        x = 2 * torch.randn(12, 2, generator=g, dtype=f64)

        def grad(log_density):
            v = x.clone().requires_grad_(True)
            return torch.autograd.grad(log_density(v).sum(), v)[0]

        def cond(v):
            return torch.distributions.Normal(ab ** 0.5 * means[y], std_t).log_prob(v).sum(1)
        s_c, s_u = grad(cond), grad(p_t.log_prob)
        # the oracle: autograd of log p(x|y)^(1+w) p(x)^(-w), the tilted density
        s_g = grad(lambda v: (1 + w) * cond(v) - w * p_t.log_prob(v))
        root = (1 - ab) ** 0.5
        eps_c, eps_u = -root * s_c, -root * s_u
        out = torch.as_tensor(call(guided_eps, eps_c.clone(), eps_u.clone(), w,
                                   what="guided_eps"), dtype=f64)
        on = (f"w = {w:g} at alpha_bar_t = {ab} (reference: -sqrt(1 - alpha_bar_t) times the "
              f"autograd score of p_t(x | y)^(1 + w) p_t(x)^(-w))")
        expect(out, -root * s_g, what="the guided eps", on=on, mistakes={
            "the two predictions swapped: (1 + w) multiplies the conditional eps":
                (1 + w) * eps_u - w * eps_c,
            "an interpolation w eps_c + (1 - w) eps_u: with this convention w = 0 is the "
            "conditional model, so the weights are 1 + w and -w": w * eps_c + (1 - w) * eps_u,
            "eps_c + w eps_u: the unconditional prediction is subtracted":
                eps_c + w * eps_u,
            "weights that do not sum to 1": (1 + w) * eps_c + w * eps_u,
        })
    return "your guided eps is the eps of p(x | y)^(1 + w) p(x)^(-w), for w = 2, 0.5 and -1"
