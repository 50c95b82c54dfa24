# %% [markdown]
# # 07 · Denoising diffusion: the forward process, the epsilon loss, DDIM and guidance
#
# A diffusion model (Sohl-Dickstein et al. 2015; Ho, Jain and Abbeel 2020) learns to undo a
# fixed process that destroys data. The **forward process** adds a little Gaussian noise in
# each of $T$ steps until nothing of the data is left; a network learns to predict the noise
# that was added, and the **reverse process** starts from pure noise and removes it step by
# step. There is no adversary and no encoder to train: one regression loss.
#
# The code is `gmcourse/diffusion.py`: `DDPM(eps_model, beta)` holds the schedule and has the
# lecture's verbs `q_sample`, `posterior`, `loss`, `sample` (ancestral) and `ddim_sample`.

# %%
import time

import matplotlib.pyplot as plt
import torch

from gmcourse.config import capped, setup, pick, run_time
from gmcourse import data, diffusion, recipes, viz, figures, widgets
from gmcourse.bench import format_table
from gmcourse.classifier import digit_classifier
from gmcourse.divergences import wasserstein_batches
from gmcourse.metrics import mode_coverage

device = setup(seed=0)

# %% [markdown]
# ## The forward process
#
# Pick a **noise schedule** $\beta_1, \dots, \beta_T \in (0, 1)$ and define a Markov chain
# that shrinks the data a little and adds noise:
#
# $$q(x_t \mid x_{t-1}) = \mathcal N\big(x_t;\ \sqrt{1-\beta_t}\, x_{t-1},\ \beta_t I\big).$$
#
# The shrinking keeps the variance bounded: if $\operatorname{Var} x_{t-1} = 1$ then
# $\operatorname{Var} x_t = (1-\beta_t) + \beta_t = 1$. With $\alpha_t = 1-\beta_t$ and
# $\bar\alpha_t = \prod_{s \le t} \alpha_s$, two steps combine into one Gaussian
# ($\sqrt{\alpha_t}(\sqrt{\alpha_{t-1}}x_{t-2} + \sqrt{1-\alpha_{t-1}}\,\epsilon') +
# \sqrt{1-\alpha_t}\,\epsilon''$ has variance $\alpha_t(1-\alpha_{t-1}) + 1 - \alpha_t =
# 1 - \alpha_t\alpha_{t-1}$), and by induction we get the **closed form**
#
# $$q(x_t \mid x_0) = \mathcal N\big(x_t;\ \sqrt{\bar\alpha_t}\, x_0,\ (1-\bar\alpha_t) I\big),
# \qquad x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon,\quad
# \epsilon \sim \mathcal N(0, I).$$
#
# We can jump to any $t$ in one step. (A unit test chains the steps $q(x_t \mid x_{t-1})$
# on many points and checks the closed form's mean and variance by Monte Carlo.)
#
# Two schedules: Ho et al.'s **linear** $\beta_t$ from $10^{-4}$ to $0.02$, and Nichol and
# Dhariwal's **cosine** schedule, defined through $\bar\alpha_t \propto \cos^2\!\big(\tfrac{t/T +
# s}{1+s}\tfrac{\pi}{2}\big)$, which destroys information more slowly at the start.

# %%
T = 1000
schedules = {name: diffusion.DDPM(torch.nn.Identity(), f(T)) for name, f in diffusion.SCHEDULES.items()}
fig, axes = plt.subplots(1, 2, figsize=(10, 3))
for name, q in schedules.items():
    axes[0].plot(q.alpha_bar, label=name)
    axes[1].plot(q.alpha_bar / q.one_minus_alpha_bar, label=name)
axes[0].set(xlabel="t", ylabel=r"$\bar\alpha_t$", title="signal left in $x_t$")
axes[1].set(xlabel="t", ylabel=r"SNR $\bar\alpha_t / (1-\bar\alpha_t)$", yscale="log",
            title="signal-to-noise ratio")
