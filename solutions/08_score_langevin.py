# %% [markdown]
# # Solutions · 08 Scores and Langevin dynamics
#
# The exercises of `chapters/08_score_langevin.ipynb`, solved. Each cell ends with the same
# `check(...)` call as the chapter; `assert` makes the notebook fail if a check does not pass.

# %%
import torch

from gmcourse.config import setup
from gmcourse.exercises import check

setup(seed=0)

# %% [markdown]
# **08.mixture_score.** $\nabla \log \sum_k w_k \mathcal N_k = \sum_k r_k\, \nabla \log \mathcal N_k$
# with $r_k = w_k\mathcal N_k / p$ and $\nabla \log \mathcal N_k = (\mu_k - x)/\sigma_k^2$. The
# responsibilities come from a softmax over $\log w_k - 2\log\sigma_k - \lVert x - \mu_k\rVert^2/(2\sigma_k^2)$
# (in 2D the normalising constant of $\mathcal N_k$ is $1/(2\pi\sigma_k^2)$).

# %%
def mixture_score(x, means, stds, weights):
    diff = means[None] - x[:, None]                                   # (n, K, 2)
    log_r = weights.log() - 2 * stds.log() - 0.5 * (diff ** 2).sum(-1) / stds ** 2
    r = torch.softmax(log_r, -1)                                      # (n, K)
    return (r[..., None] * diff / stds[None, :, None] ** 2).sum(1)


assert check("08.mixture_score", mixture_score)

# %% [markdown]
# **08.annealed_langevin.** Largest level first; at level $i$ the step
# $\alpha_i = \epsilon\,\sigma_i^2/\sigma_L^2$ and `steps_each` steps of Eq. (3).

# %%
def annealed_langevin(score, x, sigmas, eps, steps_each):
    for sigma in sigmas:
        alpha = eps * sigma ** 2 / sigmas[-1] ** 2
        for _ in range(steps_each):
            x = x + alpha / 2 * score(x, sigma) + alpha ** 0.5 * torch.randn_like(x)
    return x


assert check("08.annealed_langevin", annealed_langevin)

# %% [markdown]
# **08.dsm_loss.** Sum over the data dimensions, mean over the batch, and the factor 1/2.

# %%
def dsm_loss(score, x, sigma, z):
    residual = sigma * score(x + sigma * z, sigma) + z
    return 0.5 * residual.pow(2).sum(1).mean()


assert check("08.dsm_loss", dsm_loss)
