# %% [markdown]
# # Solutions · 01 Divergences
#
# The exercises of `chapters/01_divergences.ipynb`, solved. Each cell ends with the same
# `check(...)` call as the chapter; `assert` makes the notebook fail if a check does not pass.

# %%
import math

import torch

from gmcourse.config import setup
from gmcourse.exercises import check

setup(seed=0)

# %% [markdown]
# **01.kl_gaussians.** With $x \sim p = \mathcal N(m_1, s_1^2)$,
# $\log p(x) - \log q(x) = \log\frac{s_2}{s_1} - \frac{(x - m_1)^2}{2s_1^2} + \frac{(x - m_2)^2}{2s_2^2}$, and
# $\mathbb E_p (x - m_1)^2 = s_1^2$, $\mathbb E_p (x - m_2)^2 = s_1^2 + (m_1 - m_2)^2$:
#
# $$\mathrm{KL} = \log\frac{s_2}{s_1} + \frac{s_1^2 + (m_1 - m_2)^2}{2 s_2^2} - \frac12 .$$
#
# As $s_2 \to 0$ it grows like $1/s_2^2$, as $s_1 \to 0$ only like $\log(1/s_1)$: the forward KL
# punishes a model narrower than the data far more than a wider one (mode covering).

# %%
def kl_gauss(m1, s1, m2, s2):
    return math.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5


assert check("01.kl_gaussians", kl_gauss)

# %% [markdown]
# **01.reverse_kl.** $\mathrm{KL}(q\,\|\,p) = \mathbb E_{x\sim q}[\log q(x) - \log p(x)]$: the
# samples come from $q$.

# %%
def reverse_kl(p, q, n):
    x = q.sample(n).double()
    return (q.log_prob(x) - p.log_prob(x)).mean()


assert check("01.reverse_kl", reverse_kl)

# %% [markdown]
# **01.reverse_kl_one_mode.** Where $q$ has mass the other component vanishes, so
# $p(x) = w\,q(x)$ there and $\mathrm{KL}(q\,\|\,p) = \mathbb E_q \log\frac{q}{w q} = -\log w$
# ($\log 2$ for $w = \frac12$).

# %%
def kl_on_left_mode(w):
    return -math.log(w)


assert check("01.reverse_kl_one_mode", kl_on_left_mode)

# %% [markdown]
# **01.mmd2.** The U-statistic leaves out the pairs $i = j$ in the two within-sample terms.

# %%
def mmd2_unbiased(x, y, h):
    def k(a, b):
        return torch.exp(-torch.cdist(a, b) ** 2 / (2 * h ** 2))
    n, m = len(x), len(y)
    kxx, kyy = k(x, x), k(y, y)
    exx = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
    eyy = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    return exx + eyy - 2 * k(x, y).mean()


assert check("01.mmd2", mmd2_unbiased)
