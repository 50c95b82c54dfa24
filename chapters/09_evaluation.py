# %% [markdown]
# # 09 · Evaluating generative models, and every family compared
#
# A generative model is good when its samples look like the data (**fidelity**), cover all
# of it (**diversity**), and — where it has one — its density explains held-out data
# (**likelihood**). No single number measures all three, and the families of this course
# trade them against each other and against **sampling speed**. This chapter builds the
# measuring tools, shows where each one fails, and then measures every family on the same
# data.

# %%
import math

import matplotlib.pyplot as plt
import torch

from gmcourse.config import setup, pick, run_time
from gmcourse import data, viz
from gmcourse.classifier import digit_classifier
from gmcourse.evaluation import (fid_vs_sample_size, matched_moments, matched_moments_scores,
                                 memoriser_log_prob, noise_mixture_nll, reference_sample_sets)
from gmcourse.metrics import (bits_per_dim, classifier_scores, fid, independent_pixel_nll,
                              inception_score, precision_recall)

device = setup(seed=0)
x_train, y_train = data.load_images("digits", "train", labels=True)
x_test, y_test = data.load_images("digits", "test", labels=True)

# %% [markdown]
# ## Likelihood: nats, bits per dimension, and what the data are
#
# A model with a density reports the **negative log-likelihood** of held-out data,
# $-\frac1N \sum_n \log p_\theta(x_n)$, in nats per example. Dividing by the number of
# dimensions $D$ and by $\ln 2$ gives **bits per dimension**, which compares across image
# sizes: $\text{bpd} = \text{NLL}/(D \ln 2)$.
#
# Two conventions must match before two numbers can be compared:
#
# * **Binarized** images ($x \in \{0,1\}^D$, as in the VAE and PixelCNN literature on MNIST):
#   the NLL is a discrete log-probability, at most $D \ln 2$ nats (a fair coin per pixel).
# * **Grey-level** images with $K$ levels ($K = 256$ for 8-bit images; the 8x8 digits have
#   $K = 17$, $16x \in \{0, \dots, 16\}$): discrete models (PixelCNN) give the probability of
#   the levels directly; continuous models (flows) are trained on *dequantized* data $x + u$,
#   $u \sim U[0,1)^D$, and their continuous NLL on $[0, K)^D$ upper-bounds the discrete NLL.
#   Data scaled to $[0,1]$ must add $D \ln K$ nats back.
#
# The floor every image model must beat is a model of **independent pixels**:

# %%
nll_bin = independent_pixel_nll(data.load_images("digits", "train", binarize=True),
                                data.load_images("digits", "test", binarize=True), levels=2)
nll_17 = independent_pixel_nll(x_train, x_test, levels=17)
D = x_train[0].numel()
print(f"independent pixels, binarized digits: {nll_bin:.1f} nats/image = {bits_per_dim(nll_bin, D):.3f} bits/dim")
print(f"independent pixels, 17-level digits:  {nll_17:.1f} nats/image = {bits_per_dim(nll_17, D):.3f} bits/dim")
print(f"a fair coin per binary pixel:          {D * math.log(2):.1f} nats/image = 1 bit/dim")
print(f"uniform over 17 levels per pixel:      {D * math.log(17):.1f} nats/image = "
      f"{math.log2(17):.3f} bits/dim")

# %% [markdown]
# ## Likelihood and sample quality can disagree
#
# **Good likelihood, bad samples** (Theis, van den Oord and Bethge, 2016). Mix any model
# $p$ with pure noise: $q = 0.01\,p + 0.99\,\text{noise}$. Then
# $-\log q(x) \le -\log p(x) + \log 100$: the mixture loses at most $4.6$ nats per image, while
# 99 of every 100 of its samples are noise. On the binarized 8x8 digits that is not small: it
# is 18% of the 25 nats of the independent-pixel model below. But the bound does not grow
# with the image: on CIFAR-10, where a good model needs about 3 bits/dim, some 6,400 nats per
# image, the same 4.6 nats are 0.07% of it, while the samples go from good to 99% noise.

