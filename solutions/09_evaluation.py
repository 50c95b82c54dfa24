# %% [markdown]
# # Solutions · 09 Evaluation
#
# The exercises of `chapters/09_evaluation.ipynb`, solved. Each cell ends with the same
# `check(...)` call as the chapter; `assert` makes the notebook fail if a check does not pass.

# %%
import torch

from gmcourse.config import setup
from gmcourse.exercises import check

setup(seed=0)

# %% [markdown]
# **09.fid.** Means over axis 0, $d \times d$ covariances, and
# $\operatorname{Tr}(\Sigma_r\Sigma_g)^{1/2} = \operatorname{Tr}(\Sigma_r^{1/2}\Sigma_g\Sigma_r^{1/2})^{1/2}$:
# the inner matrix is symmetric positive semi-definite, so its trace root is the sum of the
# square roots of its eigenvalues.

# %%
def fid(f_real, f_fake):
    mu_r, mu_g = f_real.mean(0), f_fake.mean(0)
    S_r, S_g = torch.cov(f_real.T), torch.cov(f_fake.T)
    w, V = torch.linalg.eigh(S_r)
    root_r = (V * w.clamp_min(0).sqrt()) @ V.T                       # S_r^(1/2)
    tr_covmean = torch.linalg.eigvalsh(root_r @ S_g @ root_r).clamp_min(0).sqrt().sum()
    return ((mu_r - mu_g).pow(2).sum() + S_r.trace() + S_g.trace() - 2 * tr_covmean).item()


assert check("09.fid", fid)

# %% [markdown]
# **09.inception_score.** $p(y)$ averages the rows; the KL of each row to it is averaged
# over the samples before the exponential.

# %%
def inception_score(probs):
    p_y = probs.mean(0, keepdim=True)
    kl = (probs * (probs.clamp_min(1e-12).log() - p_y.log())).sum(1)
    return kl.mean().exp().item()


assert check("09.inception_score", inception_score)

# %% [markdown]
# **09.fid_mean_bias.** $\hat\mu_a - \hat\mu_b \sim \mathcal N(0, 2\Sigma/n)$, so
# $\mathbb E\lVert\hat\mu_a - \hat\mu_b\rVert^2 = 2\operatorname{Tr}\Sigma / n$: the mean term alone
# inflates FID by an amount that shrinks like $1/n$.

# %%
def mean_term_bias(n, cov):
    return 2 * torch.trace(cov).item() / n


assert check("09.fid_mean_bias", mean_term_bias)
