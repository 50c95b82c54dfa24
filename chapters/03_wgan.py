# %% [markdown]
# # 03 · Wasserstein GANs, and a conditional DCGAN on digits
#
# Chapter 02's discriminator estimates the Jensen-Shannon divergence, which is constant
# ($\log 2$) whenever $p$ and $p_g$ have disjoint supports: the generator then gets no
# useful signal. The Wasserstein-1 distance (earth mover's distance, chapter 01) keeps
# growing with how far the mass has to move:
#
# $$W_1(p, p_g) = \inf_{\gamma \in \Pi(p, p_g)} \mathbb E_{(x, y) \sim \gamma} \lVert x - y \rVert. \qquad (1)$$
#
# **Kantorovich-Rubinstein duality** turns the infimum over couplings into a supremum over
# 1-Lipschitz functions, the **critic** $f$:
#
# $$W_1(p, p_g) = \sup_{\lVert f \rVert_L \le 1} \mathbb E_{x \sim p} f(x) - \mathbb E_{x \sim p_g} f(x). \qquad (2)$$
#
# WGAN (Arjovsky et al. 2017) trains a network $f$ to approach the supremum and the
# generator to minimise $-\mathbb E_{p_g} f(G(z))$. The whole difficulty is the constraint
# $\lVert f\rVert_L \le 1$; `gmcourse/gan.py` has three ways to impose it, objects handed to
# the `GAN` (`WeightClipping`, `GradientPenalty`, `SpectralNorm`), and `gmcourse/wgan.py`
# builds the three critics:
#
# | method | how | paper's optimiser |
# |---|---|---|
# | weight clipping | clamp every weight to $[-c, c]$ after each critic step | RMSprop, lr $5\cdot10^{-5}$, 5 critic steps |
# | gradient penalty (GP) | add $\lambda\,\mathbb E(\lVert\nabla f(\hat x)\rVert - 1)^2$ on $\hat x = \epsilon x + (1-\epsilon) G(z)$ | Adam $(0, 0.9)$, lr $10^{-4}$, 5 critic steps |
# | spectral norm (SN) | divide each layer's weight by its largest singular value | Adam $(0.5, 0.999)$, 1 critic step |

# %%
import inspect
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from gmcourse.config import setup, pick, run_time
from gmcourse import data, dists, figures, gan_experiments as ex, metrics, nn as gnn, recipes, viz
from gmcourse.classifier import digit_classifier

device = setup(seed=0)

# %% [markdown]
# ## 1. Why a distance instead of a divergence
#
# The Dirac example of chapter 02: $p = \delta_0$, $p_g = \delta_\theta$. For $\theta \ne 0$,
# $\mathrm{JS} = \log 2$ and $\mathrm{KL} = \infty$ whatever $\theta$ is; $W_1 = |\theta|$ has
# gradient $\pm 1$ everywhere.

# %%
theta = np.linspace(-2, 2, 401)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(theta, np.abs(theta), label="W1(delta_0, delta_theta) = |theta|")
ax.plot(theta, np.where(theta == 0, 0, np.log(2)), label="JS(delta_0, delta_theta)")
ax.set(xlabel="theta", title="distance between two point masses")
_ = ax.legend()

