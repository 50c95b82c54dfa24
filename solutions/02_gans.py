# %% [markdown]
# # Solutions · 02 GANs
#
# The exercises of `chapters/02_gans.ipynb`, solved. Each cell ends with the same
# `check(...)` call as the chapter; `assert` makes the notebook fail if a check does not pass.

# %%
import torch

from gmcourse.config import setup
from gmcourse.exercises import check

setup(seed=0)

# %% [markdown]
# **02.optimal_discriminator.** $D^* = \frac{p}{p + p_g} = \frac{1}{1 + p_g/p}
# = \sigma(\log p - \log p_g)$: no exponential of a log-density is ever formed.

# %%
def d_star(log_p, log_pg):
    return torch.sigmoid(log_p - log_pg)


assert check("02.optimal_discriminator", d_star)

# %% [markdown]
# **02.value_at_optimum.** $\log D^* = \log p - \log(p + p_g)$ and
# $\log(1 - D^*) = \log p_g - \log(p + p_g)$, with $\log(p + p_g)$ = `logaddexp`. Expanding,
# $V(D^*, G) = \mathrm{KL}(p\,\|\,m) + \mathrm{KL}(p_g\,\|\,m) - \log 4 = 2\,\mathrm{JS} - \log 4$,
# $m = \frac{p + p_g}{2}$.

# %%
def value_at_optimum(log_p, log_pg, area):
    log_sum = torch.logaddexp(log_p, log_pg)
    integrand = log_p.exp() * (log_p - log_sum) + log_pg.exp() * (log_pg - log_sum)
    return integrand.sum() * area


assert check("02.value_at_optimum", value_at_optimum)

# %% [markdown]
# **02.nonsat_gradient.** $\frac{d}{dd}\big(-\log\sigma(d)\big) = -\frac{\sigma(d)(1 - \sigma(d))}{\sigma(d)}
# = \sigma(d) - 1$: close to $-1$ when $D(G(z)) = \sigma(d) \approx 0$, where the minimax
# loss's gradient $-\sigma(d)$ vanishes.

# %%
def grad_nonsat(d):
    return torch.sigmoid(d) - 1


assert check("02.nonsat_gradient", grad_nonsat)