# %%
x_bin_test = data.load_images("digits", "test", binarize=True)
p1 = data.load_images("digits", "train", binarize=True).mean(0).clamp(1 / 1502, 1 - 1 / 1502)
nll_p = -(x_bin_test * p1.log() + (1 - x_bin_test) * (1 - p1).log()).flatten(1).sum(1)
nll_noise = torch.full_like(nll_p, D * math.log(2))
nll_q = noise_mixture_nll(nll_p, nll_noise, w=0.01)
print(f"NLL of p: {nll_p.mean():.2f} nats;  of 0.01 p + 0.99 noise: {nll_q.mean():.2f} nats "
      f"(difference {(nll_q - nll_p).mean():.2f} <= log 100 = {math.log(100):.2f}, "
      f"{100 * (nll_q - nll_p).mean() / nll_p.mean():.0f}% of p's NLL)")
nats_cifar = 3.0 * 32 * 32 * 3 * math.log(2)
print(f"CIFAR-10 at 3 bits/dim: {nats_cifar:.0f} nats per image; 4.6 nats are "
      f"{100 * math.log(100) / nats_cifar:.2f}% of it")

# %% [markdown]
# **Good samples, useless likelihood.** A model that memorises the training set and
# returns its images (plus faint noise) has perfect-looking samples; sample-based scores
# cannot tell it from a model that generalises (the table below shows it). Its likelihood
# can: as a density it is a kernel density estimate with a small bandwidth $h = 0.02$ around
# the 1,500 training images, discretized to the 17 grey levels
# (`evaluation.memoriser_log_prob`), and it gives new digits almost no probability:
#
# %%
bpd_mem_train = bits_per_dim(-memoriser_log_prob(x_train, x_train).mean().item(), D)
bpd_mem_test = bits_per_dim(-memoriser_log_prob(x_train, x_test).mean().item(), D)
print(f"memorising model, 17 levels: {bpd_mem_train:.2f} bits/dim on its own training digits, "
      f"{bpd_mem_test:.1f} bits/dim on the test digits "
      f"(independent pixels: {bits_per_dim(nll_17, D):.2f})")

# %% [markdown]
# On the digits it has seen it is the best model of the course; on held-out digits it is
# ten times worse than independent pixels. Held-out likelihood is the one number here that
# detects memorisation.
#
# ## Scores computed from samples
#
# Sample-based scores compare generated images with real ones in the feature space of a
# network. The literature uses Inception-v3 trained on ImageNet; this course trains its own
# small classifier on real digits (`gmcourse.classifier.digit_classifier`), so nothing is
# downloaded. The numbers below are therefore **"FID with a local classifier"**: they rank
# models against each other, and are not comparable with published FIDs.
#
# * **Inception score** $\text{IS} = \exp\big(\mathbb E_x\, \mathrm{KL}(p(y\mid x)\,\|\,p(y))\big)$:
#   high when each sample is classified confidently (fidelity) and the classes are balanced
#   (diversity across classes). It is $1$ for a constant classifier output and equals the
#   number of classes for confident, class-balanced samples. It never looks at real data.
# * **Fréchet distance (FID)**: fit Gaussians $\mathcal N(\mu_r, \Sigma_r)$ and
#   $\mathcal N(\mu_g, \Sigma_g)$ to real and generated features and report
#   $\|\mu_r - \mu_g\|^2 + \operatorname{Tr}\big(\Sigma_r + \Sigma_g - 2(\Sigma_r\Sigma_g)^{1/2}\big)$.
# * **Precision and recall** (Kynkäänniemi et al., 2019): the fraction of generated samples
#   inside the real data's support (fidelity), and the fraction of real samples inside the
#   generated support (diversity), each support a union of $k$-nearest-neighbour balls.

# %%
clf = digit_classifier()
print(f"local classifier: test accuracy {clf.accuracy(x_test, y_test):.3f}")
# reference: the test split; every set below has as many images
n_eval = len(x_test)
rows = reference_sample_sets(x_train, y_train, n_eval)
print(f"{'sample set (n = %d)' % n_eval:32s} {'FID':>7s} {'IS':>6s} {'precision':>9s} {'recall':>7s}")
scores = {}
for name, x in rows.items():
    s = classifier_scores(x_test, x, clf)
    scores[name] = s
    print(f"{name:32s} {s['fid']:7.1f} {s['is']:6.2f} {s['precision']:9.2f} {s['recall']:7.2f}")

