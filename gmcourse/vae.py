"""Variational autoencoders: the ELBO, beta-VAE and the importance-weighted bound.

Symbols (as on the slides)
    x             data, images (B, C, H, W); D = C*H*W pixels
    z             latent (B, d); prior p(z) = N(0, I)
    q_phi(z|x)    encoder: N(mu_phi(x), diag sigma_phi(x)^2)
    p_theta(x|z)  decoder: Bernoulli (binary pixels), Categorical (L grey levels), Normal
    ELBO(x)       E_q[log p(x|z)] - KL(q(z|x) || p(z))  <=  log p(x)             Eq. (1)
    log p(x) - ELBO(x) = KL(q(z|x) || p(z|x))  (the gap)                       Eq. (2)
    z = mu + sigma * eps, eps ~ N(0, I)   reparameterisation                    Eq. (3)
    beta          weight of the KL term (beta-VAE, Higgins et al. 2017)
    IWAE_k(x)     log (1/k) sum_i p(x, z_i) / q(z_i|x), z_i ~ q                 Eq. (4)
                  E IWAE_1 = ELBO <= E IWAE_k <= E IWAE_{k+1} <= log p(x) (Burda et al. 2016)
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .dists import Bernoulli, Categorical, DiscretizedLogistic, Normal, bits_per_dim, kl_normal
from .nn import MLP, ConvDecoder, ConvEncoder


# --- encoder and decoders: networks that return distributions ---------------------

class GaussianEncoder(nn.Module):
    """q_phi(z|x) = N(mu, diag sigma^2); ``net`` maps flattened x (B, D) to (B, 2d)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x) -> Normal:
        mu, s = self.net(x.flatten(1)).chunk(2, dim=-1)  # (B, D) -> 2 x (B, d)
        return Normal(mu, F.softplus(s) + 1e-4)


class BernoulliDecoder(nn.Module):
    """p_theta(x|z) = prod_i Bernoulli(x_i; sigmoid(net(z)_i)), for binary pixels."""

    def __init__(self, net: nn.Module, shape=(1, 8, 8)):
        super().__init__()
        self.net, self.shape = net, tuple(shape)

    def forward(self, z) -> Bernoulli:
        logits = self.net(z).unflatten(-1, self.shape)  # (..., d) -> (..., C, H, W)
        return Bernoulli(logits, event_dims=len(self.shape))


class CategoricalDecoder(nn.Module):
    """p_theta(x|z) = prod_i Cat(x_i; softmax(net(z)_i)) over L grey levels per pixel."""

    def __init__(self, net: nn.Module, shape=(1, 8, 8), levels: int = 17):
        super().__init__()
        self.net, self.shape, self.levels = net, tuple(shape), levels

    def forward(self, z) -> Categorical:
        logits = self.net(z).unflatten(-1, (*self.shape, self.levels))  # (..., C, H, W, L)
        return Categorical(logits, event_dims=len(self.shape))


class LogisticDecoder(nn.Module):
    """p_theta(x|z) = prod_i DiscretizedLogistic(x_i; mu_i, s_i), (mu, log s) = net(z)."""

    def __init__(self, net: nn.Module, shape=(1, 8, 8), levels: int = 17):
        super().__init__()
        self.net, self.shape, self.levels = net, tuple(shape), levels

    def forward(self, z) -> DiscretizedLogistic:
        mu, log_s = self.net(z).unflatten(-1, (2, *self.shape)).unbind(-len(self.shape) - 1)
        return DiscretizedLogistic(mu, log_s.clamp_min(-7), self.levels, len(self.shape))


class GaussianDecoder(nn.Module):
    """p_theta(x|z) = N(net(z), sigma^2 I) with one learned sigma: a continuous density."""

    def __init__(self, net: nn.Module, shape=(1, 8, 8), sigma: float = 0.1):
        super().__init__()
        self.net, self.shape = net, tuple(shape)
        self.log_sigma = nn.Parameter(torch.tensor(math.log(sigma)))

    def forward(self, z) -> Normal:
        mu = self.net(z).unflatten(-1, self.shape)
        return Normal(mu, self.log_sigma.exp().expand_as(mu), event_dims=len(self.shape))


