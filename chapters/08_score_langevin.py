# %% [markdown]
# # 08 · Scores, Langevin dynamics and denoising score matching
#
# A density $p(x)$ is hard to learn because of its normalising constant $Z$. Its **score**
#
# $$s(x) = \nabla_x \log p(x) \qquad (1)$$
#
# does not see $Z$ at all ($\nabla_x \log Z = 0$), and it is all we need to *sample*:
# Langevin dynamics turns a score into samples. This chapter builds the score-based family
# in four steps: the score of a known density, Langevin sampling with it and why it fails
# on separated modes, annealing over noise levels (NCSN, Song and Ermon 2019), and learning
# the scores from data by **denoising score matching**. It ends with the SDE view that joins
# this chapter to DDPM (chapter 07). The code is `gmcourse/score.py` and `gmcourse/sde.py`.

# %%
import matplotlib.pyplot as plt
import torch

from gmcourse.config import setup, pick, run_time
from gmcourse import recipes, score as S, sde, viz, figures, widgets
from gmcourse.data import GaussianMixture, load_images
from gmcourse.metrics import total_variation

device = setup(seed=0)

# %% [markdown]
# ## The score as a vector field
#
# For a Gaussian mixture $p(x) = \sum_k w_k \mathcal N(x; \mu_k, \Sigma_k)$ the score is a
# responsibility-weighted pull towards the means,
#
# $$s(x) = \sum_k r_k(x)\, \Sigma_k^{-1} (\mu_k - x), \qquad
# r_k(x) = \frac{w_k \mathcal N(x; \mu_k, \Sigma_k)}{p(x)} . \qquad (2)$$
#
# `S.MixtureScore(p)` implements (2) (a unit test checks it against the autograd gradient of
# `log_prob`). The arrows point uphill on $\log p$; far from the data they are long, between
# two modes they cancel.

# %%
p3 = GaussianMixture([[-2.5, -1.0], [2.5, -1.0], [0.0, 2.5]], std=0.8,
                     weights=[0.3, 0.3, 0.4], name="three_modes")
s3 = S.MixtureScore(p3)
xx, yy, pts = viz.grid_points(5.0, 21)
v = s3(pts)
fig, ax = plt.subplots(figsize=(5, 5))
viz.plot_density(p3.log_prob, extent=5.0, ax=ax, title="p(x) and its score")
_ = ax.quiver(pts[:, 0], pts[:, 1], v[:, 0], v[:, 1], color="w", angles="xy", scale=60)

# %% [markdown]
# ## Langevin dynamics
#
# Follow the score uphill, plus noise:
#
# $$x_{t+1} = x_t + \frac{\tau}{2} s(x_t) + \sqrt{\tau}\, z_t, \qquad z_t \sim
# \mathcal N(0, I). \qquad (3)$$
#
# **Notation.** $\tau$ is the step size. NCSN's paper, and the code's argument `eps`, call it
# $\epsilon$; this course keeps $\epsilon$ for the Gaussian noise of chapter 07 (and of
# $\epsilon_\theta$ at the end of this chapter), and writes $z$ for the noise here.
#
# Without the noise this is gradient ascent and every chain stops at a mode. With it, as
# $\tau \to 0$ and $T \to \infty$, $x_T$ is an exact sample of $p$ (for a Gaussian
# target the unit tests check the mean and covariance the chain reaches, including the
# small bias a finite $\tau$ leaves). Eight chains from **one** starting point between
# the modes reach different modes:

# %%
g = torch.Generator().manual_seed(0)
path = []
x_start = torch.zeros(8, 2)
S.langevin(s3, x_start, eps=0.01, steps=pick(smoke=100, lecture=600), generator=g, path=path)
path = torch.stack([x_start] + path)  # (T + 1, chains, 2)
fig, ax = plt.subplots(figsize=(5, 5))
viz.plot_density(p3.log_prob, extent=5.0, ax=ax, title="8 Langevin chains from (0, 0)")
for c in range(path.shape[1]):
    ax.plot(path[:, c, 0], path[:, c, 1], lw=0.8)
_ = ax.plot(0, 0, "w*", ms=12)

# %% [markdown]
# ## Slow mixing: Langevin gets the weights of separated modes wrong
#
# Song and Ermon's example (their Figure 3): $p = \frac15 \mathcal N((-5,-5), I) +
# \frac45 \mathcal N((5,5), I)$. Between the modes the density is about $e^{-25}$ times
# smaller than at them, so a chain almost never crosses; it stays in the mode whose basin
# it started in. Started uniformly on $[-8, 8]^2$, about half the chains start on each
# side, and plain Langevin returns about **0.5 / 0.5** instead of 0.2 / 0.8. (Worse, the
# score itself barely knows the weights: in the basin of mode $k$, $s(x) \approx \mu_k - x$
# whatever $w_k$ is.)
#
# **Annealed Langevin dynamics** (NCSN's Algorithm 1) samples first the data convolved with
# wide noise, $p_{\sigma}= p * \mathcal N(0, \sigma^2 I)$ for $\sigma_1 = 20$, where the
# two modes merge into one blob and chains move freely, and then follows a geometric ladder
# $\sigma_1 > \dots > \sigma_L$ down to 1, with step $\alpha_i = \tau\,
# \sigma_i^2/\sigma_L^2$ at level $i$. The mass settles into the modes while they still
# communicate. Settings as in the paper: $\tau = 0.1$; plain: $T = 1000$ steps;
# annealed: $L = 10$ levels, 100 steps each. The perturbed mixtures are mixtures again
# (`S.perturbed`: covariances $\Sigma_k + \sigma^2 I$), so every score here is exact.

