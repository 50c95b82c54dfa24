# %% [markdown]
# # 11 · Diffusion in practice: its likelihood, editing, and inverse problems
#
# Chapter 07 trained a DDPM on the digits and sampled from it. The same trained model does
# more than sample. Read as a **hierarchical VAE**, it has a variational bound on the
# likelihood, so it enters chapter 09's likelihood column. Its deterministic DDIM sampler is an
# ODE that can be run **backwards**, mapping a real digit to the noise that generates it, which
# is how diffusion models edit real images. And as a **prior** it solves inverse problems:
# super-resolution, denoising, deblurring and inpainting, with no retraining. Two more ways
# of using diffusion close the chapter: steering it with a separately trained classifier
# (**classifier guidance**, against chapter 07's classifier-free guidance), and running it in
# the latent space of an autoencoder (**latent diffusion**, the design of Stable Diffusion).
#
# The code is `gmcourse/diffusion.py` (`DDPM.bound_terms`, `DDPM.nll_bound`,
# `ImageDDPM.bits_per_dim`) and `gmcourse/diffusion_edit.py` (`invert`, `decode`, `slerp`,
# `restore`, `denoise`), `gmcourse/guidance.py` and `gmcourse/latent_diffusion.py`. The
# diffusion model of sections 1-4 is chapter 07's, loaded from the same checkpoint.

# %%
import math
import time

import matplotlib.pyplot as plt
import torch

from gmcourse.config import setup, pick, run_time
from gmcourse import data, diffusion_edit as E, diffusion_vlb as V, recipes, viz
from gmcourse.benchmarks.inverse import _scores, tasks
from gmcourse.classifier import digit_classifier
from gmcourse.metrics import bits_per_dim, independent_pixel_nll

device = setup(seed=0)
model = recipes.trained(recipes.DDPM_DIGITS, progress=True)  # chapter 07's DDPM
x_train = data.load_images("digits", "train")
x_test, y_test = data.load_images("digits", "test", labels=True)
x_test, y_test = x_test[:pick(smoke=32, lecture=None)], y_test[:pick(smoke=32, lecture=None)]
clf = digit_classifier()

# %% [markdown]
# ## 1. Diffusion's likelihood: the variational bound
#
# The reverse process $p_\theta(x_{0:T}) = p(x_T) \prod_t p_\theta(x_{t-1} \mid x_t)$ is a
# latent-variable model whose latents $x_{1:T}$ have a fixed encoder, the forward process $q$.
# The ELBO of any latent-variable model (chapter 04) then bounds its likelihood (Ho et al.
# 2020, Eq. 5):
#
# $$-\log p_\theta(x_0) \le \underbrace{\mathrm{KL}(q(x_T \mid x_0)\,\|\,p(x_T))}_{L_T}
# + \sum_{t=2}^{T} \underbrace{\mathbb E_q\,\mathrm{KL}\big(q(x_{t-1} \mid x_t, x_0)\,\|\,
# p_\theta(x_{t-1} \mid x_t)\big)}_{L_{t-1}}
# \underbrace{- \mathbb E_q \log p_\theta(x_0 \mid x_1)}_{L_0} .$$
#
# Every term is a KL between Gaussians, in closed form. With $p_\theta(x_{t-1}\mid x_t) =
# \mathcal N(\tilde\mu_t(\hat x_0, x_t), \sigma_t^2 I)$ the middle terms are
# $\lVert \tilde\mu_t(x_0, x_t) - \tilde\mu_t(\hat x_0, x_t)\rVert^2 / 2\sigma_t^2$ plus a
# variance term, which in the $\epsilon$-parameterisation is a **weighted** version of the
# simple loss: $L_{t-1} = \frac{\beta_t^2}{2\sigma_t^2 \alpha_t (1-\bar\alpha_t)}
# \lVert \epsilon - \epsilon_\theta \rVert^2 + \text{const}$. The simple loss of chapter 07
# drops these weights: it trains every $t$ alike, which gives better samples and a worse bound.
# The last term is a **discrete decoder**: the mass that $\mathcal N(\hat x_0(x_1), \beta_1)$
# puts on the bin of $x_0$'s grey level (17 levels here), so the bound is a bound on the
# probability of the 17-level digit itself, in the same units as chapter 09's bits/dim.
# The bound uses $\sigma_t^2 = \beta_t$; the sampler's $\tilde\beta_t$ gives a much looser one
# (a unit test shows both on Gaussian data, where the exact likelihood is known).
#
# On **discrete** data the last steps are a trap: below the size of a grey level the data
# are already determined, but each term $L_{t-1}$ still charges the network for not predicting
# $x_0$ to a precision of $\sqrt{\beta_t}$, far finer than it was ever trained to. A chain that
# stops at the step $t_0$ where the noise left, $\sqrt{(1-\bar\alpha_{t_0})/\bar\alpha_{t_0}}$,
# is 2.5 times smaller than half a grey level, and decodes there with that standard deviation,
# is another valid latent-variable model with the same network (and sampler, rounded to the
# levels). Its bound is the sum of fewer, better-predicted terms (`diffusion_vlb.discrete_t0`).
# Both are printed; chapter 09 reports the second. Terms are estimated with the 50 largest
# exactly and the rest by stratified sampling over $t$ (`nll_bound`).

