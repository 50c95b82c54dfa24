# %% [markdown]
# # 01 · Divergences: the choice of "$\approx$" decides the model you get
#
# Training a generative model means choosing a family $q_\theta$ and a way to measure how
# far it is from the data distribution $p$, then minimising that measure:
# $\theta^\star = \arg\min_\theta D(p \,\|\, q_\theta)$. If the family contains $p$, every
# reasonable $D$ finds it. In practice the family is too small, and then **the choice of $D$
# decides which compromise you get**. This chapter makes that visible on 2D mixtures, where
# every quantity can be computed exactly.
#
# **f-divergences.** For a convex $f$ with $f(1) = 0$,
#
# $$D_f(p \,\|\, q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx \;\ge\; f(1) = 0 \qquad (1)$$
#
# (Jensen's inequality), with equality when $p = q$.
#
# | name | $f(t)$ | value |
# |---|---|---|
# | KL $(p\,\|\,q)$ | $t \log t$ | $\mathbb E_p \log \frac{p}{q}$, maximum likelihood |
# | reverse KL $(q\,\|\,p)$ | $-\log t$ | $\mathbb E_q \log \frac{q}{p}$ |
# | Jensen-Shannon | $\frac12\left[t\log t - (1+t)\log\frac{1+t}{2}\right]$ | $\frac12 \mathrm{KL}(p\,\|\,m) + \frac12 \mathrm{KL}(q\,\|\,m)$, $m = \frac{p+q}{2}$; in $[0, \log 2]$ |
# | Pearson $\chi^2$ | $(t-1)^2$ | $\int (p-q)^2/q$ |
# | squared Hellinger | $(\sqrt t - 1)^2$ | $\int (\sqrt p - \sqrt q)^2$, in $[0, 2]$ |
# | total variation | $\frac12\lvert t-1\rvert$ | $\frac12\int \lvert p - q\rvert$, in $[0, 1]$ |
#
# Where $q = 0$ but $p > 0$ the integrand is priced by $f^*(0) = \lim_{t\to\infty} f(t)/t$:
# infinite for KL and $\chi^2$, finite for JS ($\frac12\log 2$), Hellinger (1) and TV ($\frac12$).
#
# **Distances that use the geometry.** The Wasserstein distance moves mass:
# $W_p(p, q) = \left(\inf_{\gamma \in \Pi(p, q)} \mathbb E_{(x,y)\sim\gamma} \lVert x - y\rVert^p\right)^{1/p}$,
# and the maximum mean discrepancy compares mean embeddings under a kernel $k$:
# $\mathrm{MMD}^2 = \mathbb E\, k(x,x') + \mathbb E\, k(y,y') - 2\,\mathbb E\, k(x,y)$.
# Both need only samples, which is what makes them usable for implicit models (GANs).
#
# Everything here is in `gmcourse.divergences` (estimators) and `gmcourse.divfit` (fitting).

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from gmcourse.config import setup, pick, run_time
from gmcourse import figures, widgets
from gmcourse.data import GaussianMixture, two_gaussians
from gmcourse.divergences import (F_DIVERGENCES, blurred_lines, f_divergence_grid, kl_grid,
                                  kl_mc, parallel_lines)
from gmcourse.divfit import (ModeDemo, best_fit, estimator_study, fit_all, objective_for, sweep,
                             three_modes)

device = setup(seed=0)

# %% [markdown]
# ## Two ways to compute a divergence from densities
#
# When both densities are known, a 2D integral such as (1) can be computed on a grid
# (the midpoint rule) or by Monte Carlo, $\mathrm{KL}(p\,\|\,q) \approx \frac1n \sum_i \log
# \frac{p(x_i)}{q(x_i)}$ with $x_i \sim p$, which comes with a standard error. Between two
# Gaussians there is a closed form to check both against (`torch.distributions`); a unit test
# checks both to 1% on random pairs.

# %%
P = torch.distributions.MultivariateNormal(torch.tensor([0.0, 0.0], dtype=torch.float64),
                                           torch.tensor([[1.0, 0.5], [0.5, 1.0]], dtype=torch.float64))
Q = torch.distributions.MultivariateNormal(torch.tensor([1.0, -0.5], dtype=torch.float64),
                                           torch.tensor([[0.6, 0.0], [0.0, 1.5]], dtype=torch.float64))