# %% [markdown]
# Read the table row by row. Noisy copies of training images score like real digits: no
# sample-based score can detect memorisation (only a held-out likelihood can). The
# collapsed set has high precision
# (each sample is a good digit) but low recall and a lower Inception score: it covers 3
# of 10 classes. Independent pixels are blurry blobs, far away in FID.
#
# ## Failure modes of FID
#
# **Bias with sample size.** FID estimates two covariance matrices; with few samples they
# are noisy and the distance is inflated, even between two samples of the *same*
# distribution. Compare FIDs only at equal sample sizes.

# %%
f_train, f_test = clf.features(x_train), clf.features(x_test)
bias = fid_vs_sample_size(f_train, f_test, sizes=(25, 50, 100, 200, 297),
                          repeats=pick(smoke=2, lecture=10))
for r in bias:
    print(f"n = {r['n']:4d}: FID(real train, real test) = {r['fid']:.2f} ± {r['std']:.2f}")
fig, ax = plt.subplots(figsize=(5, 3))
ax.errorbar([r["n"] for r in bias], [r["fid"] for r in bias], [r["std"] for r in bias], marker="o")
_ = ax.set(xlabel="samples per side n", ylabel="FID", xscale="log",
           title="FID between two real sets shrinks with n")

# %% [markdown]
# **The Gaussian assumption.** FID only sees means and covariances. Two feature
# distributions with the same first two moments — a Gaussian and two tight clusters — have
# an FID of essentially zero to a Gaussian reference, although they plainly differ. Recall
# sees the difference: the clusters miss the middle and the tails of the reference.

# %%
gauss, clusters = matched_moments()
mm = matched_moments_scores()
print(f"FID to a Gaussian reference: Gaussian {mm['fid_gauss']:.4f}, two clusters {mm['fid_clusters']:.4f}")
print(f"recall:                      Gaussian {mm['recall_gauss']:.2f},   two clusters {mm['recall_clusters']:.2f}")
fig, axes = plt.subplots(1, 2, figsize=(7, 3.2))
viz.plot_samples(gauss, ax=axes[0], title="Gaussian", extent=3.5)
_ = viz.plot_samples(clusters, ax=axes[1], title="same mean and covariance", extent=3.5)

# %% [markdown]
# ## The generative learning trilemma, measured
#
# Every family of the course, trained on the same 1,500 training digits and scored against
# the same 297 test digits, with the tools above. Each model is the one its own chapter
# builds (`digits_gan`, `digits_vae`, ... in each family's module) and is loaded from
# `data/checkpoints/` when that chapter has already trained it. The columns:
#
# * **FID** (local classifier) and **precision**: quality; lower FID and higher precision are better.
# * **recall**: diversity, the share of real test digits inside the samples' support.
# * **bits/dim**: likelihood of the test digits, as 17-level images ($16x \in \{0..16\}$);
#   the flow's value is an upper bound through uniform dequantization, the VAE's an
#   importance-weighted bound. GANs have no likelihood at all. Diffusion and score models
#   have one in principle — a variational bound for DDPM (chapter 07), the exact likelihood of
#   the probability-flow ODE (chapter 08) — but it costs an ODE solve per test image and is
#   not computed here: "-".
# * **samples/s**: how fast the model draws the 297 evaluation samples on this CPU (the
#   sampling time alone; the time to train or load each model is printed separately).
#
# The last reference row is the GAN's own generator **collapsed onto 3 outputs** (every
# latent mapped to one of three images), the extreme of mode collapse: diversity has to
# rank it last, whatever its quality.

# %%
from gmcourse import compare

table = compare.trilemma(x_test, clf, steps=pick(smoke=2, lecture=None),
                         n=pick(smoke=32, lecture=None))

# %%
print(compare.format_table(table))
scored = [r for r in table if "missing" not in r]
trained = [r for r in scored if "load_or_train_s" in r]  # the collapsed GAN was not trained
best_fid = min(trained, key=lambda r: r["fid"])
best_recall = max(trained, key=lambda r: r["recall"])
print(f"\nlowest FID: {best_fid['model']} ({best_fid['fid']:.1f}, recall {best_fid['recall']:.2f}); "
      f"highest recall: {best_recall['model']} ({best_recall['recall']:.2f})")