# %%
x0 = model.to_model(x_test)
t0 = V.discrete_t0(model, 17)
torch.manual_seed(0)
ts = [t0] + list(range(t0 + 1, model.T + 1, pick(smoke=200, lecture=25))) + [model.T + 1]
terms = {t: V.bound_terms(model, x0, t, None, 17, t0=t).mean().item() if t == t0 else
         V.bound_terms(model, x0, t, None, t0=t0).mean().item() for t in ts}
bpd = {k: V.bits_per_dim(model, x_test, 17, t_samples=pick(smoke=5, lecture=100))
       for k in ("stopping at t0",)}
torch.manual_seed(1)
nll_1 = V.nll_bound(model, x_test, None, 17, 1, t_samples=pick(smoke=5, lecture=100))
bpd["down to t = 1"] = bits_per_dim(nll_1.mean().item(), 64)
bpd_indep = bits_per_dim(independent_pixel_nll(x_train, x_test, levels=17), 64)
print(f"t0 = {t0}: the noise left there is {float(((1 - model.alpha_bar[t0]) / model.alpha_bar[t0]).sqrt()):.3f} "
      f"(half a grey level: {1 / 16:.4f})")
for k, v in bpd.items():
    print(f"DDPM variational bound, chain {k}: {v:.3f} bits/dim (an upper bound)")
print(f"independent pixels: {bpd_indep:.3f} bits/dim; L_T = {terms[model.T + 1]:.1e} nats")

# %%
mid = [t for t in ts if t0 < t <= model.T]
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(mid, [terms[t] / math.log(2) / 64 for t in mid], ".-")
ax.set(xlabel="t", ylabel="L_{t-1}, bits per dim", yscale="log",
       title="the bound's terms: most of it comes from the last, least noisy steps")
fig.tight_layout()

# %% [markdown]
# Stopping at $t_0$ takes the bound from 3.6 to 2.3 bits/dim: the steps below a grey level
# cost more than a bit per pixel and buy nothing. Even so it is only just below the
# independent-pixel baseline printed beside it: the bound of a network trained with the
# simple loss is loose. Its terms fall by orders of magnitude with $t$: nearly all of it is
# spent at small $t$, on the fine detail, where the simple loss puts no extra weight. This is why diffusion
# models trained with the simple loss have good samples but unremarkable likelihood bounds
# (Ho et al. 2020 report at most 3.75 bits/dim on CIFAR-10 with the simple loss, behind
# PixelCNN++'s 2.92), and why models that
# learn their variances or reweight the loss (Nichol and Dhariwal 2021; Kingma et al. 2021)
# close the gap.
#
# ## 2. Editing: DDIM inversion and interpolation
#
# With $\eta = 0$ the DDIM step is deterministic, a step of the probability-flow ODE. Run
# forwards, from $x_0$ to $x_T$, it **inverts** the sampler: `invert` maps a real digit to the
# noise code from which `decode` (DDIM at the same steps) gives it back. Codes can then be
# edited. Interpolating two digits' codes on a straight line leaves the shell of radius
# $\sqrt D$ where Gaussian noise lives (a chord of the sphere is shorter than its radius), so
# we interpolate **spherically** (`slerp`).

# %%
steps = pick(smoke=5, lecture=50)
torch.manual_seed(0)
codes = E.invert(model, x_test, steps, y=y_test)
rec = E.decode(model, codes, steps, y=y_test)
mse_inv = ((rec - x_test) ** 2).mean().item()
print(f"DDIM inversion then decoding, {steps} steps: reconstruction MSE {mse_inv:.4f} "
      f"(pixels in [0, 1]); codes |x_T| / sqrt(D) = {E.mean_norm_ratio(codes):.2f}")