p_g, q_g = GaussianMixture(P.loc[None], P.covariance_matrix[None]), GaussianMixture(Q.loc[None], Q.covariance_matrix[None])
est, se = kl_mc(p_g, q_g, n=pick(smoke=20_000, lecture=200_000), generator=torch.Generator().manual_seed(0))
print(f"KL closed form  {torch.distributions.kl_divergence(P, Q).item():.4f}")
print(f"KL on a grid    {kl_grid(p_g, q_g, extent=10, n=300):.4f}")
print(f"KL Monte Carlo  {est:.4f} +- {se:.4f}")

# %% [markdown]
# ## Mode covering and mode seeking
#
# The target is a mixture of two Gaussians with standard deviation 0.5 whose means are 4
# apart, at $(\pm 2, 0)$. The family is a single Gaussian $q_\theta = \mathcal N(\mu, \Sigma)$.
# We fit it by minimising each divergence (L-BFGS on a $140 \times 140$ grid, from several
# starting points, keeping the best; MMD in closed form with a Gaussian kernel of bandwidth 1;
# $W_2$ by exact optimal transport between 256 fixed samples).
#
# Why the two KLs disagree:
# - **forward KL** $\mathbb E_p \log \frac{p}{q}$ is infinite wherever $p > 0$ and $q \to 0$,
#   so $q$ must put mass on *every* mode: it **covers**. For a Gaussian family its optimum is
#   moment matching: $\mu = \mathbb E_p x$, $\Sigma = \mathrm{Cov}_p(x)$.
# - **reverse KL** $\mathbb E_q \log \frac{q}{p}$ only looks where $q$ has mass and is
#   infinite where $q > 0$ but $p \to 0$, so $q$ avoids the gap between the modes: it
#   **seeks** one mode.

# %%
cfg = ModeDemo(n=pick(smoke=64, lecture=140))  # quadrature cells per side
fits = fit_all(cfg)
print(f"{'divergence':18s} {'value':>7s} {'mean':>15s} {'var_x':>6s} {'var_y':>6s}")
for name, (q, value) in fits.items():
    mu, S = q.mu[0].detach(), q.Sigma[0].detach()
    print(f"{name:18s} {value:7.3f} ({mu[0]:6.2f}, {mu[1]:5.2f}) {S[0, 0]:6.2f} {S[1, 1]:6.2f}")

# %%
def show_fit(ax, p, q, title):
    ext = 5
    s = torch.linspace(-ext, ext, 150, dtype=torch.float64)
    xx, yy = torch.meshgrid(s, s, indexing="xy")
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    with torch.no_grad():
        ax.contourf(xx, yy, p.log_prob(pts).exp().reshape(150, 150), levels=8, cmap="Greys")
        ax.contour(xx, yy, q.log_prob(pts).exp().reshape(150, 150), levels=4, colors="C3", linewidths=1)
    ax.set(xticks=[], yticks=[], aspect="equal", title=title)


p = cfg.target()
fig, axes = plt.subplots(1, len(fits), figsize=(16, 2.8))
for ax, (name, (q, value)) in zip(axes, fits.items()):
    show_fit(ax, p, q, name)
fig.tight_layout()

# %% [markdown]
# The numbers (a unit test asserts each at these settings):
#
# - **forward KL** puts the mean between the modes, at $(0, 0)$, with $\mathrm{var}_x = 4.25 =
#   0.5^2 + 2^2$, exactly the mixture's variance: it covers both modes and puts most of its
#   mass in the empty middle.
# - **reverse KL** sits on one mode: mean $(\pm 2.00, 0)$, variance $0.25$, the component itself.
#   Its value is $\log 2 = 0.693$: on that mode $p = q/2$. Which mode depends on the start;
#   both are optimal.
# - **JS** lies in between. At this separation it still covers (mean 0, $\mathrm{var}_x = 4.22$,
#   a little narrower than KL), but its value there, 0.201, is barely below the value of sitting
#   on one mode, $\frac34 \log\frac43 = 0.216$. Squared Hellinger also covers ($\mathrm{var}_x = 4.07$);
#   total variation compromises (mean $\pm 1.69$, $\mathrm{var}_x = 0.87$).
# - **MMD** with a bandwidth-1 Gaussian kernel over-spreads along $x$ ($\mathrm{var}_x = 7.19$) and
#   shrinks along $y$ (0.19): a kernel that sees only smooth features has its own compromise.
#   **$W_2$** covers, a little narrower than KL ($\mathrm{var}_x \approx 3.5$).
#
# How far apart must the modes be before a divergence gives one up? We repeat the fit for
# separations 1 to 6:

