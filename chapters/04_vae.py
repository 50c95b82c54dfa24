# %% [markdown]
# # 04 · Variational autoencoders: from the ELBO to VQ-VAE
#
# A **latent-variable model** explains each data point $x$ by an unobserved cause $z$:
#
# $$p_\theta(x) = \int p_\theta(x \mid z)\, p(z)\, dz, \qquad p(z) = \mathcal N(0, I).$$
#
# With a neural-network decoder $p_\theta(x\mid z)$ this integral has no closed form, and
# neither has the posterior $p_\theta(z \mid x) = p_\theta(x\mid z)p(z)/p_\theta(x)$. The
# variational autoencoder (Kingma and Welling, 2014; Rezende et al., 2014) trains the
# decoder together with an **encoder** $q_\phi(z \mid x)$ that approximates the posterior,
# by maximising a lower bound on $\log p_\theta(x)$.
#
# The code is in `gmcourse/vae.py` (VAE, IWAE) and `gmcourse/vqvae.py` (VQ-VAE); the
# distributions with `sample` and `log_prob` in `gmcourse/dists.py`.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from ipywidgets import FloatSlider

from gmcourse.config import capped, setup, pick, run_time
from gmcourse import data, viz, figures, widgets
from gmcourse.classifier import digit_classifier
from gmcourse.metrics import classifier_scores, independent_pixel_nll
from gmcourse import recipes
from gmcourse.recipes import BETAS
from gmcourse.vae import LinearGaussian, evaluate, reparam_grads, score_function_grads

device = setup(seed=0)
x_bin, y_train = data.load_images("digits", "train", binarize=True, labels=True)
x_bin_test, y_test = data.load_images("digits", "test", binarize=True, labels=True)
x_bin, x_bin_test = x_bin.to(device), x_bin_test.to(device)

# %% [markdown]
# ## The evidence lower bound (ELBO)
#
# For any distribution $q(z\mid x)$ with the same support as the posterior,
#
# $$\log p_\theta(x) = \log \int q(z\mid x)\,\frac{p_\theta(x, z)}{q(z \mid x)}\,dz
#   \;\ge\; \mathbb E_{q(z\mid x)}\!\left[\log \frac{p_\theta(x,z)}{q(z\mid x)}\right]
#   = \underbrace{\mathbb E_{q}\big[\log p_\theta(x\mid z)\big]}_{\text{reconstruction}}
#     - \underbrace{\mathrm{KL}\big(q(z\mid x)\,\|\,p(z)\big)}_{\text{regulariser}}
#   =: \mathrm{ELBO}(x) \qquad (1)$$
#
# by Jensen's inequality ($\log$ is concave). Writing $p_\theta(x,z) = p_\theta(z\mid x)\,p_\theta(x)$
# instead of using Jensen gives the gap exactly:
#
# $$\log p_\theta(x) - \mathrm{ELBO}(x) = \mathrm{KL}\big(q(z\mid x)\,\|\,p_\theta(z\mid x)\big) \ge 0. \qquad (2)$$
#
# So maximising the ELBO over $q$ pulls $q$ towards the true posterior, and the bound is
# tight exactly when $q(z\mid x) = p_\theta(z \mid x)$. With $q = \mathcal N(\mu, \operatorname{diag}\sigma^2)$
# and $p(z) = \mathcal N(0, I)$ the KL has a closed form,
# $\mathrm{KL} = \tfrac12\sum_j \big(\sigma_j^2 + \mu_j^2 - 1 - \log \sigma_j^2\big)$
# (`gmcourse.dists.kl_normal`; a unit test checks it against Monte Carlo to 1%).
#
# **A check where everything is exact.** In the linear-Gaussian model
# $p(z) = \mathcal N(0, I_d)$, $p(x\mid z) = \mathcal N(Wz + b, s^2 I_D)$, the marginal is
# $\mathcal N(b, WW^\top + s^2 I)$ and the posterior is Gaussian with covariance
# $S = (I + W^\top W/s^2)^{-1}$ and mean $S W^\top (x-b)/s^2$. We take a 1D latent and
# slide the mean $m$ of $q = \mathcal N(m, S_q)$ across the posterior:

# %%
lg = LinearGaussian(W=[[1.0], [0.5]], b=[0.0, 0.0], s=0.5)
x0 = torch.tensor([[1.2, 0.9]], dtype=torch.float64)
m_post, S_post = lg.posterior(x0)
ms = m_post + torch.linspace(-1, 1, 200, dtype=torch.float64)[:, None]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for scale, style in [(1.0, "-"), (2.0, "--"), (0.5, ":")]:
    S = scale * S_post
    elbo = torch.cat([lg.elbo(x0, m[None], S) for m in ms])
    axes[0].plot(ms[:, 0], elbo, style, label=f"ELBO, q variance = {scale:g} x posterior")
axes[0].axhline(lg.log_prob(x0).item(), color="k", lw=1, label="log p(x), exact")
axes[0].axvline(m_post.item(), color="gray", lw=0.5)
axes[0].set(xlabel="mean m of q(z|x)", ylabel="nats", title="ELBO <= log p(x)", ylim=(-6, -1.8))
axes[0].legend(fontsize=7, loc="lower center")
gap = lg.log_prob(x0) - torch.cat([lg.elbo(x0, m[None], S_post) for m in ms])
kl = torch.cat([lg.kl_to_posterior(x0, m[None], S_post) for m in ms])
axes[1].plot(ms[:, 0], gap, lw=3, alpha=0.5, label="log p(x) - ELBO")
axes[1].plot(ms[:, 0], kl, "k--", label="KL(q || p(z|x))")
axes[1].set(xlabel="mean m of q(z|x)", title="the gap is the KL to the posterior, Eq. (2)")
axes[1].legend(fontsize=8)
fig.tight_layout()
print(f"largest |gap - KL| on the grid: {(gap - kl).abs().max().item():.1e} nats")
print(f"at the true posterior: ELBO = {lg.elbo(x0, m_post, S_post).item():.6f}, "
      f"log p(x) = {lg.log_prob(x0).item():.6f}")