# %%
pairs = [(0, 1), (2, 3), (4, 5)]
rows = []
for a, b in pairs:
    za, zb = codes[a:a + 1], codes[b:b + 1]
    path = torch.cat([E.slerp(za, zb, float(t)) for t in torch.linspace(0, 1, 8)])
    rows.append(E.decode(model, path, steps))  # unconditional: the null label
fig, axes = plt.subplots(2, 1, figsize=(8, 3.4))
viz.image_grid(torch.cat([x_test[:10], rec[:10]]), nrow=10, ax=axes[0],
               title="test digits (top) and their DDIM reconstruction from x_T (bottom)")
viz.image_grid(torch.cat(rows), nrow=8, ax=axes[1],
               title="decoded spherical interpolations between the codes of two test digits")
fig.tight_layout()

# %% [markdown]
# ## 3. Inverse problems with one trained model
#
# A measurement $y = A x$ of an unknown digit $x$: a low-resolution copy ($A$ averages 2x2
# blocks), a blurred one, or a copy with pixels missing. Many images agree with $y$; the
# **null space** of $A$ is what the measurement does not see. The range-null space
# decomposition (Wang et al. 2023, DDNM) writes every image as $A^+ A x + (I - A^+ A) x$:
# the first part is fixed by $y$, the second is free. At every DDIM step we correct the
# model's prediction $\hat x_0$ to $\hat x_0 - A^+(A\hat x_0 - y)$, which makes it agree with
# the measurement and leaves its null-space part to the model. **Denoising** at a known noise
# level $\sigma$ needs no operator at all: $y = x + \sigma n$ scaled by
# $\sqrt{\bar\alpha_{t^*}}$ *is* a draw of $x_{t^*}$ for the step $t^*$ whose noise level
# matches, so the reverse process simply starts there.
#
# The classical baselines: bicubic upsampling, a Gaussian filter, a regularised
# pseudo-inverse (Tikhonov), and filling the missing half with the mean digit. The score is
# how often a classifier of real digits reads the restored digit as the original's label,
# over the test digits, with standard errors, and the PSNR.

# %%
sigma = 0.3
torch.manual_seed(0)
results, examples = [], {}
for name, (A, y, baseline) in tasks(x_test, sigma).items():
    x_hat = E.denoise(model, y, sigma, steps) if A is None else E.restore(model, y, A, steps)
    examples[name] = (baseline, x_hat)
    for method, est in (("diffusion", x_hat), ("classical", baseline)):
        s = _scores(est, x_test, y_test, clf)
        results.append((name, method, s))
agree_orig = (clf.predict(x_test) == y_test).float().mean().item()
print(f"{'task':34s} {'method':10s} {'classifier agreement':>22s} {'PSNR (dB)':>12s}")
for name, method, s in results:
    print(f"{name:34s} {method:10s} {100 * s['agreement']:13.1f}% ± {100 * s['agreement_se']:4.1f} "
          f"{s['psnr_db']:8.2f} ± {s['psnr_se']:.2f}")
print(f"the original test digits: {100 * agree_orig:.1f}% ({len(x_test)} digits)")

# %%
fig, axes = plt.subplots(len(examples), 1, figsize=(8, 1.6 * len(examples)))
for ax, (name, (baseline, x_hat)) in zip(axes, examples.items()):
    viz.image_grid(torch.cat([x_test[:8], baseline[:8].clamp(0, 1), x_hat[:8]]), nrow=8, ax=ax,
                   title=f"{name}: original, classical, diffusion", pad=1)
fig.tight_layout()

