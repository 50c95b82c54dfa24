# %% [markdown]
# # 05 · Normalizing flows: an exact likelihood
#
# A flow is an invertible, differentiable map $f$ from data $x$ to a latent $z = f(x)$ with a
# simple density $p_Z = \mathcal N(0, I)$. Because $f$ is invertible we can go both ways:
#
# * **evaluate**: $\log p(x) = \log p_Z(f(x)) + \log \lvert \det \partial f / \partial x \rvert$ &nbsp; (1)
# * **sample**: draw $z \sim p_Z$ and return $x = f^{-1}(z)$.
#
# So a flow is trained by plain maximum likelihood, with no bound and no adversary. The price
# is architectural: every layer must be invertible *and* have a Jacobian determinant that is
# cheap to compute. This chapter builds such layers (`gmcourse/flows.py`,
# `flows_spline.py`, `flows_image.py`). Every layer has one contract, stated in its docstring:
# `forward(x) -> (z, log_det)` goes from data to latent, `inverse(z) -> (x, log_det)` back.
#
# **A note on direction.** This chapter, like the code, defines a flow from data to latent,
# $z = f(x)$, because that is the direction the likelihood (1) needs. The lecture slides
# compose the generative direction, $x = g(z) = g_K \circ \dots \circ g_1(z)$ with
# $g = f^{-1}$; then (1) reads $\log p(x) = \log p_Z(z) - \sum_k \log\lvert\det \partial g_k/\partial
# z_{k-1}\rvert$. The two are the same statement: the log-determinants of inverse maps are
# negatives of each other.

# %%
import math

import ipywidgets as ipw
import matplotlib.pyplot as plt
import torch

from gmcourse import data, viz, figures, widgets
from gmcourse.config import capped, get_profile, pick, setup, run_time
from gmcourse import recipes
from gmcourse.flows import Flow, InvConv1x1, Planar
from gmcourse.flows_spline import rq_spline
from gmcourse.metrics import bits_per_dim, independent_pixel_nll, mode_coverage

device = setup(seed=0)

# %% [markdown]
# ## 1. Change of variables in 1D, by hand
#
# Let $z \sim \mathcal N(0, 1)$ and $x = g(z)$ with $g$ increasing. Then
# $P(x \le a) = P(z \le g^{-1}(a))$; differentiating in $a$,
# $$p_X(x) = p_Z(g^{-1}(x)) \, \frac{d g^{-1}}{dx}(x) = \frac{p_Z(z)}{g'(z)}, \quad z = g^{-1}(x).$$
# Where $g$ stretches space ($g' > 1$) the density thins out; where it squeezes, the density
# piles up. As $g$ we take one of the course's layers: a monotone rational-quadratic spline
# with 6 random bins on $[-3, 3]$ (`rq_spline`, used again below).

# %%
gen = torch.Generator().manual_seed(3)
params = [torch.randn(1, 6, generator=gen), torch.randn(1, 6, generator=gen),
          torch.randn(1, 5, generator=gen)]


def g(z):  # x = g(z) and log g'(z)
    return rq_spline(z, *(p.expand(len(z), -1) for p in params), bound=3.0)


z = torch.randn(200_000, generator=gen)
x_1d, _ = g(z)
x_grid = torch.linspace(-3.5, 3.5, 701)
z_grid, log_dz_dx = rq_spline(x_grid, *(p.expand(len(x_grid), -1) for p in params), bound=3.0,
                              inverse=True)  # z = g^{-1}(x) and log dg^{-1}/dx
p_x = torch.distributions.Normal(0, 1).log_prob(z_grid).add(log_dz_dx).exp()

fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.3))
zz = torch.linspace(-3.5, 3.5, 300)
a1.plot(zz, g(zz)[0]), a1.plot(zz, zz, "k:", lw=0.8)
a1.set(title="x = g(z): a monotone spline", xlabel="z", ylabel="x")
a2.hist(x_1d.numpy(), bins=140, range=(-3.5, 3.5), density=True, alpha=0.5,
        label="histogram of g(z)")
a2.plot(x_grid, p_x, "k", lw=1.2, label="p_Z(g^-1(x)) dg^-1/dx")
a2.set(title="the density of x", xlabel="x"), a2.legend(fontsize=8)
fig.tight_layout()
mass = p_x.sum().item() * (x_grid[1] - x_grid[0]).item()
print(f"the formula's density integrates to {mass:.4f} on [-3.5, 3.5]")