# %%
cfg3 = pick(smoke=S.Fig3Config(n=300, steps=100, steps_each=10), lecture=S.Fig3Config())
two = S.two_modes()
runs = S.fig3(cfg3, seed=0)
fig, axes = plt.subplots(1, 4, figsize=(14, 3.6))
for ax, name in zip(axes, ["exact", "start", "plain", "annealed"]):
    w = S.mode_weights(runs[name], two)
    viz.plot_samples(runs[name], ax=ax, extent=9, s=2,
                     title=f"{name}: weights {w[0]:.2f} / {w[1]:.2f}")
fig.tight_layout()

# %% [markdown]
# The benchmark `python -m gmcourse.bench score_langevin` repeats this over three seeds:
# annealed Langevin's largest weight error stays under 0.05 and plain Langevin's is about
# 0.3 (a unit test checks both at these settings).
#
# **The annealed modes are too wide, and that is expected.** Like the paper's figure, the
# chain stops at $\sigma_L = 1$ with no final denoising step, so it samples
# $p_{\sigma_L} = p * \mathcal N(0, \sigma_L^2 I)$, whose modes have a standard deviation of
# $\sqrt{1 + \sigma_L^2} = 1.41$ instead of 1. A last step by Tweedie's formula (derived
# below) would not fix it: it moves every sample to the posterior mean
# $\mathbb E[x \mid \tilde x]$, whose spread is too *small*, $1/\sqrt{1 + \sigma_L^2} = 0.71$ for a
# unit-variance mode. Denoising removes noise; it does not sample $p$. What helps is a last
# noise level small against the data's scale, as the learned models below use
# ($\sigma_L = 0.1$ and $0.02$), where both effects are negligible. Per-coordinate standard
# deviation of the samples in the large mode:

# %%
exact_score = S.MixtureScore(two)
runs["annealed + Tweedie"] = runs["annealed"] + cfg3.sigma_min ** 2 * exact_score(
    runs["annealed"], cfg3.sigma_min)
for name in ["exact", "plain", "annealed", "annealed + Tweedie"]:
    big = runs[name][two.component(runs[name]) == 1]
    print(f"{name:19s}: std {big.std(0).mean():.2f}")

# %% [markdown]
# Try it: the step size $\tau$ (`eps`), the steps per level and the number of levels
# ($L = 1$ is plain Langevin with step $\tau$).

# %% tags=["nbval-ignore-output"]
import ipywidgets as W

widgets.live(figures.draw_annealed_langevin, figsize=(5, 5),
             eps=W.FloatLogSlider(value=0.1, base=10, min=-2, max=0, step=0.25,
                                  description="step tau"),
             steps=W.SelectionSlider(options=[10, 25, 50, 100], value=50,
                                     description="steps/level"),
             levels=W.IntSlider(value=10, min=1, max=10, description="levels L"))

# %% [markdown]
# ## Learning the score: denoising score matching
#
# For data we do not have $\nabla \log p$. But we do know the score of the **noise** we add:
# if $\tilde x = x + \sigma z$, then $\nabla_{\tilde x} \log q(\tilde x \mid x) =
# -(\tilde x - x)/\sigma^2 = -z/\sigma$, and (Vincent 2011) the network that regresses on it,
#
# $$\min_\theta\ \mathbb E_{x, z}\, \big\lVert s_\theta(x + \sigma z, \sigma) + z/\sigma
# \big\rVert^2 , \qquad (4)$$
#
# learns the score of $p_\sigma$.
#
# **Why (Vincent's identity).** Write $q(\tilde x \mid x) = \mathcal N(\tilde x; x, \sigma^2 I)$ and
# $p_\sigma(\tilde x) = \int p(x)\,q(\tilde x \mid x)\,dx$. Expand the score-matching loss we
# would like, $\mathbb E_{p_\sigma}\lVert s_\theta - \nabla \log p_\sigma\rVert^2 = \mathbb E_{p_\sigma}\lVert s_\theta\rVert^2
# - 2\,\mathbb E_{p_\sigma}[s_\theta^\top \nabla \log p_\sigma] + C$. Only the cross term involves the
# unknown score, and it can be rewritten with $p_\sigma \nabla \log p_\sigma = \nabla p_\sigma =
# \int p(x)\, \nabla_{\tilde x} q(\tilde x \mid x)\, dx$:
#
# $$\mathbb E_{p_\sigma}\big[s_\theta(\tilde x)^\top \nabla \log p_\sigma(\tilde x)\big]
#   = \iint p(x)\,q(\tilde x \mid x)\, s_\theta(\tilde x)^\top \nabla_{\tilde x} \log q(\tilde x \mid x)\,dx\,d\tilde x .$$
#
# So $\mathbb E_{p_\sigma}\lVert s_\theta - \nabla \log p_\sigma\rVert^2 = \mathbb E_{x, \tilde x}\lVert s_\theta(\tilde x) -
# \nabla_{\tilde x} \log q(\tilde x \mid x)\rVert^2 + C'$, with $C'$ free of $\theta$: the two losses
# have the same minimiser, and the right-hand side, (4), needs only samples and the known
# noise score $-z/\sigma$.
#
# NCSN trains one network for all noise levels at once,
# weighting level $\sigma$ by $\lambda(\sigma) = \sigma^2$ so that every level counts alike:
# the loss becomes $\tfrac12\,\mathbb E \lVert \sigma s_\theta(\tilde x, \sigma) + z\rVert^2$
# (`NCSN.loss`; a unit test checks its value for a known score in closed form). The network
# is `s_theta = net(x, log sigma) / sigma`, since the score of $p_\sigma$ has size
# $\sim 1/\sigma$ (NCSNv2).
#
# We learn the two-mode mixture from samples only, then sample with annealed Langevin.