# %% [markdown]
# Where the measurement keeps most of the digit (super-resolution, denoising, deblurring),
# diffusion restores digits that the classifier reads as the original more often than the
# classical baselines do, and with a PSNR at least as good: the prior knows what digits look
# like, a filter does not. Inpainting half a digit is different in kind: the missing half can
# belong to several digits, so a sample from the prior is a plausible digit, not necessarily
# the original one, and agreement stays far below the original's. (Chapter 07's RePaint-style
# inpainting has the same limit; more resampling makes the halves fit better, not the guess
# more often right.)
#
# ## 4. Classifier guidance
#
# Chapter 07 steered the digits model towards a requested digit with **classifier-free
# guidance**: the network, trained with label dropout, predicts both $\epsilon_\theta(x_t, y)$
# and $\epsilon_\theta(x_t)$, and $(1 + w)\,\epsilon_\theta(x_t, y) - w\,\epsilon_\theta(x_t)$
# samples $p(x \mid y)^{1+w} p(x)^{-w}$. The older route (Dhariwal and Nichol 2021) keeps the
# diffusion model unconditional and trains a separate **noisy classifier**
# $p_\phi(y \mid x_t)$ on noised images $x_t \sim q(x_t \mid x_0)$ at every $t$. By Bayes,
# $\nabla \log p(x_t \mid y) = \nabla \log p(x_t) + \nabla \log p(y \mid x_t)$, and since
# $\epsilon_\theta = -\sqrt{1 - \bar\alpha_t}\, \nabla \log p(x_t)$ the guided noise
# prediction with scale $s$ is
#
# $$\hat\epsilon(x_t, y) = \epsilon_\theta(x_t) - s \sqrt{1 - \bar\alpha_t}\; \nabla_{x_t} \log p_\phi(y \mid x_t),$$
#
# which samples $p(x)\, p_\phi(y \mid x)^s$. Classifier-free guidance is the same thing with
# the model's *implicit* classifier $p(y \mid x) = p(x \mid y) p(y) / p(x)$:
# $p(x \mid y)^{1+w} p(x)^{-w} \propto p(x)\, p(y \mid x)^{1+w}$. So the two are compared at
# **matched strength** $s = 1 + w$, the same power of a classifier (`gmcourse/guidance.py`).
#
# The classifier is chapter 04's small CNN with one more input channel, holding the noise
# level $\sqrt{1 - \bar\alpha_t}$ (`recipes.NOISY_CLASSIFIER_DIGITS`). How well it reads a
# test digit at each noise level:

# %%
import ipywidgets as W
from gmcourse import figures, guidance, widgets
from gmcourse.benchmarks import guidance as G

noisy = recipes.trained(recipes.NOISY_CLASSIFIER_DIGITS, progress=True)
x0_model = model.to_model(x_test)
torch.manual_seed(0)
for t in (0, 250, 500, 750, 1000):
    xt = model.q_sample(x0_model, t, torch.randn_like(x0_model))
    print(f"t = {t:4d} (noise level {model.one_minus_alpha_bar[t].sqrt():.2f}): "
          f"{100 * noisy.accuracy(xt, t, y_test):5.1f}% of the test digits read correctly")

# %% [markdown]
# Both guidances on the same DDPM, DDIM with 50 steps, the same starting noise for every
# row, 300 samples (30 of each digit), scored by the classifier of real digits (requested
# digit), and by chapter 09's recall and FID against the test digits:

# %%
ws = pick(smoke=(-1.0, 0.0), lecture=G.W)  # powers 0 and 1 in the smoke profile
g_rows, g_samples = G.sweep(model, noisy, clf, x_test, ws, n=pick(smoke=20, lecture=300),
                            steps=steps)
print(f"{'guidance':16s} {'scale':>6s} {'power of p(y|x)':>16s} {'requested digit':>18s} "
      f"{'recall':>7s} {'FID':>6s}")
for r in g_rows:
    print(f"{r['method']:16s} {r['strength']:6.1f} {r['power']:16.1f} "
          f"{100 * r['accuracy']:9.1f}% ± {100 * r['accuracy_se']:3.1f} {r['recall']:7.2f} {r['fid']:6.0f}")