# %% [markdown]
# ## Gradients through a sample: reparameterisation vs the score function
#
# The ELBO is an expectation over $q_\phi$, and we need its gradient in $\phi$. Two unbiased
# estimators, for $\nabla_\mu \mathbb E_{z\sim\mathcal N(\mu,\sigma^2)} f(z)$:
#
# * **score function** (REINFORCE): $f(z)\,\nabla_\mu \log q(z) = f(z)\,(z-\mu)/\sigma^2$;
#   needs only values of $f$, works for discrete $z$.
# * **reparameterisation** (the pathwise gradient): write $z = \mu + \sigma\varepsilon$,
#   $\varepsilon \sim \mathcal N(0,1)$, so $\nabla_\mu f(\mu + \sigma\varepsilon) = f'(z)$. $\qquad (3)$
#
# Both have the right mean, but the second uses the slope of $f$ and has a far smaller
# variance. Below, single-sample estimates for $f(z) = z^2$ at $\mu = 1.5$, $\sigma = 1$
# (true gradient $2\mu = 3$):

# %%
f = lambda z: z ** 2  # noqa: E731
n_grad = pick(smoke=2000, lecture=20_000)
rp = reparam_grads(f, 1.5, 1.0, n_grad, torch.Generator().manual_seed(0))
sf = score_function_grads(f, 1.5, 1.0, n_grad, torch.Generator().manual_seed(1))
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
bins = np.linspace(-15, 25, 120)
axes[0].hist(sf.numpy(), bins, alpha=0.5, density=True, label="score function")
axes[0].hist(rp.numpy(), bins, alpha=0.5, density=True, label="reparameterisation")
axes[0].axvline(3.0, color="k", lw=1)
axes[0].set(title="single-sample gradient estimates", xlabel="estimate of d/dmu E[z^2]")
axes[0].legend()
ns = np.array([1, 2, 5, 10, 20, 50, 100])
axes[1].loglog(ns, sf.var().item() / ns, "o-", label="score function")
axes[1].loglog(ns, rp.var().item() / ns, "o-", label="reparameterisation")
axes[1].set(xlabel="samples averaged", ylabel="variance of the estimate",
            title="variance falls as 1/n for both")
axes[1].legend()
fig.tight_layout()
print(f"mean: reparameterisation {rp.mean():.3f}, score function {sf.mean():.3f} (true 3)")
print(f"variance: reparameterisation {rp.var():.2f}, score function {sf.var():.2f} "
      f"({sf.var() / rp.var():.0f} times larger)")

# %% [markdown]
# ## Autoencoder vs VAE on digits, with a 2D latent
#
# Encoder $q_\phi(z\mid x) = \mathcal N(\mu_\phi(x), \operatorname{diag}\sigma_\phi(x)^2)$ and
# decoder $p_\theta(x \mid z) = \prod_i \mathrm{Bernoulli}(x_i;\, \mathrm{sigmoid}(f_\theta(z)_i))$
# are MLPs; the digits are binarized 8x8 images. One training step maximises a
# one-sample estimate of Eq. (1):
#
# ```python
# q = self.encoder(x)
# z = q.sample()                       # z = mu + sigma * eps, Eq. (3)
# rec = self.decoder(z).log_prob(x)    # log p(x|z)
# kl = kl_normal(q, self.prior())      # closed form
# return rec - beta * kl               # Eq. (1); beta = 1
# ```
#
# A plain **autoencoder** uses the same networks, feeds the mean $\mu_\phi(x)$ to the
# decoder and drops the KL. Nothing then ties its codes to $\mathcal N(0, I)$.

# %%
ae = recipes.trained(recipes.AUTOENCODER_2D, device=device, progress=True)
vae2, hist2 = recipes.trained(recipes.VAE_2D, device=device, progress=True, history=True)

# %%
torch.manual_seed(0)
fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), gridspec_kw={"height_ratios": [2, 1]})
for col, (name, model) in enumerate([("autoencoder", ae), ("VAE", vae2)]):
    with torch.no_grad():
        codes = model.encoder(x_bin_test).mu.cpu()
    sc = axes[0, col].scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=6,
                              vmin=-0.5, vmax=9.5)
    axes[0, col].add_patch(plt.Circle((0, 0), 2, fill=False, ls="--", color="k"))
    axes[0, col].set(title=f"{name}: codes of test digits (circle: 2 std of N(0, I))")
    axes[0, col].set_aspect("equal")
    axes[0, col].legend(*sc.legend_elements(), title="digit", fontsize=7, ncol=2,
                        loc="upper right", markerscale=0.8)
    viz.image_grid(model.sample(20), nrow=10, ax=axes[1, col],
                   title=f"{name}: decoded z ~ N(0, I)")
fig.tight_layout()

# %% [markdown]
# How good are the prior draws as digits? The small classifier of chapter 09, trained on
# real digits, reads 297 decoded prior draws of each model, and the local-classifier FID
# (chapter 09) compares them with the 297 test digits:

# %%
clf = digit_classifier()
for name, model in [("autoencoder", ae), ("VAE", vae2)]:
    with torch.no_grad():
        codes = model.encoder(x_bin_test).mu
        torch.manual_seed(0)
        x_prior = model.sample(len(x_bin_test))
    classes = torch.bincount(clf.predict(x_prior), minlength=10)
    s = classifier_scores(x_bin_test, x_prior, clf)
    print(f"{name:11s}: {100 * (codes.norm(dim=1) < 2).float().mean():3.0f}% of test codes inside "
          f"the circle; prior draws read as {(classes > 0).sum()} of 10 digits "
          f"(counts {classes.tolist()}); FID {s['fid']:.0f}")

# %% [markdown]
# The autoencoder's codes sit wherever the decoder found convenient: on a far larger scale
# than the prior's, only 14% of them inside its circle, where a few classes crowd together.
# Its prior draws all land in that patch, so they decode to the same few blends (none is
# read as a 0, 2, 4 or 6). The VAE's KL term pulls the codes into the prior's bulk (88% inside
# the circle), and its noise forces nearby codes to decode to similar images, so its prior
# draws are read as all ten digits, at an FID of 433 against the autoencoder's 2108: the VAE is a
# **generative** model, the autoencoder is not. With a 2D latent both sets are blurry; the
# VAE's are better, not good.
#
# **Interpolation and the latent map.** Decoding a grid of $z$ shows the whole learned
# manifold; a straight line between two codes morphs one digit into another.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 5), gridspec_kw={"width_ratios": [1, 1]})
g = torch.linspace(-2.5, 2.5, 15)
zz = torch.stack(torch.meshgrid(g, g.flip(0), indexing="xy"), -1).reshape(-1, 2)
viz.image_grid(vae2.decode(zz.to(device)), nrow=15, ax=axes[0], pad=0,
               title="decoder means on a grid of z in [-2.5, 2.5]^2")