# %%
model, history = recipes.trained(recipes.NCSN_TWO_MODES, progress=True, history=True)
x_learned = model.sample(pick(smoke=200, lecture=2000), generator=torch.Generator().manual_seed(3))
w = S.mode_weights(x_learned, two)
print(f"learned scores, annealed Langevin: weights {w[0]:.2f} / {w[1]:.2f} (true 0.20 / 0.80)")

# %%
fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
viz.plot_history(history, ax=axes[0], title="denoising score matching loss")
xx, yy, pts = viz.grid_points(9.0, 17)
exact = S.MixtureScore(two)
for ax, sigma in zip(axes[1:3], [1.0, 5.0]):
    with torch.no_grad():
        learned = model.score(pts, sigma)
    true = exact(pts, sigma)
    ax.quiver(pts[:, 0], pts[:, 1], true[:, 0], true[:, 1], color="k", angles="xy", alpha=0.5)
    ax.quiver(pts[:, 0], pts[:, 1], learned[:, 0], learned[:, 1], color="C1", angles="xy",
              alpha=0.8)
    ax.set(aspect="equal", title=f"score at sigma = {sigma:g}: exact, learned")
_ = viz.plot_samples(x_learned, ax=axes[3], extent=9, s=2, title="samples, learned scores")
fig.tight_layout()

# %% [markdown]
# The test suite trains this model at these settings and checks the learned score within
# 20% of the exact one at $\sigma = 1, 3, 10$ and the sampled weights within 0.07 of
# 0.2 / 0.8: learned scores are good enough for annealing to work.
#
# ## Digits
#
# The same model on the 64 pixels of the 8x8 digits (`S.digits_ncsn`: a `TimeMLP` score
# network, $\sigma$ from 5, just above the largest distance between two training digits (4.8), down to
# 0.02 in 20 levels, 10 Langevin steps each). The last
# step is **Tweedie's formula**: the posterior mean $\mathbb E[x \mid \tilde x] = \tilde x
# + \sigma_L^2\, s(\tilde x, \sigma_L)$ removes the remaining noise (NCSNv2).
#
# **Tweedie's formula.** With $p_\sigma(\tilde x) = \int p(x)\,\mathcal N(\tilde x; x, \sigma^2 I)\,dx$ and
# $\nabla_{\tilde x}\mathcal N(\tilde x; x, \sigma^2 I) = \mathcal N(\tilde x; x, \sigma^2 I)\,(x - \tilde x)/\sigma^2$,
#
# $$\nabla \log p_\sigma(\tilde x) = \frac{\int p(x)\,\mathcal N(\tilde x; x, \sigma^2 I)\,(x - \tilde x)\,dx}
#   {\sigma^2\, p_\sigma(\tilde x)} = \frac{\mathbb E[x \mid \tilde x] - \tilde x}{\sigma^2},
# \qquad\text{so}\qquad \mathbb E[x \mid \tilde x] = \tilde x + \sigma^2\,\nabla \log p_\sigma(\tilde x).$$
#
# Below, the chain of one batch at a few levels: structure appears at the middle noise levels.
# The panels clamp the chain's values to $[0, 1]$ for display; at $\sigma = 5$ most pixels lie
# far outside that range, hence the black-and-white noise of the first rows.

# %%
digits_model = recipes.trained(recipes.NCSN_DIGITS, progress=True)  # chapter 09's NCSN
path = []
x_dig = digits_model.sample(10, generator=torch.Generator().manual_seed(0), path=path)
every = recipes.NCSN_DIGITS.config.steps_each
levels = [0, 5, 10, 15, 19]
fig, axes = plt.subplots(len(levels) + 1, 1, figsize=(8, 6.5))
for ax, i in zip(axes, levels):
    viz.image_grid(path[(i + 1) * every - 1].clamp(0, 1), nrow=10, ax=ax)
    ax.set_title(f"after level {i + 1}: sigma = {float(digits_model.sigmas[i]):.2f}", fontsize=9)
_ = viz.image_grid(x_dig, nrow=10, ax=axes[-1], title="denoised samples")
fig.tight_layout()

