# %% [markdown]
# # Solutions · 04 VAE
#
# The exercises of `chapters/04_vae.ipynb`, solved. Each cell ends with the same
# `check(...)` call as the chapter; `assert` makes the notebook fail if a check does not pass.

# %%
import math

import torch

from gmcourse.config import setup
from gmcourse.exercises import check

setup(seed=0)

# %% [markdown]
# **04.kl_normal.** Per dimension $\mathrm{KL} = \frac12(\sigma^2 + \mu^2 - 1 - \log\sigma^2)$ with
# $\sigma^2 = e^{\text{log\_var}}$, summed over the latent dimensions.

# %%
def kl_to_prior(mu, log_var):
    return 0.5 * (log_var.exp() + mu ** 2 - 1 - log_var).sum(-1)


assert check("04.kl_normal", kl_to_prior)

# %% [markdown]
# **04.reparameterize.** $z = \mu + \sigma\varepsilon$, $\sigma = e^{\text{log\_var}/2}$,
# $\varepsilon \sim \mathcal N(0, I)$.

# %%
def reparameterize(mu, log_var):
    return mu + (0.5 * log_var).exp() * torch.randn_like(mu)


assert check("04.reparameterize", reparameterize)

# %% [markdown]
# **04.elbo.** $\mathbb E_q\lVert x - Wz - b\rVert^2 = \lVert x - Wm - b\rVert^2 + \operatorname{tr}(WSW^\top)$,
# so $\mathbb E_q \log p(x\mid z) = -\frac D2\log(2\pi s^2) - \frac{\lVert x - Wm - b\rVert^2 + \operatorname{tr}(WSW^\top)}{2s^2}$,
# and $\mathrm{KL}(\mathcal N(m, S)\,\|\,\mathcal N(0, I)) = \frac12(\operatorname{tr}S + \lVert m\rVert^2 - d - \log\det S)$.

# %%
def elbo_linear_gaussian(x, W, b, s, m, S):
    D, d = W.shape
    r = x - m @ W.T - b                                            # (B, D)
    rec = (-0.5 * D * math.log(2 * math.pi * s ** 2)
           - ((r ** 2).sum(-1) + torch.trace(W @ S @ W.T)) / (2 * s ** 2))
    kl = 0.5 * (torch.trace(S) + (m ** 2).sum(-1) - d - torch.logdet(S))
    return rec - kl


assert check("04.elbo", elbo_linear_gaussian)

# %% [markdown]
# **04.iwae.** $\log\frac1k\sum_i w_i$ = `logsumexp` over the samples minus $\log k$.

# %%
def iwae_bound(log_w):
    return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])


assert check("04.iwae", iwae_bound)