# %%
separations = pick(smoke=[2, 5], lecture=[1, 2, 3, 4, 5, 6])
curves = sweep(ModeDemo(n=100), separations)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for name, rows in curves.items():
    m, v = np.array(rows).T
    axes[0].plot(separations, m / (np.array(separations) / 2), "o-", label=name)
    axes[1].plot(separations, v, "o-", label=name)
axes[0].set(xlabel="separation of the modes", ylabel="|mean_x| / (separation / 2)",
            title="0: between the modes, 1: on a mode")
axes[1].set(xlabel="separation of the modes", ylabel="var_x of the fit", yscale="log")
axes[0].legend()
fig.tight_layout()

# %% [markdown]
# Forward KL never gives up a mode. Reverse KL jumps onto one mode between separations 2 and 3
# (as soon as the mixture has a real gap); JS holds on until between 4 and 5. That is the
# sense in which JS, the divergence of the original GAN, sits **between** the two KLs: it
# covers close modes and drops distant ones, one root of the **mode collapse** of chapter 02.
#
# ### A richer family does not remove the choice
#
# Give the model two components for a target with three modes (at $x = -3, 0, 3$):

# %%
p3 = three_modes()
fig, axes = plt.subplots(1, 3, figsize=(11, 2.8))
for ax, name in zip(axes, ["KL", "reverse KL", "JS"]):
    q, value = best_fit(objective_for(name, p3, 7.0, pick(smoke=64, lecture=140)), p3, k=2)
    show_fit(ax, p3, q, name)
    print(f"{name:10s} means x = {q.mu[:, 0].detach().numpy().round(2)}, "
          f"var_x = {q.Sigma[:, 0, 0].detach().numpy().round(2)}, weights = {q.pi.detach().numpy().round(2)}")
fig.tight_layout()

# %% [markdown]
# Forward KL still covers everything: one component (weight 0.69) stretches over two modes.
# Reverse KL and JS put one component on each outer mode and **drop the middle mode
# entirely**: two sharp components and a missing mode.
#
# ## Move it yourself
#
# Change the target (separation, weight of the left component, the two standard deviations,
# a tilt of the right component) and the divergence. Left: the target and the best Gaussian's
# 1- and 2-standard-deviation ellipses. Right: every divergence between the target and that
# Gaussian (bars clipped at 3; each label gives the value). Each update runs a few L-BFGS
# steps on a $48 \times 48$ grid from the previous optimum and from two standard starts, so it
# follows the sliders at interactive speed and agrees with the careful fits above (a test checks
# it). Try a heavier left mode under reverse KL, or a separation of 3 under JS. (Widgets need a live kernel.)

# %% tags=["nbval-ignore-output"]
import ipywidgets as w

widgets.live(figures.divergence_fit_draw(), figsize=(10, 3.6),
             separation=w.FloatSlider(value=4.0, min=0.5, max=6.0, step=0.25, description="separation"),
             weight=w.FloatSlider(value=0.5, min=0.1, max=0.9, step=0.05, description="left weight"),
             std_left=w.FloatSlider(value=0.5, min=0.3, max=1.5, step=0.05, description="std left"),
             std_right=w.FloatSlider(value=0.5, min=0.3, max=1.5, step=0.05, description="std right"),
             tilt=w.FloatSlider(value=0.0, min=-0.8, max=0.8, step=0.1, description="tilt right"),
             divergence=w.Dropdown(options=["KL", "reverse KL", "JS", "squared Hellinger", "TV",
                                            "MMD^2", "W2^2"], value="KL", description="divergence"))

# %% [markdown]
# ## Disjoint supports: why GANs starve and Wasserstein helps
#
# Real images lie near a low-dimensional manifold (chapter 00), and so do a generator's
# samples; two such manifolds generally do not overlap. The simplest case: $P_0$ uniform on
# the segment $\{0\} \times [0, 1]$ and $P_\theta$ on $\{\theta\} \times [0, 1]$
# (Arjovsky et al., 2017). For every $\theta \neq 0$ the supports are disjoint, so
#
# - $\mathrm{JS}(P_0, P_\theta) = \log 2$, $\mathrm{TV} = 1$, $\mathrm{KL} = \infty$: constant in $\theta$,
#   whatever the distance between the lines;
# - $W_1(P_0, P_\theta) = \lvert\theta\rvert$: it moves every point by $\theta$.
#
# Below, each value is computed by the package's estimators (the f-divergences on the union
# of the two supports, $W_1$ by an exact transport solve).

