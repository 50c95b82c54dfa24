"""Generative adversarial networks (chapter 02), and the conditional DCGAN of chapter 03.

Symbols (Goodfellow et al. 2014; Nowozin et al. 2016):
    G(z)       generator, z ~ p_z = N(0, I); its samples have the implicit density p_g
    D(x)       discriminator, D(x) = sigmoid(d(x)); ``D`` here returns the logit d(x)
    V(D, G)    E_p log D(x) + E_z log(1 - D(G(z)))                      Eq. (1)
    D*(x)      p(x) / (p(x) + p_g(x)), the best D for a fixed G       Eq. (2)
    f, f*      a convex function and its conjugate; D_f(P || Q) = E_q f(p / q)
    T(x)       g_f(V(x)), the f-GAN critic; E_p T - E_q f*(T) <= D_f(P || Q)

A loss is an object with ``d_loss(d_real, d_fake)`` and ``g_loss(d_fake)``: the two
players' objectives, each to be minimised. ``GAN(G, D, loss)`` holds both networks and
the lecture's verbs (``sample``, ``d_loss``, ``g_loss``); ``gmcourse.train.fit_adversarial``
alternates their steps. Wasserstein losses and Lipschitz constraints live in ``wgan.py``.
"""
from __future__ import annotations

import copy
import math
import warnings

import torch
import torch.nn.functional as F
from torch import nn

# --- the players' objectives -----------------------------------------------------------


class Minimax:
    """The original game: D maximises V(D, G), G minimises it (saturates when D wins)."""

    def d_loss(self, d_real, d_fake):  # -V: -log D(x) - log(1 - D(G(z)))
        return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()

    def g_loss(self, d_fake):  # E log(1 - D(G(z))) = -softplus(d): flat when D(G(z)) ~ 0
        return -F.softplus(d_fake).mean()


class NonSaturating(Minimax):
    """Same D; G maximises log D(G(z)) instead (Goodfellow et al. 2014, Sec. 3)."""

    def g_loss(self, d_fake):  # -log D(G(z)) = softplus(-d): steep when D(G(z)) ~ 0
        return F.softplus(-d_fake).mean()


class LeastSquares:
    """LSGAN (Mao et al. 2017, Eq. 9, a-b-c = 0-1-1): squared errors instead of log-loss."""

    def d_loss(self, d_real, d_fake):
        return 0.5 * ((d_real - 1).pow(2).mean() + d_fake.pow(2).mean())

    def g_loss(self, d_fake):
        return 0.5 * (d_fake - 1).pow(2).mean()