with torch.no_grad():
    t = torch.linspace(0, 1, 10, device=device)[:, None]
    ends = vae2.encoder(x_bin_test[:10]).mu  # five pairs of codes
    z_line = torch.cat([(1 - t) * ends[i] + t * ends[i + 1] for i in range(0, 10, 2)])
viz.image_grid(vae2.decode(z_line), nrow=10, ax=axes[1],
               title="interpolations between pairs of test digits")
fig.tight_layout()

# %% [markdown]
# **Latent traversal.** Move $z$ with the sliders: the star on the map is the code, the
# right panel the decoder's mean image there.
#
# **What to try.** Put the star in the middle of one colour's cluster on the map and read
# the image: it is that digit. Then move one slider slowly so that the star walks from
# that cluster into a neighbouring one: the image morphs from one digit into the other, with
# blended strokes where the star is between clusters. Finally drag both sliders to a
# corner ($z_1 = z_2 = 3$, beyond 2 standard deviations of the prior, where almost no codes
# lie): the decoder was never asked to reconstruct anything there, so what it shows is
# extrapolation. Compare its image with one from the middle of a cluster; this is why
# samples are drawn from the prior's bulk.

# %% tags=["nbval-ignore-output"]
with torch.no_grad():
    codes2 = vae2.encoder(x_bin_test).mu.cpu()
widgets.live(lambda fig, z1, z2: figures.draw_latent_traversal(
                 fig, z1, z2, model=vae2, codes=codes2, labels=y_test),
             figsize=(9, 4),
             z1=FloatSlider(value=0.0, min=-3, max=3, step=0.1, description="z1"),
             z2=FloatSlider(value=0.0, min=-3, max=3, step=0.1, description="z2"))

# %% [markdown]
# ## Reconstructions, and why VAE images are blurry
#
# For ten test digits: the data, the decoder's **mean** at the posterior mean (what is
# usually displayed), and a **sample** from $p_\theta(x\mid z)$ at the same $z$.

# %%
torch.manual_seed(0)
with torch.no_grad():
    q = vae2.encoder(x_bin_test[:10])
    px = vae2.decoder(q.mu)
rows = torch.cat([x_bin_test[:10], px.mean, px.sample()])
fig, ax = plt.subplots(figsize=(8, 2.8))
_ = viz.image_grid(rows, nrow=10, ax=ax, title="data / decoder mean / a sample of p(x|z)")

# %% [markdown]
# Two reasons for the blur. First, the decoder's pixels are **independent given $z$**:
# it cannot say "either this stroke or that one", so where $z$ leaves the digit uncertain
# the best factorised answer is the average, a grey smear; sampling the pixels
# independently gives salt-and-pepper noise rather than a sharp alternative. Second, the
# encoder's posterior $q(z\mid x)$ has width, and the reconstruction term averages
# $\log p(x\mid z)$ over it, so the decoder learns images that are good on average over a
# neighbourhood of codes. A 2D latent makes both effects large; more latent
# dimensions, autoregressive decoders (chapter 06) or a discrete latent (VQ-VAE, below)
# reduce them.
#
# ## beta-VAE and posterior collapse
#
# Weighting the KL term, $\mathbb E_q \log p(x\mid z) - \beta\,\mathrm{KL}(q\,\|\,p)$,
# trades reconstruction for a posterior closer to the prior (Higgins et al., 2017).
# Each latent dimension $j$ pays its own $\mathrm{KL}(q(z_j\mid x)\,\|\,p(z_j))$; a
# dimension whose KL is zero carries no information about $x$: it has **collapsed** to the
# prior. A dimension is **active** when its posterior mean varies with the data,
# $\mathrm{Cov}_x\big(\mathbb E_q[z_j]\big) > 0.01$ (Burda et al., 2016). We train a
# VAE with 16 latent dimensions at several $\beta$:

# %%
baseline = independent_pixel_nll(x_bin.cpu(), x_bin_test.cpu(), levels=2)
sweep = {}
for beta in BETAS:
    sweep[beta] = recipes.trained(recipes.VAE_BETA.but(beta=beta), device=device, progress=True)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for beta, model in sweep.items():
    kl_j = model.kl_per_dim(x_bin_test).sort(descending=True).values.cpu()
    axes[0].plot(range(1, 17), kl_j, "o-", label=f"beta = {beta:g}")
axes[0].set(xlabel="latent dimension (sorted)", ylabel="KL(q(z_j|x) || p(z_j)), nats",
            title="KL per latent dimension")
axes[0].legend()
au = [sweep[b].active_units(x_bin_test) for b in BETAS]
rec = [(-sweep[b].elbo(x_bin_test, beta=0.0)).mean().item() for b in BETAS]
axes[1].plot(BETAS, au, "o-", color="C3")
axes[1].set(xscale="log", xlabel="beta", ylabel="active units (of 16)", title="active units")
axes[1].set_xticks(BETAS, [f"{b:g}" for b in BETAS], minor=False)
axes[1].minorticks_off()
ax2 = axes[1].twinx()
ax2.plot(BETAS, rec, "s--", color="C0", label="reconstruction")
ax2.axhline(baseline, color="k", ls=":", lw=1, label="independent pixels")
ax2.set_ylabel("reconstruction -E_q log p(x|z), nats", color="C0")
ax2.legend(loc="center right", fontsize=8)
fig.tight_layout()
for b, a, r in zip(BETAS, au, rec):
    kl_b = sweep[b].kl_per_dim(x_bin_test)
    print(f"beta = {b:4g}: {a:2d} active units, {int((kl_b > 0.05).sum()):2d} dimensions with "
          f"KL > 0.05 nats, reconstruction {r:6.2f} nats")
print(f"independent-pixel baseline: {baseline:.2f} nats")

