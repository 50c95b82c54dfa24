# %% [markdown]
# # Solutions · 05 Normalizing flows
#
# The exercises of `chapters/05_flows.ipynb`, solved. Each cell ends with the same
# `check(...)` call as the chapter; `assert` makes the notebook fail if a check does not pass.

# %%
import math

import torch

from gmcourse.config import setup
from gmcourse.exercises import check

setup(seed=0)

# %% [markdown]
# **05.coupling_logdet.** $s$ and $t$ see only $m \odot x$, so $\partial z/\partial x$ is
# triangular (after reordering the coordinates) with diagonal $1$ where $m = 1$ and $e^{s_j}$
# where $m = 0$: $\log\lvert\det\rvert = \sum_j (1 - m_j)\, s_j$, summed over the coordinates
# (dimension 1), one value per example.

# %%
def coupling_forward(x, mask, s_net, t_net):
    s, t = s_net(mask * x), t_net(mask * x)
    z = mask * x + (1 - mask) * (x * torch.exp(s) + t)
    log_det = ((1 - mask) * s).sum(1)
    return z, log_det


assert check("05.coupling_logdet", coupling_forward)

# %% [markdown]
# **05.planar_logdet.** With $a = w^\top x + b$, $J = I + u\, (\tanh'(a)\, w)^\top$, and the
# matrix determinant lemma gives $\det J = 1 + \tanh'(a)\, w^\top u$ with
# $\tanh' = 1 - \tanh^2$. For $w^\top u > -1$ it is positive; the absolute value keeps the
# formula valid for any $u$.

# %%
def planar_log_det(x, u, w, b):
    a = x @ w + b                                   # (B,)
    return torch.log((1 + (1 - torch.tanh(a) ** 2) * (w @ u)).abs())


assert check("05.planar_logdet", planar_log_det)

# %% [markdown]
# **05.dequantized_bpd.** The cell of $k$ has volume $K^{-D}$, so
# $\log P(k) \ge \mathbb E_u \log p(y) - D\log K$ (Jensen), and the bits per dimension are
# $-(\log p(y) - D\log K) / (D \log 2)$.

# %%
def dequantized_bits_per_dim(log_p_y, D, K):
    return -(log_p_y - D * math.log(K)) / (D * math.log(2))


assert check("05.dequantized_bpd", dequantized_bits_per_dim)
