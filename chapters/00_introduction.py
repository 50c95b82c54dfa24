# %% [markdown]
# # 00 · Introduction: what a generative model is
#
# We are given samples $x^{(1)}, \dots, x^{(n)}$ from an unknown distribution $p_\text{data}$
# and nothing else: no formula, no labels. A **generative model** is a distribution
# $p_\theta$ that we can *sample* from (and sometimes *evaluate*), fitted so that
# $p_\theta \approx p_\text{data}$.
#
# Everything in this course is a different answer to two questions:
#
# 1. **What does "$\approx$" mean?** A divergence or distance $D(p_\text{data}, p_\theta)$:
#    KL (maximum likelihood), Jensen-Shannon (the original GAN), Wasserstein (WGAN),
#    MMD, a score-matching loss (diffusion). Chapter 01 shows that the choice changes
#    *which* $p_\theta$ you get.
# 2. **How do we represent $p_\theta$?** The taxonomy below.
#
# | family | density $p_\theta(x)$ | how it is trained | chapters |
# |---|---|---|---|
# | **explicit, tractable** | exact: autoregressive $\prod_i p(x_i \mid x_{<i})$, normalizing flows | maximum likelihood | 05, 06 |
# | **explicit, approximate** | a bound: VAE (ELBO), diffusion (ELBO / score matching), energy models | maximise a bound | 04, 07, 08 |
# | **implicit** | none: only a sampler $x = G_\theta(z)$ | adversarial (GAN, WGAN) | 02, 03 |
#
# Run this chapter top to bottom. The first cell picks the **profile** (`smoke`,
# `lecture` — the default — or `full`, from the environment variable `GMCOURSE_PROFILE`),
# the device (a GPU when there is one) and the random seed.

# %%
import matplotlib.pyplot as plt
import torch

from gmcourse.config import setup, pick
from gmcourse import data, viz, figures, widgets
from gmcourse.intro import (AffineFitConfig, dims_for_variance, fit_affine, histogram_check,
                            relative_error)

device = setup(seed=0)

# %% [markdown]
# ## A tour of the data
#
# Two-dimensional **toy distributions** let us see everything: the samples, the density,
# and what a model gets wrong. The Gaussian mixtures and the checkerboard have an exact
# `log_prob`, so we can compute true likelihoods and divergences; the moons, the swiss roll
# and the spirals are known only through samples, like real data.

# %%
toys = ["ring8", "grid25", "two_gaussians", "checkerboard", "two_moons", "swiss_roll", "spirals"]
fig, axes = plt.subplots(2, 7, figsize=(15, 4.6))
for ax_s, ax_d, name in zip(axes[0], axes[1], toys):
    dist = data.toy(name)
    ext = dist.extent
    viz.plot_samples(dist.sample(2000), ax=ax_s, title=name, extent=ext, s=1)
    ax_s.set_xticks([]), ax_s.set_yticks([])
    if dist.has_log_prob:
        viz.plot_density(dist.log_prob, extent=ext, n=250, ax=ax_d)
    else:
        ax_d.text(0.5, 0.5, "density\nunknown", ha="center", va="center")
        ax_d.axis("off")
axes[0, 0].set_ylabel("samples"), axes[1, 0].set_ylabel("exact density")
fig.tight_layout()

# %% [markdown]
# Every exact density integrates to one (a unit test checks each to 1% on a grid). The
# checkerboard is uniform on 8 cells of area 4, so its density is $1/32$ on its support:

# %% tags=["nbval-check-output"]
cb = data.Checkerboard()
print(f"checkerboard density on its support: {cb.log_prob(torch.tensor([[-3.0, -3.0]])).exp().item():.5f}"
      f" = 1/32 = {1 / 32:.5f}")

# %% [markdown]
# **Images.** scikit-learn's 8x8 digits ship with the course's packages, so every chapter
# runs offline on them. MNIST, Fashion-MNIST and CIFAR-10 download once into `data/`
# (or are read from a folder named by `GMCOURSE_DATA`) and are used in the `full` profile.
# All images come back as float tensors of shape `(N, C, H, W)` with values in $[0, 1]$.

# %%
x_digits, y_digits = data.load_images("digits", "train", labels=True)
print("digits:", tuple(x_digits.shape), "values in", (x_digits.min().item(), x_digits.max().item()))
fig, ax = plt.subplots(figsize=(8, 2))
_ = viz.image_grid(x_digits[:30], nrow=15, ax=ax, title="scikit-learn digits (8x8)")

# %% [markdown]
# ## Why generative modelling is possible at all: data live near a low-dimensional manifold
#
# An 8x8 digit is a point in $[0,1]^{64}$, but almost every point of that cube looks like
# noise. Real digits occupy a thin region: a handful of principal directions carry most of
# their variance, while uniform noise spreads it over nearly all 64 (a unit test checks that
digits need fewer than half as many directions as noise).

# %%
noise = torch.rand(x_digits.shape, generator=torch.Generator().manual_seed(0))
print(f"90% of the variance: digits need {dims_for_variance(x_digits)} of 64 directions, "
      f"uniform noise needs {dims_for_variance(noise)}")
