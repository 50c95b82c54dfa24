"""Wasserstein GANs (chapter 03): the critic and three ways to keep it 1-Lipschitz.

Symbols (Arjovsky et al. 2017; Gulrajani et al. 2017; Miyato et al. 2018):
    f(x)        the critic (``GAN.D``), unbounded real output
    W1(p, p_g)  sup_{||f||_L <= 1} E_p f(x) - E_{p_g} f(x)      Kantorovich-Rubinstein
    ||f||_L     Lipschitz constant, sup |f(x) - f(y)| / |x - y|
    x_hat       eps x + (1 - eps) G(z), eps ~ U[0, 1]: where the penalty is taken
    lambda      weight of the gradient penalty (10 in WGAN-GP); c: clipping bound

The critic's loss is the Wasserstein objective; the constraint is one of:
    WeightClipping(c)     after each critic step, clamp every weight to [-c, c]
    GradientPenalty(lam)  lam E (||grad f(x_hat)|| - 1)^2, added to the critic's loss
    spectral_norm(net)    divide each layer's weight by its largest singular value
``wgan(G, f, "gp")`` builds the GAN; ``WGAN_TRAINING`` holds each paper's optimiser.
"""
from __future__ import annotations

import torch
from torch import nn

from .gan import GAN
from .train import Game, rmsprop


class Wasserstein:
    """The critic maximises E_p f - E_{p_g} f; the generator maximises E_{p_g} f."""

    def d_loss(self, d_real, d_fake):  # -(E_p f(x) - E_{p_g} f(x))
        return d_fake.mean() - d_real.mean()

    def g_loss(self, d_fake):
        return -d_fake.mean()


class WeightClipping:
    """WGAN (Arjovsky et al. 2017, Alg. 1, line 7): w <- clip(w, -c, c) after each step."""

    def __init__(self, c: float = 0.01):
        self.c = c

    @torch.no_grad()
    def __call__(self, D: nn.Module):
        for w in D.parameters():
            w.clamp_(-self.c, self.c)


class GradientPenalty:
    """WGAN-GP (Gulrajani et al. 2017, Alg. 1, line 7): lam (||grad f(x_hat)||_2 - 1)^2."""

    def __init__(self, lam: float = 10.0):
        self.lam = lam

    def __call__(self, gan: GAN, x_real, x_fake, y=None):
        eps = torch.rand(len(x_real), *[1] * (x_real.dim() - 1), device=x_real.device)
        x_hat = (eps * x_real.detach() + (1 - eps) * x_fake.detach()).requires_grad_(True)
        (g,) = torch.autograd.grad(gan.discriminate(x_hat, y).sum(), x_hat, create_graph=True)
        return self.lam * (g.flatten(1).norm(dim=1) - 1).pow(2).mean()


def spectral_norm(net: nn.Module) -> nn.Module:
    """Spectral normalisation of every linear and conv layer (one power iteration a step)."""
    for name, m in net.named_children():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            setattr(net, name, nn.utils.parametrizations.spectral_norm(m))
        else:
            spectral_norm(m)
    return net


# The three papers' optimisers and critic steps per generator step: (TrainConfig fields, Game).
WGAN_TRAINING = {
    "clip": (dict(lr=5e-5), Game(n_critic=5, optimizer=rmsprop)),          # Arjovsky Alg. 1
    "gp": (dict(lr=1e-4, betas=(0.0, 0.9)), Game(n_critic=5)),             # Gulrajani Alg. 1
    "sn": (dict(lr=2e-4, betas=(0.5, 0.999)), Game(n_critic=1)),           # Miyato et al.
}


def wgan(G: nn.Module, f: nn.Module, method: str = "gp", latent_dim: int = 2, *,
         c: float = 0.01, lam: float = 10.0, **kw) -> GAN:
    """A Wasserstein GAN whose critic ``f`` is kept Lipschitz by ``method``:
    "clip" (weight clipping), "gp" (gradient penalty) or "sn" (spectral normalisation).
    All three use the same Wasserstein objective, so only the constraint differs.
    """
    if method == "clip":
        return GAN(G, f, Wasserstein(), latent_dim, constraint=WeightClipping(c), **kw)
    if method == "gp":
        return GAN(G, f, Wasserstein(), latent_dim, penalty=GradientPenalty(lam), **kw)
    if method == "sn":
        return GAN(G, spectral_norm(f), Wasserstein(), latent_dim, **kw)
    raise ValueError(f"method must be 'clip', 'gp' or 'sn', not {method!r}")


@torch.no_grad()
def critic_estimate(gan: GAN, x_real, n_fake: int | None = None) -> float:
    """E_p f(x) - E_{p_g} f(x): the critic's estimate of W1, scaled by its Lipschitz constant."""
    x_fake = gan.generate(n_fake or len(x_real))
    return (gan.D(x_real).mean() - gan.D(x_fake).mean()).item()


def lipschitz_estimate(f: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """A lower bound on ||f||_L: the largest gradient norm at x, y and points between."""
    eps = torch.rand(len(x), *[1] * (x.dim() - 1), device=x.device)
    pts = torch.cat([x, y, eps * x + (1 - eps) * y]).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(pts).sum(), pts)
    return g.flatten(1).norm(dim=1).max().item()