# %% [markdown]
# **Why a penalty on the gradient, and why at $\hat x$.** A differentiable $f$ is
# 1-Lipschitz exactly when $\lVert\nabla f(x)\rVert \le 1$ everywhere. More is true of the
# optimal critic (Gulrajani et al. 2017, Prop. 1): if $\gamma^*$ is an optimal coupling in
# (1) and $(x, y) \sim \gamma^*$, then $f^*(x) - f^*(y) = \lVert x - y\rVert$, so along the
# segment from $y$ to $x$ the critic rises with slope exactly 1, and
# $\nabla f^*(\hat x) = (x - y)/\lVert x - y\rVert$ at every $\hat x = \epsilon x + (1 - \epsilon) y$:
# the optimal critic has gradient norm 1 on the lines between coupled real and generated
# points. Enforcing the constraint everywhere is intractable; WGAN-GP asks for what the
# optimum satisfies where it matters, $\lambda\,\mathbb E(\lVert\nabla f(\hat x)\rVert - 1)^2$ on
# random interpolates of a real and a generated sample (independent pairs, a cheap stand-in
# for coupled ones). It is soft: it pulls the slope towards 1 rather than bounding it.
#
# ## 2. Clipping, gradient penalty and spectral norm: the papers' settings on a short budget
#
# One target, the ring of 8 (chapter 02; VEEGAN/PacGAN setup: radius 1, std 0.01). The
# first three runs use the same generator and critic (MLPs, 3 hidden layers of 64 units),
# each method with its paper's optimiser (the table above), for 1,500 generator steps. The
# fourth is the same Wasserstein objective and gradient penalty tuned for a short budget
# (`gmcourse.recipes.TUNED_WGAN`): penalty weight $\lambda = 1$ instead of 10, 2 critic
# steps instead of 5, Adam with learning rate $10^{-3}$ (ten times the paper's) and
# $\beta_1 = 0$, decayed to 0 by a cosine schedule, a generator of 128 units per layer
# and a critic of 64. It gets 3,000 generator steps, about the training time of the
# paper's WGAN-GP in 1,500 (printed below): its steps are cheaper, two critic steps
# against five. While training we record the critic's estimate
# $\mathbb E_p f - \mathbb E_{p_g} f$ of (2) and the exact $W_1$ between 500 samples of
# each, solved as an optimal transport problem (`gmcourse.divergences.wasserstein`). The
# live view follows the tuned run: the critic's values (red high, blue low) and the samples.