class Hinge:
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018): D is a margin classifier."""

    def d_loss(self, d_real, d_fake):
        return F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()

    def g_loss(self, d_fake):
        return -d_fake.mean()


# f-GAN (Nowozin et al. 2016, Table 6): output activation g_f, conjugate f*, and f'(u),
# which gives the optimal critic T*(x) = f'(p(x) / q(x)). "js" is 2 JS(P, Q) with this f.
F_DIVERGENCES = {
    "kl": (lambda v: v, lambda t: torch.exp(t - 1), lambda u: 1 + torch.log(u)),
    "reverse_kl": (lambda v: -torch.exp(-v), lambda t: -1 - torch.log(-t), lambda u: -1 / u),
    "pearson": (lambda v: v, lambda t: t * t / 4 + t, lambda u: 2 * (u - 1)),
    "js": (lambda v: math.log(2) - F.softplus(-v), lambda t: -torch.log(2 - torch.exp(t)),
           lambda u: torch.log(2 * u / (1 + u))),
}


class FGAN:
    """Variational divergence minimisation: D maximises E_p T - E_q f*(T), T = g_f(V)."""

    def __init__(self, divergence: str = "kl"):
        self.divergence = divergence
        self.g_f, self.f_star, self.f_prime = F_DIVERGENCES[divergence]

    def bound(self, v_real, v_fake):  # E_p T - E_q f*(T) <= D_f(P || Q)     (Nowozin Eq. 6)
        return self.g_f(v_real).mean() - self.f_star(self.g_f(v_fake)).mean()

    def d_loss(self, d_real, d_fake):
        return -self.bound(d_real, d_fake)

    def g_loss(self, d_fake):  # Nowozin Sec. 3.2: G maximises E_q g_f(V), the steep variant
        return -self.g_f(d_fake).mean()


def r1_penalty(d_real, x_real):
    """E_p ||grad_x d(x)||^2 on real data (Mescheder et al. 2018, Eq. 9); scale by gamma/2."""
    (g,) = torch.autograd.grad(d_real.sum(), x_real, create_graph=True)
    return g.pow(2).flatten(1).sum(1).mean()


def optimal_discriminator(log_p, log_p_g):
    """D*(x) = p / (p + p_g) = sigmoid(log p - log p_g), from two log-densities (n,)."""
    return torch.sigmoid(log_p - log_p_g)  # Eq. (2)


# --- the model ---------------------------------------------------------------------------


class EMA(nn.Module):
    """An exponential moving average of a network's weights (Yazici et al. 2019).

    The decay warms up as min(decay, (1 + t) / (10 + t)) after t updates, so that the
    average forgets the random initialisation and the early, fast-moving weights.
    """

    def __init__(self, net: nn.Module, decay: float = 0.999):
        super().__init__()
        self.net, self.decay = copy.deepcopy(net).requires_grad_(False), decay
        self.register_buffer("t", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def update(self, net: nn.Module):
        self.t += 1
        beta = min(self.decay, (1 + self.t.item()) / (10 + self.t.item()))
        for a, b in zip(self.net.state_dict().values(), net.state_dict().values()):
            a.lerp_(b, 1 - beta) if a.is_floating_point() else a.copy_(b)

    def forward(self, *args):
        return self.net(*args)


class GAN(nn.Module):
    """Generator G and discriminator D playing the game that ``loss`` defines.

    latent_dim: size of z. pack: D judges ``pack`` samples at once (PacGAN, Lin et al.
    2018), so its input has pack times the channels. r1: weight gamma of the R1 penalty.
    ema: decay of an averaged copy of G that ``sample`` uses (None: sample from G).
    n_classes: a conditional GAN (Mirza & Osindero 2014): G(z, y) and D(x, y).
    penalty(gan, x_real, x_fake, y) and constraint(D) add the Wasserstein critics' terms.
    """

    def __init__(self, G: nn.Module, D: nn.Module, loss=None, latent_dim: int = 2, *,
                 pack: int = 1, r1: float = 0.0, ema: float | None = None,
                 n_classes: int | None = None, penalty=None, constraint=None):
        super().__init__()
        self.G, self.D = G, D
        self.objective = loss or NonSaturating()
        self.latent_dim, self.pack, self.r1, self.n_classes = latent_dim, pack, r1, n_classes
        self.penalty, self.constraint = penalty, constraint
        self.G_ema = EMA(G, ema) if ema else None

    def _device(self):
        return next(self.G.parameters()).device

    def generate(self, n: int, y=None, G=None):
        """G(z) for n fresh latents, with gradients (training uses this)."""
        G = G or self.G
        z = torch.randn(n, self.latent_dim, device=self._device())
        return G(z) if self.n_classes is None else G(z, y)

    def discriminate(self, x, y=None):
        """d(x): logits (B / pack,), packing ``pack`` consecutive samples into one input."""
        x = x.reshape(len(x) // self.pack, -1, *x.shape[2:])  # (B, C, ...) -> (B/m, mC, ...)
        if self.n_classes is not None:
            return self.D(x, y[::self.pack]).reshape(-1)
        return self.D(x).reshape(-1)

    @torch.no_grad()
    def sample(self, n: int, y=None):
        """n samples from the averaged generator if there is one; y: class labels (n,)."""
        if self.n_classes is not None and y is None:
            y = torch.arange(n, device=self._device()) % self.n_classes
        return self.generate(n, y, self.G_ema or self.G)

    def d_loss(self, x_real, y=None):
        """The discriminator's loss on a real batch and as many fresh fakes."""
        with torch.no_grad():  # D's step needs no gradient through G
            x_fake = self.generate(len(x_real), y)
        if self.r1:
            x_real = x_real.detach().requires_grad_(True)
        d_real, d_fake = self.discriminate(x_real, y), self.discriminate(x_fake, y)
        loss = self.objective.d_loss(d_real, d_fake)
        if self.r1:
            loss = loss + self.r1 / 2 * r1_penalty(d_real, x_real)
        if self.penalty is not None:
            loss = loss + self.penalty(self, x_real, x_fake, y)
        return loss

    def g_loss(self, n: int, y=None):
        """The generator's loss on n fresh fakes."""
        return self.objective.g_loss(self.discriminate(self.generate(n, y), y))

    def after_d_step(self):
        if self.constraint is not None:
            self.constraint(self.D)

    def after_g_step(self):
        if self.G_ema is not None:
            self.G_ema.update(self.G)


# --- discriminator rejection sampling (Azadi et al. 2019) ----------------------------------


@torch.no_grad()
def rejection_sample(gan: GAN, n: int, gamma: float = 0.0, eps: float = 1e-6,
                     batch: int = 10_000, max_rounds: int = 200):
    """Keep each G(z) with probability sigmoid(F(x)) (Azadi et al. 2019, Eq. 8).

    F = d - d_max - log(1 - exp(d - d_max - eps)) - gamma with d the logit of a
    (non-saturating or minimax) D, so exp(d) ~ p / p_g. gamma = 0 is exact rejection
    sampling from p_g exp(d); gamma < 0 accepts more. Returns (samples (n, ...), rate);
    warns and returns fewer samples when fewer than n were accepted in ``max_rounds``.
    """
    kept, tried, d_max = [], 0, -float("inf")
    for _ in range(max_rounds):
        x = gan.sample(batch)
        d = gan.D(x).reshape(-1)  # needs pack == 1: one logit per sample
        d_max = max(d_max, d.max().item())
        F_x = d - d_max - torch.log1p(-torch.exp(d - d_max - eps)) - gamma
        kept.append(x[torch.rand_like(d) < torch.sigmoid(F_x)])
        tried += batch
        if sum(len(k) for k in kept) >= n:
            break
    x = torch.cat(kept)
    if len(x) < n:
        warnings.warn(f"rejection sampling accepted only {len(x)} of the {n} samples asked for "
                      f"in {tried} proposals; D's largest logit may be an outlier (raise gamma "
                      "below 0 to accept more, or max_rounds)")
    return x[:n], len(x) / tried