# --- the model -----------------------------------------------------------------------

class VAE(nn.Module):
    """A VAE: ``loss`` (negative beta-ELBO), ``elbo``, ``iwae``, ``sample``, ``reconstruct``."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, latent_dim: int,
                 beta: float = 1.0):
        super().__init__()
        self.encoder, self.decoder, self.latent_dim, self.beta = encoder, decoder, latent_dim, beta
        self.register_buffer("mu0", torch.zeros(latent_dim))
        self.register_buffer("sigma0", torch.ones(latent_dim))

    def prior(self) -> Normal:
        return Normal(self.mu0, self.sigma0)

    def elbo(self, x, beta: float = 1.0, analytic_kl: bool = True):
        """Per-example E_q[log p(x|z)] - beta KL(q || p), one reparameterised sample: (B,)."""
        q = self.encoder(x)
        z = q.sample()                                        # Eq. (3)
        rec = self.decoder(z).log_prob(x)                     # log p(x|z), (B,)
        if analytic_kl:
            kl = kl_normal(q, self.prior())
        else:  # the Monte Carlo alternative: log q(z|x) - log p(z) at the same z
            kl = q.log_prob(z) - self.prior().log_prob(z)
        return rec - beta * kl                                # Eq. (1)

    def loss(self, x):
        return -self.elbo(x, self.beta).mean()

    @torch.no_grad()
    def iwae(self, x, k: int = 100, chunk: int = 64):
        """IWAE_k(x) per example (B,), an estimate of log p(x) from below, Eq. (4)."""
        out = []
        for xb in x.split(chunk):
            q = self.encoder(xb)
            z = q.sample((k,))                                # (k, b, d)
            log_w = (self.decoder(z).log_prob(xb) + self.prior().log_prob(z)
                     - q.log_prob(z))                         # (k, b)
            out.append(torch.logsumexp(log_w, 0) - math.log(k))
        return torch.cat(out)

    def bits_per_dim(self, x, k: int = 100) -> float:
        """-IWAE_k / (D ln 2): an upper bound (in expectation) on the model's bits per pixel.

        In the decoder's units: with a 17-level Categorical decoder on digits this is the
        course's "17-level digits" convention; with a Bernoulli decoder, binary pixels.
        """
        return bits_per_dim(-self.iwae(x, k).mean().item(), x[0].numel())

    @torch.no_grad()
    def sample(self, n: int):
        """Decoder means at z ~ p(z): (n, C, H, W). ``self.decoder(z).sample()`` adds the
        pixel noise of p(x|z), which for independent pixels looks like salt and pepper."""
        return self.decoder(self.prior().sample((n,))).mean

    @torch.no_grad()
    def decode(self, z):
        return self.decoder(z).mean

    @torch.no_grad()
    def reconstruct(self, x):
        return self.decoder(self.encoder(x).mu).mean

    @torch.no_grad()
    def kl_per_dim(self, x):
        """Average KL(q(z_j|x) || p(z_j)) of each latent dimension j over the data: (d,)."""
        q, p = self.encoder(x), self.prior()
        q.event_dims = 0
        return kl_normal(q, Normal(p.mu, p.sigma, event_dims=0)).mean(0)

    @torch.no_grad()
    def active_units(self, x, threshold: float = 1e-2) -> int:
        """Dimensions whose posterior mean varies with x: Cov_x(E_q[z_j]) > 0.01 (Burda et al.)."""
        return int((self.encoder(x).mu.var(0) > threshold).sum())


class IWAE(VAE):
    """A VAE trained on IWAE_k instead of the ELBO (Burda et al. 2016): ``k``
    reparameterised samples per example; k = 1 is the ELBO with a Monte Carlo KL."""

    k: int = 50

    def loss(self, x):
        q = self.encoder(x)
        z = q.sample((self.k,))                               # (k, B, d)
        log_w = self.decoder(z).log_prob(x) + self.prior().log_prob(z) - q.log_prob(z)
        return -(torch.logsumexp(log_w, 0) - math.log(self.k)).mean()  # Eq. (4), (k, B) -> ()


class Autoencoder(VAE):
    """The deterministic autoencoder: z = mu_phi(x), loss -log p(x|z). No KL, so nothing
    makes the codes of the data look like N(0, I), and decoding prior draws fails."""

    def loss(self, x):
        return -self.decoder(self.encoder(x).mu).log_prob(x).mean()


# --- gradient estimators of d/dmu E_{z ~ N(mu, sigma^2)} f(z) --------------------------

def reparam_grads(f, mu: float, sigma: float, n: int, generator=None):
    """n single-sample estimates f'(mu + sigma eps), eps ~ N(0, 1): pathwise, Eq. (3)."""
    eps = torch.randn(n, generator=generator, dtype=torch.float64)
    z = (mu + sigma * eps).requires_grad_(True)
    return torch.autograd.grad(f(z).sum(), z)[0]  # d f(z_i) / d mu = f'(z_i)


