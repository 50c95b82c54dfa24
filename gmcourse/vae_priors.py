"""Prior holes: the aggregate posterior of a VAE against its prior, and a learned prior
that closes the gap (chapter 04).

Symbols
    q(z|x_n)   the encoder's Gaussian for training example n, N(mu_n, diag sigma_n^2)
    q(z)       the aggregate posterior (1/N) sum_n q(z|x_n): where the decoder was trained (Eq. 1)
    p(z)       the prior, where samples come from: N(0, I), or a learned mixture
               sum_k pi_k N(z; m_k, diag s_k^2)                                      (Eq. 2)
    gap        KL(p(z) || q(z)) = E_p[log p(z) - log q(z)]: large when the prior puts mass
               where no posterior does, the "holes" (Eq. 3)
    hole       a prior sample z with q(z) < p(z) / 10

The ELBO is maximised over the prior too: averaged over the data, its KL term is
E_x KL(q(z|x) || p) = I(x; z) + KL(q(z) || p(z)) (Hoffman and Johnson 2016), so the
best prior is q(z) itself; a mixture prior with a few components can follow it where
N(0, I) cannot (Tomczak and Welling 2018 use the VampPrior; a mixture of Gaussians is
the simplest learned prior).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .vae import VAE


class MixturePrior(nn.Module):
    """p(z) = sum_k pi_k N(z; m_k, diag s_k^2) (Eq. 2), every parameter learned."""

    def __init__(self, latent_dim: int, K: int = 16):
        super().__init__()
        self.m = nn.Parameter(torch.randn(K, latent_dim))
        self.log_s = nn.Parameter(torch.zeros(K, latent_dim))
        self.logits = nn.Parameter(torch.zeros(K))

    def log_prob(self, z):  # (..., d) -> (...)
        s = self.log_s.exp()
        lp = (-0.5 * ((z[..., None, :] - self.m) / s) ** 2 - self.log_s
              - 0.5 * math.log(2 * math.pi)).sum(-1)  # (..., K)
        return torch.logsumexp(lp + self.logits.log_softmax(0), -1)

    def sample(self, shape=()):
        n = math.prod(shape)
        k = torch.multinomial(self.logits.softmax(0), n, replacement=True)
        z = self.m[k] + self.log_s[k].exp() * torch.randn(n, self.m.shape[1], device=self.m.device)
        return z.view(*shape, -1)


class MixturePriorVAE(VAE):
    """The VAE of ``gmcourse.vae`` with ``MixturePrior`` for p(z); the KL term of the ELBO
    is the one-sample Monte Carlo estimate log q(z|x) - log p(z), as no closed form exists."""

    def __init__(self, encoder, decoder, latent_dim: int, K: int = 16, beta: float = 1.0):
        super().__init__(encoder, decoder, latent_dim, beta)
        self.mixture = MixturePrior(latent_dim, K)

    def prior(self):
        return self.mixture

    def elbo(self, x, beta: float = 1.0, analytic_kl: bool = False):
        return super().elbo(x, beta, analytic_kl=False)


@torch.no_grad()
def aggregate_log_prob(model: VAE, x, z, chunk: int = 4096):
    """log q(z) = log (1/N) sum_n q(z | x_n) (Eq. 1), exact: z (M, d) -> (M,)."""
    q = model.encoder(x)
    mu, sigma = q.mu, q.sigma  # (N, d)
    out = []
    for zb in z.split(chunk):
        lp = (-0.5 * ((zb[:, None] - mu) / sigma) ** 2 - sigma.log()
              - 0.5 * math.log(2 * math.pi)).sum(-1)  # (m, N)
        out.append(torch.logsumexp(lp, 1) - math.log(len(x)))
    return torch.cat(out)


@torch.no_grad()
def prior_gap(model: VAE, x, n: int = 20_000, seed: int = 0) -> dict:
    """KL(p(z) || q(z)) by Monte Carlo over prior samples (Eq. 3), the share of prior samples
    in holes (q(z) < p(z) / 10), and the samples ranked from the deepest hole (smallest
    q(z) / p(z)) up, ``z_ranked`` (for decoding)."""
    torch.manual_seed(seed)
    z = model.prior().sample((n,))
    log_p, log_q = model.prior().log_prob(z), aggregate_log_prob(model, x, z)
    holes = log_q < log_p - math.log(10)
    return {"kl": (log_p - log_q).mean().item(), "hole_share": holes.float().mean().item(),
            "z_ranked": z[(log_q - log_p).argsort()]}