print(f"recall of the trained models: {min(r['recall'] for r in trained):.2f} to "
      f"{max(r['recall'] for r in trained):.2f}; of the collapsed GAN: "
      f"{min(r['recall'] for r in scored):.2f}")
fast = [r for r in scored if r["samples_per_s"]]
print(f"fastest sampler: {max(fast, key=lambda r: r['samples_per_s'])['model']}; "
      f"slowest: {min(fast, key=lambda r: r['samples_per_s'])['model']}")
by_model = {r["model"]: r for r in scored}
for pixel, lat in [("DDPM (1000 steps)", "latent DDPM (1000 steps)"),
                   ("DDIM (50 steps)", "latent DDIM (50 steps)")]:
    if pixel in by_model and lat in by_model:
        p, q = by_model[pixel], by_model[lat]
        print(f"{lat} against {pixel}: FID {q['fid']:.1f} vs {p['fid']:.1f} "
              f"({q['fid'] / p['fid']:.2f}x), recall {q['recall']:.2f} vs {p['recall']:.2f}, "
              f"{q['samples_per_s'] / p['samples_per_s']:.0f}x the samples per second")
print(f"\n{'seconds':28s} {'train or load':>13s} {'draw the samples':>17s}")
for r in trained:
    print(f"{r['model']:28s} {r['load_or_train_s']:13.1f} {len(r['samples']) / r['samples_per_s']:17.2f}")

# %% [markdown]
# How to read it. Each family is trained for about the same CPU time (some 40 seconds of
# one core; `compare.FAMILIES` lists the steps), so the table compares what a family gets
# from a fixed budget, not what it can reach with unlimited compute. (The "train or load"
# column is short where the model was loaded: the course ships these models trained, in
# `trained/`, and a model this machine trained is kept in `data/checkpoints/`.)
#
# * **Diversity ranks the collapsed generator last**: its recall is zero, although its
#   three images come from the same trained GAN as the row above it. FID punishes it too,
#   but only recall says *why*: the samples miss almost all of the data.
# * **Quality**: the lowest FID, printed under the table, is a diffusion sampler's; in
#   pixel space it is bought with many network calls of a UNet, and DDIM keeps most of that
#   quality with 50 calls instead of 1,000 (latent diffusion, below, makes each call cheap).
#   **Diversity** among the trained models is another matter: their recalls lie close
#   together (printed range), and several families without diffusion's cost reach as high
#   a recall. With one seed and 297 samples, differences of a few hundredths are noise;
#   recall's clear verdict here is the collapsed generator's.
# * **Likelihood** exists here only for the VAE (a bound), the flow (a bound) and PixelCNN
#   (exact), and does not order the models the way FID does: bits/dim rewards covering
#   every pixel's variation, FID rewards samples that look like digits to a classifier.
# * **Speed** spans several orders of magnitude: one network call per sample (GANs, VAE,
#   flow) against one call per pixel (PixelCNN) or per noise level (diffusion, Langevin).
#   That is the trilemma: no family here is best at quality, diversity and speed at once.
# * **Latent diffusion** (chapter 11) moves the trade-off rather than escaping it: the same
#   number of reverse steps on 16 latent numbers with an MLP instead of 64 pixels with a
#   UNet samples many times faster (printed under the table), and its quality is bounded
#   by its autoencoder's reconstructions. Its FIDs beside the pixel model's are single
#   draws of 297 samples, which move by tens of points with the sampling seed alone
#   (chapter 11 measures that spread), so the table does not rank the two.

# %%
shown = [r for r in table if "missing" not in r]
cols = 5
fig, axes = plt.subplots(math.ceil(len(shown) / cols), cols, figsize=(15, 3.4 * math.ceil(len(shown) / cols)))
for ax, r in zip(axes.flat, shown):
    viz.image_grid(r["samples"][:36], nrow=6, ax=ax)
    ax.set_title(r["model"], fontsize=10)
for ax in list(axes.flat)[len(shown):]:
    ax.axis("off")
