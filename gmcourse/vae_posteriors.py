"""A richer posterior: q(z|x) as a Gaussian pushed through an inverse autoregressive flow
(chapter 04).

Symbols (as in chapter 04; the flow notation of chapter 05)
    q_0(z_0|x)   the encoder's Gaussian N(mu(x), diag sigma(x)^2); z_0 = mu + sigma * eps
    h            a context vector, the encoder's third output: h(x), (B, c)
    f_t          step t of K, z_t = f_t(z_{t-1}; h), each invertible
    IAF step     (m, s) = MADE(z_{t-1}, h), where output i sees only z_{<i} and h;
                 sigma_t = sigmoid(s)
                 z_t = sigma_t * z_{t-1} + (1 - sigma_t) * m      (Kingma et al. 2016, Eq. 14)
    log_det      log |det dz_t/dz_{t-1}| = sum_i log sigma_{t,i}: dz_t/dz_{t-1} is triangular
                 (m_i, sigma_{t,i} do not depend on z_i) with sigma_t on its diagonal
    log q(z_K|x) = log q_0(z_0|x) - sum_t log_det_t              (Rezende & Mohamed 2015, Eq. 6) (1)
    ELBO(x)      E_q[log p(x|z_K) + log p(z_K) - log q(z_K|x)]                            (2)
    log p(x) - ELBO(x) = KL(q(z|x) || p(z|x)): a richer q can only tighten the bound.
    IWAE_k(x)    log (1/k) sum_i p(x, z_i) / q(z_i|x), z_i ~ q  (Burda et al. 2016)       (3)

Between steps the latent's order is reversed, so that every coordinate is eventually
conditioned on every other (a permutation: log_det 0). With K = 0 steps the model is the
VAE of ``gmcourse.vae`` with the Monte Carlo KL.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .dists import Normal
from .vae import VAE


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask (out, in)."""

    def __init__(self, n_in: int, n_out: int, mask: torch.Tensor):
        super().__init__(n_in, n_out)
        self.register_buffer("mask", mask.float())

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


class MADE(nn.Module):
    """(z, h) -> (m, s), each (..., d): output i depends on z_1..z_{i-1} and h only
    (Germain et al. 2015): hidden unit k has a degree in 1..d-1 and sees inputs of degree
    <= its own; output i sees hidden units of degree < i."""

    def __init__(self, d: int, context: int, hidden: int = 64):
        super().__init__()
        deg_in = torch.arange(1, d + 1)
        deg_h = torch.arange(hidden) % max(d - 1, 1) + 1
        self.inp = MaskedLinear(d, hidden, deg_h[:, None] >= deg_in)
        self.ctx = nn.Linear(context, hidden)
        self.mid = MaskedLinear(hidden, hidden, deg_h[:, None] >= deg_h)
        self.out = MaskedLinear(hidden, 2 * d, (deg_in[:, None] > deg_h).repeat(2, 1))

    def forward(self, z, h):
        a = F.elu(self.inp(z) + self.ctx(h))    # (..., d), (B, c) -> (..., hidden)
        a = F.elu(self.mid(a))
        return self.out(a).chunk(2, dim=-1)     # (..., 2d) -> 2 x (..., d)


class IAFStep(nn.Module):
    """One inverse autoregressive step (Kingma et al. 2016). forward, base -> posterior:
        z' = sigma * z + (1 - sigma) * m,  sigma = sigmoid(s + bias),  log_det = sum log sigma
    ``bias`` starts sigma near 1, close to the identity (their "forget gate" bias).
    The inverse solves for z one coordinate at a time: d passes, as z_i needs z_{<i}."""

    def __init__(self, made: MADE, bias: float = 1.0):
        super().__init__()
        self.made, self.bias = made, bias

    def _m_sigma(self, z, h):
        m, s = self.made(z, h)
        return m, torch.sigmoid(s + self.bias)

    def forward(self, z, h):
        m, sigma = self._m_sigma(z, h)
        return sigma * z + (1 - sigma) * m, sigma.log().sum(-1)   # Eq. (14) of the paper

    def inverse(self, z_new, h):
        z = torch.zeros_like(z_new)
        for i in range(z.shape[-1]):  # after pass i, z_1..z_{i+1} are exact
            m, sigma = self._m_sigma(z, h)
            z = torch.cat([z[..., :i], ((z_new - (1 - sigma) * m) / sigma)[..., i:]], -1)
        return z, -self._m_sigma(z, h)[1].log().sum(-1)