# %% [markdown]
# Even at $\beta = 1$ not all 16 dimensions are used: a dimension costs KL, and when the
# decoder gains less than that from it the optimum switches it off. Larger $\beta$
# switches off more and reconstructs worse. The count is not strictly monotone: each
# $\beta$ is one training run from one seed, and the variance threshold is coarse (at
# $\beta = 4$ five means vary by just over 0.01 while only one dimension carries more than
# 0.05 nats of KL).
#
# At $\beta = 8$ **all** of them are off: total posterior collapse, with this plain MLP
# decoder. The reconstruction term then equals the independent-pixel baseline (25.18
# against 25.21 nats): a decoder that ignores $z$ can do no better than the best model of
# independent pixels, and that is what it has learned. Collapse therefore needs no
# powerful decoder: a KL weight large enough that no dimension pays for itself is enough.
# A decoder powerful enough to model $x$ alone (an autoregressive one, chapter 06) is the
# other route, and it collapses even at $\beta = 1$, because then $z$ is worth nothing to it.
#
# ## The importance-weighted bound (IWAE)
#
# Averaging $k$ importance weights inside the logarithm gives a tighter bound
# (Burda et al., 2016):
#
# $$\mathrm{IWAE}_k(x) = \mathbb E_{z_1..z_k \sim q}\left[\log \frac1k \sum_{i=1}^k
#   \frac{p_\theta(x, z_i)}{q(z_i\mid x)}\right], \qquad
#   \mathrm{ELBO} = \mathrm{IWAE}_1 \le \mathrm{IWAE}_k \le \mathrm{IWAE}_{k+1} \le \log p_\theta(x). \qquad (4)$$
#
# As $k\to\infty$ it converges to $\log p_\theta(x)$, so $-\mathrm{IWAE}_k$ with large $k$ is
# how VAE likelihoods are reported. For the $\beta = 1$ model above, on test digits, next
# to the best model that treats pixels as independent:

# %%
vae16 = sweep[1.0]
torch.manual_seed(0)
ks = pick(smoke=[1, 10], lecture=[1, 2, 5, 10, 50, 100, 500])
iwae_all = [-vae16.iwae(x_bin_test, k) for k in ks]  # (n,) per k
iwae_k = [v.mean().item() for v in iwae_all]
neg_elbo = -vae16.elbo(x_bin_test).mean().item()
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.semilogx(ks, iwae_k, "o-", label="-IWAE_k (test)")
ax.axhline(neg_elbo, color="C1", ls="--", label="-ELBO (test)")
ax.axhline(baseline, color="k", ls=":", label="independent pixels")
ax.set(xlabel="k", ylabel="nats per image", title="IWAE_k tightens the bound")
ax.legend()
print(f"test -ELBO {neg_elbo:.2f} nats, -IWAE_{ks[-1]} {iwae_k[-1]:.2f} nats, "
      f"independent-pixel baseline {baseline:.2f} nats")
se_1 = (iwae_all[0].std() / len(x_bin_test) ** 0.5).item()
print(f"-IWAE_1 {iwae_k[0]:.2f} ± {se_1:.2f} nats (one standard error), -ELBO {neg_elbo:.2f}")

# %% [markdown]
# $\mathrm{IWAE}_1$ and the ELBO are the same bound; the two values differ because both are
# Monte Carlo estimates (the ELBO's with the KL in closed form, $\mathrm{IWAE}_1$'s with a
# one-sample estimate of it), and they agree within about two standard errors. The bound
# tightens quickly with $k$ and then flattens; the remaining gap to the true
# $\log p(x)$ is unknown, but the flattening suggests it is small next to the distance
# to the baseline. The VAE beats the independent-pixel baseline by a wide margin (more
# than 8 nats per image): its latent variables capture which pixels switch on together.
#
# ## Convolutional backbones and a Gaussian decoder
#
# Nothing in the ELBO says what $\mu_\phi$, $\sigma_\phi$ and the decoder are: so far
# MLPs, one weight for every pair of a pixel and a hidden unit. Images suggest
# convolutions instead, the same small filters at every position
# (`gmcourse.vae.build_conv_vae`: one strided convolution down to 4x4 and one transposed
# convolution back up, around the same Gaussian $q$ and 16 latents). Below, the $\beta = 1$
# model above (MLP) against the same VAE with convolutions, same data, batches, learning
# rate and 2,000 steps.
#
# The **decoder's likelihood** is a second choice. For binary pixels it is Bernoulli. For
# grey levels in $[0, 1]$ a Gaussian $p_\theta(x \mid z) = \mathcal N(\mu_\theta(z), \sigma^2 I)$
# is the common choice, and its log-likelihood is a squared error up to constants:
#
# $$\log p_\theta(x\mid z) = -\frac{\lVert x - \mu_\theta(z)\rVert^2}{2\sigma^2}
#   - \frac D2 \log(2\pi\sigma^2),$$
#
# so a VAE with a fixed $\sigma$ is an autoencoder trained on the mean squared error plus
# a KL term weighted by $2\sigma^2$ (here $\sigma$ is learned, one number). Its value is a
# density, not a probability: it is not comparable with the Bernoulli model's nats, and it
# grows without bound as $\sigma \to 0$ on data that sit on a grid of 17 levels, which is
# why chapter 09 scores grey digits with discrete decoders instead.

# %%
conv = recipes.trained(recipes.CONV_VAE, device=device, progress=True)
conv_gauss = recipes.trained(recipes.CONV_VAE_GAUSSIAN, device=device, progress=True)
k_conv = pick(smoke=10, lecture=500)
torch.manual_seed(0)
for name, m in [("MLP", vae16), ("conv", conv)]:
    weights = sum(p.numel() for p in m.parameters())
    print(f"{name:4s} VAE, Bernoulli decoder: {weights:7,d} weights; test -ELBO "
          f"{-m.elbo(x_bin_test).mean().item():6.2f}, -IWAE_{k_conv} "
          f"{-m.iwae(x_bin_test, k_conv).mean().item():6.2f} nats")
x_grey_test = data.load_images("digits", "test").to(device)
with torch.no_grad():
    p_x = conv_gauss.decoder(conv_gauss.encoder(x_grey_test).mu)  # at the posterior mean
    sigma, D = p_x.sigma.flatten()[0].item(), x_grey_test[0].numel()
    sq = (x_grey_test - p_x.mu).pow(2).flatten(1).sum(1)
    by_formula = -sq / (2 * sigma ** 2) - D / 2 * math.log(2 * math.pi * sigma ** 2)
print(f"Gaussian decoder: sigma = {sigma:.3f}; log p(x|z) from the decoder and from the squared "
      f"error differ by at most {(p_x.log_prob(x_grey_test) - by_formula).abs().max().item():.1e}; "
      f"its mean over the test digits {p_x.log_prob(x_grey_test).mean().item():+.0f} nats")