axes[0].legend()
fig.tight_layout()

# %% [markdown]
# On the 2D **ring of eight Gaussians** the forward process first blurs the modes, then the
# ring, and ends in a standard normal. On digits the cosine schedule keeps the digit
# recognisable for longer.

# %%
ring = data.ring8()
x0 = ring.sample(2000)
q = schedules["cosine"]
show_t = [0, 100, 250, 500, 750, 1000]
fig, axes = plt.subplots(2, len(show_t), figsize=(15, 5))
for ax, t in zip(axes[0], show_t):
    xt = q.q_sample(x0, t, torch.randn_like(x0)) if t else x0
    viz.plot_samples(xt, ax=ax, extent=3, s=1, title=f"t = {t}")
    ax.set_xticks([]), ax.set_yticks([])
digit = data.load_images("digits", "train")[:1] * 2 - 1  # images live in [-1, 1]
eps = torch.randn_like(digit)
for ax, t in zip(axes[1], show_t):
    rows = [q_.q_sample(digit, t, eps) if t else digit for q_ in schedules.values()]
    viz.image_grid((torch.cat(rows) + 1) / 2, nrow=1, ax=ax)
axes[1, 0].set_title("top: linear, bottom: cosine", fontsize=9)
fig.tight_layout()

# %% [markdown]
# ## The reverse process and the loss
#
# Generation runs the chain backwards: $x_T \sim \mathcal N(0, I)$, then
# $x_{t-1} \sim p_\theta(x_{t-1} \mid x_t)$. The true reverse step $q(x_{t-1}\mid x_t)$ needs
# the whole data distribution, but **conditioned on $x_0$** it is a Gaussian we can write
# down. By Bayes, $q(x_{t-1} \mid x_t, x_0) \propto q(x_t \mid x_{t-1})\, q(x_{t-1} \mid x_0)$,
# a product of two Gaussians in $x_{t-1}$ (precisions add, means are precision-weighted):
#
# $$q(x_{t-1} \mid x_t, x_0) = \mathcal N\big(\tilde\mu_t(x_t, x_0), \tilde\beta_t I\big),\quad
# \tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\, x_0
#             + \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\, x_t,\quad
# \tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t .$$
#
# The ELBO of the model $p_\theta(x_{0:T})$ is a sum of KL divergences
# $\mathrm{KL}\big(q(x_{t-1}\mid x_t, x_0)\,\|\,p_\theta(x_{t-1}\mid x_t)\big)$ between
# Gaussians. Ho et al. give $p_\theta$ the posterior's form with $x_0$ replaced by a
# prediction; writing $x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon)/\sqrt{\bar\alpha_t}$, the
# mean becomes
#
# $$\mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,
# \epsilon_\theta(x_t, t)\Big),$$
#
# and each KL term is, up to a weight, $\|\epsilon - \epsilon_\theta(x_t, t)\|^2$. Dropping the
# weights gives the **simple loss** (Algorithm 1): draw $x_0$, $t \sim \mathcal U\{1..T\}$,
# $\epsilon \sim \mathcal N(0, I)$, and regress
#
# $$L = \mathbb E\,\big\|\epsilon - \epsilon_\theta\big(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon,\ t\big)\big\|^2 .$$
#
# Sampling (Algorithm 2) applies $x_{t-1} = \mu_\theta(x_t, t) + \sigma_t z$ for $t = T..1$;
# we use $\sigma_t^2 = \tilde\beta_t$, which is $0$ at the last step. The code:

# %%
import inspect
print(inspect.getsource(diffusion.DDPM.loss))
print(inspect.getsource(diffusion.DDPM.p_step))

# %% [markdown]
# ## Training on the ring of eight Gaussians
#
# The modes of ring-8 have a standard deviation of $0.01$ on a circle of radius 1 (the
# VEEGAN/PacGAN benchmark). The noise predictor must therefore change on a scale of $0.01$
# near each mode; a plain MLP learns this slowly, so its input is first lifted to random
# Fourier features (`nn.FourierTimeMLP`), and the cosine schedule spends more steps at the
# low noise levels where the modes are resolved.