def score_function_grads(f, mu: float, sigma: float, n: int, generator=None):
    """n single-sample estimates f(z) d/dmu log N(z; mu, sigma^2) = f(z) (z - mu) / sigma^2."""
    z = mu + sigma * torch.randn(n, generator=generator, dtype=torch.float64)
    return f(z) * (z - mu) / sigma ** 2


# --- a model where everything is exact -------------------------------------------------

class LinearGaussian:
    """p(z) = N(0, I_d), p(x|z) = N(W z + b, s^2 I_D): log p(x) and p(z|x) in closed form.

    q(z|x) = N(m, S) with a full covariance S, so q can equal the true posterior.
    """

    def __init__(self, W, b, s: float):
        self.W, self.b, self.s = torch.as_tensor(W).double(), torch.as_tensor(b).double(), s
        self.D, self.d = self.W.shape

    def log_prob(self, x):
        """log N(x; b, W W^T + s^2 I), the exact marginal likelihood: (B,)."""
        C = self.W @ self.W.T + self.s ** 2 * torch.eye(self.D, dtype=torch.float64)
        return torch.distributions.MultivariateNormal(self.b, C).log_prob(x)

    def posterior(self, x):
        """p(z|x) = N(m, S), S = (I + W^T W / s^2)^-1, m = S W^T (x - b) / s^2."""
        S = torch.linalg.inv(torch.eye(self.d, dtype=torch.float64) + self.W.T @ self.W / self.s ** 2)
        return (x - self.b) @ self.W @ S / self.s ** 2, S  # (B, d), (d, d)

    def elbo(self, x, m, S):
        """ELBO of q = N(m, S) in closed form, Eq. (1): (B,)."""
        r = x - m @ self.W.T - self.b  # (B, D)
        rec = (-0.5 * self.D * math.log(2 * math.pi * self.s ** 2)
               - ((r ** 2).sum(-1) + torch.trace(self.W @ S @ self.W.T)) / (2 * self.s ** 2))
        kl = 0.5 * (torch.trace(S) + (m ** 2).sum(-1) - self.d - torch.logdet(S))
        return rec - kl

    def kl_to_posterior(self, x, m, S):
        """KL(N(m, S) || p(z|x)) for Gaussians: the gap of Eq. (2)."""
        m_p, S_p = self.posterior(x)
        P = torch.linalg.inv(S_p)
        dm = m - m_p
        return 0.5 * (torch.trace(P @ S) + ((dm @ P) * dm).sum(-1) - self.d
                      + torch.logdet(S_p) - torch.logdet(S))