fig, axes = plt.subplots(1, 3, figsize=(15, 2.2))
viz.image_grid(x_grey_test[:20], nrow=10, ax=axes[0], title="test digits (grey)")
viz.image_grid(p_x.mu[:20].clamp(0, 1), nrow=10, ax=axes[1], title="Gaussian decoder: mean at q's mean")
torch.manual_seed(1)
viz.image_grid(conv_gauss.sample(20).clamp(0, 1), nrow=10, ax=axes[2],
               title="Gaussian decoder: decoded z ~ N(0, I)")
fig.tight_layout()

# %% [markdown]
# The convolutional VAE reaches the same bound as the MLP with fewer than half its weights
# (78,113 against 177,248): test $-$ELBO 17.72 against 17.80 nats and
# $-\mathrm{IWAE}_{500}$ 16.56 against 16.49, differences of a tenth of a nat that one seed
# and 297 test digits cannot separate. On 8x8 digits weight sharing buys economy, not a
# better bound; its case grows with the image (the full profile's MNIST and CIFAR-10
# models use the same idea). The Gaussian decoder learned $\sigma \approx 0.10$ in pixel
# units, and its $\log p(x\mid z)$ is the squared-error formula above to rounding (printed).
# Its mean over the test digits is positive, about +71 nats: a density can exceed 1 where
# a probability cannot, one more reason not to put it beside the Bernoulli model's nats.
# Its reconstructions at the posterior mean follow the test digits closely; its decoded
# prior draws (right) are blurrier, the usual gap between what a VAE reconstructs and what
# it generates.
#
# ## VQ-VAE: a discrete latent
#
# VQ-VAE (van den Oord et al., 2017) replaces the Gaussian latent by a grid of discrete
# codes. The encoder outputs a grid of vectors $z_e(x)$; each is replaced by its nearest
# entry of a learned codebook $\{e_1, \dots, e_K\}$, and the decoder sees the quantized grid
# $z_q(x)$. The argmin has no gradient, so the **straight-through estimator** copies the
# decoder's gradient from $z_q$ to $z_e$: in code, `z_q = z_e + (z_q - z_e).detach()`.
# The loss, with $\mathrm{sg}$ the stop-gradient,
#
# $$\|x - \mathrm{dec}(z_q)\|^2 + \|\mathrm{sg}[z_e] - e\|^2 + \beta_c\,\|z_e - \mathrm{sg}[e]\|^2,$$
#
# moves the codebook towards the encoder's outputs (second term) and keeps the encoder
# committed to its codes (third term, with the **commitment weight** $\beta_c = 0.25$; it
# has nothing to do with the $\beta$ of the beta-VAE above, and the code calls it `beta`
# as the paper does). With a uniform prior over codes
# the KL term is a constant and drops out. Here the 8x8 grey digits become a 4x4 grid of
# codes from a codebook of $K = 32$. **Codebook usage** is summarised by the perplexity
# $\exp(H)$ of the code histogram: $K$ if all codes are used equally, 1 if one is.

# %%
x_grey = data.load_images("digits", "train").to(device)
x_grey_test = data.load_images("digits", "test").to(device)
cfg_vq = recipes.VQVAE_DIGITS.config
vq = recipes.trained(recipes.VQVAE_DIGITS, device=device, progress=True)  # chapter 09's VQ-VAE

# %%
usage = vq.code_usage(x_grey_test).cpu()
fig, axes = plt.subplots(1, 3, figsize=(13, 3), gridspec_kw={"width_ratios": [1.3, 1, 1.3]})
viz.image_grid(torch.cat([x_grey_test[:10], vq.reconstruct(x_grey_test[:10])]), nrow=10,
               ax=axes[0], title="data / VQ-VAE reconstruction")
axes[1].bar(range(cfg_vq.K), usage.sort(descending=True).values)
axes[1].set(xlabel="code (sorted)", ylabel="fraction of positions",
            title=f"codebook usage, perplexity {vq.perplexity(x_grey_test):.1f} of {cfg_vq.K}")
torch.manual_seed(0)
viz.image_grid(vq.sample(20), nrow=10, ax=axes[2],
               title="samples: codes from a per-position histogram")
fig.tight_layout()
mse = ((vq.reconstruct(x_grey_test) - x_grey_test) ** 2).mean().item()
print(f"test reconstruction MSE {mse:.4f}; codes used: {(usage > 0).sum().item()} of {cfg_vq.K}; "
      f"perplexity {vq.perplexity(x_grey_test):.1f}")

# %% [markdown]
# Reconstructions are sharp: 16 codes of 5 bits each describe a digit well. The samples
# are poor, because the histogram prior draws each of the 16 positions independently and
# ignores how the codes of one digit fit together.
#
# ## VQ-VAE's second stage: a PixelCNN prior over the codes
#
# VQ-VAE's second stage fits an **autoregressive prior** over the 4x4 code grid — a gated
# PixelCNN with a 32-way softmax per position (chapter 06; `recipes.code_prior`) —
# on the codes of the training digits, then samples code maps from it and decodes them.
# Both priors are exact discrete distributions over code maps, so both give a
# log-likelihood of the test digits' codes:

# %%
codes_train, codes_test = vq.encode(x_grey), vq.encode(x_grey_test)  # (N, 4, 4) in 0..K-1
prior = recipes.trained(recipes.code_prior(codes_train, cfg_vq.K), device=device, progress=True)
with torch.no_grad():
    nll_hist = -vq.prior_log_prob(codes_test).mean().item()
    nll_pcnn = -prior.log_prob(codes_test[:, None]).mean().item()
    torch.manual_seed(0)
    x_hist = vq.sample(len(x_grey_test))
    x_pcnn = vq.decode(prior.sample(len(x_grey_test))[:, 0])  # sample codes, then decode
fid_hist = classifier_scores(x_grey_test, x_hist, clf)["fid"]
fid_pcnn = classifier_scores(x_grey_test, x_pcnn, clf)["fid"]
print(f"test code maps, nats each: histogram prior {nll_hist:.1f}, PixelCNN prior {nll_pcnn:.1f}")
print(f"FID of 297 samples (local classifier): histogram prior {fid_hist:.0f}, "
      f"PixelCNN prior {fid_pcnn:.0f}")
fig, axes = plt.subplots(1, 2, figsize=(13, 3))
viz.image_grid(x_hist[:40], nrow=10, ax=axes[0], title="VQ-VAE, histogram prior")
viz.image_grid(x_pcnn[:40], nrow=10, ax=axes[1], title="VQ-VAE, PixelCNN prior over the codes")
fig.tight_layout()