# %%
x_ncsn = digits_model.sample(pick(smoke=20, lecture=100), generator=torch.Generator().manual_seed(1))
fig, ax = plt.subplots(figsize=(10, 5))
_ = viz.image_grid(x_ncsn, nrow=20, ax=ax, title="NCSN samples of 8x8 digits")
# a diverged chain ends as salt and pepper: rougher than every training digit
tv_max = total_variation(load_images("digits", "train")).max()
rough = (total_variation(x_ncsn) > tv_max).nonzero().flatten().tolist()
print(f"{len(rough)} of {len(x_ncsn)} samples are rougher than any training digit "
      f"(total variation above {tv_max:.1f}): samples {rough}")

# %% [markdown]
# Most samples are digit-like, if less clean than the data. A few chains have **diverged**:
# their pixels ran far out of $[0, 1]$ at some level, and the final clamp to $[0, 1]$ left a
# pattern of fully black and white pixels, salt and pepper (two of the hundred here, counted by their
# total variation, the summed difference between neighbouring pixels). Smaller steps or
# more steps per level make this rarer at a higher cost; NCSNv2's Technique 4 chose the
# step size $\tau$ used here for $L = 20$ levels of $T = 10$ steps.
#
# ## The SDE view, and the link to DDPM
#
# Let the noise level grow continuously with a time $t \in [0, 1]$: data diffuse by a
# stochastic differential equation $dx = f(x, t)\,dt + g(t)\,dw$ (Song et al. 2021).
#
# * **VE SDE** (variance exploding): $f = 0$, $g(t) = \sqrt{d\sigma^2(t)/dt}$ with
#   $\sigma(t) = \sigma_{\min}(\sigma_{\max}/\sigma_{\min})^t$. Then $x_t = x_0 +
#   \sigma(t) z$: NCSN's noise levels, made continuous.
# * **VP SDE** (variance preserving): $f = -\tfrac12 \beta(t) x$, $g = \sqrt{\beta(t)}$.
#   Then $x_t = m(t) x_0 + \sqrt{1 - m(t)^2}\, z$ with $m(t) = e^{-\frac12\int_0^t
#   \beta}$: DDPM's forward process in the limit of many small steps, with
#   $\bar\alpha = m(t)^2$.
#
# Time runs backwards through the **reverse SDE** $dx = [f - g^2 s(x, t)]\,dt + g\,d\bar
# w$ (Anderson 1982), and every marginal $p_t$ is shared by a deterministic
# **probability-flow ODE**
#
# $$\frac{dx}{dt} = f(x, t) - \tfrac12 g(t)^2\, s(x, t) . \qquad (5)$$
#
# Both need only the score of $p_t$. For our mixture it is exact again (`sde.marginal_score`).
# Samplers: Euler-Maruyama for the SDE (`sde.reverse_sde`), Heun's method for the ODE
# (`sde.probability_flow`).

# %%
vp = sde.VPSDE()
score_t = sde.marginal_score(two, vp)
xT = vp.prior(pick(smoke=300, lecture=2000), generator=torch.Generator().manual_seed(0)).double()
ode_path, sde_path = [], []
x_ode = sde.probability_flow(vp, score_t, xT, steps=pick(smoke=20, lecture=200), path=ode_path)
x_sde = sde.reverse_sde(vp, score_t, xT, steps=pick(smoke=50, lecture=500),
                      generator=torch.Generator().manual_seed(1), path=sde_path)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for ax, name, x_end, pth in [(axes[0], "probability-flow ODE", x_ode, ode_path),
                             (axes[1], "reverse SDE", x_sde, sde_path)]:
    pth = torch.stack([xT] + pth)  # (steps + 1, n, 2)
    for c in range(12):
        ax.plot(pth[:, c, 0], pth[:, c, 1], lw=0.7)
    viz.plot_samples(x_end, ax=ax, s=1, alpha=0.3, c="k")
    w = S.mode_weights(x_end, two)
    ax.set(xlim=(-9, 9), ylim=(-9, 9), title=f"VP, {name}: weights {w[0]:.2f} / {w[1]:.2f}")
fig.tight_layout()

# %% [markdown]
# The ODE's paths are smooth and each starting point has one end; the SDE's wander. Both
# recover the weights (a unit test: within 0.03, for the VP and the VE SDE, and each mode
# with its unit variance). The VE SDE needs $\sigma_{\max}$ large against the data's spread,
# here 100, so that its prior $\mathcal N(0, \sigma_{\max}^2 I)$ matches $p_1$; the
# deterministic ODE is the more sensitive of the two to that mismatch.
#
# **Likelihood through the ODE.** Because the flow (5) is deterministic and invertible, the
# change of variables of chapter 05 applies in its continuous form: $\frac{d}{dt} \log
# p_t(x(t)) = -\nabla \cdot v(x(t), t)$ with $v$ the right-hand side of (5). Integrating a
# point forward to $t = 1$ and adding the divergence along the way gives its exact
# log-likelihood (`sde.ode_log_prob`; in 2D the divergence is two autograd passes):

# %%
x_test = two.sample(20, torch.Generator().manual_seed(0)).double()
m_min, std_min = vp.marginal(torch.tensor(1e-3, dtype=torch.float64))
exact_ll = S.perturbed(two, float(std_min), float(m_min)).log_prob(x_test)
ode_ll = sde.ode_log_prob(vp, score_t, x_test, steps=pick(smoke=10, lecture=100))
print(f"largest |ODE - exact| log-likelihood over 20 points: "
      f"{(ode_ll - exact_ll).abs().max():.3f} nats")