fig, axes = plt.subplots(1, 2, figsize=(8, 2.2))
viz.image_grid(noise[:10], nrow=10, ax=axes[0], title="uniform noise in the same cube")
_ = viz.image_grid(x_digits[:10], nrow=10, ax=axes[1], title="digits")

# %% [markdown]
# A generator maps a simple, low-dimensional noise $z$ onto that thin region:
# $x = G_\theta(z)$. The rest of the course is about how to choose $\theta$.
#
# ## The smallest differentiable generator
#
# Take $z \sim \mathcal N(0, I)$ and $G(z) = \mu + L z$ with $L$ lower triangular. Then
# $x \sim \mathcal N(\mu, L L^\top)$. If the data come from $\mathcal N(\mu, \Sigma)$, the
# best generator has $L L^\top = \Sigma$: with a positive diagonal, $L$ is exactly the
# **Cholesky factor** of $\Sigma$.
#
# To learn $\mu$ and $L$ from samples we need $\log p_\theta(x)$. Because $G$ is invertible,
# the change-of-variables formula gives it:
#
# $$\log p_\theta(x) = \log \mathcal N\!\left(L^{-1}(x-\mu); 0, I\right) - \log\lvert\det L\rvert .
# \qquad (1)$$
#
# Maximising it by stochastic gradient descent (`gmcourse.intro.AffineGenerator`, trained by
# the course's one training loop `gmcourse.train.fit`):

# %%
cfg = AffineFitConfig()
model, x_train, history = fit_affine(cfg)
L_true = torch.linalg.cholesky(torch.tensor(cfg.Sigma))
L_hat = model.L.detach()
err = relative_error(L_hat, L_true)
print("learned L =\n", L_hat.numpy().round(3))
print("chol(Sigma) =\n", L_true.numpy().round(3))
print(f"relative error ||L - chol(Sigma)|| / ||chol(Sigma)|| = {100 * err:.1f}%  (within 5%: {err < 0.05})")

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
viz.plot_history(history, ax=axes[0], title="negative log-likelihood")
viz.plot_samples(x_train[:2000], ax=axes[1], title="data", extent=5)
with torch.no_grad():
    _ = viz.plot_samples(model.sample(2000), ax=axes[2], title="samples of mu + L z", extent=5, c="C1")
fig.tight_layout()

# %% [markdown]
# The remaining gap is sampling noise: with $n = 20\,000$ samples the estimate of each entry of
# $L$ is off by about $1/\sqrt n$ relative to its size, and a unit test keeps the error
# below 5% at these settings.
#
# ## Change of variables in one dimension
#
# Equation (1) is the one-dimensional rule applied coordinate-wise. For a monotone
# $x = f(z)$,
#
# $$p_x(x) = p_z\!\left(f^{-1}(x)\right) \left\lvert \frac{d f^{-1}}{dx}(x) \right\rvert . \qquad (2)$$
#
# With $f(z) = \sinh(a z)/a$ we have $f^{-1}(x) = \operatorname{asinh}(a x)/a$ and
# $df^{-1}/dx = 1/\sqrt{1 + a^2x^2}$. We check (2) against a histogram of $200\,000$ samples:

# %%
check = histogram_check(a=1.0)
print(f"largest gap between histogram and formula, per bin: {check['max_gap']:.4f}")
print(f"mass inside [-4, 4]: formula {check['mass_formula']:.4f}, samples {check['mass_samples']:.4f}")

# %% [markdown]
# Move the slider: a larger $a$ stretches the tails of $x$ and piles mass near 0, and the
# formula follows the histogram for every $a$. (Widgets need a live kernel.)

# %% tags=["nbval-ignore-output"]
import ipywidgets as w
widgets.live(figures.draw_change_of_variables,
             a=w.FloatSlider(value=1.0, min=0.1, max=2.5, step=0.1, description="a"))

# %% [markdown]
# ## The map of the course
#
# | chapter | question | model |
# |---|---|---|
# | 01 divergences | which "$\approx$"? KL, reverse KL, JS, f-divergences, Wasserstein, MMD | fits of a Gaussian to a mixture |
# | 02 GANs | learning without a density | minimax, non-saturating, LSGAN, f-GAN; mode collapse |
# | 03 WGAN | a distance with useful gradients | clipping, gradient penalty, spectral norm; DCGAN |
# | 04 VAE | a density through a bound | ELBO, beta-VAE, IWAE, VQ-VAE |
# | 05 flows | exact likelihood by invertible maps | planar, RealNVP, Glow layers |
# | 06 autoregressive | exact likelihood by the chain rule | PixelCNN, gated PixelCNN |
# | 07 DDPM | learning to denoise | DDPM, DDIM, classifier-free guidance |
# | 08 score & Langevin | the gradient of the log-density | Langevin, annealed Langevin, NCSN |
# | 09 evaluation | how good is a model? | likelihood, FID, precision/recall, the trilemma |
