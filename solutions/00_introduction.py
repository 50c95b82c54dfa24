# %% [markdown]
# # Solutions · 00 Introduction
#
# The exercises of `chapters/00_introduction.ipynb`, solved. Each cell ends with the same
# `check(...)` call as the chapter; `assert` makes the notebook fail if a check does not pass.

# %%
import math

import torch

from gmcourse.config import setup
from gmcourse.exercises import check

setup(seed=0)

# %% [markdown]
# **00.affine_log_prob.** Invert the generator, $z = L^{-1}(x - \mu)$ (a triangular solve),
# then Eq. (1): $\log \mathcal N(z; 0, I) - \log\lvert\det L\rvert$, and for a triangular $L$
# $\log\lvert\det L\rvert = \sum_i \log L_{ii}$.

# %%
def affine_log_prob(x, mu, L):
    z = torch.linalg.solve_triangular(L, (x - mu).T, upper=False).T  # (n, d)
    d = x.shape[-1]
    return -0.5 * (z ** 2).sum(-1) - 0.5 * d * math.log(2 * math.pi) - L.diagonal().log().sum()


assert check("00.affine_log_prob", affine_log_prob)

# %% [markdown]
# **00.lognormal_density.** $f^{-1}(x) = (\log x - m)/s$ and $df^{-1}/dx = 1/(s x)$, so
#
# $$\log p_x(x) = -\tfrac12\Big(\frac{\log x - m}{s}\Big)^2 - \tfrac12\log 2\pi - \log s - \log x .$$

# %%
def lognormal_log_density(x, m, s):
    u = (x.log() - m) / s
    return -0.5 * u ** 2 - 0.5 * math.log(2 * math.pi) - math.log(s) - x.log()


assert check("00.lognormal_density", lognormal_log_density)

# %% [markdown]
# **00.cholesky.** With $L = \begin{pmatrix} a & 0 \\ b & c\end{pmatrix}$,
# $LL^\top = \begin{pmatrix} a^2 & ab \\ ab & b^2 + c^2\end{pmatrix}$: $a = 2$, $b = 2/a = 1$,
# $c = \sqrt{10 - 1} = 3$.

# %%
L_answer = [[2.0, 0.0], [1.0, 3.0]]

assert check("00.cholesky", L_answer)
