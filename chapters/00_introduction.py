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
# | **explicit, approximate** | a bound: VAE (ELBO), diffusion (ELBO; through its probability-flow ODE also an exact likelihood of the continuous-time model, chapter 08), energy models | maximise a bound, or match scores | 04, 07, 08 |
# | **implicit** | none: only a sampler $x = G_\theta(z)$ | adversarial (GAN, WGAN) | 02, 03 |
#
# Run this chapter top to bottom. The first cell picks the **profile** (`smoke`,
# `lecture` — the default — or `full`, from the environment variable `GMCOURSE_PROFILE`),
# the device (a GPU when there is one) and the random seed.
#
# The larger models of the lecture profile come trained with the course (the folder
# `trained/`, trained with exactly the chapters' settings): a chapter loads them, says
# so in the cell's output, and runs in a few minutes on a laptop. What a chapter trains
# live, with a progress bar, is what is quick to train or worth watching. Set
# `GMCOURSE_RETRAIN=1` to train every model on your own machine instead; a changed
# setting (another seed, more steps) always trains afresh, and keeps the result in
# `data/checkpoints/` for the next run.

# %%
import matplotlib.pyplot as plt
import torch

from gmcourse.config import setup, pick, run_time
from gmcourse import data, viz, figures, widgets
from gmcourse.intro import (AffineFitConfig, dims_for_variance, fit_affine, histogram_check,
                            relative_error, sinh_map)

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
# digits need fewer than half as many directions as noise).

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
# the maximum-likelihood answer for these very samples: the Cholesky factor of their covariance
L_mle = torch.linalg.cholesky(torch.cov(x_train.T, correction=0))
err_mle = relative_error(L_mle, L_true)
print(f"maximum-likelihood estimate chol(sample covariance): {100 * err_mle:.1f}% from chol(Sigma); "
      f"1/sqrt(n) = {100 / cfg.n ** 0.5:.1f}%")
print(f"SGD's L is {100 * relative_error(L_hat, L_mle):.1f}% from that optimum")

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
viz.plot_history(history, ax=axes[0], title="negative log-likelihood")
viz.plot_samples(x_train[:2000], ax=axes[1], title="data", extent=5)
with torch.no_grad():
    _ = viz.plot_samples(model.sample(2000), ax=axes[2], title="samples of mu + L z", extent=5, c="C1")
fig.tight_layout()

# %% [markdown]
# The remaining gap has two sources. **Sampling noise**: even the exact maximiser of the
# likelihood of these $n = 20\,000$ samples, the Cholesky factor of their covariance, is off
# by about $1/\sqrt n$; here 0.5% against $1/\sqrt n = 0.7\%$. **Optimisation noise**: Adam
# with a constant learning rate keeps jumping around that optimum, and most of the 1.4% is
# this second part (SGD's $L$ is 1.6% from the optimum, three times further than the optimum
# is from the truth). A learning rate that decays to zero would remove it; a unit test
# checks these numbers at these settings.
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
hist = histogram_check(a=1.0)
print(f"largest gap between histogram and formula, per bin: {hist['max_gap']:.4f}")
print(f"mass inside [-4, 4]: formula {hist['mass_formula']:.4f}, samples {hist['mass_samples']:.4f}")

# %% [markdown]
# A larger $a$ stretches the tails of $x$: mass moves out of the centre into the tails.
# The peak stays at $1/\sqrt{2\pi} = 0.399$ for every $a$ (since $f'(0) = 1$), but it gets
# narrower:

# %%
z = torch.randn(200_000, generator=torch.Generator().manual_seed(1))
for a in (0.5, 1.0, 2.0):
    x = sinh_map(z, a)
    print(f"a = {a:3.1f}: P(|x| < 1) = {(x.abs() < 1).float().mean():.3f},  "
          f"P(|x| > 4) = {(x.abs() > 4).float().mean():.3f}")