# %%
steps = pick(smoke=60, lecture=recipes.PAPER_STEPS)
runs = {m: recipes.trained_wgan(recipes.paper_wgan(m, steps=steps)) for m in ("clip", "gp", "sn")}
tuned_steps = pick(smoke=60, lecture=recipes.TUNED_STEPS["ring8"])
live = figures.live_gan(data.ring8(), tuned_steps, every=max(1, tuned_steps // 4))
runs["tuned gp"] = recipes.train_wgan(recipes.tuned_wgan("ring8", steps=tuned_steps), callback=live)

# %%
fig, axes = plt.subplots(2, 4, figsize=(16, 7.4))
for j, (m, r) in enumerate(runs.items()):
    ax = axes[0, j]
    ax.plot(r["trace"]["step"], r["trace"]["exact_w1"], "k", label="exact W1 of samples (OT)")
    ax.plot(r["trace"]["step"], r["trace"]["critic"], "C1", label="critic: E_p f - E_pg f")
    ax.axhline(0, color="0.7", lw=0.8)
    ax.set(title=f"{m}: Lipschitz constant ~ {r['lipschitz']:.2f}", xlabel="generator step",
           ylabel="distance (units of x)")
    ax.legend(fontsize=8)
    cov = r["coverage"]
    figures.draw_gan_state(fig, r["gan"], r["target"], ax=axes[1, j],
                           title=f"{m}: {cov.modes}/{cov.total} modes\n"
                                 f"{100 * cov.high_quality:.1f}% high quality")
fig.tight_layout()
for m, r in runs.items():
    print(f"{m:8s} {r['coverage']}; critic Lipschitz ~ {r['lipschitz']:.2f}; "
          f"exact W1 at the end {r['trace']['exact_w1'][-1]:.3f}; trained in {r['seconds']:.0f} s")

# %% [markdown]
# How to read it (one seed; a test checks the claims below at these settings):
#
# * With **clipping** at $c = 0.01$ every weight is tiny, so a 3-layer critic's Lipschitz
#   constant is far below 1: its estimate is $W_1$ times an unknown, small factor, close to
#   0 on this scale. Small $c$ gives a weak critic and slow progress, large $c$ an
#   unstable one; Arjovsky et al. call clipping "a clearly terrible way to enforce a
#   Lipschitz constraint".
# * The **gradient penalty** at the paper's settings is soft (the measured constant can
#   exceed 1), and five critic steps per generator step do not bring the critic to its
#   optimum while the generator keeps moving: the estimate lags the exact $W_1$, swings
#   below 0 (a critic that ranks the fakes above the data for a while) and oscillates.
# * **Spectral normalisation** makes every layer 1-Lipschitz, so the whole critic is at
#   most 1-Lipschitz, usually much less (the product of per-layer bounds is loose): its
#   estimate is a small lower bound of $W_1$. Its training is the smoothest of the three.
#
# None of the three paper-default runs gets even 15% of its samples within 3 standard
# deviations of a mode. That is the budget, not the idea: the papers' settings were chosen
# for images and $10^5$ generator steps, and a learning rate of $5\cdot10^{-5}$ or
# $10^{-4}$ moves the generator too little in 1,500 steps to gather mass into modes 0.01
# wide. The **tuned** run uses the same objective and penalty and covers all 8 modes with
# more than 75% of its samples high quality, for about the training time of the paper's
# WGAN-GP (printed above). A ten times larger learning rate moves mass fast; the cosine decay then
# shrinks the steps, so that the last ones sharpen the modes instead of moving mass between
# them; two critic steps instead of five spend the compute on generator steps (twice as
# many in the same time); and a
# weight $\lambda = 1$ keeps the penalty from dominating a loss whose scale here is a
# distance of about 1. (Which of these changes buys how much is not separated here.)
# The live view above ends with sharp modes and the critic's red bumps on them, thin
# threads of samples still joining neighbouring modes; the paper-default WGAN-GP's samples
# lie on one arc across the ring, and its critic is a smooth slope along that arc.
#
# The critic's number is a training signal, not a measurement; the exact $W_1$ of samples
# (chapter 01) is the one to report. Only with the generator held fixed does the critic
# converge to $W_1$: against $p_g = \mathcal N((2, 0), 0.25 I)$, $p = \mathcal N(0, 0.25 I)$
# ($W_1 = 2$, a shift), 300 critic steps with the gradient penalty:

# %%
fixed = ex.critic_vs_exact(seed=0, steps=300)
print(f"exact W1 of samples {fixed['exact_w1']:.3f} (true {fixed['true_w1']:.1f}); critic's "
      f"estimate {fixed['critic']:.3f}, {100 * abs(fixed['critic'] / fixed['exact_w1'] - 1):.1f}% off")

# %% [markdown]
# Within 15% of the exact value (a test checks it): the penalty is soft, so the critic's
# slope, and with it the estimate, can exceed 1 a little.
#
# ### The tuned Wasserstein GAN on the grid of 25
#
# The same recipe on the harder target, at its full budget of 8,000 generator steps (the
# cosine schedule needs the whole run; `python -m gmcourse.bench gan` measures 3 seeds of
# both targets and a test asserts at least 24 of 25 modes with at least 75% high-quality
# samples on each):

# %%
grid = recipes.trained_wgan(recipes.tuned_wgan("grid25", steps=pick(smoke=60, lecture=None)))
fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
axes[0].plot(grid["trace"]["step"], grid["trace"]["exact_w1"], "k", label="exact W1 of samples (OT)")
axes[0].plot(grid["trace"]["step"], grid["trace"]["critic"], "C1", label="critic: E_p f - E_pg f")
axes[0].set(xlabel="generator step", ylabel="distance (units of x)",
            title="tuned WGAN-GP on grid-25")
axes[0].legend(fontsize=8)
figures.draw_gan_state(fig, grid["gan"], grid["target"], n=2500, ax=axes[1], title=str(grid["coverage"]))
fig.tight_layout()
print(f"grid-25, tuned WGAN-GP: {grid['coverage']}; trained in {grid['seconds']:.0f} s")

# %% [markdown]
# ## 3. DCGAN: the architecture guidelines
#
# Radford et al. (2016) found a convolutional GAN that trains reliably by following a few
# rules, all in `gmcourse.nn.DCGenerator` / `DCDiscriminator`:
#
# * strided convolutions instead of pooling (the discriminator down-samples, the generator
#   up-samples with transposed convolutions);
# * batch normalisation in both networks (not on the generator's output or the
#   discriminator's input; not in a WGAN-GP critic, whose penalty is per sample);
# * ReLU in the generator, LeakyReLU(0.2) in the discriminator;
# * Adam with learning rate $2\cdot10^{-4}$ and $\beta_1 = 0.5$.
#
# We use a sigmoid instead of tanh at the output because the course's images lie in
# $[0, 1]$. The **conditional** version (Mirza & Osindero 2014) gives the generator a
# learned embedding of the label $y$ and makes the discriminator a projection
# discriminator (Miyato & Koyama 2018): $d(x, y) = w^\top h(x) + e_y^\top h(x)$.

# %%
print(inspect.getsource(gnn.DCGenerator.forward))
print(inspect.getsource(gnn.DCDiscriminator.forward))

# %% [markdown]
# ## 4. A conditional DCGAN on 8x8 digits
#
# Trained here on CPU (the checkpoint is reused when the chapter runs again). Each row
# asks for one class. A classifier trained on real digits
# (`gmcourse.classifier.digit_classifier`) then labels the samples.

# %%
t0 = time.perf_counter()
cgan = recipes.trained(recipes.CGAN_DIGITS, progress=True)
print(f"conditional DCGAN ready in {time.perf_counter() - t0:.0f} s (trained, or loaded)")
labels = torch.arange(10).repeat_interleave(10)
x = cgan.sample(100, labels)
fig, ax = plt.subplots(figsize=(6, 6))
viz.image_grid(x, nrow=10, ax=ax, title="conditional DCGAN: row k asks for digit k")
y_eval = torch.arange(1000) % 10
acc = digit_classifier().accuracy(cgan.sample(1000, y_eval), y_eval)
print(f"samples classified as the requested class: {100 * acc:.1f}%")

# %% [markdown]
# At the lecture setting (2,500 steps) at least 90% of the samples are classified as the
# class that was asked for (a test checks it). An unconditional DCGAN and a WGAN-GP on the
# same digits, `recipes.GAN_DIGITS` and `recipes.WGAN_GP_DIGITS`, enter chapter 09's
# comparison of all the course's models.
#
# **Where the generator sees the label.** Above, $G$ gets an embedding of $y$ beside $z$
# at its input only, and must carry the class through every later layer itself. The
# lecture's advice, and what BigGAN does, is to give every layer the label: each batch
# norm's gain and bias become functions of $y$ (conditional batch norm, de Vries et al.
# 2017; `nn.ConditionalBatchNorm`). The same recipe with the label in every layer
# (`recipes.CGAN_CBN_DIGITS`, seed 0, 2,500 steps, shipped with the course), scored as
# chapter 09 scores every model:

# %%
cgan_cbn = recipes.trained(recipes.CGAN_CBN_DIGITS, progress=True)
x_digits = data.load_images("digits", "test")
conditioning = {}
for name, model in (("label at the input", cgan), ("label in every layer", cgan_cbn)):
    s_c = conditioning[name] = metrics.conditional_scores(model, x_digits)
    print(f"{name:22s} classified as requested {100 * s_c['classified as requested']:.1f}%  "
          f"FID {s_c['fid']:.1f}  precision {s_c['precision']:.2f}  recall {s_c['recall']:.2f}")

# %% [markdown]
# On 8x8 digits both are classified as the class asked for about 98% of the time (tested),
# and neither is ahead on every score: the input-only generator has the lower FID here, the
# every-layer one the higher share classified as requested. Another seed changes these
# differences more than the choice does (`python -m gmcourse.bench gan --only
# conditioning` trains three of each). Ten classes of small images are an easy condition to
# carry; the advice pays where the class must shape many layers of a large generator, as
# with BigGAN's thousand ImageNet classes.
#
# ### The generator's latent space: interpolation and truncation
#
# $G$ is continuous, so a path between two latent codes is a path between two images. Which
# path matters in high dimension: $z \sim \mathcal N(0, I_d)$ has $|z| \approx \sqrt d$
# (here $d = 32$, $\sqrt d = 5.7$), and the midpoint of the straight line between two such
# codes, nearly orthogonal, has only about $1/\sqrt 2$ of that norm, where the generator
# has seen few codes during training. Spherical interpolation (slerp, White 2016) follows
# the great circle and keeps the norm. Below, one digit class, the same two end codes,
# linear then spherical; the third row keeps one code and changes the label: the
# conditional generator holds the style (slant, thickness) in $z$ and the class in $y$.

# %%
g_z = torch.Generator().manual_seed(11)
z0, z1 = torch.randn(2, cgan.latent_dim, generator=g_z).unbind()
w = torch.linspace(0, 1, 10)
three = torch.full((10,), 3)
paths = {"linear": torch.lerp(z0, z1, w[:, None]), "spherical": dists.slerp(z0, z1, w)}
rows = [cgan.sample(10, three, z=z) for z in paths.values()]
rows.append(cgan.sample(10, torch.arange(10), z=z0.expand(10, -1)))
fig, ax = plt.subplots(figsize=(8, 2.8))
viz.image_grid(torch.cat(rows), nrow=10, ax=ax,
               title="digit 3 from z0 to z1: linear (top), spherical (middle); z0 with labels 0-9")
print(f"|z0| = {z0.norm():.2f}, |z1| = {z1.norm():.2f}; at the midpoint: linear "
      f"{paths['linear'][5].norm():.2f}, spherical {paths['spherical'][5].norm():.2f}")

# %% [markdown]
# On 8x8 digits the two rows look alike: this small generator tolerates the shorter codes,
# and the norms printed above are what differs.
#
# **The truncation trick** (Brock et al. 2019, BigGAN, Sec. 3.1) samples $z$ from a
# truncated normal: every coordinate with $|z_i| > \tau$ is redrawn
# (`gan.truncated_latents`). Codes near the centre give the generator's most typical
# images; a smaller $\tau$ buys fidelity with variety. Chapter 09's precision and recall
# measure exactly these two (in the local classifier's features, against the test digits):
# the curve below runs from no truncation ($\tau = \infty$) to $\tau = 0.75$, each point
# the mean of three draws of 297 samples, for this chapter's conditional DCGAN and for the
# unconditional DCGAN chapter 09 compares.

# %%
thresholds = (0.75, 1.0, 1.25, 1.5, 2.0, 2.5, float("inf"))
curves = {"conditional DCGAN": metrics.truncation_curve(cgan, x_digits, thresholds),
          "unconditional DCGAN": metrics.truncation_curve(recipes.trained(recipes.GAN_DIGITS),
                                                          x_digits, thresholds)}
fig, ax = plt.subplots(figsize=(6, 4.2))
for name, rows_t in curves.items():
    ax.plot([r["recall"] for r in rows_t], [r["precision"] for r in rows_t], "o-", label=name)
    for r in rows_t:
        ax.annotate(f"{r['threshold']:g}", (r["recall"], r["precision"]), fontsize=7,
                    xytext=(3, -9), textcoords="offset points")
ax.set(xlabel="recall (variety)", ylabel="precision (fidelity)", xlim=(0, 1), ylim=(0, 1.02),
       title="truncation threshold tau on each point")
ax.legend(loc="lower right")
for name, rows_t in curves.items():
    print(name + ": " + ", ".join(f"tau {r['threshold']:g}: P {r['precision']:.2f} R {r['recall']:.2f}"
                                  for r in rows_t))

# %% [markdown]
# The conditional DCGAN shows the trade the BigGAN paper describes: from no truncation to
# $\tau = 0.75$ its precision rises from 0.93 to 0.99 and its recall falls from 0.80 to
# 0.13, monotonically along the way. The unconditional DCGAN gains almost nothing (its
# best precision, 0.77 at $\tau = 2.5$, against 0.74 untruncated) and below $\tau = 1.5$
# loses both: at $\tau = 0.75$ precision 0.21 and recall 0.27 (tested). Without a label
# the centre of its latent space is where the classes meet, and it draws blends that are
# no digit; with the label fixed, the centre is the class's most typical style. BigGAN saw
# the same: some of its models were "not amenable to truncation" until an orthogonal
# regulariser made $G$ smooth there.
#
# ## 5. The same code on real datasets
#
# `DCGenerator` and `DCDiscriminator` take the image shape, so the code above trains on
# 28x28 MNIST and Fashion-MNIST and 3x32x32 CIFAR-10 unchanged. In the `full` profile on a
# GPU (`GMCOURSE_PROFILE=full`) the cell below trains each for 20,000 steps with
# bfloat16 mixed precision; in the `smoke` profile it runs a few steps on CPU on the MNIST
# test split when that is available offline (`GMCOURSE_DATA`), and in the lecture profile it
# does nothing. Without a train split on disk the full profile trains on all but 1,000 test
# images; the cell prints which images and which device it used.

# %%
datasets = pick(smoke=["mnist"], lecture=[], full=["mnist", "fashion_mnist", "cifar10"])
for name in datasets:
    if not data.available(name, "test"):
        print(f"{name} is not available offline; skipped")
        continue
    full = pick(smoke=False, lecture=False, full=True)
    split, limit = recipes.training_part(name) if full else ("test", 512)
    print(recipes.data_note(name) if full else f"{name}: the first {limit} test images",
          f"| device {device}")
    recipe = recipes.dcgan("gan", conditional=True, dataset=name, split=split, limit=limit,
                           steps=pick(smoke=5, lecture=5, full=20_000),
                           batch_size=pick(smoke=64, lecture=64, full=128))
    model, _ = recipes.train(recipe, device=device, steps=recipe.config.train.steps)
    fig, ax = plt.subplots(figsize=(6, 6))
    viz.image_grid(model.sample(100, torch.arange(100, device=device) % 10).cpu(), nrow=10,
                   ax=ax, title=f"conditional DCGAN on {name} ({recipe.config.train.steps} steps)")

# %% [markdown]
# ## Exercises
#
# Replace each stub (`raise NotImplementedError` or `...`) with your answer and run the
# cell: `check(...)` tests it against an independent reference (critics whose gradient norm
# is known, a critic trained with your penalty, the quantile formula of $W_1$, spectral norms)
# and prints ✓, or what looks wrong with the input, expected and received values. Remove
# the `#` in front of `hint(...)` for a hint. Progress: `python -m gmcourse.exercises`;
# solutions: `solutions/03_wgan.ipynb`.

# %%
from gmcourse.exercises import check, hint

# %% [markdown]
# **Exercise 03.critic_loss (code).** Write `critic_loss(f_real, f_fake)`: the loss an
# optimiser *minimises* to train the critic, from its values on a batch of real and a batch
# of generated samples (tensors of shape `(n, 1)` and `(m, 1)`). The checker also takes one
# gradient step on it and checks that the critic's estimate of $W_1$ goes up.

# %%
def critic_loss(f_real, f_fake):
    raise NotImplementedError  # your code here


check("03.critic_loss", critic_loss)
# hint("03.critic_loss")

# %% [markdown]
# **Exercise 03.gradient_penalty (code).** Write `gradient_penalty(f, x_real, x_fake, lam)`:
# the WGAN-GP penalty $\lambda\,\mathbb E(\lVert\nabla f(\hat x)\rVert - 1)^2$ at
# $\hat x = \epsilon x + (1 - \epsilon) G(z)$, one $\epsilon \sim U[0, 1]$ per sample, as a 0-d
# tensor that can be back-propagated into the critic `f` (a module mapping `(n, 2)` to
# `(n, 1)`). Besides exact values on linear critics, the checker trains a small critic with
# your penalty between two Gaussians 3 apart: it must come out about 1-Lipschitz, with
# $\mathbb E_p f - \mathbb E_q f \approx W_1 = 3$ (a few seconds).

# %%
def gradient_penalty(f, x_real, x_fake, lam=10.0):
    raise NotImplementedError  # your code here


check("03.gradient_penalty", gradient_penalty)
# hint("03.gradient_penalty")

# %% [markdown]
# **Exercise 03.w1_scales (derivation).** Derive $W_1\big(\mathcal N(0, s_1^2), \mathcal N(0, s_2^2)\big)$
# in one dimension in closed form and write it as `w1_scales(s1, s2)`.

# %%
def w1_scales(s1, s2):
    raise NotImplementedError  # your formula


check("03.w1_scales", w1_scales)
# hint("03.w1_scales")

# %% [markdown]
# **Exercise 03.clip_bound (derivation).** Weight clipping keeps every entry of a layer's
# weight $W \in \mathbb R^{n_\text{out} \times n_\text{in}}$ in $[-c, c]$. What is the largest
# spectral norm $\lVert W\rVert_2$ (the layer's Lipschitz constant) such a matrix can have?
# Write `clip_bound(n_out, n_in, c)`; then use it to explain why section 2's clipped critic
# is far below 1-Lipschitz.

# %%
def clip_bound(n_out, n_in, c):
    raise NotImplementedError  # your formula


check("03.clip_bound", clip_bound)
# hint("03.clip_bound")

# %% [markdown]
# **Summary: what you should now know.**
#
# * $W_1$ keeps a useful gradient where the JS divergence saturates (disjoint supports), and
#   by Kantorovich-Rubinstein duality a 1-Lipschitz critic estimates it.
# * Clipping, the gradient penalty and spectral normalisation are three ways to keep the
#   critic Lipschitz; each leaves it with a different, unknown constant, so the critic's
#   number is a training signal: report the exact $W_1$ of samples instead. Only with the
#   generator held fixed does the critic converge to $W_1$.
# * The papers' optimiser settings fail on a lecture's budget; the same objective and
#   penalty with a larger, decaying learning rate, fewer critic steps and a smaller
#   penalty weight cover the ring and the grid.
# * With DCGAN's architecture rules the adversarial game produces sharp digits of the
#   requested class in the training time printed above.

# %%
run_time()
