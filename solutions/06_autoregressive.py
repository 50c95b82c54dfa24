# %% [markdown]
# # Solutions · 06 Autoregressive models
#
# The exercises of `chapters/06_autoregressive.ipynb`, solved. Each cell ends with the same
# `check(...)` call as the chapter; `assert` makes the notebook fail if a check does not pass.

# %%
import torch

from gmcourse.config import setup
from gmcourse.exercises import check

setup(seed=0)

# %% [markdown]
# **06.causal_mask.** Keep every row above the centre, the left half of the centre row, and
# the centre itself for type B; zero the rest of the centre row and every row below.

# %%
def causal_mask(k, mask_type):
    m = torch.ones(k, k)
    m[k // 2, k // 2 + (mask_type == "B"):] = 0   # the centre (type A) and its right
    m[k // 2 + 1:] = 0                             # the rows below
    return m


assert check("06.causal_mask", causal_mask)

# %% [markdown]
# **06.gated_seen.** The first layer reaches `first_kernel // 2` pixels, each of the other
# `layers - 1` another `kernel // 2`: $R$ = `first_kernel // 2 + (layers - 1) * (kernel // 2)`.
# Output $(r, c)$ sees rows $r-R .. r-1$ at columns $c-R .. c+R$ (the vertical stack) and
# $(r, c-R .. c-1)$ (the horizontal stack), clipped to the image.

# %%
def gated_seen(row, col, H, W, first_kernel, kernel, layers):
    R = first_kernel // 2 + (layers - 1) * (kernel // 2)
    rows_above = row - max(row - R, 0)
    cols = min(col + R, W - 1) - max(col - R, 0) + 1
    return rows_above * cols + (col - max(col - R, 0))


assert check("06.gated_seen", gated_seen)

# %% [markdown]
# **06.ancestral_sample.** One pass per pixel, in raster order, on the image filled in so
# far; the pixel's value is a Bernoulli draw with probability $\sigma(\text{logit})$.

# %%
def sample(logits_fn, n, H, W):
    x = torch.zeros(n, 1, H, W)
    for r in range(H):
        for c in range(W):
            p = torch.sigmoid(logits_fn(x)[:, 0, r, c])
            x[:, 0, r, c] = torch.bernoulli(p)
    return x


assert check("06.ancestral_sample", sample)