# %%
T = pick(smoke=100, lecture=1000)  # diffusion steps of the trained models
toy_recipe = recipes.DDPM_RING.but(T=T)
toy, toy_hist = recipes.trained(toy_recipe, progress=True, history=True)
n_toy = pick(smoke=300, lecture=2000)
torch.manual_seed(1)
t0 = time.perf_counter()
x_anc, path = toy.sample(n_toy, return_path=True)
t_anc = time.perf_counter() - t0
cov = mode_coverage(x_anc, ring)
print(f"ancestral sampling, {toy.T} steps: {cov}; largest mode-weight error "
      f"{cov.weight_error(ring):.3f}")
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
viz.plot_history(toy_hist, ax=axes[0], smooth=50, title="epsilon loss")
viz.plot_samples(ring.sample(n_toy), ax=axes[1], extent=1.5, s=1, title="data")
viz.plot_samples(x_anc, ax=axes[2], extent=1.5, s=1, title="DDPM samples")
fig.tight_layout()

# %% [markdown]
# ## Sampling trajectories
#
# Each sample starts as Gaussian noise and drifts, with shrinking random kicks, to a mode.
# The snapshots show the whole population at a few times; the right panel follows eight
# particles. Early steps decide which mode a particle will reach; the last hundred steps
# mostly sharpen it (printed below the figure: how many particles are already nearest to
# their final mode at $t = 500$, 300 and 100; by $t = 100$ it is 97%).