# %% [markdown]
# The small difference is the prior's: $p_1$ is not exactly $\mathcal N(0, I)$ (its means
# are $m(1)\mu_k$, about 0.03 from zero); with the exact $p_1$ a unit test finds the two
# within 0.005 nats.
#
# **Which likelihood does a diffusion model have?** The one computed here is the exact
# likelihood of the *probability-flow model*: the density that the ODE (5), driven by the
# given score, carries from the prior, up to the solver's error. With a learned score it is
# the exact likelihood of that continuous-time model, not of the data-generating process,
# and it costs one ODE solve with divergences per test point. The ancestral DDPM sampler
# of chapter 07 defines a different, discrete-time model whose likelihood is only bounded,
# by its ELBO. So chapter 00 files diffusion under "explicit, approximate" (a bound), and
# chapter 09, which computes neither, leaves its likelihood column empty.
#
# **Epsilon-prediction is a scaled score.** Given $x_t = m x_0 + \mathrm{std}\, z$, the
# score of $p_t$ is $\nabla \log p_t(x_t) = -\mathbb E[z \mid x_t]/\mathrm{std}$. DDPM's
# $\epsilon_\theta$ regresses $z$ on $x_t$, so it estimates $\mathbb E[z \mid x_t]$:
#
# $$\epsilon_\theta(x_t, t) = -\mathrm{std}(t)\; s_\theta(x_t, t), \qquad \mathrm{std}(t) =
# \sqrt{1 - \bar\alpha_t} .$$
#
# DDPM's loss is denoising score matching on the VP SDE with weight $\lambda = 1 -
# \bar\alpha_t$, and its ancestral sampler is a discretisation of the reverse SDE; DDIM with
# $\eta = 0$ is one of the probability-flow ODE (chapter 07).

# %% [markdown]
# ## Energy-based models: a density up to its constant
#
# A score model never writes down a density. An **energy-based model** does, up to its
# normalising constant: an energy network $E_\theta: \mathbb R^d \to \mathbb R$ defines
#
# $$p_\theta(x) = \frac{e^{-E_\theta(x)}}{Z_\theta}, \qquad Z_\theta = \int e^{-E_\theta(x)}
# \, dx, \qquad \nabla_x \log p_\theta(x) = -\nabla_x E_\theta(x). \tag{6}$$
#
# Its score is minus the energy's gradient, free of $Z_\theta$ as in (1): so Langevin
# dynamics samples an EBM exactly as it samples a score model, and a score network is an
# EBM's gradient field without the energy (`gmcourse/ebm.py`; a unit test checks
# `EBM.score` against finite differences of $E_\theta$). The maximum-likelihood gradient
# needs $Z_\theta$ only through its derivative, $\nabla_\theta \log Z_\theta = -\mathbb
# E_{p_\theta}[\nabla_\theta E_\theta]$, hence
#
# $$-\nabla_\theta\, \mathbb E_{\text{data}} \log p_\theta(x) = \mathbb E_{\text{data}}
# [\nabla_\theta E_\theta(x^+)] - \mathbb E_{p_\theta}[\nabla_\theta E_\theta(x^-)]: \tag{7}$$
#
# lower the energy of the data $x^+$, raise it at the model's own samples $x^-$. This is
# **contrastive divergence** (Hinton 2002). The samples $x^-$ come from short Langevin
# runs on $p_\theta$ itself, 20 steps per training step, which start from a **replay
# buffer** of earlier chains (persistent chains, Tieleman 2008; Du and Mordatch 2019), 5%
# of them restarted from uniform noise. A small penalty $\alpha (E(x^+)^2 + E(x^-)^2)$,
# $\alpha = 0.1$, keeps the energies near zero.
#
# The target: a ring of 8 Gaussians of radius 2 and standard deviation 0.2, whose exact
# density we know; the EBM is an MLP (3 hidden layers of 64 units). In 2D its $Z_\theta$ is
# a sum over a grid, so its density can be compared with the target's, by
# $\mathrm{KL}(p \,\|\, p_\theta)$, beside the best single Gaussian (the data's mean and
# covariance).

# %%
from gmcourse import ebm as EB

ring = recipes.ebm_target()
energy = recipes.trained(recipes.EBM_RING, device=device, progress=True)
box = recipes.EBM_RING.config.box
gauss = EB.gaussian_fit(ring.sample(100_000, torch.Generator().manual_seed(0)))
kl_ebm = EB.grid_kl(ring.log_prob, lambda x: -energy.E(x), box)
kl_gauss = EB.grid_kl(ring.log_prob, gauss.log_prob, box)
print(f"KL(target || EBM) = {kl_ebm:.3f} nats, KL(target || Gaussian fit) = {kl_gauss:.3f} nats")

x_ring = ring.sample(2000, torch.Generator().manual_seed(1))
s_ebm, s_true = energy.score(x_ring), ring.score(x_ring)
cos = torch.nn.functional.cosine_similarity(s_ebm, s_true).mean().item()
print(f"-grad E against the exact score at target samples: mean cosine {cos:.2f}")

fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
viz.plot_density(ring.log_prob, box, ax=axes[0], title="target density")
viz.plot_density(lambda x: energy.log_prob(x, box), box, ax=axes[1],
                 title=f"EBM, normalised on the grid (KL {kl_ebm:.2f})")