# %% [markdown]
# The PixelCNN prior knows which codes go together: the test codes are more likely under it
# (by about 3 nats per digit), and its samples are digits, at under a third of the
# histogram prior's FID. That second stage is what makes VQ-VAE samples good; its likelihood is that
# of the codes, not of the pixels, since the decoder is trained by squared error.
#
# ## The full profile: MNIST, Fashion-MNIST and CIFAR-10 on a GPU
#
# With `GMCOURSE_PROFILE=full` the cell below trains the one-stochastic-layer VAE of
# Burda et al. (2016): latent dimension 50, two hidden layers of 200 units in encoder and
# decoder (SiLU here, tanh there), on **dynamically binarized** MNIST and Fashion-MNIST (each batch re-drawn,
# $x \sim \mathrm{Bernoulli}(\text{grey level})$), and reports the test NLL by
# $\mathrm{IWAE}_{5000}$. Published references for calibration (dynamically binarized
# MNIST, one stochastic layer): VAE 86.76 nats, IWAE trained with $k = 50$: 84.78 nats. They
# train for 3,280 epochs; the step count here is far smaller, so expect a few nats more.
# CIFAR-10 uses a discretized-logistic decoder on the 256 intensity levels and reports
# bits per dimension (an MLP VAE is a weak model of natural images; convolutional VAEs
# with more expressive decoders do much better). In the lecture and smoke profiles the
# cell only says so. Without a train split on disk it trains on all but 1,000 test images
# and scores those 1,000; it prints which images and which device it used.
# (`GMCOURSE_MAX_STEPS` caps the steps and the evaluation, to rehearse the cell on a CPU.)

# %%
full_sets = pick(smoke=[], lecture=[], full=["mnist", "fashion_mnist", "cifar10"])
for name in full_sets:
    if not data.available(name, "test"):
        print(f"{name} is not available offline; skipped")
        continue
    print(recipes.data_note(name), f"| device {device}")
    binary = name != "cifar10"
    x_te = recipes.held_out(name)[:capped(10_000)]
    if binary:  # one fixed dynamic binarization of the test images
        x_te = torch.bernoulli(x_te, generator=torch.Generator().manual_seed(0))
    model, _ = recipes.train(recipes.full_profile(name)["VAE"], device=device)
    k, chunk = (capped(5000), 4) if binary else (capped(100), 1)
    res = evaluate(model, x_te.to(device), k=k, chunk=chunk)
    print(f"{name}: " + ", ".join(f"{key} {v:.3f}" for key, v in res.items()))
if not full_sets:
    print("full profile only (GMCOURSE_PROFILE=full on a GPU): binarized MNIST and "
          "Fashion-MNIST NLL by IWAE-5000, CIFAR-10 bits/dim")

# %% [markdown]
# ## Prior holes, and a learned prior
#
# The decoder is trained on codes drawn from the encoder, $z \sim q(z \mid x_n)$: in all,
# on the **aggregate posterior** $q(z) = \frac1N \sum_n q(z \mid x_n)$. Samples come from
# the prior $p(z)$. Averaged over the data, the ELBO's KL term splits into two parts
# (Hoffman and Johnson 2016),
#
# $$\mathbb E_x\, \mathrm{KL}(q(z \mid x) \,\|\, p(z)) = I_q(x; z) + \mathrm{KL}(q(z)
# \,\|\, p(z)),$$
#
# so the prior is only pulled *towards* $q(z)$; with $p = \mathcal N(0, I)$ fixed, the two
# need not agree. Where $p(z)$ is large but $q(z)$ small, the prior has **holes**: the
# decoder has never seen such codes, and what it makes of them is not a digit. With two
# latent dimensions $q(z)$ is an exact mixture of $N$ Gaussians (`gmcourse/vae_priors.py`),
# so we can measure the gap $\mathrm{KL}(p \,\|\, q)$ by Monte Carlo over prior samples,
# and the share of prior samples in a hole, $q(z) < p(z)/10$.

# %%
from gmcourse import vae_priors as VP

gap_std = VP.prior_gap(vae2, x_bin)
print(f"standard prior: KL(p || q) = {gap_std['kl']:.3f} nats, "
      f"{gap_std['hole_share']:.1%} of prior samples in holes")


def draw_aggregate(ax, model, title):
    xx, yy, pts = viz.grid_points(3.5, 120, device=device)
    log_q = VP.aggregate_log_prob(model, x_bin, pts).cpu().reshape(120, 120)
    with torch.no_grad():
        log_p = model.prior().log_prob(pts).cpu().reshape(120, 120)
    ax.pcolormesh(xx.cpu(), yy.cpu(), log_q.clamp(min=-12), cmap="viridis", shading="auto")
    ax.contour(xx.cpu(), yy.cpu(), log_p, levels=5, colors="w", linewidths=0.7)
    ax.set(aspect="equal", title=title, xticks=[], yticks=[])


fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1, 1.2]})
draw_aggregate(axes[0], vae2, "log q(z) (colour) and the prior N(0, I) (white)")
viz.image_grid(vae2.decode(gap_std["z_ranked"][:40]), nrow=10, ax=axes[1],
               title="decoded: the 40 prior samples with the smallest q(z) / p(z)")
fig.tight_layout()

# %% [markdown]
# With two latent dimensions and the KL at full weight, the aggregate posterior covers
# the prior well: the gap is a fraction of a nat, and under 1% of prior samples fall where
# $q(z)$ is below a tenth of $p(z)$, mostly at the rim and in the seams between classes;
# decoded, the deepest of them give blends and broken strokes. The remedy the decks
# describe is to **learn the prior** as well: the ELBO's optimal prior is $q(z)$ itself,
# and a richer family can move towards it. Here a mixture of 16 Gaussians with learned means, scales
# and weights (the VampPrior of Tomczak and Welling (2018) uses mixtures of the encoder's
# own posteriors at learned pseudo-inputs). Its KL term has no closed form, so the ELBO
# uses the one-sample estimate $\log q(z \mid x) - \log p(z)$. Same networks, same
# initialisation and batches, same 3,000 steps:

# %%
vae_mix = recipes.trained(recipes.VAE_2D_MIXTURE, device=device, progress=True)
gap_mix = VP.prior_gap(vae_mix, x_bin)
torch.manual_seed(0)
with torch.no_grad():
    elbo_std, elbo_mix = vae2.elbo(x_bin_test).mean().item(), vae_mix.elbo(x_bin_test).mean().item()