# %% [markdown]
# In $D$ dimensions the derivative becomes the Jacobian determinant: a small cube of volume
# $dV$ around $z$ is mapped to a parallelepiped of volume $\lvert\det J_g(z)\rvert\, dV$, and
# probability mass is conserved, which gives Eq. (1). Computing a $D \times D$ determinant
# costs $O(D^3)$; the whole art of flow design is to make it $O(D)$.
#
# ## 2. A planar flow warping a Gaussian
#
# The planar layer (Rezende & Mohamed, 2015) adds a single "ridge":
# $f(x) = x + \hat u \tanh(w^\top x + b)$. Its Jacobian is the identity plus a rank-one
# matrix, so by the matrix determinant lemma
# $\det J = 1 + \hat u^\top w \,\tanh'(w^\top x + b)$: $O(D)$. Keeping $w^\top \hat u > -1$ makes
# it invertible (the inverse solves one scalar equation). Below, the density of Eq. (1) for
# flows of 1, 2, 4 and 8 random planar layers: each one folds the plane along a line.

# %%
torch.manual_seed(1)
planars = [Planar(2) for _ in range(8)]
with torch.no_grad():
    for layer in planars:
        layer.w.mul_(1.5), layer.u.mul_(1.5)
fig, axes = plt.subplots(1, 4, figsize=(13, 3.3))
for ax, k in zip(axes, (1, 2, 4, 8)):
    viz.plot_density(Flow(planars[:k], shape=(2,)).log_prob, extent=4, n=200, ax=ax,
                     title=f"{k} planar layer{'s' * (k > 1)}")
fig.tight_layout()

# %% [markdown]
# A planar layer is cheap but weak: each one bends space along one direction only, and
# its inverse is implicit. Density estimation needs layers that are expressive, invertible in
# closed form and still cheap: **coupling layers**.
#
# ## 3. RealNVP: affine coupling layers
#
# Split $x$ with a binary mask $m$: the part $m \odot x$ passes unchanged and parameterises
# an affine map of the rest (Dinh et al., 2017):
# $$z = m \odot x + (1 - m) \odot \big(x \odot e^{s(m \odot x)} + t(m \odot x)\big).$$
# The Jacobian is triangular, so $\log\lvert\det J\rvert = \sum (1 - m) \odot s$, and the
# inverse is $x = m \odot z + (1 - m) \odot (z - t) \odot e^{-s}$: $s$ and $t$ are
# arbitrary networks that are never inverted. Alternating masks let every coordinate be
# transformed; ActNorm layers (below) rescale between couplings. First, two moons:

# %%
moons = data.toy("two_moons")
flow_moons, hist_moons = recipes.trained(recipes.AFFINE_MOONS, progress=True, history=True)

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
viz.plot_samples(moons.sample(2000), ax=axes[0], title="data", extent=moons.extent, s=1)
viz.plot_density(flow_moons.log_prob, extent=moons.extent, ax=axes[1], title="model density")
viz.plot_samples(flow_moons.sample(2000), ax=axes[2], title="model samples",
                 extent=moons.extent, s=1)
fig.tight_layout()

# %% [markdown]
# ## 4. Sharp edges: the checkerboard
#
# The checkerboard is uniform on 8 squares; its entropy $\log 32 = 3.466$ nats is a floor that
# no model's test NLL can go below. Its edges are hard for affine couplings: each layer can
# only shift and scale a coordinate, so cutting the plane into squares takes many layers, and
# the edges stay blurred. A **rational-quadratic spline coupling** (Durkan et al., 2019,
# *Neural Spline Flows*) replaces $x \mapsto x e^s + t$ by a monotone spline with $K$ bins whose
# widths, heights and knot slopes come from the network: the 1D map of section 1, now
# conditioned on the other coordinate. Its derivative, and so the log-determinant, is
# closed-form, and the inverse solves a quadratic equation. We train both on the same
# number of steps.

# %%
board = data.toy("checkerboard")
test_board = board.sample(20_000, generator=torch.Generator().manual_seed(123))
affine_board = recipes.trained(recipes.AFFINE_CHECKERBOARD, progress=True)
spline_board = recipes.trained(recipes.SPLINE_CHECKERBOARD, progress=True)

# %%
with torch.no_grad():
    nll_affine = -affine_board.log_prob(test_board).mean().item()
    nll_spline = -spline_board.log_prob(test_board).mean().item()