viz.plot_samples(energy.replay[:2000], ax=axes[2], extent=box, s=1,
                 title="replay buffer (the x^- chains)")
xq, yq, pts = viz.grid_points(box, 15)
s_grid = energy.score(pts)
axes[3].quiver(pts[:, 0], pts[:, 1], s_grid[:, 0], s_grid[:, 1], color="C1", angles="xy")
axes[3].set(aspect="equal", title="score of the EBM: -grad E", xticks=[], yticks=[])
fig.tight_layout()

# %% [markdown]
# The EBM's density puts its mass on the eight modes, far closer to the target than any
# single Gaussian can (a unit test checks the two KL values above at these settings: the
# EBM's below 1 nat, the Gaussian's above 1.5). What it costs: every training step runs
# 20 Langevin steps, each a forward and a backward pass of the energy network, before the
# one pass of the loss; denoising score matching needs only that one pass. The time per
# training step of each, on the same data and an MLP of the same size:

# %%
_, h_ebm = recipes.train(recipes.EBM_RING, steps=50, progress=False)
_, h_dsm = recipes.train(recipes.NCSN_TWO_MODES.but(data=recipes.ebm_target), steps=50,
                         progress=False)
ms_ebm, ms_dsm = 1000 * h_ebm.seconds / h_ebm.steps, 1000 * h_dsm.seconds / h_dsm.steps
print(f"per training step: contrastive divergence {ms_ebm:.1f} ms, "
      f"denoising score matching {ms_dsm:.1f} ms ({ms_ebm / ms_dsm:.0f}x)")

# %% [markdown]
# Contrastive divergence pays a sampler inside its training loop, and its gradient is only
# as good as the chains: too few steps and $x^-$ is not from $p_\theta$, and the energy
# learns to fool its own sampler. Denoising score matching replaces the model's samples by
# the data plus known noise. In exchange the EBM has an energy: a number per point, which
# can be compared, composed (adding energies multiplies densities) and, in low dimension,
# normalised.

# %% [markdown]
# ## Why scores need noise
#
# Langevin mixing (above) was the third reason to add noise. The other two are about the
# score itself.
#
# **1. Data on a low-dimensional manifold have no score.** Take points spread uniformly on
# the unit circle, a 1D curve in 2D. That distribution has no density in the plane: $\log
# p = -\infty$ off the curve, so $\nabla \log p$ is undefined there, and on the curve it
# has no normal direction. Adding noise fixes it: $p_\sigma = p * \mathcal N(0, \sigma^2
# I)$ is smooth everywhere, with score $\nabla \log p_\sigma(x) = \mathbb E[c - x \mid
# x] / \sigma^2$, a pull towards the nearest part of the curve (`S.circle_score`, exact up
# to a quadrature over 20,000 angles; a unit test checks it against the closed form with
# Bessel functions). At a point a distance $\delta$ off the curve its size is about $\delta
# / \sigma^2$: it **blows up** as $\sigma \to 0$, while on the curve it stays finite.

# %%
sigmas_c = [1.0, 0.3, 0.1, 0.03, 0.01]
points = torch.tensor([[1.1, 0.0], [1.0, 0.0], [0.0, 0.5]])  # off by 0.1, on, off by 0.5
norms = torch.stack([S.circle_score(points, s).norm(dim=1) for s in sigmas_c])  # (sigmas, 3)
print("sigma    |s| at 0.1 off   on the curve   at 0.5 off   0.1 / sigma^2")
for s, row in zip(sigmas_c, norms):
    print(f"{s:5.2f}  {row[0]:12.1f}  {row[1]:12.2f}  {row[2]:12.1f}  {0.1 / s ** 2:12.1f}")

fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
xc, yc, pc = viz.grid_points(1.6, 15)
for ax, s in zip(axes[:2], [0.3, 0.05]):
    sc = S.circle_score(pc, s)
    sc = sc / sc.norm(dim=1, keepdim=True).clamp(min=1e-9) * sc.norm(dim=1, keepdim=True).log1p()
    ax.add_patch(plt.Circle((0, 0), 1.0, fill=False, color="k", lw=1))
    ax.quiver(pc[:, 0], pc[:, 1], sc[:, 0], sc[:, 1], color="C0", angles="xy")
    ax.set(aspect="equal", title=f"score of p_sigma, sigma = {s:g} (length log(1+|s|))",
           xticks=[], yticks=[])
axes[2].loglog(sigmas_c, norms[:, 0], "o-", label="0.1 off the curve")
axes[2].loglog(sigmas_c, norms[:, 2], "s-", label="0.5 off the curve")
axes[2].loglog(sigmas_c, norms[:, 1], "^-", label="on the curve")
axes[2].loglog(sigmas_c, [0.1 / s ** 2 for s in sigmas_c], "k--", label="0.1 / sigma^2")
axes[2].set(xlabel="sigma", ylabel="|score|", title="the score blows up off the curve")
axes[2].legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# **2. Where data are rare, the learned score is wrong.** Score matching weighs its errors
# by the data density: the loss is an expectation over $p_\sigma$, so regions with few
# samples barely count. The learned two-mode model from above, compared with the exact
# score at a small noise level, $\sigma = 0.5$: the error $\lVert s_\theta(x, \sigma) -
# \nabla \log p_\sigma(x) \rVert$ at each point of a grid, against the density there.