class FlowPosterior(nn.Module):
    """q(z|x): ``net`` maps flattened x (B, D) to (mu, s, h), sizes (d, d, c); the base is
    N(mu, diag softplus(s)^2) as in ``vae.GaussianEncoder``, then the ``steps`` in order."""

    def __init__(self, net: nn.Module, latent_dim: int, context_dim: int, steps=()):
        super().__init__()
        self.net, self.d, self.c = net, latent_dim, context_dim
        self.steps = nn.ModuleList(steps)

    def base(self, x) -> tuple[Normal, torch.Tensor]:
        mu, s, h = self.net(x.flatten(1)).split([self.d, self.d, self.c], -1)  # (B, 2d + c)
        return Normal(mu, F.softplus(s) + 1e-4), h

    def flow(self, z, h):
        """z_0 -> z_K and the summed log_det, (..., B, d) -> (..., B, d), (..., B)."""
        log_det = z.new_zeros(z.shape[:-1])
        for t, step in enumerate(self.steps):
            z = z.flip(-1) if t > 0 else z  # reverse the order between steps
            z, ld = step(z, h)
            log_det = log_det + ld
        return z, log_det

    def rsample(self, x, shape=()):
        """Reparameterised z ~ q(z|x) and log q(z|x), Eq. (1): (*shape, B, d), (*shape, B)."""
        q0, h = self.base(x)
        z0 = q0.sample(shape)
        z, log_det = self.flow(z0, h)
        return z, q0.log_prob(z0) - log_det

    def log_prob(self, z, x):
        """log q(z|x) at a given z (B, d), by running the flow backwards: (B,)."""
        q0, h = self.base(x)
        log_det = z.new_zeros(z.shape[:-1])
        for t in reversed(range(len(self.steps))):
            z, ld = self.steps[t].inverse(z, h)
            z = z.flip(-1) if t > 0 else z
            log_det = log_det + ld
        return q0.log_prob(z) + log_det  # ld here is log |det dz_{t-1}/dz_t|

    def point_estimate(self, x):
        """The flow applied to the base mean: a point estimate of z for reconstructions."""
        q0, h = self.base(x)
        return self.flow(q0.mu, h)[0]


def iaf_posterior(net: nn.Module, latent_dim: int, context_dim: int, K: int,
                  hidden: int = 64) -> FlowPosterior:
    return FlowPosterior(net, latent_dim, context_dim,
                         [IAFStep(MADE(latent_dim, context_dim, hidden)) for _ in range(K)])


class FlowVAE(VAE):
    """The VAE with ``FlowPosterior`` as its encoder: the same verbs (``loss``, ``elbo``,
    ``iwae``, ``sample``), the KL term as the one-sample estimate log q(z|x) - log p(z)."""

    def elbo(self, x, beta: float = 1.0, analytic_kl: bool = False):  # VAE.elbo's signature
        z, log_q = self.encoder.rsample(x)
        rec = self.decoder(z).log_prob(x)                      # log p(x|z), (B,)
        kl = log_q - self.prior().log_prob(z)                  # no closed form now
        return rec - beta * kl                                 # Eq. (2)

    @torch.no_grad()
    def iwae(self, x, k: int = 100, chunk: int = 64):
        out = []
        for xb in x.split(chunk):
            z, log_q = self.encoder.rsample(xb, (k,))          # (k, b, d), (k, b)
            log_w = self.decoder(z).log_prob(xb) + self.prior().log_prob(z) - log_q
            out.append(torch.logsumexp(log_w, 0) - math.log(k))  # Eq. (3)
        return torch.cat(out)

    @torch.no_grad()
    def reconstruct(self, x):
        return self.decoder(self.encoder.point_estimate(x)).mean


@torch.no_grad()
def log_q(model: VAE, z, x):
    """log q(z|x) of either posterior, the flow's or vae.py's Gaussian: z (M, d), x (M, ...)."""
    if isinstance(model.encoder, FlowPosterior):
        return model.encoder.log_prob(z, x)
    return model.encoder(x).log_prob(z)


@torch.no_grad()
def bounds(model: VAE, x, samples: int = 100, k: int = 1000, chunk: int = 32) -> dict:
    """Per-image ELBO averaged over ``samples`` draws of z (a single draw is too noisy to
    compare two posteriors) and IWAE_k, each (B,)."""
    elbo = torch.stack([model.elbo(x) for _ in range(samples)]).mean(0)
    return {"elbo": elbo, "iwae": model.iwae(x, k, chunk)}