print(f"test NLL, nats: affine RealNVP {nll_affine:.3f}, spline flow {nll_spline:.3f}, "
      f"floor log 32 = {math.log(32):.3f}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
viz.plot_density(board.log_prob, extent=4.2, ax=axes[0], title="exact density")
viz.plot_density(affine_board.log_prob, extent=4.2, ax=axes[1],
                 title=f"affine coupling: NLL {nll_affine:.3f}")
viz.plot_density(spline_board.log_prob, extent=4.2, ax=axes[2],
                 title=f"spline coupling: NLL {nll_spline:.3f}")
fig.tight_layout()

# %% [markdown]
# With the same number of steps, the spline flow ends within 0.1 nats of the floor and its
# squares have sharp edges; the affine RealNVP stays more than 0.3 nats above it, with
# blurred edges and mass leaking into the empty squares.
#
# ### Step through the layers
#
# A flow is a sequence of distributions: stage 0 is the base $\mathcal N(0, I)$, stage $k$
# is what the first $k$ generative steps ($z \to \dots$) make of it, and the last stage is
# the model. Each stage's density is Eq. (1) with only the layers applied so far. The
# colours mark the quadrant each base sample started in: watch a coupling layer move one
# coordinate while keeping the other, and the spline tear the plane into the squares.
#
# **What to try.** Set the slider to stage 0: four coloured quadrants of a Gaussian. Step
# $k$ up one at a time and name the layer in the right panel's title before you look at
# it. After a spline coupling every point has kept one of its two coordinates, so the
# colours slide along one axis only (compare two neighbouring stages); after an ActNorm the
# cloud is only shifted and rescaled along each axis. Find the first stage at which the
# density on the left breaks into separate blocks, and follow one colour to the end: a
# quadrant of the base is cut up and spread over several squares. At the last stage,
# compare with the exact density above: wherever the model's density is blurred across a
# square's edge it puts mass outside the squares, which is why its NLL stays above
# $\log 32$.

# %% tags=["nbval-ignore-output"]
stages = figures.flow_stages(spline_board)
widgets.live(figures.draw_flow_stages, figsize=(9, 4.2),
             k=ipw.IntSlider(value=len(stages) - 1, min=0, max=len(stages) - 1,
                             description="stage k"),
             stages=ipw.fixed(stages))

# %% [markdown]
# ## 5. Tight modes: ring-8
#
# Eight Gaussians of standard deviation 0.01 on the unit circle (`data.ring8()`, the
# benchmark of VEEGAN and PacGAN). The exact density gives the true entropy
# $H = -\mathbb E \log p(x)$, so the model's test NLL minus $H$ is the KL divergence
# $\mathrm{KL}(p \,\|\, p_\theta)$ itself, in nats.

# %%
ring = data.ring8()
test_ring = ring.sample(20_000, generator=torch.Generator().manual_seed(123))
spline_ring = recipes.trained(recipes.SPLINE_RING, progress=True)
with torch.no_grad():
    entropy = -ring.log_prob(test_ring.double()).mean().item()
    nll_ring = -spline_ring.log_prob(test_ring).mean().item()
print(f"ring-8 (std {ring.stds[0]:.2f}): true entropy {entropy:.3f} nats, "
      f"spline flow NLL {nll_ring:.3f}, KL = gap {nll_ring - entropy:.3f} nats")

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
viz.plot_density(ring.log_prob, extent=1.3, n=300, ax=axes[0], title="exact density")
viz.plot_density(spline_ring.log_prob, extent=1.3, n=300, ax=axes[1], title="spline flow")
x_ring = spline_ring.sample(2000)
viz.plot_samples(x_ring, ax=axes[2], extent=1.3, s=1, title="its samples")
fig.tight_layout()
print(f"spline flow samples: {mode_coverage(x_ring, ring)}")

# %% [markdown]
# The spline flow is within 0.05 nats of the true entropy: a KL of a few hundredths of a
# nat, for modes 0.01 wide. Its samples are on the modes except for a few stragglers between
# them (the high-quality fraction above counts those within three standard deviations of a
# mode): the price of a continuous, invertible map of the plane, which cannot tear the
# Gaussian base into eight separate pieces, so a little mass stays on the paths between them.
#
# ## 6. The Glow layers
#
# For images, Glow (Kingma & Dhariwal, 2018) builds each step from three layers:
#
# * **ActNorm**: a per-channel affine map $z = (x + b)\, e^{\log s}$, initialised from the first
#   batch so that its output has zero mean and unit variance; $\log\lvert\det\rvert =
#   HW \sum \log s$.
# * **Invertible 1x1 convolution**: $z = Wx$ at every pixel, a learned permutation of the
#   channels. Parameterised as $W = P L (U + \mathrm{diag}(s))$ (LU decomposition with a
#   fixed permutation $P$), its log-determinant is $HW \sum \log\lvert s\rvert$, $O(C)$
#   instead of $O(C^3)$.
# * an **affine coupling** over channels, with a small convolutional network.
#
# Between scales, a **squeeze** turns each $2\times2$ patch into 4 channels, and the
# **multi-scale split** sends half of the channels straight to the latent, so deeper layers
# work on fewer dimensions. The LU form's determinant matches the generic one:

# %% tags=["nbval-check-output"]
torch.manual_seed(0)
conv = InvConv1x1(8)
with torch.no_grad():
    conv.log_s.normal_()
print(f"HW sum log|s| / HW = {conv.log_s.sum().item():.4f},  "
      f"log|det W| = {torch.linalg.slogdet(conv.weight())[1].item():.4f}")

# %% [markdown]
# ## 7. Dequantization and bits per dimension on digits
#
# Digits have 17 grey levels ($16x \in \{0, \dots, 16\}$): a *discrete* distribution. A
# continuous density can put arbitrarily high density on the 17 points and drive its
# "likelihood" to infinity. **Uniform dequantization** adds noise $u \sim U[0, 1)^D$ and
# models $y = (16x + u)/17$ instead. By Jensen's inequality the discrete probability of $x$,
# the mass of its cell, is bounded:
# $$P(x) = \int_{[0,1)^D} p(y)\, 17^{-D}\, du \;\ge\; \exp\big(\mathbb E_u \log p(y)\big)\, 17^{-D},$$
# so $-(\mathbb E_u \log p(y) - D \log 17) / (D \log 2)$ is an **upper bound** on the bits per
# dimension, comparable with the bits of any discrete model (PixelCNN, the independent-pixel
# baseline). A logit layer maps $[0, 1]$ to the real line before the Glow layers.
#
# **The logit layer's Jacobian.** Per pixel it is $z = \operatorname{logit}(p) = \log p -
# \log(1-p)$ with $p = \alpha + (1 - 2\alpha)\,y$; the small $\alpha = 0.05$ keeps $p$ away
# from 0 and 1, where the logit is infinite. By the chain rule
#
# $$\frac{dz}{dy} = \frac{dz}{dp}\,\frac{dp}{dy} = \Big(\frac1p + \frac1{1-p}\Big)(1-2\alpha)
#   = \frac{1 - 2\alpha}{p(1-p)},\qquad
#   \log\Big\lvert\det\frac{\partial z}{\partial y}\Big\rvert = \sum_{i=1}^D \big[\log(1-2\alpha)
#   - \log p_i - \log(1-p_i)\big],$$
#
# a diagonal Jacobian, so the log-determinant is a sum over pixels (`flows_image.Logit`; a
# unit test checks every layer's log-determinant against autograd). The density of $y$ on
# $[0,1]^D$, which the bound above needs, is the Glow's density of $z$ times this factor.

# %%
x_train = data.load_images("digits", "train")
x_test = data.load_images("digits", "test")
glow_digits = recipes.trained(recipes.GLOW_DIGITS, progress=True)  # chapter 09's flow

# %%
torch.manual_seed(1)
bpd_flow = glow_digits.bits_per_dim(x_test)
bpd_indep = bits_per_dim(independent_pixel_nll(x_train, x_test, levels=17), 64)
print(f"test bits/dim (17 levels): Glow <= {bpd_flow:.3f}, independent pixels {bpd_indep:.3f}")

# %%
torch.manual_seed(0)
fig, axes = plt.subplots(1, 3, figsize=(13, 2.6))
viz.image_grid(x_test[:40], nrow=10, ax=axes[0], title="test digits")
viz.image_grid(glow_digits.sample(40), nrow=10, ax=axes[1], title="Glow samples, T = 1")
viz.image_grid(glow_digits.sample(40, temperature=0.7), nrow=10, ax=axes[2],
               title="Glow samples, T = 0.7")
fig.tight_layout()

# %% [markdown]
# The likelihood is good and the samples are not: a flow must spread mass over every
# dequantized cell and every direction of the 64-dimensional space, so samples carry
# pixel noise. Lowering the **temperature** (scaling $z$ by $T < 1$) trades diversity for
# cleaner samples, a heuristic of the Glow paper. Chapter 09 returns to why likelihood and
# sample quality can disagree.
#
# The flow beats the independent-pixel baseline by more than 0.3 bits/dim: it has learned
# how pixels depend on each other, even where its samples do not show it yet.
#
# ## 8. Full profile: MNIST on a GPU
#
# With `GMCOURSE_PROFILE=full` the same Glow (wider, more steps) is trained on MNIST with
# 256 levels. Published references on dequantized MNIST: RealNVP 1.06 and Glow 1.05 bits/dim.
# Without a train split on disk it trains on all but 1,000 test images and scores those.

# %%
if get_profile() == "full":
    print(recipes.data_note("mnist"), f"| device {device}")
    mnist_test = recipes.held_out("mnist")[:capped(2000)].to(device)
    glow_mnist, _ = recipes.train(recipes.full_profile("mnist")["Glow"], device=device)
    print(f"MNIST test bits/dim (256 levels): Glow <= "
          f"{glow_mnist.bits_per_dim(mnist_test):.3f}")

# %% [markdown]
# ## Exercises
#
# Replace each stub (`raise NotImplementedError`) with your answer and run the cell:
# `check(...)` tests it against an independent reference (your map's inverse, the autograd
# Jacobian, the exact probability of a density whose bound is tight) and prints ✓, or what
# looks wrong with the input, expected and received values. Remove the `#` in front of
# `hint(...)` for a hint. Progress: `python -m gmcourse.exercises`; solutions:
# `solutions/05_flows.ipynb`.

# %%
from gmcourse.exercises import check, hint

# %% [markdown]
# **Exercise 05.coupling_logdet (code).** Write the forward pass (data $\to$ latent) of the
# affine coupling of section 3 from its parts: `coupling_forward(x, mask, s_net, t_net)`
# with `x` of shape $(B, D)$, a 0/1 `mask` $m$ of shape $(D,)$, and two networks `s_net`,
# `t_net` that map $(B, D) \to (B, D)$ and must only see $m \odot x$. Return `(z, log_det)`
# with `log_det` $= \log\lvert\det \partial z/\partial x\rvert$, one value per example,
# shape $(B,)$. The checker inverts your $z$ and compares `log_det` with the log-determinant
# of the autograd Jacobian of your own map, on random networks and two masks.

# %%
def coupling_forward(x, mask, s_net, t_net):
    raise NotImplementedError  # your code here


check("05.coupling_logdet", coupling_forward)
# hint("05.coupling_logdet")

# %% [markdown]
# **Exercise 05.planar_logdet (derivation).** Section 2 quoted the planar layer's
# determinant. Derive it: write the Jacobian of $f(x) = x + u \tanh(w^\top x + b)$ as the
# identity plus a rank-one matrix and apply the matrix determinant lemma,
# $\det(I + a c^\top) = 1 + c^\top a$. Then write `planar_log_det(x, u, w, b)` for `x`
# $(B, D)$, `u`, `w` $(D,)$ and `b` $(1,)$, returning $\log\lvert\det J\rvert$, shape $(B,)$.
# It is checked against the autograd Jacobian, with $w^\top u = 2$ and $w^\top u = -0.7$.

# %%
def planar_log_det(x, u, w, b):
    raise NotImplementedError  # your formula


check("05.planar_logdet", planar_log_det)
# hint("05.planar_logdet")

# %% [markdown]
# **Exercise 05.dequantized_bpd (derivation).** Generalise section 7 to $K$ levels: an image
# $k \in \{0, \dots, K-1\}^D$ is dequantized to $y = (k + u)/K \in [0, 1)^D$, $u \sim
# U[0,1)^D$, and a flow reports $\log p(y)$ in nats. Derive the bound on the bits per
# dimension of the *discrete* image and write `dequantized_bits_per_dim(log_p_y, D, K)` for
# a tensor `log_p_y` of shape $(B,)$, returning $(B,)$. The checker uses a density that is
# constant on every cell, for which the bound is tight, so your value must equal the exact
# $-\log_2 P(k) / D$, for $K = 17$ and $K = 256$.

# %%
def dequantized_bits_per_dim(log_p_y, D, K):
    raise NotImplementedError  # your formula


check("05.dequantized_bpd", dequantized_bits_per_dim)
# hint("05.dequantized_bpd")

# %% [markdown]
# ## What you should now know
#
# * A flow is an invertible map with a tractable Jacobian determinant; the change of
#   variables (1) gives an exact log-likelihood, so it trains by plain maximum likelihood.
# * The chapter and the code define the flow data-to-latent, $z = f(x)$; the generative
#   direction is $f^{-1}$, and the log-determinants of the two are negatives of each other.
# * Planar layers are cheap but weak; coupling layers (affine, RealNVP; rational-quadratic
#   splines) have triangular Jacobians and closed-form inverses. Splines cut sharp edges that
#   affine couplings blur (checkerboard), and fit modes 0.01 wide (ring-8).
# * Glow's layers: ActNorm, the LU-parameterised invertible 1x1 convolution, an affine
#   coupling, with squeeze and multi-scale split between scales.
# * Discrete images need dequantization; its Jensen bound gives bits/dim comparable with
#   discrete models. A good likelihood does not imply good samples.

# %%
run_time()