# %%
sigma_e = 0.5
xe, ye, pe = viz.grid_points(9.0, 61)
with torch.no_grad():
    learned_e = model.score(pe, sigma_e)
err = (learned_e - exact(pe, sigma_e).float()).norm(dim=1)
log_dens = S.perturbed(two, sigma_e).log_prob(pe.double()).float()
dense, rare = log_dens > -4, log_dens < -12
err_dense, err_rare = err[dense].median().item(), err[rare].median().item()
weights = torch.softmax(log_dens, 0)  # p_sigma on the grid, normalised
err2_p, err2_uniform = (weights * err ** 2).sum().item(), (err ** 2).mean().item()
print(f"median error of the learned score: {err_dense:.3f} where log p > -4, "
      f"{err_rare:.3f} where log p < -12 ({rare.float().mean():.0%} of the grid)")
print(f"mean squared error weighted by p_sigma (what the loss sees): {err2_p:.3f}; "
      f"uniform over the square: {err2_uniform:.2f}")
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
im = axes[0].pcolormesh(xe, ye, err.reshape(61, 61).log10(), cmap="magma", shading="auto")
axes[0].contour(xe, ye, log_dens.reshape(61, 61), levels=[-12, -4], colors="w",
                linewidths=0.8)
fig.colorbar(im, ax=axes[0])
axes[0].set(aspect="equal", title="log10 error (white: log p = -12, -4)")
axes[1].scatter(log_dens, err, s=3, alpha=0.4)
axes[1].set(xlabel="log p_sigma(x)", ylabel="error", yscale="log",
            title="error against density, sigma = 0.5")
fig.tight_layout()

# %% [markdown]
# Near the modes the learned score is accurate; between and beyond them, where the
# training loss saw almost no samples, it is several times worse (a unit test checks at
# these settings that the median error where $\log p_\sigma < -12$ is at least 5 times the
# one where $\log p_\sigma > -4$, and that the uniform average exceeds the density-weighted
# one 20-fold). Langevin chains start exactly there. Large noise levels spread the data
# over those regions and make their scores learnable: a second reason for NCSN's ladder
# of $\sigma$s.
#
# **3. What the loss estimates: the Fisher divergence.** Score matching wants to minimise
# the **Fisher divergence** between $p_\sigma$ and the model,
#
# $$F(s_\theta) = \tfrac12\, \mathbb E_{\tilde x \sim p_\sigma} \lVert s_\theta(\tilde x) -
# \nabla \log p_\sigma(\tilde x) \rVert^2, \tag{8}$$
#
# which needs the unknown score. Vincent (2011): expand the square. The term
# $\tfrac12 \mathbb E \lVert s_\theta \rVert^2$ is the same in both losses; the term with
# $\nabla \log p_\sigma$ can be rewritten, since $p_\sigma(\tilde x) = \int p(x)\, q(\tilde
# x \mid x)\, dx$ gives $p_\sigma \nabla \log p_\sigma = \nabla p_\sigma = \int p(x)\,
# q(\tilde x \mid x) \nabla \log q(\tilde x \mid x)\, dx$, so
#
# $$\mathbb E_{p_\sigma}[s_\theta(\tilde x) \cdot \nabla \log p_\sigma(\tilde x)] =
# \mathbb E_{x, \tilde x}[s_\theta(\tilde x) \cdot \nabla_{\tilde x} \log q(\tilde x
# \mid x)].$$
#
# Hence the denoising loss (4), $\tfrac12 \mathbb E \lVert s_\theta(\tilde x) + z/\sigma
# \rVert^2$, equals $F(s_\theta)$ plus a constant, $\tfrac12\mathbb E\lVert z/\sigma
# \rVert^2 - \tfrac12 \mathbb E\lVert\nabla \log p_\sigma\rVert^2$, that does not depend
# on $\theta$: same gradients, same minimiser, $s_\theta = \nabla \log p_\sigma$. Monte
# Carlo on the two-mode mixture at $\sigma = 1$ with three quite different score
# functions, the exact one, zero, and the learned one:

# %%
g_mc = torch.Generator().manual_seed(5)
candidates = {"exact": lambda x: exact(x, 1.0), "zero": torch.zeros_like,
              "learned": lambda x: model.score(x.float(), 1.0).detach()}
print("score      DSM loss   Fisher    DSM - Fisher")
for name, fn in candidates.items():
    dsm_v, fisher_v = S.denoising_and_fisher(fn, two, 1.0, n=200_000, generator=g_mc)
    print(f"{name:8s} {dsm_v:9.3f} {fisher_v:9.3f} {dsm_v - fisher_v:11.3f}")

# %% [markdown]
# The difference is the same for all three, up to Monte Carlo error (a unit test checks
# it within 0.02 for the exact score, zero and a linear field); the exact score has Fisher divergence 0, so its DSM loss is the
# constant itself, the floor the training loss cannot go below.
#
# **Tweedie's formula** turns a score into a denoiser. For $\tilde x = x + \sigma z$,
#
# $$\mathbb E[x \mid \tilde x] = \tilde x + \sigma^2 \nabla \log p_\sigma(\tilde x), \tag{9}$$
#
# (differentiate $p_\sigma(\tilde x) = \int p(x) \mathcal N(\tilde x; x, \sigma^2 I) dx$
# under the integral): the score points from a noisy point to the posterior mean of its
# clean version. It is the last step of the digits sampler above, and DDPM's
# $x_0$-prediction (chapter 07). A unit test checks (9) with the exact mixture score against
# the posterior mean computed component by component.