for name, gap, elbo in [("N(0, I) prior", gap_std, elbo_std), ("mixture prior", gap_mix, elbo_mix)]:
    print(f"{name:14s} KL(p || q) {gap['kl']:6.3f} nats, holes {gap['hole_share']:6.1%}, "
          f"test ELBO {elbo:7.2f} nats")
# sample quality: the FID of 297 decoded prior draws, for five sampling seeds each
fid_draws = {}
for name, model in [("N(0, I) prior", vae2), ("mixture prior", vae_mix)]:
    fid_draws[name] = []
    for seed in range(5):
        torch.manual_seed(seed)
        with torch.no_grad():
            draws = model.sample(len(x_bin_test))
        fid_draws[name].append(classifier_scores(x_bin_test, draws, clf)["fid"])
    f = fid_draws[name]
    print(f"{name:14s} FID of 297 prior draws, seeds 0-4: {min(f):.0f} to {max(f):.0f} "
          f"(mean {sum(f) / len(f):.0f})")
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1, 1.2]})
draw_aggregate(axes[0], vae_mix, "log q(z) and the learned mixture prior")
torch.manual_seed(1)
viz.image_grid(vae_mix.sample(40), nrow=10, ax=axes[1], title="decoded z ~ mixture prior")
fig.tight_layout()

# %% [markdown]
# The learned prior follows the aggregate posterior more closely, so the gap shrinks (a
# unit test checks at these settings that it falls and that the ELBO moves by less than
# 0.5 nats; `python -m gmcourse.bench vae_priors` repeats the comparison over 3 seeds).
# Its samples are no better as digits: over five sampling seeds the FID of 297 prior draws
# spans 315 to 433 with the standard prior and 328 to 400 with the mixture, two ranges that
# overlap (one draw's FID moves by a hundred points with the seed alone, so the single FID
# of 433 quoted above is only one of them). On 8x8 digits with two latents the effect is small, because the standard prior had few
# holes to begin with; the argument for learned priors is made for large latent spaces,
# where a factorised $q(z \mid x)$ and a fixed $\mathcal N(0, I)$ leave more of the prior
# unused. Hierarchical VAEs (NVAE, Vahdat and Kautz 2020) make both the prior and the
# posterior deep, several layers of latents conditioned on each other.

# %% [markdown]
# ## A richer posterior: an inverse autoregressive flow
#
# Eq. (2) says what the ELBO loses: $\log p_\theta(x) - \mathrm{ELBO}(x) =
# \mathrm{KL}\big(q(z\mid x)\,\|\,p_\theta(z\mid x)\big)$. A factorised Gaussian can match
# the true posterior only where that posterior is itself an axis-aligned Gaussian; a
# curved or skewed $p_\theta(z\mid x)$ leaves a gap that no encoder of that family can
# close. A **flow posterior** (Rezende and Mohamed 2015) keeps the Gaussian as a base,
# $z_0 = \mu(x) + \sigma(x)\odot\varepsilon$, and pushes it through $K$ invertible maps
# $z_t = f_t(z_{t-1}; h(x))$ conditioned on a context $h(x)$ that the encoder outputs too.
# The change of variables of chapter 05 gives the density of the result exactly,
#
# $$\log q(z_K \mid x) = \log q_0(z_0 \mid x) - \sum_{t=1}^K
#   \log\left|\det \frac{\partial z_t}{\partial z_{t-1}}\right|, \qquad (5)$$
#
# and the ELBO needs nothing more: samples $z_K$ and their $\log q$, the KL term as the
# one-sample estimate $\log q(z_K\mid x) - \log p(z_K)$. The flow runs only in the
# sampling direction, so it never needs an inverse.
#
# The **inverse autoregressive flow** (IAF, Kingma et al. 2016) makes each step cheap in
# that direction. A MADE network (Germain et al. 2015) computes $(m_t, s_t) =
# \mathrm{MADE}(z_{t-1}, h)$ with outputs $m_{t,i}, s_{t,i}$ that depend on $z_{t-1,1},
# \dots, z_{t-1,i-1}$ and $h$ only, and
#
# $$z_t = \sigma_t \odot z_{t-1} + (1 - \sigma_t) \odot m_t, \qquad \sigma_t = \mathrm{sigmoid}(s_t).$$
#
# Then $\partial z_{t,i} / \partial z_{t-1,j} = 0$ for $j > i$: the Jacobian is lower
# triangular with $\sigma_t$ on its diagonal, and $\log|\det| = \sum_i \log \sigma_{t,i}$,
# all from one pass of the network (an autoregressive flow run the other way, as in
# chapter 05's likelihood direction, needs $d$ passes to sample). The latent's order is
# reversed between steps. With $\sigma_t \to 1$ a step is the identity, so the family
# contains the factorised Gaussian: for a fixed decoder the best ELBO can only rise. Trained
# jointly, the decoder also no longer has to keep its posteriors Gaussian-shaped to be
# scored well (Cremer et al. 2018 call the part of the gap due to $q$'s family the
# *approximation gap*). The code is `gmcourse/vae_posteriors.py`; unit tests check each
# step's $\log|\det|$ against the autograd Jacobian and that $q$ integrates to one.
#
# We compare the 2D-latent VAE of this chapter with the same model whose $q(z\mid x)$ adds
# 4 IAF steps: same decoder and initialisation, same data, batches, learning rate and
# 3,000 steps. The ELBO is averaged over 100 draws of $z$ per test image (a single draw is
# too noisy to compare two posteriors), and $\mathrm{IWAE}_{1000}$ estimates
# $\log p_\theta(x)$ from below, so $\mathrm{IWAE}_{1000} - \mathrm{ELBO}$ is (nearly) the
# gap (2):

# %%
from gmcourse import vae_posteriors as VPost

vae_iaf = recipes.trained(recipes.VAE_2D_IAF, device=device, progress=True)
k_iw = pick(smoke=50, lecture=1000)
torch.manual_seed(0)
test_bounds = {name: VPost.bounds(m, x_bin_test, samples=pick(smoke=5, lecture=100), k=k_iw)
               for name, m in [("factorised", vae2), ("IAF", vae_iaf)]}
for name, b in test_bounds.items():
    elbo, iw = b["elbo"].mean().item(), b["iwae"].mean().item()
    print(f"{name:10s} posterior: test ELBO {elbo:7.2f}, IWAE_{k_iw} {iw:7.2f}, "
          f"gap {iw - elbo:4.2f} nats")