# %% [markdown]
# Move the slider: the formula follows the histogram for every $a$. The histogram counts
# every sample, so the bars integrate to the mass inside $[-4, 4]$ (printed in the title);
# the rest lies outside the plotted range. (Widgets need a live kernel.)
#
# **What to try.** Drag $a$ down to 0.1: the curve $f$ on the left becomes the straight
# line $f(z) \approx z$ and the density on the right the standard normal bell. Then drag $a$ up
# to 2.5: $f$ keeps slope 1 at $z = 0$ (so the peak stays at $1/\sqrt{2\pi}$ for every $a$)
# but turns steep for $\lvert z\rvert > 1/a$, flinging those values far out. The density falls
# off faster on the shoulders of the peak, its tails grow long and thin, and mass leaves the
# plotted range (the title says how much is left inside $[-4, 4]$); the black curve stays on
# the histogram throughout. Where $f$ is steep, the factor $\lvert df^{-1}/dx\rvert = 1/f'$ of Eq. (2)
# is small: that is what thins the tails.

# %% tags=["nbval-ignore-output"]
import ipywidgets as w
widgets.live(figures.draw_change_of_variables,
             a=w.FloatSlider(value=1.0, min=0.1, max=2.5, step=0.1, description="a"))

# %% [markdown]
# ## Exercises
#
# Each exercise has a stub cell: replace `raise NotImplementedError` (or `...`) with your
# answer and run the cell. `check(...)` tests your answer against an independent reference
# (here `torch.distributions` and `torch.linalg.cholesky`) on random inputs and prints ✓, or
# what looks wrong, on which input, with the expected and the received values. Remove the
# `#` in front of `hint(...)` for a hint. `python -m gmcourse.exercises` prints your progress
# over all chapters (from the saved notebooks); worked solutions are in
# `solutions/00_introduction.ipynb`.

# %%
from gmcourse.exercises import check, hint

# %% [markdown]
# **Exercise 00.affine_log_prob (code).** Write `affine_log_prob(x, mu, L)`, the
# log-likelihood (1) of the generator $x = \mu + Lz$: `x` has shape `(n, d)`, `mu` `(d,)`,
# `L` `(d, d)` lower triangular with a positive diagonal; return the `n` log-densities,
# shape `(n,)`. Use plain tensor operations, not `torch.distributions` (the checker does).

# %%
def affine_log_prob(x, mu, L):
    raise NotImplementedError  # your code here


check("00.affine_log_prob", affine_log_prob)
# hint("00.affine_log_prob")

# %% [markdown]
# **Exercise 00.lognormal_density (derivation).** Let $z \sim \mathcal N(0, 1)$ and
# $x = f(z) = e^{m + s z}$ with $s > 0$. Derive $\log p_x(x)$ from Eq. (2) and write it as
# `lognormal_log_density(x, m, s)` for a tensor `x > 0` (the checker compares with
# `torch.distributions.LogNormal`).

# %%
def lognormal_log_density(x, m, s):
    raise NotImplementedError  # your derivation, as code


check("00.lognormal_density", lognormal_log_density)
# hint("00.lognormal_density")

# %% [markdown]
# **Exercise 00.cholesky (derivation).** By hand: find the lower-triangular $L$ with a
# positive diagonal such that $\mu + Lz \sim \mathcal N(\mu, \Sigma)$ for
# $\Sigma = \begin{pmatrix} 4 & 2 \\ 2 & 10 \end{pmatrix}$. Enter it as a nested list.

# %%
L_answer = ...  # e.g. [[a, 0], [b, c]]

check("00.cholesky", L_answer)
# hint("00.cholesky")

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
#
# ## What you should now know
#
# * A generative model is a distribution $p_\theta$ fitted to samples; the families differ in
#   what "$\approx$" means (the divergence) and in whether $p_\theta(x)$ can be evaluated
#   exactly, only bounded, or not at all.
# * Data such as digits occupy a thin, low-dimensional part of pixel space (21 of 64
#   directions carry 90% of their variance, against 55 for noise); a generator maps simple
#   noise onto it.
# * For an invertible generator the change-of-variables formula gives $\log p_\theta(x)$,
#   so it can be trained by maximum likelihood: $\mu + Lz$ learns the Cholesky factor of
#   $\Sigma$, up to sampling noise and the optimiser's noise.
# * In one dimension $p_x(x) = p_z(f^{-1}(x))\,\lvert df^{-1}/dx \rvert$: where the map
#   stretches space the density thins out.

# %%
run_time()
