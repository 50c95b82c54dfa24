# %% [markdown]
# # Solutions · 07 DDPM
#
# The exercises of `chapters/07_ddpm.ipynb`, solved. Each cell ends with the same
# `check(...)` call as the chapter; `assert` makes the notebook fail if a check does not pass.

# %%
import torch

from gmcourse.config import setup
from gmcourse.exercises import check

setup(seed=0)


def alpha_bar(beta, t):
    """alpha_bar_t for a batch of timesteps t in 1..T, shaped (B, 1); alpha_bar_0 = 1."""
    ab = torch.cat([beta.new_ones(1), torch.cumprod(1 - beta, 0)])
    return ab[t][:, None]

# %% [markdown]
# **07.q_sample.** $\bar\alpha_t = \prod_{s \le t}(1 - \beta_s)$ = `cumprod(1 - beta)[t - 1]`;
# $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,\epsilon$.

# %%
def q_sample(x0, t, eps, beta):
    ab = alpha_bar(beta, t)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


assert check("07.q_sample", q_sample)

# %% [markdown]
# **07.posterior.** In $x_{t-1}$: $q(x_t \mid x_{t-1}) \propto \exp\!\big(-\frac{\alpha_t}{2\beta_t}
# (x_{t-1} - x_t/\sqrt{\alpha_t})^2\big)$ and $q(x_{t-1} \mid x_0) = \mathcal N(\sqrt{\bar\alpha_{t-1}}x_0,
# 1-\bar\alpha_{t-1})$. The precisions add: $1/\tilde\beta_t = \alpha_t/\beta_t + 1/(1-\bar\alpha_{t-1})
# = (1-\bar\alpha_t)/(\beta_t(1-\bar\alpha_{t-1}))$; the mean is
# $\tilde\beta_t\big(\sqrt{\alpha_t}\,x_t/\beta_t + \sqrt{\bar\alpha_{t-1}}\,x_0/(1-\bar\alpha_{t-1})\big)$,
# which simplifies to the chapter's $\tilde\mu_t$.

# %%
def posterior(x0, xt, t, beta):
    b = beta[t - 1][:, None]
    ab, ab_prev = alpha_bar(beta, t), alpha_bar(beta, t - 1)
    mean = (ab_prev.sqrt() * b * x0 + (1 - b).sqrt() * (1 - ab_prev) * xt) / (1 - ab)
    var = (1 - ab_prev) / (1 - ab) * b
    return mean, var


assert check("07.posterior", posterior)

# %% [markdown]
# **07.eps_mean.** Substituting $x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon)/\sqrt{\bar\alpha_t}$
# and using $\bar\alpha_t = \alpha_t\bar\alpha_{t-1}$, $1 - \bar\alpha_t = \beta_t + \alpha_t(1-\bar\alpha_{t-1})$:
# the coefficient of $x_t$ becomes $1/\sqrt{\alpha_t}$ and that of $\epsilon$
# $-\beta_t/(\sqrt{\alpha_t}\sqrt{1-\bar\alpha_t})$.

# %%
def mean_from_eps(xt, t, eps, beta):
    b = beta[t - 1][:, None]
    ab = alpha_bar(beta, t)
    return (xt - b / (1 - ab).sqrt() * eps) / (1 - b).sqrt()


assert check("07.eps_mean", mean_from_eps)

# %% [markdown]
# **07.guided_eps.** $\nabla \log p(x\mid y)^{1+w} p(x)^{-w} = (1+w)\nabla\log p(x\mid y) - w\nabla\log p(x)$,
# and multiplying by $-\sqrt{1-\bar\alpha_t}$ turns each score into its $\epsilon$:
# $\tilde\epsilon = (1+w)\,\epsilon_c - w\,\epsilon_u$.

# %%
def guided_eps(eps_c, eps_u, w):
    return (1 + w) * eps_c - w * eps_u


assert check("07.guided_eps", guided_eps)