gain = {key: (test_bounds["IAF"][key] - test_bounds["factorised"][key]).mean().item()
        for key in ("elbo", "iwae")}
print(f"IAF - factorised: ELBO {gain['elbo']:+.2f} nats, IWAE_{k_iw} {gain['iwae']:+.2f} nats")


fb = test_bounds["factorised"]
worst = (fb["iwae"] - fb["elbo"]).argsort(descending=True)[:4]  # the largest gaps
fig, axes = plt.subplots(2, 4, figsize=(11, 5.6))
for col, i in enumerate(worst.tolist()):
    x = x_bin_test[i:i + 1]
    for row, (name, m) in enumerate([("factorised", vae2), ("IAF", vae_iaf)]):
        figures.draw_posterior_panel(axes[row, col], m, x)
        g = (test_bounds[name]["iwae"] - test_bounds[name]["elbo"])[i].item()
        axes[row, col].set_title(f"{name}: gap {g:.1f} nats", fontsize=9)
fig.suptitle("p(z|x) (colour) and q(z|x) (white) for the 4 test digits with the largest "
             "gap under the factorised posterior", fontsize=10)
fig.tight_layout()

# %% [markdown]
# The flow posterior raises the test ELBO by about 0.9 nats and narrows the gap
# $\mathrm{IWAE}_{1000} - \mathrm{ELBO}$ from 1.4 to 1.0 nats; $\mathrm{IWAE}_{1000}$ itself,
# the estimate of $\log p_\theta(x)$, rises by 0.5 nats, so the decoder trained with the
# richer posterior is also a slightly better model (the two models' decoders differ, so
# each panel shows its own model's posterior). The pictures show where the factorised
# bound loses most: on these digits the encoder's Gaussian sits beside the posterior rather
# than on it, a failure of the amortised encoder as much as of the Gaussian's shape, and the
# flow's $q$ covers the posterior, tilted where it is tilted. `python -m gmcourse.bench
# vae_posteriors` repeats the comparison over 3 seeds, each model trained from scratch.

# %% [markdown]
# ## Exercises
#
# Replace each stub (`raise NotImplementedError` or `...`) with your answer and run the
# cell: `check(...)` tests it against an independent reference (torch's Gaussian KL, the
# moments and gradients of your samples, the exact likelihood and posterior of the
# linear-Gaussian model) and prints ✓, or what looks wrong with the input, expected and
# received values. Remove the `#` in front of `hint(...)` for a hint. Progress:
# `python -m gmcourse.exercises`; solutions: `solutions/04_vae.ipynb`.

# %%
from gmcourse.exercises import check, hint

# %% [markdown]
# **Exercise 04.kl_normal (derivation).** Encoders output the mean and the **log-variance**
# of $q(z\mid x) = \mathcal N(\mu, \operatorname{diag}\sigma^2)$. Derive
# $\mathrm{KL}(q\,\|\,\mathcal N(0, I))$ and write `kl_to_prior(mu, log_var)` for tensors of
# shape `(B, d)`, returning one KL per example, shape `(B,)`.

# %%
def kl_to_prior(mu, log_var):
    raise NotImplementedError  # your formula


check("04.kl_normal", kl_to_prior)
# hint("04.kl_normal")

# %% [markdown]
# **Exercise 04.reparameterize (code).** Write `reparameterize(mu, log_var)`: one sample
# $z \sim \mathcal N(\mu, \operatorname{diag} e^{\text{log\_var}})$ per row, written as Eq. (3) so that
# gradients flow into `mu` and `log_var`.

# %%
def reparameterize(mu, log_var):
    raise NotImplementedError  # your code here


check("04.reparameterize", reparameterize)
# hint("04.reparameterize")

# %% [markdown]
# **Exercise 04.elbo (code).** For the linear-Gaussian model $p(z) = \mathcal N(0, I_d)$,
# $p(x\mid z) = \mathcal N(Wz + b, s^2 I_D)$ and $q(z\mid x) = \mathcal N(m, S)$ with a full
# covariance $S$, write the ELBO (1) in closed form: `elbo_linear_gaussian(x, W, b, s, m, S)`
# with `x` $(B, D)$, `W` $(D, d)$, `b` $(D,)$, `m` $(B, d)$, `S` $(d, d)$, returning $(B,)$.
# The checker verifies Eq. (2): $\log p(x) - \mathrm{ELBO}$ must equal
# $\mathrm{KL}(q\,\|\,p(z\mid x))$, both from `torch.distributions`.

# %%
def elbo_linear_gaussian(x, W, b, s, m, S):
    raise NotImplementedError  # your code here


check("04.elbo", elbo_linear_gaussian)
# hint("04.elbo")

# %% [markdown]
# **Exercise 04.iwae (code).** Write `iwae_bound(log_w)`: $\mathrm{IWAE}_k$ of Eq. (4) from the
# log importance weights $\log w_i = \log p(x, z_i) - \log q(z_i\mid x)$, a tensor of shape
# `(k, B)` (the $k$ samples along dimension 0), returning $(B,)$. On images the log-weights
# are around $-1000$: your function must not underflow.

# %%
def iwae_bound(log_w):
    raise NotImplementedError  # your code here


check("04.iwae", iwae_bound)
# hint("04.iwae")

# %% [markdown]
# ## Summary

# ## What you should now know
#
# * The ELBO is $\log p(x)$ minus the KL from the encoder to the true posterior; on the
#   linear-Gaussian model we saw the gap equal that KL and vanish at the true posterior.
# * Reparameterisation gives low-variance gradients through samples of continuous latents
#   (here 13 times less variance than the score-function estimator).
# * The KL term makes the latent space a usable prior: a VAE's prior draws decode to all ten
#   digits, an autoencoder's to a few blends.
# * $\beta$ trades reconstruction for fewer active units; a KL weight that is too large
#   (here $\beta = 8$, with a plain MLP decoder) or a decoder that is too strong switches
#   all of them off: posterior collapse, with reconstruction at the independent-pixel level.
# * $\mathrm{IWAE}_k$ tightens the bound towards $\log p(x)$ and is how VAE likelihoods are
#   reported.
# * VQ-VAE's discrete codes give sharp reconstructions; its samples need a learned prior
#   over the codes, such as a PixelCNN (commitment weight $\beta_c$, not the beta-VAE's $\beta$).

# %%
run_time()