fig.tight_layout()

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 5))
for i, r in enumerate(shown):
    axes[0].scatter(r["recall"], r["fid"], s=30, label=r["model"], color=f"C{i % 10}",
                    marker="os^"[i // 10])
    if r["samples_per_s"]:
        axes[1].scatter(r["samples_per_s"], r["fid"], s=30, color=f"C{i % 10}", marker="os^"[i // 10])
axes[0].set(xlabel="recall (diversity) →", ylabel="FID, local classifier (log; lower is better)",
            yscale="log", title="quality vs diversity")
axes[0].legend(fontsize=7, loc="upper right")
axes[1].set(xlabel="samples per second (log) →", xscale="log", yscale="log",
            ylabel="FID (log)", title="quality vs sampling speed (same colours)")
fig.tight_layout()

# %% [markdown]
# ## Exercises
#
# Replace each stub (`raise NotImplementedError`) with your answer and run the cell:
# `check(...)` tests it against an independent reference (closed forms for Gaussians,
# scipy's matrix square root, the mutual information of a known joint distribution, Monte
# Carlo) and prints ✓, or what looks wrong with the input, expected and received values.
# Remove the `#` in front of `hint(...)` for a hint. Progress: `python -m gmcourse.exercises`;
# solutions: `solutions/09_evaluation.ipynb`.

# %%
from gmcourse.exercises import check, hint

# %% [markdown]
# **Exercise 09.fid (code).** Write `fid(f_real, f_fake)` for two feature sets of shapes
# $(n, d)$ and $(m, d)$, returning the Fréchet distance of the Gaussians fitted to them (a
# float), without `gmcourse.metrics`. The checker gives it features whose means and
# covariances are known exactly: once with covariances that commute, where
# $\operatorname{Tr}(\Sigma_r\Sigma_g)^{1/2} = \sum_i \sqrt{\lambda_{r,i}\lambda_{g,i}}$ in a
# shared eigenbasis, and once against scipy's `sqrtm`.

# %%
def fid(f_real, f_fake):
    raise NotImplementedError  # your code here


check("09.fid", fid)
# hint("09.fid")

# %% [markdown]
# **Exercise 09.inception_score (code).** Write `inception_score(probs)` for class
# probabilities $p(y \mid x)$ of shape $(n, K)$, one row per sample, returning a float. It
# is checked on confident, class-balanced rows (the score must be $K$), on identical rows
# (1), and on random rows, where it must equal $\exp\big(H(y) - H(y \mid x)\big)$, the
# exponential of the mutual information between samples and labels.

# %%
def inception_score(probs):
    raise NotImplementedError  # your code here


check("09.inception_score", inception_score)
# hint("09.inception_score")

# %% [markdown]
# **Exercise 09.fid_mean_bias (derivation).** The FID between two sets of $n$ samples of the
# *same* distribution is not zero on average. Derive its first term,
# $\mathbb E\lVert \hat\mu_a - \hat\mu_b\rVert^2$, for two independent sets of $n$ points
# from $\mathcal N(\mu, \Sigma)$, and write `mean_term_bias(n, cov)` returning it (a float;
# `cov` is $\Sigma$, $(d, d)$). The checker compares it with a Monte Carlo estimate. How does
# it scale with $n$, and what does that say about the curve above?

# %%
def mean_term_bias(n, cov):
    raise NotImplementedError  # your formula


check("09.fid_mean_bias", mean_term_bias)
# hint("09.fid_mean_bias")

# %% [markdown]
# ## What you should now know
#
# * Likelihoods compare only under the same data convention (binarized, or $K$ grey levels,
#   dequantized or not), in bits/dim; independent pixels are the floor to beat (0.57 bits/dim
#   binarized, 2.42 bits/dim for the 17-level digits).
# * Likelihood and sample quality can disagree both ways: a mixture with 99% noise loses at
#   most $\log 100$ nats, and a memorising model has perfect samples and a terrible held-out
#   likelihood. Only held-out likelihood detects memorisation.
# * FID (here with a local classifier) sees only means and covariances and is biased upwards
#   at small sample sizes: compare FIDs only at equal $n$. Precision and recall separate
#   fidelity from diversity; recall is what exposes mode collapse.
# * No family is best at quality, diversity and sampling speed at once: the generative
#   learning trilemma, measured on one budget and one data set.

# %%
run_time()