# %%
fig = plt.figure(figsize=(11, 3.6))
figures.draw_parallel_lines(fig, theta=1.0)
for theta in [0.0, 0.1, 1.0]:
    print(theta, {k: round(v, 4) for k, v in parallel_lines(theta).items()})

# %% [markdown]
# A GAN's discriminator estimates JS (chapter 02), and the generator follows its gradient in
# $\theta$. Here that gradient is **zero** for every $\theta \neq 0$: the generator learns
# nothing, however far off it is. Blurring the lines by $\mathcal N(0, 0.1^2)$ across (as
# added noise would) makes JS smooth, but it still saturates once the lines are a few blur
# widths apart. Autograd through the quadrature shows how fast the gradient vanishes, while
# $\partial W_1 / \partial\theta = 1$ everywhere:

# %%
for theta in [0.1, 0.3, 0.6, 1.0]:
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    js = blurred_lines(t, F_DIVERGENCES["JS"], sigma=0.1)
    js.backward()
    print(f"theta = {theta:.1f}:  JS = {js.item():.4f}   dJS/dtheta = {t.grad.item():.2e}   dW1/dtheta = 1")

# %% [markdown]
# At $\theta = 1$ (ten blur widths) the JS gradient is $2 \cdot 10^{-5}$, about $10^5$ times smaller
# than at $\theta = 0.1$, and it keeps falling like a Gaussian tail. This is the motivation
# of the **Wasserstein GAN** (chapter 03): train the critic to estimate $W_1$ instead, whose
# gradient tells the generator which way to move however far apart the distributions are.
#
# Slide $\theta$ (widget):

# %% tags=["nbval-ignore-output"]
widgets.live(figures.draw_parallel_lines, figsize=(11, 3.6),
             theta=w.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.05, description="theta"))

# %% [markdown]
# ## Estimating a divergence from samples
#
# A GAN never sees a density, only samples. How good are sample-based estimates? Take
# $p$ the two-mode mixture above and $q$ the same mixture shifted by 1 along $x$, so the true
# values are known: $W_1 = 1$ (a translation), sliced $W_1 = 2/\pi$, $\mathrm{MMD}^2$ in
# closed form, KL and JS by a fine quadrature. We draw $n$ samples from each, several times,
# and plot each estimator's relative error (mean $\pm$ one standard deviation over repeats):
#
# - **KL, Monte Carlo** needs $\log p$ and $\log q$ (not available for a GAN);
# - **JS, classifier**: train a small network to tell $x \sim p$ from $y \sim q$; its logit
#   estimates $\log p/q$ (the optimal discriminator, chapter 02), and half of the samples,
#   held out, give the estimate;
# - **MMD², unbiased** (the U-statistic; it can be negative);
# - **$W_1$, exact OT** between the two empirical distributions (POT's network simplex);
# - **sliced $W_1$**: the average of 1D distances over 100 random projections.

# %%
ns = pick(smoke=[50, 200], lecture=[50, 200, 800])
repeats = pick(smoke=2, lecture=8)
study = estimator_study(ns, repeats)
fig, ax = plt.subplots(figsize=(8, 4))
for i, (name, (truth, est)) in enumerate(study.items()):
    rel = (est - truth) / truth
    x = np.array(ns) * (1 + 0.06 * (i - 2))  # small offsets so the bars do not overlap
    ax.errorbar(x, rel.mean(1), yerr=rel.std(1), fmt="o-", capsize=3, label=name)
ax.axhline(0, color="k", lw=0.8)
ax.set(xscale="log", xlabel="samples n from each distribution", ylabel="(estimate - truth) / truth",
       title="bias (markers) and spread (bars) of each estimator")
ax.legend(fontsize=8)
fig.tight_layout()
for name, (truth, est) in study.items():
    print(f"{name:16s} truth {truth:.3f}  relative bias " +
          "  ".join(f"n={n}: {b:+.3f}" for n, b in zip(ns, (est.mean(1) - truth) / truth)))

# %% [markdown]
# Every estimator's spread shrinks as $n$ grows. Monte Carlo KL and the unbiased MMD² have
# no bias beyond the noise. Exact-OT $W_1$ is biased **upward** (by about 10% at $n = 50$,
# about 1% at $n = 800$): with finite samples, the points of $p$ and $q$ must be matched
# even where the distributions agree, and in $d$ dimensions this excess shrinks only like
# $n^{-1/d}$. The classifier overfits small samples and **overestimates** JS (by about 60% at
# $n = 50$, a few percent at $n = 800$). Sliced $W_1$ is cheap ($O(n \log n)$ per
# projection, so it scales to large $n$), at the price of measuring a different, smaller
# distance ($2/\pi$ here instead of 1).