# %%
fig, axes = plt.subplots(1, 6, figsize=(16, 3))
for ax, t in zip(axes[:5], [toy.T * k // 10 for k in (10, 6, 3, 1, 0)]):
    viz.plot_samples(path[toy.T - t], ax=ax, extent=3, s=1, title=f"$x_{{{t}}}$")
    ax.set_xticks([]), ax.set_yticks([])
for i in range(8):
    axes[5].plot(path[:, i, 0], path[:, i, 1], lw=0.5)
    axes[5].plot(*path[-1, i], "k.", ms=4)
axes[5].set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", title="8 trajectories")
fig.tight_layout()
final_mode = ring.component(path[-1])
for t in (toy.T // 2, 3 * toy.T // 10, toy.T // 10):  # 500, 300, 100 when T = 1000
    same = (ring.component(path[toy.T - t]) == final_mode).float().mean()
    print(f"at t = {t}: {100 * same:.1f}% of the particles are already nearest to the mode they end in")

# %% [markdown]
# ## DDIM: the same model, fewer steps
#
# Song, Meng and Ermon (2021) noticed that the loss only uses the marginals
# $q(x_t \mid x_0)$, so any process with these marginals shares the trained
# $\epsilon_\theta$. **A sketch of why.** For $s < t$ and any $\sigma \ge 0$ define
#
# $$q_\sigma(x_s \mid x_t, x_0) = \mathcal N\Big(\sqrt{\bar\alpha_s}\,x_0 + \sqrt{1-\bar\alpha_s-\sigma^2}\;
#   \frac{x_t - \sqrt{\bar\alpha_t}\,x_0}{\sqrt{1-\bar\alpha_t}},\ \sigma^2 I\Big).$$
#
# If $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon$, the fraction is just $\epsilon$,
# so $x_s = \sqrt{\bar\alpha_s}x_0 + \sqrt{1-\bar\alpha_s-\sigma^2}\,\epsilon + \sigma z$ with $z$
# independent of $\epsilon$: its mean is $\sqrt{\bar\alpha_s}x_0$ and its variance
# $(1-\bar\alpha_s-\sigma^2) + \sigma^2 = 1-\bar\alpha_s$. That is exactly $q(x_s \mid x_0)$, for
# every $\sigma$: the marginals, and therefore the training loss, do not depend on $\sigma$.
# At sampling time $x_0$ is unknown, so we plug in the network's estimates: $\hat x_0$ for
# $x_0$ and $\epsilon_\theta(x_t, t)$ for the fraction. Choosing $\sigma$ through a parameter
# $\eta$ gives the family of steps from $x_t$ to any earlier $x_s$:
#
# $$x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s-\sigma^2}\;\epsilon_\theta(x_t, t)
# + \sigma z,\qquad \hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta(x_t,t)}{\sqrt{\bar\alpha_t}},\quad
# \sigma = \eta\sqrt{\frac{1-\bar\alpha_s}{1-\bar\alpha_t}}\sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_s}} .$$
#
# $\eta = 1$ with every step is the ancestral sampler (a unit test checks they agree
# exactly); $\eta = 0$ is deterministic — a discretised ODE — and tolerates large jumps
# between timesteps. With $S$ steps DDIM visits $t = 1 + iT/S$; it does not start at $t = T$
# itself, where the cosine schedule leaves $\bar\alpha_T \approx 10^{-9}$ and the estimate
# $\hat x_0$ would divide the network's error by $\sqrt{\bar\alpha_T}$.
#
# Quality is the Wasserstein-1 distance to fresh samples of the target. One batch of
# 2,000 samples makes a noisy yardstick: the number of samples per mode fluctuates, so even
# two batches of the target itself are a W1 of about 0.05 apart. That "data vs data" row is
# what a **perfect sampler** would score on average; it is a reference, not a floor: a
# sampler can land below it by chance, as the ancestral sampler does here, within one or two
# standard errors. The table therefore gives the mean W1 over four batches, each against
# its own reference batch, with its standard error; seconds are per batch.

# %%
K = pick(smoke=2, lecture=4)
torch.manual_seed(3)
x_anc_all = torch.cat([x_anc, toy.sample((K - 1) * n_toy)])  # (K n_toy, 2)
refs = [ring.sample(n_toy) for _ in range(K)]
floor = wasserstein_batches(torch.cat([ring.sample(n_toy) for _ in range(K)]), refs)
rows = [{"sampler": "data vs data (perfect)", "steps": 0, "seconds": 0.0, "W1": floor[0],
         "W1 s.e.": floor[1], "high quality": mode_coverage(torch.cat(refs), ring).high_quality}]
w1_anc = wasserstein_batches(x_anc_all, refs)
rows.append({"sampler": "ancestral", "steps": toy.T, "seconds": t_anc, "W1": w1_anc[0],
             "W1 s.e.": w1_anc[1], "high quality": mode_coverage(x_anc_all, ring).high_quality})
ddim = {}
for eta, steps in [(0.0, 10), (0.0, 50), (0.0, 100), (1.0, 50), (1.0, 100)]:
    torch.manual_seed(2)
    t0 = time.perf_counter()
    ddim[eta, steps] = toy.ddim_sample(K * n_toy, steps, eta=eta)
    sec = (time.perf_counter() - t0) / K
    w1 = wasserstein_batches(ddim[eta, steps], refs)
    rows.append({"sampler": f"DDIM eta={eta:g}", "steps": steps, "seconds": sec, "W1": w1[0],
                 "W1 s.e.": w1[1],
                 "high quality": mode_coverage(ddim[eta, steps], ring).high_quality})
for r in rows[1:]:
    r["speed-up"] = t_anc / r["seconds"]
print(format_table(rows))
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
for ax, (eta, steps) in zip(axes, [(0.0, 10), (0.0, 50), (1.0, 50)]):
    viz.plot_samples(ddim[eta, steps][:n_toy], ax=ax, extent=1.5, s=1,
                     title=f"DDIM, {steps} steps, $\\eta={eta:g}$")
viz.plot_samples(x_anc, ax=axes[3], extent=1.5, s=1, title=f"ancestral, {toy.T} steps")
fig.tight_layout()

# %% [markdown]
# Ten steps blur the modes. Fifty and a hundred steps, a twentieth and a tenth of the
# network calls, keep all eight modes, and their W1 lies within two standard errors of the
# ancestral sampler's. The high-quality fraction, a finer yardstick here, separates them: with
# $\eta = 0$ a few per cent of the samples land between two modes. The deterministic map
# from $x_T$ to $x_0$ sends the noise near the border of two modes' basins to the border
# itself, and the learned $\epsilon_\theta$ draws that border less sharply than the true
# one: with the exact $\epsilon$ of the mixture, fifty steps of $\eta = 0$ put at least
# 99.9% of the samples within three standard deviations of a mode (a test checks this).
# With $\eta = 1$ the fresh noise of every step pushes such samples to one side, and fifty
# steps are as often on a mode as the thousand ancestral ones. The ring's modes, 0.01 wide,
# make this as hard as it gets. `python -m gmcourse.bench ddpm` makes the same comparison
# over three seeds and eight batches each.

# %% [markdown]
# ## Digits, and classifier-free guidance
#
# On images the noise predictor is a small **UNet** (`nn.UNet`): convolutions at 8x8 and
# 4x4 with skip connections, the timestep entering every block through a sinusoidal
# embedding. To steer samples towards a class $y$ we train one network for both
# $\epsilon_\theta(x_t, t, y)$ and the unconditional $\epsilon_\theta(x_t, t, \varnothing)$:
# with probability 0.1 a training label is replaced by the null label $\varnothing$
# (**label dropout**). At sampling time, **classifier-free guidance** (Ho and Salimans 2022)
# extrapolates away from the unconditional prediction,
#
# $$\tilde\epsilon = (1+w)\,\epsilon_\theta(x_t, t, y) - w\,\epsilon_\theta(x_t, t, \varnothing),$$
#
# which follows the score of $p(x \mid y)\,p(y \mid x)^{w}$: a larger $w$ gives more typical,
# less diverse samples of class $y$. $w = 0$ is the plain conditional model and $w = -1$ the
# unconditional one.
#
# **What to try** (with the `guidance w` slider below the figure of guided samples). Start
# at $w = 0$ and read the title: the share of samples the classifier reads as the requested
# digit, one column per digit. Move to $w = -1$: the labels are ignored, the columns are a
# mix of all digits and the share falls to chance. Then step through $w = 1, 2, 4$ and look
# at one column at a time: the share stays high while the digits in a column grow bolder
# and more alike, the diversity that guidance gives away (the printed mean distance between
# samples of one digit shrinks, the share of bright pixels grows). Every $w$ starts from the
# same noise $x_T$, so a sample that changes identity between two settings was changed by
# the guidance alone.

# %%
# trained once and cached in data/checkpoints (delete the file to retrain)
model = recipes.trained(recipes.DDPM_DIGITS.but(T=T), progress=True)  # chapter 09's DDPM
print(model.eps_model.__class__.__name__, sum(p.numel() for p in model.parameters()), "parameters")

# %%
clf = digit_classifier(steps=pick(smoke=300, lecture=1500))
per_class = pick(smoke=1, lecture=4)
ddim_steps = pick(smoke=5, lecture=50)
labels = torch.arange(10).repeat(per_class)
torch.manual_seed(5)
x_T = torch.randn(len(labels), 1, 8, 8)
guided = {}
print(f"DDIM, {ddim_steps} steps, {len(labels)} samples per w ({per_class} per digit)")
for w in (-1.0, 0.0, 1.0, 2.0, 4.0):
    guided[w] = model.ddim_sample(len(labels), ddim_steps, y=labels, w=w, x_T=x_T)
    acc = (clf.predict(guided[w]) == labels).float().mean().item()
    per_digit = guided[w].reshape(per_class, 10, -1).transpose(0, 1)  # (digit, sample, pixel)
    spread = torch.cdist(per_digit, per_digit).sum() / (10 * per_class * max(1, per_class - 1))
    print(f"w = {w:4.1f}: requested digit {100 * acc:5.1f}%,  mean distance between samples "
          f"of one digit {spread:.2f},  pixels above 0.9: {100 * (guided[w] > 0.9).float().mean():.1f}%")

# %%
fig, axes = plt.subplots(len(guided), 1, figsize=(8, 2.0 * len(guided)))
for ax, (w, x) in zip(axes, guided.items()):
    viz.image_grid(x[:20], nrow=10, ax=ax, pad=1)
    ax.set_title(f"w = {w:g}", fontsize=10)
fig.suptitle("classifier-free guidance: the same x_T in every row pair, digits 0-9 left to right")
fig.tight_layout()

# %% tags=["nbval-ignore-output"]
import ipywidgets as W

widgets.live(lambda fig, w: figures.draw_guidance(fig, guided, labels, w, clf),
             figsize=(8, 3.6),
             w=W.SelectionSlider(options=list(guided), value=0.0, description="guidance w"))

# %% [markdown]
# The same starting noise $x_T$ is used for every $w$, so each column changes only through
# the guidance (the figure above shows two samples per digit at each $w$; the widget shows
# the same with a slider). $w = -1$, the unconditional model, ignores the label. From
# $w = 0$ to $w = 4$ the digits become bolder (more pixels above 0.9) and more alike (the
# mean distance between two samples of the same digit falls): guidance trades diversity for
# fidelity, the same trade-off as a GAN's truncation trick. With four samples per digit the
# accuracy column saturates quickly; the spread shows the trade-off more finely.
#
# For the digits, the ancestral sampler and DDIM compare as on the ring:

# %%
n_cmp = pick(smoke=10, lecture=100)
y_cmp = torch.arange(10).repeat_interleave(n_cmp // 10)
rows = []
samples = {}
for name, steps in [("ancestral", None), ("DDIM eta=0", 10), ("DDIM eta=0", 50), ("DDIM eta=0", 100)]:
    torch.manual_seed(3)
    t0 = time.perf_counter()
    x = model.sample(n_cmp, y=y_cmp) if steps is None else model.ddim_sample(n_cmp, steps, y=y_cmp)
    samples[name, steps] = x
    rows.append({"sampler": name, "steps": steps or model.T, "seconds": time.perf_counter() - t0,
                 "requested digit": (clf.predict(x) == y_cmp).float().mean().item()})
print(format_table(rows))
fig, axes = plt.subplots(2, 2, figsize=(12, 6.4))
for ax, ((name, steps), x) in zip(axes.flat, samples.items()):
    by_digit = x.reshape(10, n_cmp // 10, *x.shape[1:])[:, :5]  # (digit, sample, C, H, W)
    viz.image_grid(by_digit.transpose(0, 1).reshape(-1, *x.shape[1:]), nrow=10, ax=ax,
                   title=f"{name}, {steps or model.T} steps (columns: digits 0-9)")
fig.tight_layout()

# %% [markdown]
# The classifier shows the same order as the ring's high-quality fraction: it reads 99 of
# the 100 ancestral samples as the requested digit, and 95 of the DDIM samples with
# $\eta = 0$, for 10 to 100 steps. With 100 samples per sampler that difference is under
# two standard errors: a hint, not a measurement; the ring above is the sharper test.

# %% [markdown]
# ## Closing example: inpainting
#
# A trained diffusion model is a prior over images that we can condition after training.
# To fill in missing pixels (RePaint, Lugmayr et al. 2022, in its simplest form), run the
# ancestral sampler and after every step overwrite the known pixels with a fresh sample of
# $q(x_{t-1} \mid x_0)$: the known part is always correctly noised, and the network
# generates the unknown part to agree with it. No retraining and no labels: here the
# unconditional (null-label) model completes test digits whose bottom three rows are hidden.

# %%
x_test, y_test = data.load_images("digits", "test", labels=True)
n_inpaint = pick(smoke=5, lecture=50)
x_known, y_known = x_test[:n_inpaint], y_test[:n_inpaint]
mask = torch.zeros(1, 1, 8, 8)
mask[..., :5, :] = 1  # keep the top five rows
torch.manual_seed(4)
filled = model.inpaint(x_known, mask)
fig, ax = plt.subplots(figsize=(10, 3.2))
viz.image_grid(torch.cat([x_known[:20], (x_known * mask + 0.5 * (1 - mask))[:20], filled[:20]]),
               nrow=20, ax=ax, title="test digits / top five rows kept / inpainted")
for name, x in [("full test digits", x_known), ("bottom rows black", x_known * mask),
                ("inpainted", filled)]:
    print(f"the classifier reads the {name:17s} as the original digit in "
          f"{100 * (clf.predict(x) == y_known).float().mean():3.0f}% of {n_inpaint} cases")

# %% [markdown]
# Inpainting brings the classifier's agreement with the original far above that of the
# cropped digits, but not to 100%: the model completes each digit to *a* digit that agrees
# with the top five rows, not necessarily the original. With three of eight rows hidden,
# several digits share a top (a 9 and a 4, a 7 and a 1 or 2, a 5 and a 6), and the
# unconditional model has no label to tell them apart: the completions are plausible
# alternatives, the uncertainty a generative model should keep.
#
# ## The full profile: MNIST, Fashion-MNIST and CIFAR-10 on a GPU
#
# With `GMCOURSE_PROFILE=full` the same code trains a wider UNet with three resolutions on
# 28x28 and 32x32 images on the GPU (picked automatically). The smoke profile runs this
# cell on a few MNIST test images on the CPU, from the files named by `GMCOURSE_DATA`;
# the lecture profile skips it. Without a train split on disk the full profile trains on
# all but 1,000 test images; the cell prints which images and which device it used.

# %%
image_sets = pick(smoke=["mnist"], lecture=[], full=["mnist", "fashion_mnist", "cifar10"])
for name in image_sets:
    if not data.available(name, "test"):
        print(f"{name}: not available offline; set GMCOURSE_DATA (see README)")
        continue
    full = pick(smoke=False, lecture=False, full=True)
    print(recipes.data_note(name) if full else f"{name}: 256 test images", f"| device {device}")
    big_recipe = (recipes.full_profile(name)["DDPM"] if full else
                  recipes.ddpm_images(name, "test", 256, ch=8, T=50, steps=5))
    big, _ = recipes.train(big_recipe, device=device, steps=big_recipe.config.train.steps)
    x = big.ddim_sample(capped(pick(smoke=4, lecture=4, full=40)),
                        capped(pick(smoke=5, lecture=5, full=100)))
    fig, ax = plt.subplots(figsize=(8, 2))
    viz.image_grid(x.cpu(), nrow=10, ax=ax, title=f"{name}: DDIM samples")

# %% [markdown]
# ## Exercises
#
# Replace each stub (`raise NotImplementedError`) with your answer and run the cell:
# `check(...)` tests it against an independent reference (the mean and variance of chained
# forward steps, Bayes' rule for two Gaussians, the autograd score of a mixture) and prints
# ✓, or what looks wrong with the input, expected and received values. Remove the `#` in front of
# `hint(...)` for a hint. Progress: `python -m gmcourse.exercises`; solutions:
# `solutions/07_ddpm.ipynb`.
#
# In the first three the schedule is a float64 tensor `beta` of shape $(T,)$ with
# `beta[t - 1]` $= \beta_t$, and `t` is a long tensor of shape $(B,)$ with values in
# $1, \dots, T$, one timestep per example of `x0` or `xt`, both of shape $(B, d)$.

# %%
from gmcourse.exercises import check, hint

# %% [markdown]
# **Exercise 07.q_sample (code).** Write `q_sample(x0, t, eps, beta)`: the closed form
# $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon$ for the given noise
# `eps`, computing $\bar\alpha_t$ from `beta` yourself. The checker compares it with the
# mean and variance that $t$ chained steps $q(x_s \mid x_{s-1})$ give.

# %%
def q_sample(x0, t, eps, beta):
    raise NotImplementedError  # your code here


check("07.q_sample", q_sample)
# hint("07.q_sample")

# %% [markdown]
# **Exercise 07.posterior (derivation).** Derive the mean and variance of
# $q(x_{t-1} \mid x_t, x_0)$ from Bayes' rule, as the product of the Gaussians
# $q(x_t \mid x_{t-1})$ and $q(x_{t-1} \mid x_0)$, without looking at the formula above,
# and write `posterior(x0, xt, t, beta)` returning `(mean, var)`: the mean $(B, d)$ and the
# variance, of shape $(B,)$, $(B, 1)$ or $(B, d)$.

# %%
def posterior(x0, xt, t, beta):
    raise NotImplementedError  # your formula


check("07.posterior", posterior)
# hint("07.posterior")

# %% [markdown]
# **Exercise 07.eps_mean (derivation).** Show that with $x_0$ replaced by
# $(x_t - \sqrt{1-\bar\alpha_t}\,\epsilon)/\sqrt{\bar\alpha_t}$ the posterior mean becomes
# $\mu_\theta$ as written with $\epsilon_\theta$ above, and write
# `mean_from_eps(xt, t, eps, beta)` returning it, $(B, d)$. The checker puts the same $x_0$
# into Bayes' rule and compares.

# %%
def mean_from_eps(xt, t, eps, beta):
    raise NotImplementedError  # your formula


check("07.eps_mean", mean_from_eps)
# hint("07.eps_mean")

# %% [markdown]
# **Exercise 07.guided_eps (derivation).** Guidance was said to follow the score of
# $p(x \mid y)\,p(y \mid x)^{w}$. By Bayes, $p(y \mid x) \propto p(x \mid y)/p(x)$, so this is
# $p(x \mid y)^{1+w}\,p(x)^{-w}$ up to a constant. Using $\epsilon = -\sqrt{1-\bar\alpha_t}\,
# \nabla_{x_t} \log p_t$, derive the $\epsilon$ of that density from the conditional and the
# unconditional predictions, and write `guided_eps(eps_c, eps_u, w)`. The checker builds both
# predictions from the exact scores of a noised three-class mixture and compares your
# result with the autograd score of the tilted density, for $w = 2$, $0.5$ and $-1$.

# %%
def guided_eps(eps_c, eps_u, w):
    raise NotImplementedError  # your formula


check("07.guided_eps", guided_eps)
# hint("07.guided_eps")

# %% [markdown]
# ## What you should now know
#
# * The forward process $q(x_t \mid x_{t-1})$ adds Gaussian noise ($\epsilon$ in this chapter
#   is always that noise); $q(x_t \mid x_0)$ has a closed form, so training jumps to any $t$.
# * The reverse step's Gaussian posterior $q(x_{t-1} \mid x_t, x_0)$ turns the ELBO into a sum
#   of KLs, and with the $\epsilon$-parameterisation into the simple regression loss
#   $\lVert \epsilon - \epsilon_\theta(x_t, t)\rVert^2$.
# * Ancestral sampling needs $T$ network calls. DDIM keeps the marginals $q(x_s \mid x_0)$
#   for any $\sigma$, so the same network samples in 50 steps; $\eta = 0$ is deterministic
#   and, on the ring, leaves a few per cent of the samples between modes, $\eta = 1$ does not.
# * Label dropout trains a conditional and an unconditional model at once;
#   classifier-free guidance with $w > 0$ trades diversity for fidelity.
# * A trained diffusion model is a prior that can be conditioned after training
#   (inpainting), and its likelihood is only bounded here (the ELBO); chapter 08 gives the
#   exact likelihood of its probability-flow ODE.

# %%
run_time()