# %%
x_noisy = S.perturbed(two, 2.0).sample(500, torch.Generator().manual_seed(6)).double()
x_denoised = x_noisy + 2.0 ** 2 * exact(x_noisy, 2.0)  # Eq. 9 with the exact score
fig, ax = plt.subplots(figsize=(4.5, 4.5))
viz.plot_samples(x_noisy, ax=ax, s=4, alpha=0.4, label="x~ = x + 2 z")
viz.plot_samples(x_denoised, ax=ax, s=4, alpha=0.6, label="E[x | x~] (Tweedie)")
ax.set(title="Tweedie's formula at sigma = 2", aspect="equal")
_ = ax.legend(fontsize=8)

# %% [markdown]
# ## Exercises
#
# Replace each stub (`raise NotImplementedError`) with your answer and run the cell:
# `check(...)` tests it against an independent reference (autograd of the mixture's
# log-density, the exact mode weights of NCSN's mixture, a closed form for Gaussian data)
# and prints ✓, or what looks wrong with the input, expected and received values. Remove
# the `#` in front of `hint(...)` for a hint. Progress: `python -m gmcourse.exercises`;
# solutions: `solutions/08_score_langevin.ipynb`.

# %%
from gmcourse.exercises import check, hint

# %% [markdown]
# **Exercise 08.mixture_score (derivation).** Derive Eq. (2) for isotropic components,
# $p(x) = \sum_k w_k \mathcal N(x; \mu_k, \sigma_k^2 I)$, and write
# `mixture_score(x, means, stds, weights)` for points `x` $(n, 2)$, `means` $(K, 2)$,
# `stds` $(K,)$ and `weights` $(K,)$ summing to 1, returning $\nabla_x \log p(x)$, $(n, 2)$.
# It is compared with the autograd gradient of the mixture's `log_prob`, on components of
# different widths.

# %%
def mixture_score(x, means, stds, weights):
    raise NotImplementedError  # your formula


check("08.mixture_score", mixture_score)
# hint("08.mixture_score")

# %% [markdown]
# **Exercise 08.annealed_langevin (code).** Write NCSN's Algorithm 1,
# `annealed_langevin(score, x, sigmas, eps, steps_each)`: `score(x, sigma)` is the score of
# $p_\sigma$, `x` $(n, 2)$ the starting points, `sigmas` the levels
# $\sigma_1 > \dots > \sigma_L$; return the points after `steps_each` Langevin steps (3) at
# every level, with the step $\alpha_i$ of the text. The checker runs it with the exact
# scores of the two-mode mixture above, from a uniform start: your samples must carry the
# weights 0.2 / 0.8 that plain Langevin misses, and the spread of $p_{\sigma_L}$.

# %%
def annealed_langevin(score, x, sigmas, eps, steps_each):
    raise NotImplementedError  # your code here


check("08.annealed_langevin", annealed_langevin)
# hint("08.annealed_langevin")

# %% [markdown]
# **Exercise 08.dsm_loss (code).** Write the weighted denoising score-matching loss
# $\tfrac12\,\mathbb E\,\lVert \sigma s(x + \sigma z, \sigma) + z\rVert^2$ as
# `dsm_loss(score, x, sigma, z)`: `x` and the noise `z` are $(n, d)$, `sigma` a float,
# `score(x, sigma)` a score function; return a scalar, the average over the batch. The
# checker evaluates it on Gaussian data with the exact score of $p_\sigma$, where the loss
# has a closed form, and checks that scaling the exact score makes the loss larger.

# %%
def dsm_loss(score, x, sigma, z):
    raise NotImplementedError  # your code here


check("08.dsm_loss", dsm_loss)
# hint("08.dsm_loss")

# %% [markdown]
# ## What you should now know
#
# * The score $\nabla_x \log p$ ignores the normalising constant; Langevin dynamics (3), with
#   step size $\tau$, turns a score into samples.
# * Plain Langevin mixes badly between separated modes and gets their weights wrong;
#   annealing over noise levels $\sigma_1 > \dots > \sigma_L$ fixes the weights, and the
#   samples are those of $p_{\sigma_L}$, so $\sigma_L$ must be small (or the last level
#   denoised, which gives posterior means, not samples).
# * Denoising score matching (Vincent's identity) learns the score of $p_\sigma$ from samples
#   and the known noise score $-z/\sigma$; Tweedie's formula
#   $\mathbb E[x\mid\tilde x] = \tilde x + \sigma^2 \nabla \log p_\sigma(\tilde x)$ denoises with it.
# * The SDE view: VE (NCSN) and VP (DDPM) forward SDEs, the reverse SDE and the
#   probability-flow ODE share the marginals; the ODE gives an exact likelihood of its
#   continuous-time model, and $\epsilon_\theta = -\sqrt{1-\bar\alpha_t}\, s_\theta$ joins this
#   chapter to chapter 07.

# %%
run_time()