# %% [markdown]
# ## Exercises
#
# Replace each stub (`raise NotImplementedError` or `...`) with your answer and run the
# cell: `check(...)` tests it against quadrature on the mixtures above or a closed form and
# prints ✓, or what looks wrong with the input, expected and received values. Remove the
# `#` in front of `hint(...)` for a hint. Progress: `python -m gmcourse.exercises`;
# solutions: `solutions/01_divergences.ipynb`.

# %%
from gmcourse.exercises import check, hint

# %% [markdown]
# **Exercise 01.kl_gaussians (derivation).** Derive
# $\mathrm{KL}\big(\mathcal N(m_1, s_1^2)\,\|\,\mathcal N(m_2, s_2^2)\big)$ in one dimension ($s_1, s_2$
# are standard deviations) and write it as `kl_gauss(m1, s1, m2, s2)`. How fast does it grow
# as $s_2 \to 0$ (the model $q$ too narrow), and as $s_1 \to 0$?

# %%
def kl_gauss(m1, s1, m2, s2):
    raise NotImplementedError  # your formula


check("01.kl_gaussians", kl_gauss)
# hint("01.kl_gaussians")

# %% [markdown]
# **Exercise 01.reverse_kl (code).** Write `reverse_kl(p, q, n)`, a Monte Carlo estimate of
# $\mathrm{KL}(q\,\|\,p)$ from `n` samples. `p` and `q` have `.sample(n)` and `.log_prob(x)`.
# The checker compares your value with quadrature, then uses your function to choose among
# three Gaussian fits of the two-mode mixture: a reverse KL must pick the fit on a mode.

# %%
def reverse_kl(p, q, n):
    raise NotImplementedError  # your code here


check("01.reverse_kl", reverse_kl)
# hint("01.reverse_kl")

# %% [markdown]
# **Exercise 01.reverse_kl_one_mode (derivation).** The target is
# $p = w\,\mathcal N(\mu_1, \sigma^2 I) + (1 - w)\,\mathcal N(\mu_2, \sigma^2 I)$ with the means
# so far apart that the components do not overlap, and $q = \mathcal N(\mu_1, \sigma^2 I)$ is
# exactly the first component. Derive $\mathrm{KL}(q\,\|\,p)$ as a function of $w$ (the
# chapter's value $\log 2$ is the case $w = \frac12$) and write it as `kl_on_left_mode(w)`.

# %%
def kl_on_left_mode(w):
    raise NotImplementedError  # your formula


check("01.reverse_kl_one_mode", kl_on_left_mode)
# hint("01.reverse_kl_one_mode")

# %% [markdown]
# **Exercise 01.mmd2 (code).** Write `mmd2_unbiased(x, y, h)`: the unbiased estimate (the
# U-statistic) of $\mathrm{MMD}^2$ between samples `x` $(n, d)$ and `y` $(m, d)$ with the Gaussian
# kernel $k(x, y) = \exp(-\lVert x - y\rVert^2 / 2h^2)$, as a number. The checker also averages
# it over many small draws of two Gaussians and compares with the closed form.

# %%
def mmd2_unbiased(x, y, h):
    raise NotImplementedError  # your code here


check("01.mmd2", mmd2_unbiased)
# hint("01.mmd2")

# %% [markdown]
# ## Summary
#
# | divergence | needs | on a well-separated mixture, a Gaussian fit... | disjoint supports |
# |---|---|---|---|
# | forward KL (max. likelihood) | $\log q$ | covers all modes, mass in between | $\infty$ |
# | reverse KL | $\log p$, $\log q$ | seeks one mode | $\infty$ |
# | JS (GAN) | a classifier | covers close modes, drops distant ones | $\log 2$, zero gradient |
# | MMD | samples, a kernel | depends on the bandwidth | smooth, saturates when far (Gaussian kernel) |
# | $W_1$, $W_2$ (WGAN) | samples, a transport solve or a critic | covers | $\lvert\theta\rvert$, gradient 1 |
#
# Chapters 02 and 03 train the generator of a GAN and a WGAN on exactly these mixtures.

# %%
run_time()
