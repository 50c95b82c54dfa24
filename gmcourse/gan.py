"""Generative adversarial networks (chapters 02-03): the game, its objectives, penalties
and Lipschitz constraints.

Symbols (Goodfellow et al. 2014; Nowozin et al. 2016; Arjovsky et al. 2017):
    G(z)       generator, z ~ p_z = N(0, I); its samples have the implicit density p_g
    D(x)       discriminator, D(x) = sigmoid(d(x)); ``D`` here returns the logit d(x)
               (a WGAN's critic f(x): the same network, an unbounded output)
    V(D, G)    E_p log D(x) + E_z log(1 - D(G(z)))                      Eq. (1)
    D*(x)      p(x) / (p(x) + p_g(x)), the best D for a fixed G       Eq. (2)
    f, f^*     an f-divergence's convex function and its convex conjugate (Legendre
               transform); D_f(P || Q) = E_q f(p / q)
    T(x)       g_f(V(x)), the f-GAN critic; E_p T - E_q f^*(T) <= D_f(P || Q)
    x_hat      eps x + (1 - eps) G(z), eps ~ U[0, 1]: where WGAN-GP's penalty is taken

``GAN(G, D, objective, penalty=..., constraint=...)`` is the game; three kinds of objects
configure it:
    objective   ``d_loss(d_real, d_fake)``, ``g_loss(d_fake)``: each player's loss, minimised
    penalty     ``penalty(gan, x_real, x_fake, y, d_real)``: added to D's loss (R1, GP)
    constraint  ``wrap(D) -> D`` once, ``after_step(D)`` after each D step (clipping, SN)
Every call of D goes through ``GAN.discriminate``, which packs samples and passes labels.
``gmcourse.train.adversarial_step`` alternates the players' steps.
"""
from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .nn import EMA

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


class Wasserstein:
    """The critic maximises E_p f - E_{p_g} f (W1 by duality, if f is 1-Lipschitz);
    the generator maximises E_{p_g} f (Arjovsky et al. 2017, Eq. 3)."""

    def d_loss(self, d_real, d_fake):  # -(E_p f(x) - E_{p_g} f(x))
        return d_fake.mean() - d_real.mean()

    def g_loss(self, d_fake):
        return -d_fake.mean()


# f-GAN (Nowozin et al. 2016, Table 6): output activation g_f, conjugate f^*, and f'(u),
# which gives the optimal critic T*(x) = f'(p(x) / q(x)). "js" is 2 JS(P, Q) with this f.
F_DIVERGENCES = {
    "kl": (lambda v: v, lambda t: torch.exp(t - 1), lambda u: 1 + torch.log(u)),
    "reverse_kl": (lambda v: -torch.exp(-v), lambda t: -1 - torch.log(-t), lambda u: -1 / u),
    "pearson": (lambda v: v, lambda t: t * t / 4 + t, lambda u: 2 * (u - 1)),
    "js": (lambda v: math.log(2) - F.softplus(-v), lambda t: -torch.log(2 - torch.exp(t)),
           lambda u: torch.log(2 * u / (1 + u))),
}


class FGAN:
    """Variational divergence minimisation: D maximises E_p T - E_q f^*(T), T = g_f(V)."""

    def __init__(self, divergence: str = "kl"):
        self.divergence = divergence
        self.g_f, self.f_star, self.f_prime = F_DIVERGENCES[divergence]

    def bound(self, v_real, v_fake):  # E_p T - E_q f^*(T) <= D_f(P || Q)   (Nowozin Eq. 6)
        return self.g_f(v_real).mean() - self.f_star(self.g_f(v_fake)).mean()

    def d_loss(self, d_real, d_fake):
        return -self.bound(d_real, d_fake)

    def g_loss(self, d_fake):  # Nowozin Sec. 3.2: G maximises E_q g_f(V), the steep variant
        return -self.g_f(d_fake).mean()


def optimal_discriminator(log_p, log_p_g):
    """D*(x) = p / (p + p_g) = sigmoid(log p - log p_g), from two log-densities (n,)."""
    return torch.sigmoid(log_p - log_p_g)  # Eq. (2)


# --- penalties on D's loss: one call, penalty(gan, x_real, x_fake, y, d_real) ----------------


def r1_penalty(d_real, x_real):
    """E_p ||grad_x d(x)||^2 on real data (Mescheder et al. 2018, Eq. 9)."""
    (g,) = torch.autograd.grad(d_real.sum(), x_real, create_graph=True)
    return g.pow(2).flatten(1).sum(1).mean()


class R1:
    """gamma/2 E_p ||grad_x d(x)||^2: damps D where the data are (Mescheder et al. 2018)."""
    on_real = True  # D's loss must differentiate d(x_real) with respect to x_real

    def __init__(self, gamma: float = 10.0):
        self.gamma = gamma

    def __call__(self, gan, x_real, x_fake, y, d_real):
        return self.gamma / 2 * r1_penalty(d_real, x_real)


class GradientPenalty:
    """WGAN-GP (Gulrajani et al. 2017, Alg. 1, line 7): lam (||grad f(x_hat)||_2 - 1)^2."""
    on_real = False

    def __init__(self, lam: float = 10.0):
        self.lam = lam

    def __call__(self, gan, x_real, x_fake, y=None, d_real=None):
        eps = torch.rand(len(x_real), *[1] * (x_real.dim() - 1), device=x_real.device)
        x_hat = (eps * x_real.detach() + (1 - eps) * x_fake.detach()).requires_grad_(True)
        (g,) = torch.autograd.grad(gan.discriminate(x_hat, y).sum(), x_hat, create_graph=True)
        return self.lam * (g.flatten(1).norm(dim=1) - 1).pow(2).mean()


