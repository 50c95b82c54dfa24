"""Chapter 03 exercises: the WGAN-GP gradient penalty (the critic it trains must come out
1-Lipschitz), W1 between two centred Gaussians, and the Lipschitz bound of a clipped layer.

Oracles: a linear critic, whose gradient norm is known exactly; a critic trained with the
student's penalty, measured by gmcourse.wgan.lipschitz_estimate and compared with the exact
W1 of two separated Gaussians; the quantile formula of W1 in 1D by quadrature; the
spectral norm (torch.linalg.matrix_norm) of clipped matrices.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..wgan import lipschitz_estimate
from .core import Wrong, call, expect, fmt, number, register

F64 = torch.float64


def _linear_critic(norm: float, seed: int = 0) -> nn.Linear:
    f = nn.Linear(2, 1)
    with torch.no_grad():
        w = torch.tensor([[0.6, -0.8]]) * norm
        f.weight.copy_(w), f.bias.fill_(0.3)
    return f


def _gp_linear_variants(w_norm: float, lam: float, n: int):
    return {"the squared gradient norm (||g||^2 - 1)^2 instead of (||g|| - 1)^2":
                lam * (w_norm ** 2 - 1) ** 2,
            "a one-sided penalty max(0, ||g|| - 1)^2: WGAN-GP's penalty is two-sided":
                lam * max(0.0, w_norm - 1) ** 2,
            "a sum over the batch instead of the mean": n * lam * (w_norm - 1) ** 2,
            "a missing factor lambda": (w_norm - 1) ** 2,
            "||g||^2 without the -1 (that pushes the gradient to 0, not to norm 1)":
                lam * w_norm ** 2}


def _train_critic(gradient_penalty, steps: int = 300, seed: int = 0):
    """Train a small critic between N((-1.5, 0), 0.2^2 I) and N((1.5, 0), 0.2^2 I) with the
    student's penalty; W1 between them is exactly 3."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    f = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = torch.optim.Adam(f.parameters(), lr=2e-3, betas=(0.5, 0.9))
    shift = torch.tensor([1.5, 0.0])
    for _ in range(steps):
        x = -shift + 0.2 * torch.randn(128, 2, generator=g)
        y = shift + 0.2 * torch.randn(128, 2, generator=g)
        gp = gradient_penalty(f, x, y, 10.0)
        loss = f(y).mean() - f(x).mean() + gp  # maximise E_p f - E_q f - penalty
        opt.zero_grad(), loss.backward(), opt.step()
    x = -shift + 0.2 * torch.randn(1000, 2, generator=g)
    y = shift + 0.2 * torch.randn(1000, 2, generator=g)
    with torch.no_grad():
        estimate = (f(x).mean() - f(y).mean()).item()
    return lipschitz_estimate(f, x, y), estimate


@register("03.gradient_penalty")
def _gradient_penalty(gradient_penalty):
    g = torch.Generator().manual_seed(3)
    n, lam = 64, 10.0
    x_real = torch.randn(n, 2, generator=g) + torch.tensor([1.0, 0.0])
    x_fake = 0.5 * torch.randn(n, 2, generator=g) - torch.tensor([1.0, 0.5])
    for w_norm in (0.6, 1.7):
        f = _linear_critic(w_norm)
        gp = call(gradient_penalty, f, x_real.clone(), x_fake.clone(), lam,
                  what="gradient_penalty(f, x_real, x_fake, lam)")
        if not torch.is_tensor(gp) or gp.numel() != 1:
            raise Wrong(f"the penalty should be a single number (a 0-d tensor), got {fmt(gp)}: "
                        "average over the batch")
        expect(gp, lam * (w_norm - 1) ** 2, what="the penalty", rtol=1e-4, atol=1e-5,
               on=f"a linear critic f(x) = w.x + b with ||w|| = {w_norm} (its gradient norm is "
                  f"{w_norm} everywhere), lam = {lam}",
               mistakes=_gp_linear_variants(w_norm, lam, n))
        if not gp.requires_grad:
            raise Wrong("the penalty does not depend on the critic's weights, so training "
                        "cannot reduce it: pass create_graph=True to torch.autograd.grad")
        f.zero_grad()
        gp.backward()
        w_grad = f.weight.grad
        expected = 2 * lam * (w_norm - 1) * f.weight.detach() / w_norm
        if w_grad is None or not torch.allclose(w_grad, expected, rtol=1e-3, atol=1e-5):
            raise Wrong(f"the penalty's gradient with respect to the critic's weights is "
                        f"{fmt(w_grad)}, expected {fmt(expected)}: the gradient norm must stay "
                        "in the graph (create_graph=True, no .detach() on g)")
    lip, estimate = _train_critic(gradient_penalty)
    if not 0.8 <= lip <= 1.4 or not 2.5 <= estimate <= 3.6:
        raise Wrong(f"a critic trained with your penalty (300 steps, lam = 10, between two "
                    f"Gaussians 3 apart) has Lipschitz constant ~ {lip:.2f} and estimates "
                    f"W1 = {estimate:.2f}; with the WGAN-GP penalty it should be ~1 and ~3 "
                    "(is the penalty taken at points between the real and the fake samples?)")
    return (f"exact on linear critics, and the critic it trains is {lip:.2f}-Lipschitz with "
            f"E_p f - E_q f = {estimate:.2f} (exact W1 = 3)")