# --- the lecture's models on images ---------------------------------------------------

def build_vae(shape=(1, 8, 8), latent_dim: int = 2, hidden: int = 256, depth: int = 2,
              likelihood: str = "categorical", levels: int = 17, beta: float = 1.0,
              autoencoder: bool = False) -> VAE:
    """MLP encoder and decoder for images of ``shape``; ``likelihood`` is "bernoulli"
    (binary pixels), "categorical" or "logistic" (``levels`` grey levels) or "gaussian"."""
    D, d = math.prod(shape), latent_dim
    encoder = GaussianEncoder(MLP(D, 2 * d, hidden, depth))
    decoders = {
        "bernoulli": lambda: BernoulliDecoder(MLP(d, D, hidden, depth), shape),
        "categorical": lambda: CategoricalDecoder(MLP(d, D * levels, hidden, depth), shape,
                                                  levels),
        "logistic": lambda: LogisticDecoder(MLP(d, 2 * D, hidden, depth), shape, levels),
        "gaussian": lambda: GaussianDecoder(MLP(d, D, hidden, depth), shape)}
    if likelihood not in decoders:
        raise ValueError(f"likelihood must be one of {sorted(decoders)}, not {likelihood!r}")
    return (Autoencoder if autoencoder else VAE)(encoder, decoders[likelihood](), d, beta)


class _OnImages(nn.Module):
    """A convolutional backbone behind the flat interface the encoder and decoders use:
    (..., n_in) -> (..., n_out), any leading dimensions (IWAE's k samples included)."""

    def __init__(self, body: nn.Module, n_in: int):
        super().__init__()
        self.body, self.n_in = body, n_in

    def forward(self, v):
        return self.body(v.reshape(-1, self.n_in)).flatten(1).unflatten(0, v.shape[:-1])


def build_conv_vae(shape=(1, 8, 8), latent_dim: int = 16, channels: int = 32,
                   likelihood: str = "bernoulli", beta: float = 1.0) -> VAE:
    """The same VAE with convolutional backbones (nn.ConvEncoder / ConvDecoder: one halving
    and one doubling of H and W): weights shared across positions instead of one weight per
    pixel pair. ``likelihood``: "bernoulli" or "gaussian" (then log p(x|z) is
    -||x - mu||^2 / (2 sigma^2) - (D/2) log(2 pi sigma^2): the squared error up to constants)."""
    C, H, W = shape
    h, w, d = H // 2, W // 2, latent_dim
    enc = _OnImages(nn.Sequential(nn.Unflatten(1, shape), ConvEncoder(C, channels, channels),
                                  nn.Flatten(), nn.Linear(channels * h * w, 2 * d)), C * H * W)
    dec = _OnImages(nn.Sequential(nn.Linear(d, channels * h * w), nn.SiLU(),
                                  nn.Unflatten(1, (channels, h, w)),
                                  ConvDecoder(channels, C, channels)), d)  # -> (B, C, H, W)
    decoders = {"bernoulli": BernoulliDecoder, "gaussian": GaussianDecoder}
    if likelihood not in decoders:
        raise ValueError(f"likelihood must be one of {sorted(decoders)}, not {likelihood!r}")
    return VAE(GaussianEncoder(enc), decoders[likelihood](dec, shape), d, beta)


@torch.no_grad()
def evaluate(model: VAE, x, k: int = 100, chunk: int = 64) -> dict:
    """Test -ELBO and -IWAE_k in nats per image, and -IWAE_k in bits per dimension."""
    neg_elbo = torch.cat([-model.elbo(xb) for xb in x.split(256)]).mean().item()
    nll = -model.iwae(x, k, chunk).mean().item()
    return {"-ELBO": neg_elbo, f"IWAE-{k} NLL": nll,
            "bits/dim": bits_per_dim(nll, x[0].numel())}