if len(ws) > 2:
    cfg_row, cg_row = G.matched(g_rows)
    print(f"\nclassifier-free guidance first reaches 95% at w = {cfg_row['strength']:g}: "
          f"{100 * cfg_row['accuracy']:.1f}%, recall {cfg_row['recall']:.2f}; classifier "
          f"guidance at s = {cg_row['strength']:g}: {100 * cg_row['accuracy']:.1f}%, recall "
          f"{cg_row['recall']:.2f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for method, style in (("classifier-free", "o-"), ("classifier", "s--")):
    rs = [r for r in g_rows if r["method"] == method]
    powers = [r["power"] for r in rs]
    axes[0].errorbar(powers, [100 * r["accuracy"] for r in rs],
                     yerr=[100 * r["accuracy_se"] for r in rs], fmt=style, label=f"{method} guidance")
    axes[1].plot(powers, [r["recall"] for r in rs], style, label=f"{method} guidance")
axes[0].set(xlabel="strength: power of p(y | x) (s, or 1 + w)", ylabel="requested digit (%)",
            title="fidelity to the label")
axes[1].set(xlabel="strength: power of p(y | x) (s, or 1 + w)", ylabel="recall",
            title="diversity (recall against the test digits)")
for ax in axes:
    ax.legend(fontsize=8)
fig.tight_layout()

# %% tags=["nbval-ignore-output"]
widgets.live(lambda fig, power: figures.draw_two_guidances(fig, g_samples, power),
             figsize=(10, 3.4),
             power=W.SelectionSlider(options=[1 + w for w in ws], value=1.0,
                                     description="strength"))

# %% [markdown]
# How to read it. At matched strength **classifier-free guidance steers harder**: it puts
# 95% of its samples on the requested digit already at $w = 0.5$ (power 1.5), where
# classifier guidance reaches fewer than 80%; a larger $s$ raises classifier guidance's share
# steadily, to about 95% at $s = 5$. **Classifier guidance keeps the diversity**: its recall
# stays near 0.9 over the whole range, while classifier-free guidance's falls to about 0.3 at
# $w = 4$ (its samples of one digit become nearly alike, as in chapter 07). Two reasons.
# The noisy classifier is a separate small network: at high noise it reads a third of the
# digits at $t = 750$ and barely more than chance at $t = T$ (the first table), so in the early steps, where a digit's class is decided,
# its gradient steers little, and part of what it does steer moves the image towards
# features the classifier likes, not towards digits (FID rises at power 1). The implicit
# classifier of classifier-free guidance is the denoiser itself, trained on the same noised
# images at every level, which is why Ho and Salimans (2022) could drop the second network.
# With $w = s = 0$ both are the unconditional model (the first two rows are identical).
#
# ## 5. Latent diffusion
#
# Stable Diffusion (Rombach et al. 2022) does not diffuse pixels. It first trains an
# **autoencoder** $x \mapsto z \mapsto \hat x$ whose latents are much smaller than the
# image, freezes it, and trains the DDPM on the latents $z = E(x)/c$ ($c$ scales them to
# unit variance, so that the forward process ends at $N(0, I)$ as it assumes). Sampling runs
# the reverse process on $z$ and decodes once. Here the autoencoder is chapter 04's VAE with
# 16 latent numbers and a KL weight $\beta = 0.1$ (Rombach et al. use $10^{-6}$): the KL keeps
# the latents near $N(0, I)$; a weight below 1 keeps the reconstructions sharp, and they are
# the floor under the samples' quality. The DDPM on $z$ has an MLP for $\epsilon_\theta$
# instead of chapter 07's UNet (`gmcourse/latent_diffusion.py`, `recipes.LATENT_DDPM_DIGITS`).

# %%
from gmcourse.metrics import classifier_scores

latent, hist_latent = recipes.trained(recipes.LATENT_DDPM_DIGITS, progress=True, history=True)
_, hist_vae = recipes.trained(recipes.autoencoder_of(recipes.LATENT_DDPM_DIGITS),
                              history=True)
_, hist_pixel = recipes.trained(recipes.DDPM_DIGITS, history=True)
recon = latent.decode(latent.encode(x_test))
print(f"stage 1, reconstructions of the test digits: FID {classifier_scores(x_test, recon, clf)['fid']:.1f}")
n_lat = len(x_test)
rows_lat = []
for name, m, sampler in [("pixel DDPM (UNet), DDIM 50", model, lambda m: m.ddim_sample(n_lat, 50)),
                         ("latent DDPM (MLP), DDIM 50", latent, lambda m: m.ddim_sample(n_lat, 50)),
                         ("latent DDPM (MLP), ancestral 1000", latent, lambda m: m.sample(n_lat))]:
    torch.manual_seed(0)
    t0 = time.perf_counter()
    x_lat = sampler(m)
    sec = time.perf_counter() - t0
    s = classifier_scores(x_test, x_lat, clf)
    rows_lat.append({"model": name, "fid": s["fid"], "recall": s["recall"],
                     "samples_per_s": n_lat / sec, "samples": x_lat})
print(f"\n{'model':34s} {'FID':>6s} {'recall':>7s} {'samples/s':>10s}")
for r in rows_lat:
    print(f"{r['model']:34s} {r['fid']:6.1f} {r['recall']:7.2f} {r['samples_per_s']:10.0f}")
print(f"\ntraining (one CPU thread, the machine that trained the shipped models): pixel DDPM "
      f"{hist_pixel.seconds:.0f} s; latent DDPM {hist_latent.seconds:.0f} s "
      f"(+ {hist_vae.seconds:.0f} s for its autoencoder)")
fig, axes = plt.subplots(1, 2, figsize=(10, 2.6))
for ax, r in zip(axes, rows_lat[:2]):
    viz.image_grid(r["samples"][:20], nrow=10, ax=ax, pad=1, title=r["model"])
fig.tight_layout()

# how far the FID of 297 samples moves when only the sampling seed changes
spread = {name: [] for name in ("DDIM 50", "ancestral 1000")}
for seed in range(1, 6):
    for name, draw in (("DDIM 50", lambda: latent.ddim_sample(n_lat, 50)),
                       ("ancestral 1000", lambda: latent.sample(n_lat))):
        torch.manual_seed(seed)
        spread[name].append(classifier_scores(x_test, draw(), clf)["fid"])
for name, f in spread.items():
    print(f"latent DDPM, {name}, sampling seeds 1-5: FID {min(f):.0f} to {max(f):.0f} "
          f"(mean {sum(f) / len(f):.0f})")

# %% [markdown]
# The autoencoder's reconstructions of the test digits reach a FID of 3: the floor is low.
# With 50 DDIM steps the latent model matches the pixel model (FID 74 against 77, recall
# 0.93 against 0.92) at many times its sampling speed (printed: the MLP works on 16
# numbers, the UNet on 64 pixels), and it trained in half the time (33 s against 66 s, plus
# 23 s, once, for the autoencoder). Its ancestral sampler scores FID 119 at this seed, but
# that is not a verdict on the sampler: with the sampling seed alone changed, the same
# model's FID spans tens of points with either sampler (printed for five more seeds), and
# the two ranges overlap. With 297 samples the FID of one draw is a rough number;
# differences of a few points, here and in chapter 09's table, are noise.
# `python -m gmcourse.bench latent_diffusion` scores 1,000 samples of each model over three
# training seeds.
#
# **On 28x28 MNIST** the latent space pays off more: the UNet of a pixel-space DDPM would
# work on 784 pixels at every one of its 1,000 steps, which takes hours on a laptop CPU
# (chapter 07's full profile needs a GPU), while the same two stages as above (a VAE with
# 16 latent numbers, then the MLP DDPM) train and sample in minutes. The cell runs when
# MNIST is on disk (downloaded into `data/`, or a folder named by `GMCOURSE_DATA`); without
# it, it says so (`python -m gmcourse.bench latent_diffusion` prints the same figures).

# %%
from gmcourse.benchmarks.latent_diffusion import mnist_rows

if data.available("mnist", "test"):
    print(recipes.data_note("mnist"))
    mnist_row, = mnist_rows(smoke=pick(smoke=True, lecture=False), fresh=False)
    print(f"autoencoder {mnist_row['autoencoder_train_s']:.0f} s + latent DDPM "
          f"{mnist_row['train_s']:.0f} s of training, {mnist_row['n']} samples (DDIM 50) in "
          f"{mnist_row['sample_s']:.1f} s: {mnist_row['total_s']:.0f} s in all on this CPU")
    print(f"a classifier of real MNIST digits is {100 * mnist_row['value']:.0f}% sure of its "
          f"reading of the samples on average ({100 * mnist_row['real_digits']:.0f}% for real "
          "held-out digits)")
else:
    print("MNIST is not on disk (data/ or GMCOURSE_DATA): the MNIST run is skipped")

# %% [markdown]
# ## What you should now know
#
# * A DDPM is a hierarchical VAE with a fixed encoder: its ELBO bounds the likelihood term by
#   term; the simple loss drops the terms' weights, and the bound is dominated by small $t$.
# * Deterministic DDIM is an ODE: run forwards it inverts the sampler, so real images get
#   noise codes that can be edited or interpolated (spherically).
# * One unconditional model is a prior for every linear inverse problem: correct its
#   prediction onto the measurement at each step and let it fill the null space.
# * Guidance samples $p(x)\,p(y \mid x)^s$: classifier guidance with a classifier trained
#   on noised images, classifier-free guidance with the model's own implicit classifier
#   ($s = 1 + w$). Compare them at matched strength, on fidelity and on diversity.
# * Latent diffusion trains the DDPM on an autoencoder's latents: every step is cheaper, and
#   the autoencoder's reconstructions bound the quality.

# %%
run_time()