def _w1_quadrature(s1: float, s2: float, n: int = 200_000) -> float:
    """W1 = int_0^1 |F^-1(u) - G^-1(u)| du for N(0, s1^2), N(0, s2^2), midpoint rule."""
    u = (torch.arange(n, dtype=F64) + 0.5) / n
    z = torch.special.ndtri(u)
    return ((s1 - s2) * z).abs().mean().item()


@register("03.w1_scales")
def _w1_scales(w1):
    for s1, s2 in [(0.5, 2.0), (3.0, 1.2)]:
        received = number(call(w1, s1, s2, what="w1(s1, s2)"), what="w1(s1, s2)")
        truth = _w1_quadrature(s1, s2)
        expect(received, truth, what="W1", on=f"s1 = {s1}, s2 = {s2}", rtol=1e-4, atol=1e-5,
               mistakes={"|s1 - s2|: that is W2 between the two; W1 has the factor "
                         "E|Z| = sqrt(2/pi)": abs(s1 - s2),
                         "a negative distance: take |s1 - s2|": (s1 - s2) * math.sqrt(2 / math.pi),
                         "(s1 - s2)^2 (a squared distance)": (s1 - s2) ** 2,
                         "sqrt(|s1^2 - s2^2|)": math.sqrt(abs(s1 ** 2 - s2 ** 2)),
                         "E|Z| taken as 1/sqrt(2 pi)": abs(s1 - s2) / math.sqrt(2 * math.pi)})
    return "W1 = sqrt(2/pi) |s1 - s2|, matching the quantile integral"


@register("03.clip_bound")
def _clip_bound(clip_bound):
    g = torch.Generator().manual_seed(4)
    for n_out, n_in, c in [(3, 12, 0.01), (64, 64, 0.01), (1, 5, 0.1)]:
        received = number(call(clip_bound, n_out, n_in, c, what="clip_bound(n_out, n_in, c)"),
                          what="clip_bound")
        tight = torch.linalg.matrix_norm(torch.full((n_out, n_in), c, dtype=F64), ord=2).item()
        random = max(torch.linalg.matrix_norm(
            c * (2 * torch.rand(n_out, n_in, generator=g, dtype=F64) - 1).sign(), ord=2).item()
            for _ in range(20))
        assert random <= tight + 1e-9
        expect(received, tight, what="the bound", rtol=1e-4, atol=1e-9,
               on=f"n_out = {n_out}, n_in = {n_in}, c = {c}",
               mistakes={"c n_in (a row-sum bound, not the spectral norm)": c * n_in,
                         "c n_out": c * n_out,
                         "c n_out n_in (the sum of all entries)": c * n_out * n_in,
                         "c: one weight's bound, not the layer's": c,
                         "c sqrt(n_in) (the norm of one row)": c * math.sqrt(n_in)})
    return ("c sqrt(n_out n_in): reached by the all-c matrix; a 64x64 layer clipped at 0.01 "
            "is at most 0.64-Lipschitz, so three of them make a critic at most ~0.26-Lipschitz")


@register("03.critic_loss")
def _critic_loss(critic_loss):
    g = torch.Generator().manual_seed(5)
    f_real = torch.randn(32, 1, generator=g) + 0.7
    f_fake = torch.randn(48, 1, generator=g) - 0.2
    loss = call(critic_loss, f_real.clone(), f_fake.clone(), what="critic_loss(f_real, f_fake)")
    expected = f_fake.mean() - f_real.mean()
    expect(loss, expected, what="the critic's loss", rtol=1e-5, atol=1e-6,
           on="critic values on 32 real and 48 fake samples",
           mistakes={"the wrong sign (the critic would minimise its W1 estimate)": -expected,
                     "sums instead of means (it grows with the batch)": f_fake.sum() - f_real.sum(),
                     "the GAN's log-loss, -log D(x) - log(1 - D(G(z))): a WGAN critic has "
                     "no sigmoid": F.softplus(-f_real).mean() + F.softplus(f_fake).mean(),
                     "the generator's loss -E f(G(z))": -f_fake.mean()})
    # one step of gradient descent on the loss must raise the critic's W1 estimate
    critic = nn.Linear(2, 1)
    x, y = torch.randn(64, 2, generator=g) + 1.0, torch.randn(64, 2, generator=g) - 1.0
    before = (critic(x).mean() - critic(y).mean()).item()
    opt = torch.optim.SGD(critic.parameters(), lr=0.1)
    opt.zero_grad()
    call(critic_loss, critic(x), critic(y), what="critic_loss").backward()
    opt.step()
    after = (critic(x).mean() - critic(y).mean()).item()
    if not after > before:
        raise Wrong(f"a gradient step on your loss lowers the critic's estimate E_p f - E_q f "
                    f"from {before:.3f} to {after:.3f}: the critic must push it up")
    return f"E_(p_g) f - E_p f; a step on it raises the W1 estimate from {before:.3f} to {after:.3f}"
