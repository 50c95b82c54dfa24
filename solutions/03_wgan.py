# %% [markdown]
# # Solutions · 03 WGAN
#
# The exercises of `chapters/03_wgan.ipynb`, solved. Each cell ends with the same
# `check(...)` call as the chapter; `assert` makes the notebook fail if a check does not pass.

# %%
import math

import torch

from gmcourse.config import setup
from gmcourse.exercises import check

setup(seed=0)

# %% [markdown]
# **03.critic_loss.** The critic maximises $\mathbb E_p f - \mathbb E_{p_g} f$; the optimiser
# minimises its negative.

# %%
def critic_loss(f_real, f_fake):
    return f_fake.mean() - f_real.mean()


assert check("03.critic_loss", critic_loss)

# %% [markdown]
# **03.gradient_penalty.** One $\epsilon$ per sample, broadcast over the coordinates; the
# gradient is kept in the graph (`create_graph=True`) so the penalty trains the critic.

# %%
def gradient_penalty(f, x_real, x_fake, lam=10.0):
    eps = torch.rand(len(x_real), 1)
    x_hat = (eps * x_real + (1 - eps) * x_fake).requires_grad_(True)
    (g,) = torch.autograd.grad(f(x_hat).sum(), x_hat, create_graph=True)
    return lam * (g.norm(dim=1) - 1).pow(2).mean()


assert check("03.gradient_penalty", gradient_penalty)

# %% [markdown]
# **03.w1_scales.** In 1D, $W_1 = \int_0^1 \lvert F^{-1}(u) - G^{-1}(u)\rvert\,du$ with
# $F^{-1}(u) = s_1\Phi^{-1}(u)$, $G^{-1}(u) = s_2\Phi^{-1}(u)$, so
# $W_1 = \lvert s_1 - s_2\rvert\,\mathbb E\lvert Z\rvert = \lvert s_1 - s_2\rvert\sqrt{2/\pi}$.

# %%
def w1_scales(s1, s2):
    return abs(s1 - s2) * math.sqrt(2 / math.pi)


assert check("03.w1_scales", w1_scales)

# %% [markdown]
# **03.clip_bound.** $\lVert W\rVert_2 \le \lVert W\rVert_F \le c\sqrt{n_\text{out} n_\text{in}}$,
# and the all-$c$ matrix $c\,\mathbf 1\mathbf 1^\top$ (rank one) reaches it. A 64x64 layer
# clipped at $c = 0.01$ is at most 0.64-Lipschitz, and the bounds multiply through the layers.

# %%
def clip_bound(n_out, n_in, c):
    return c * math.sqrt(n_out * n_in)


assert check("03.clip_bound", clip_bound)