# --- Lipschitz constraints on D: wrap(D) once, after_step(D) after each D step -------------


class WeightClipping:
    """WGAN (Arjovsky et al. 2017, Alg. 1, line 7): w <- clip(w, -c, c) after each step."""

    def __init__(self, c: float = 0.01):
        self.c = c

    def wrap(self, D: nn.Module) -> nn.Module:
        return D

    @torch.no_grad()
    def after_step(self, D: nn.Module):
        for w in D.parameters():
            w.clamp_(-self.c, self.c)


def spectral_norm(net: nn.Module) -> nn.Module:
    """Spectral normalisation of every linear and conv layer (one power iteration a step)."""
    for name, m in net.named_children():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            setattr(net, name, nn.utils.parametrizations.spectral_norm(m))
        else:
            spectral_norm(m)
    return net


class SpectralNorm:
    """SNGAN (Miyato et al. 2018): W / sigma_max(W) in every layer, so each is 1-Lipschitz."""

    def wrap(self, D: nn.Module) -> nn.Module:
        return spectral_norm(D)

    def after_step(self, D: nn.Module):
        pass


# --- the model ---------------------------------------------------------------------------


class GAN(nn.Module):
    """Generator G and discriminator D playing the game that ``objective`` defines.

    latent_dim: size of z. pack: D judges ``pack`` samples at once (PacGAN, Lin et al.
    2018), so its input has pack times the channels. penalty: R1 or GradientPenalty.
    constraint: WeightClipping or SpectralNorm. ema: decay of an averaged copy of G that
    ``sample`` uses (None: sample from G). n_classes: a conditional GAN (Mirza &
    Osindero 2014): G(z, y) and D(x, y).
    """

    def __init__(self, G: nn.Module, D: nn.Module, objective=None, latent_dim: int = 2, *,
                 pack: int = 1, penalty=None, constraint=None, ema: float | None = None,
                 n_classes: int | None = None):
        super().__init__()
        self.G, self.D = G, constraint.wrap(D) if constraint is not None else D
        self.objective = objective or NonSaturating()
        self.latent_dim, self.pack, self.n_classes = latent_dim, pack, n_classes
        self.penalty, self.constraint = penalty, constraint
        self.G_ema = EMA(G, ema) if ema else None

    def _device(self):
        return next(self.G.parameters()).device

    def generate(self, n: int, y=None, G=None, z=None):
        """G(z) for n fresh latents (or the given z), with gradients (training uses this)."""
        G = G or self.G
        z = torch.randn(n, self.latent_dim, device=self._device()) if z is None else z
        return G(z) if self.n_classes is None else G(z, y)

    def discriminate(self, x, y=None):
        """d(x): logits (B / pack,), packing ``pack`` consecutive samples into one input."""
        x = x.reshape(len(x) // self.pack, -1, *x.shape[2:])  # (B, C, ...) -> (B/m, mC, ...)
        if self.n_classes is not None:
            return self.D(x, y[::self.pack]).reshape(-1)
        return self.D(x).reshape(-1)

    @torch.no_grad()
    def sample(self, n: int, y=None, z=None):
        """n samples from the averaged generator if there is one; y: labels (n,); z: latents."""
        if self.n_classes is not None and y is None:
            y = torch.arange(n, device=self._device()) % self.n_classes
        return self.generate(n, y, self.G_ema or self.G, z)

    def d_loss(self, x_real, y=None):
        """The discriminator's loss on a real batch and as many fresh fakes."""
        with torch.no_grad():  # D's step needs no gradient through G
            x_fake = self.generate(len(x_real), y)
        if getattr(self.penalty, "on_real", False):
            x_real = x_real.detach().requires_grad_(True)
        d_real, d_fake = self.discriminate(x_real, y), self.discriminate(x_fake, y)
        loss = self.objective.d_loss(d_real, d_fake)
        if self.penalty is not None:
            loss = loss + self.penalty(self, x_real, x_fake, y, d_real)
        return loss

    def g_loss(self, n: int, y=None):
        """The generator's loss on n fresh fakes."""
        return self.objective.g_loss(self.discriminate(self.generate(n, y), y))

    def after_d_step(self):
        if self.constraint is not None:
            self.constraint.after_step(self.D)

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
    if gan.pack != 1:
        raise ValueError("rejection sampling needs one logit per sample (pack = 1)")
    kept, tried, d_max = [], 0, -float("inf")
    for _ in range(max_rounds):
        x = gan.sample(batch)
        d = gan.discriminate(x)
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


def truncated_latents(n: int, dim: int, threshold: float, generator=None):
    """The truncation trick (Brock et al. 2019, Sec. 3.1): z ~ N(0, I), each |z_i| > threshold
    redrawn; smaller thresholds trade variety (recall) for typical samples (precision)."""
    z = torch.randn(n, dim, generator=generator)
    while (out := z.abs() > threshold).any():
        z[out] = torch.randn(int(out.sum()), generator=generator)
    return z
