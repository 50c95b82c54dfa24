# %% [markdown]
# # 10 · Flow matching, rectified flow and consistency models
#
# Chapter 05's flows map noise to data with an invertible network trained by maximum
# likelihood; chapter 07's diffusion model learns to remove noise; chapter 08 showed that a
# diffusion model also defines an ODE, the probability-flow ODE, that carries noise to data
# deterministically. **Flow matching** (Lipman et al. 2023; Liu, Gong and Liu 2023; Albergo
# and Vanden-Eijnden 2023) trains that ODE's velocity field directly, by regression, with no
# noise schedule, no simulation of the ODE during training and no Jacobian determinant. It is
# how today's large image and video generators are trained, and its view makes DDPM, DDIM,
# the probability-flow ODE and continuous normalizing flows one idea.
#
# This chapter trains velocity fields on 2D data and digits; couples noise and data by
# optimal transport to straighten the paths; straightens them further by **reflow**; distils
# the ODE into a **consistency model** that samples in one or two steps; converts between the
# eps, $x$, score and velocity parameterisations; and computes exact log-likelihoods by
# integrating the divergence along the ODE. The code is `gmcourse/flow_matching.py`
# (`FlowMatching(velocity_net, path)` with `loss`, `sample`, `log_prob`) and
# `gmcourse/param.py` (the converter).

# %%
import inspect
import time

import matplotlib.pyplot as plt
import torch

from gmcourse.config import setup, pick, run_time
from gmcourse import data, figures, flow_matching as fm, param, recipes, viz, widgets
from gmcourse.bench import format_table
from gmcourse.classifier import digit_classifier
from gmcourse.divergences import wasserstein_batches
from gmcourse.metrics import classifier_scores, mode_coverage

device = setup(seed=0)
cfgs = recipes.chapter_configs()
ring = data.ring8()

# %% [markdown]
# ## Probability paths and the conditional velocity
#
# Time runs from $t = 0$, the **source** $x_0 \sim p_0$ (here $\mathcal N(0, I)$), to
# $t = 1$, the **data** $x_1 \sim p_1$ (note: the reverse of chapter 07's time, and its
# $x_0$ is our $x_1$). A **probability path** says how one noise point and one data point
# are joined:
#
# $$x_t = \alpha_t\, x_1 + \sigma_t\, x_0, \qquad
# u_t(x_t \mid x_0, x_1) = \frac{d x_t}{dt} = \dot\alpha_t\, x_1 + \dot\sigma_t\, x_0 .$$
#
# * The **linear** (optimal-transport, rectified-flow) path: $\alpha_t = t$, $\sigma_t = 1-t$,
#   straight lines with constant velocity $u_t = x_1 - x_0$.
# * The **variance-preserving** (VP) path: chapter 07's $x_t = \sqrt{\bar\alpha}\,x_0 +
#   \sqrt{1-\bar\alpha}\,\epsilon$ with time reversed, $\alpha_t = m(1-t)$ from the VP SDE of
#   chapter 08 and $\sigma_t = \sqrt{1-\alpha_t^2}$.
#
# Each pair $(x_0, x_1)$ moves along its own path. The **marginal** $p_t$ of $x_t$ moves too,
# and the velocity field that moves it is the average of the conditional velocities of all
# pairs passing through $x$:
#
# $$u_t(x) = \mathbb E\big[u_t(x_t \mid x_0, x_1) \,\big|\, x_t = x\big].$$
#
# *Why.* $p_t(x) = \int p_t(x \mid z)\, q(z)\, dz$ with $z = (x_0, x_1)$. Each conditional
# density obeys the continuity equation $\partial_t p_t(x\mid z) = -\nabla\cdot\big(p_t(x\mid z)
# u_t(x\mid z)\big)$; integrating over $z$,
# $\partial_t p_t(x) = -\nabla \cdot \int p_t(x\mid z)\, u_t(x \mid z)\, q(z)\, dz
# = -\nabla\cdot\big(p_t(x)\, u_t(x)\big)$ with $u_t(x) = \int u_t(x\mid z)\,
# \frac{p_t(x\mid z) q(z)}{p_t(x)}\,dz$, the posterior mean above. So the ODE
# $\dot x = u_t(x)$ started at $x(0) \sim p_0$ ends at $x(1) \sim p_1$.
#
# We cannot compute $u_t(x)$, but we do not need to: a regression onto a noisy target
# learns its conditional mean. **Conditional flow matching** regresses a network on the
# conditional velocity,
#
# $$L_{\mathrm{CFM}}(\theta) = \mathbb E_{t, (x_0, x_1), x_t}\,\big\|v_\theta(x_t, t) -
# u_t(x_t\mid x_0, x_1)\big\|^2 = \mathbb E_{t, x_t}\big\|v_\theta(x_t,t) - u_t(x_t)\big\|^2 +
# \text{const},$$
#
# (expand the square: the cross term averages $u_t(x_t\mid z)$ over $z$ given $x_t$, which
# is $u_t(x_t)$), so its minimiser is the marginal velocity. Training needs one network call
# per example and no ODE solve. The package's loss:

# %%
print(inspect.getsource(fm.FlowMatching.pair_loss))
t = torch.linspace(0, 1, 201)
fig, axes = plt.subplots(1, 2, figsize=(10, 3))
for name, path in [("linear", fm.LinearPath()), ("VP", fm.VPPath())]:
    alpha, sigma, _, _ = path.coeffs(t.clamp(max=path.t_end))
    axes[0].plot(t, alpha, label=rf"{name}: $\alpha_t$")
    axes[0].plot(t, sigma, "--", label=rf"{name}: $\sigma_t$")
    axes[1].plot(t, alpha / sigma, label=name)
axes[0].set(xlabel="t", title="signal and noise weights")
axes[1].set(xlabel="t", yscale="log", ylim=(1e-3, 1e3), title=r"signal-to-noise $\alpha_t/\sigma_t$")
axes[0].legend(fontsize=8), axes[1].legend()
fig.tight_layout()

# %% [markdown]
# ## Training on ring-8, sampling with Euler, midpoint and Heun
#
# The velocity network is chapter 07's `FourierTimeMLP` (random Fourier features of $x$, a
# sinusoidal embedding of $t$), trained with the same batch size and learning rate as the
# ring-8 DDPM. The chapter trains for fewer steps than chapter 07's 16,000 (the numbers are
# printed); `python -m gmcourse.bench flow_matching` trains every model with the full budget,
# three seeds each. Trained models are cached in `data/checkpoints`.
#
# Sampling integrates $\dot x = v_\theta(x, t)$ from $t = 0$ to $1$ in $S$ equal steps.
# **Euler** uses one network call per step, $x \leftarrow x + h\, v(x, t)$; **midpoint** and
# **Heun** (trapezoid with an Euler predictor) use two and are second order.

# %%
flow = recipes.toy_fm(cfgs["fm"], seed=0, progress=True)
print(f"flow matching, ring-8: {cfgs['fm'].steps} training steps")
n = pick(smoke=300, lecture=1000)
torch.manual_seed(1)
x_fm, path_fm = flow.sample(n, 50, return_path=True)
fig, axes = plt.subplots(1, 6, figsize=(16, 3))
for ax, k in zip(axes[:5], [0, 10, 25, 40, 50]):
    viz.plot_samples(path_fm[k], ax=ax, extent=2.5, s=1, title=f"$t = {k / 50:.1f}$")
    ax.set_xticks([]), ax.set_yticks([])
axes[5].plot(path_fm[:, :40, 0], path_fm[:, :40, 1], lw=0.5)
axes[5].set(xlim=(-2.5, 2.5), ylim=(-2.5, 2.5), aspect="equal", title="40 trajectories")
fig.tight_layout()

# %%
K = pick(smoke=2, lecture=4)
g = torch.Generator().manual_seed(7)
refs = [ring.sample(n, generator=g) for _ in range(K)]
floor = wasserstein_batches(torch.cat([ring.sample(n, generator=g) for _ in range(K)]), refs)


def score_ring(name, draw, calls):
    """One row: modes, high-quality fraction, mean W1 over K batches, samples per second."""
    torch.manual_seed(2)
    t0 = time.perf_counter()
    x = draw(K * n)
    sec = time.perf_counter() - t0
    cov = mode_coverage(x, ring)
    w1, se = wasserstein_batches(x, refs)
    return {"sampler": name, "calls": calls, "modes": cov.modes,
            "high quality": cov.high_quality, "W1": w1, "W1 s.e.": se, "samples/s": K * n / sec}


cov_data = mode_coverage(torch.cat(refs), ring)
floor_row = {"sampler": "data vs data (floor)", "calls": 0, "modes": cov_data.modes,
             "high quality": cov_data.high_quality, "W1": floor[0], "W1 s.e.": floor[1]}
solver_rows = [floor_row]
for calls in (4, 10):
    for name, solver in fm.SOLVERS.items():
        steps = calls // fm.CALLS[solver]
        solver_rows.append(score_ring(f"{name}, {steps} steps", lambda m, s=steps, so=solver:
                                      flow.sample(m, s, so), calls))
print(format_table(solver_rows))

# %% [markdown]
# At the same number of network calls the second-order solvers are not better here. The
# learned field is smooth for most of the way and changes fast only near $t = 1$, where the
# velocity must pull each point into a mode of width 0.01; a solver's error there decides
# which points end between two modes, and Euler's last step, which jumps straight to the
# network's estimate of $\mathbb E[x_1 \mid x_t]$, is as good as any. The gain of a
# second-order solver is for smooth fields and digits; on the ring, spend the calls on
# steps.
#
# ## Couplings: independent or optimal transport
#
# The pairs $(x_0, x_1)$ need not be drawn independently: any coupling $\pi(x_0, x_1)$ with
# the right marginals gives a valid path of marginals. Independent pairs cross each other,
# the marginal velocity averages the crossing directions, and the ODE's paths curve.
# **Minibatch optimal transport** (Tong et al. 2024; Pooladian et al. 2023) re-pairs each
# batch of noise and data to minimise $\sum_i \|x_0^{(i)} - x_1^{(\pi(i))}\|^2$, an exact
# assignment solved by POT: the pairs then cross less, and the learned paths are straighter.
# We measure **straightness** as $\mathbb E\int_0^1 \|v(x_t, t) - (x_1 - x_0)\|^2\,dt$ along
# the ODE (Liu et al. 2023): zero for straight paths.

# %%
flow_ot = recipes.toy_fm(cfgs["fm_ot"], seed=0, progress=True)
straight = {"independent": fm.straightness(flow), "OT": fm.straightness(flow_ot)}
print("straightness: " + ", ".join(f"{k} {v:.3f}" for k, v in straight.items()))
coupling_rows = [score_ring(f"{c}, Euler {s}", lambda m, f=f, s=s: f.sample(m, s), s)
                 for c, f in [("independent", flow), ("OT", flow_ot)] for s in (1, 4, 10)]
print(format_table(coupling_rows))
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
for ax, (name, f) in zip(axes, [("independent", flow), ("minibatch OT", flow_ot)]):
    torch.manual_seed(3)
    _, p = f.sample(60, 50, return_path=True)
    ax.plot(p[:, :, 0], p[:, :, 1], lw=0.6)
    ax.set(xlim=(-2.5, 2.5), ylim=(-2.5, 2.5), aspect="equal", title=f"{name} coupling")
fig.tight_layout()

# %% [markdown]
# With the OT coupling four Euler steps reach all eight modes with most samples on them; the
# independent coupling's flow needs about ten steps to reach all eight.
#
# The source does not have to be Gaussian: any distribution we can sample works, since the
# loss only needs pairs. Here two moons flow onto the ring (OT coupling):

# %%
flow_moons = recipes.toy_fm(cfgs["moons"], seed=0, progress=True)
torch.manual_seed(4)
x_m, p_m = flow_moons.sample(n, 50, return_path=True)
fig, axes = plt.subplots(1, 4, figsize=(13, 3.2))
for ax, k in zip(axes[:3], [0, 25, 50]):
    viz.plot_samples(p_m[k], ax=ax, extent=2.2, s=1, title=f"two moons -> ring, $t = {k / 50:.1f}$")
axes[3].plot(p_m[:, :60, 0], p_m[:, :60, 1], lw=0.5)
axes[3].set(xlim=(-2.2, 2.2), ylim=(-2.2, 2.2), aspect="equal", title="60 trajectories")
fig.tight_layout()
print("two moons -> ring:", mode_coverage(x_m, ring))

# %% [markdown]
# ## Rectified flow: reflow straightens the paths
#
# A trained flow defines a new coupling: $x_0 \sim p_0$ and $x_1 = \mathrm{ODE}(x_0)$. These
# pairs never cross as the ODE's paths cannot cross, so a flow trained on them (**reflow**,
# Liu, Gong and Liu 2023) has straighter paths, and straight paths are integrated exactly by
# one Euler step. Its marginals are still the data's: reflow keeps $p_1$ and only changes
# which noise goes where. (With one step, an independent coupling's flow maps everything to
# the data mean: $v(x, 0) = \mathbb E[x_1] - x$.) We reflow the OT-coupled flow, the
# straighter of the two, on pairs made with 100 midpoint steps, starting from its weights.

# %%
reflow = recipes.toy_reflow(cfgs["reflow"], seed=0, progress=True)
straight["reflow"] = fm.straightness(reflow)
print(f"straightness: OT flow {straight['OT']:.3f} -> reflow {straight['reflow']:.3f} "
      f"(reflow: {cfgs['reflow'].steps} steps on {cfgs['reflow'].n_pairs} pairs)")
reflow_rows = [score_ring(f"reflow, Euler {s}", lambda m, s=s: reflow.sample(m, s), s)
               for s in (1, 2)]
print(format_table(reflow_rows))

# %% [markdown]
# Reflow straightens the OT flow's paths further, and one Euler step now reaches all eight
# modes, though fewer than half of its samples lie within three standard deviations of one;
# two steps put most of them there. The pairs are only as good as the teacher that made them,
# and one step is only as good as the fit at $t = 0$ of a map that jumps between modes.
#
# **Distillation** (Liu et al. 2023, Sec. 2.3) spends the network on that one fit: the same
# pairs, the same objective, but at $t = 0$ alone,
# $\min_\theta \mathbb E\,\|v_\theta(x_0, 0) - (x_1 - x_0)\|^2$, starting from the reflow's
# weights. The map it must learn is nearly constant on each of eight sectors of the noise
# plane and jumps at their borders; reflow made it a map (each $x_0$ has one $x_1$),
# distillation makes it precise.

# %%
distilled = recipes.toy_distilled(cfgs["distill"], seed=0, progress=True)
distill_rows = [score_ring("reflow distilled, 1 step", lambda m: distilled.sample(m, 1), 1)]
print(f"distillation: {cfgs['distill'].steps} steps at t = 0 on the reflow's pairs")
print(format_table(reflow_rows[:1] + distill_rows))

# %% [markdown]
# One distilled step puts 83% of the samples on the modes, against 44% for the reflow's one
# Euler step and as many as its two (83%): the same pairs and the same network, with the
# training spent at the one time the sampler uses. The benchmark trains it four times
# longer, on three seeds.

# %% [markdown]
# ## Consistency models: the ODE in one or two steps
#
# A **consistency model** (Song et al. 2023) learns the whole ODE map at once: a function
# $f_\theta(x_t, t)$ that returns the end point $x_1$ of the trajectory through $x_t$, for
# every $t$. Points on one trajectory must give the same answer (self-consistency), and
# $f(x, 1) = x$; we build that boundary in, $f_\theta(x_t, t) = x_t + (1-t)\,F_\theta(x_t,t)$,
# and start $F_\theta$ from the flow's velocity network, so that at first $f$ is one Euler
# step to $t = 1$. We **distil** the trained flow: solve its ODE from 20,000 noise points,
# keep each trajectory at $N = 18$ times, and regress $f_\theta(x_{t_n}, t_n)$ on the
# trajectory's end point (Luhman and Luhman 2021 distil the $t = 0$ map this way; Song et
# al.'s consistency distillation replaces the end point by the student's own prediction one
# ODE step later, which needs no stored trajectories). One step samples $x_1 = f(x_0, 0)$; a
# second step re-noises that estimate to an intermediate time on the path and maps it again,
# which repairs points that the first step left between two modes. The teacher is the
# independent-coupling flow: its marginals are the path's, so the re-noised points land where
# its trajectories pass.
#
# Two details decide the second step's precision. The error of $f$ is $(1 - t)$ times the
# error of $F_\theta$, so an unweighted squared error hardly asks for precision near $t = 1$;
# we divide it by $(1 - t_n)^2$, which makes $F_\theta$ regress the mean velocity to the end,
# $(x_1 - x_{t_n})/(1 - t_n)$, equally at every $t_n$. And the network is trained at the 18
# grid times only, so the second step re-noises to one of them, $t_{15} = 15/17 \approx 0.88$.

# %%
cm = recipes.toy_consistency(cfgs["cm"], seed=0, progress=True)
print(f"consistency distillation: {cfgs['cm'].steps} steps on {cfgs['cm'].n_traj} trajectories, "
      f"N = {cfgs['cm'].N} times; the second step re-noises to t = {recipes.CM_TIMES[1]:.3f}")
cm_rows = [score_ring("consistency, 1 step", lambda m: cm.sample(m, 1), 1),
           score_ring("consistency, 2 steps", lambda m: cm.sample(m, 2, times=recipes.CM_TIMES), 2)]
print(format_table(cm_rows))

# %% [markdown]
# At this budget the consistency model's one step is the least precise one-step sampler of
# the chapter: 27% of its samples lie on the modes, against the reflow's 44%. The first step
# leaves points between two modes, and the second, from a fresh $x_{t_{15}}$, moves them:
# two steps put 88% there, more than the reflow's two steps (83%).

# %% [markdown]
# ## One view: eps, $x$, score and velocity
#
# On a Gaussian path every prediction a network can make is an affine function of $x_t$ and
# of the posterior mean of the noise, $\hat\epsilon = \mathbb E[x_0 \mid x_t]$:
#
# $$\hat x = \frac{x_t - \sigma_t \hat\epsilon}{\alpha_t},\qquad
# \nabla \log p_t(x_t) = -\frac{\hat\epsilon}{\sigma_t}\ \text{(Tweedie)},\qquad
# u_t(x_t) = \dot\alpha_t\,\hat x + \dot\sigma_t\,\hat\epsilon .$$
#
# So chapter 07's $\epsilon_\theta$, chapter 08's $s_\theta$ and this chapter's $v_\theta$ are
# the same model written three ways, and `param.convert` turns one into another (the unit
# tests round-trip every pair and check them against a Gaussian mixture's exact score and
# posterior mean, and the converted velocity against the continuity equation). The VP path's
# velocity, converted from DDPM's $\epsilon$, is the probability-flow ODE of chapter 08.
#
# DDIM with $\eta = 0$ is an Euler method. Divide $x_t = \alpha x + \sigma\epsilon$ by
# $\alpha + \sigma$: $y = x_t/(\alpha+\sigma) = \tau x + (1-\tau)\epsilon$ with
# $\tau = \alpha/(\alpha+\sigma)$, a point of the *linear* path with the same $x$ and
# $\epsilon$. An Euler step of the linear path's velocity $\hat x - \hat\epsilon$ in
# $(\tau, y)$ lands on $\tau' \hat x + (1-\tau')\hat\epsilon$, which is DDIM's update
# $\alpha'\hat x + \sigma'\hat\epsilon$ after multiplying back by $\alpha'+\sigma'$. Checked
# here on chapter 07's ring-8 DDPM (the comparison table below uses it too):

# %%
ddpm = recipes.ring_ddpm(seed=0, steps=cfgs["ddpm_steps"], progress=True)
steps = 10
x_T = torch.randn(1000, 2, generator=torch.Generator().manual_seed(5))
x_ddim = ddpm.ddim_sample(1000, steps, eta=0.0, x_T=x_T)
ts = [1 + i * ddpm.T // steps for i in range(steps)][::-1] + [0]  # DDIM's timesteps
ab = [(ddpm.alpha_bar[k].sqrt(), ddpm.one_minus_alpha_bar[k].sqrt()) for k in ts]  # (alpha, sigma)
y = x_T / (ab[0][0] + ab[0][1])
with torch.no_grad():
    for (k, (a, s)), (a2, s2) in zip(zip(ts, ab), ab[1:]):
        tau, tau2 = a / (a + s), a2 / (a2 + s2)
        v = lambda y_, t_, k=k, a=a, s=s: param.convert(ddpm.eps_theta(y_ * (a + s), k), y_,
                                                        fm.LinearPath().coeffs(t_), "eps", "v")
        y = fm.euler(v, y, tau, tau2 - tau)
x_euler = y * (ab[-1][0] + ab[-1][1])
ddim_gap = (x_euler - x_ddim).abs().max().item()
print(f"DDIM (eta = 0, {steps} steps) vs Euler on the linear path: largest difference "
      f"{ddim_gap:.1e} (float32)")

# %% [markdown]
# ## The comparison table
#
# Every sampler of chapters 07 and 10 on ring-8, at the chapter's training budgets (the
# DDPM and the flow with the same network, steps, batch size and learning rate):

# %%
table = [floor_row]
table += [score_ring("DDPM ancestral", lambda m: ddpm.sample(m), ddpm.T)]
table += [score_ring(f"DDIM {s}", lambda m, s=s: ddpm.ddim_sample(m, s), s) for s in (10, 50)]
done = {r["sampler"]: r for r in coupling_rows}  # rows already scored above
table += [dict(done[f"independent, Euler {s}"], sampler=f"FM Euler {s}") for s in (1, 4, 10)]
table += [score_ring("FM Euler 50", lambda m: flow.sample(m, 50), 50),
          dict(done["OT, Euler 4"], sampler="FM OT Euler 4")]
table += reflow_rows[:1] + distill_rows + cm_rows
print(format_table(table))

# %% [markdown]
# At the chapter's budget (6,000 training steps, against chapter 07's 16,000) ten Euler steps
# of the independent-coupling flow leave more samples between modes than the thousand
# ancestral DDPM steps, and fifty come within two standard errors of the ancestral sampler's
# W1; with the OT coupling, four steps already do. DDIM, also an ODE solver but in DDPM's
# parameterisation, is further from the data at ten steps than flow matching. One step needs
# straight paths (reflow) or a learned map (distillation, consistency): the distilled
# reflow's one network call and the consistency model's two come within two standard errors
# of the W1 of fifty Euler steps. `python -m gmcourse.bench
# flow_matching` makes the same table at the full budget over three seeds, and adds digits.
#
# ## Likelihood: integrating the divergence along the ODE
#
# The flow is a continuous normalizing flow: along a trajectory the log-density changes by
# the divergence of the field (chapter 05's change of variables, made continuous; Chen et al.
# 2018),
#
# $$\frac{d}{dt}\log p_t(x(t)) = -\nabla\cdot v(x(t), t) \quad\Rightarrow\quad
# \log p_1(x_1) = \log p_0(x(0)) - \int_0^1 \nabla\cdot v(x(t), t)\, dt,$$
#
# integrated backwards from $x(1) = x_1$. In 2D the divergence is exact (two backward
# passes); in high dimension **Hutchinson's estimator** $\nabla\cdot v \approx z^\top
# (\partial v/\partial x)\, z$ with random signs $z$ needs one (FFJORD, Grathwohl et al. 2019):
# unbiased, with a standard error we can report. On the checkerboard (entropy
# $\log 32 = 3.466$ nats, the floor), against chapter 05's spline flow:

# %%
board = data.toy("checkerboard")
flow_cb = recipes.toy_fm(cfgs["checkerboard"], seed=0, progress=True)
x_cb = board.sample(pick(smoke=200, lecture=2000), generator=torch.Generator().manual_seed(123))
nll_fm = -flow_cb.log_prob(x_cb, steps=recipes.LOGP_STEPS).mean().item()
spline = recipes.trained(cfgs["spline"], steps=cfgs["spline"].config.train.steps, progress=True)
with torch.no_grad():
    nll_spline = -spline.log_prob(x_cb).mean().item()
print(f"checkerboard test NLL: flow matching ({cfgs['checkerboard'].steps} steps) {nll_fm:.3f}, "
      f"spline flow ({cfgs['spline'].config.train.steps} steps) {nll_spline:.3f}, floor 3.466 nats")
x_few = x_cb[:5]
exact = flow_cb.log_prob(x_few, steps=recipes.LOGP_STEPS)
torch.manual_seed(8)
draws = torch.stack([flow_cb.log_prob(x_few, steps=recipes.LOGP_STEPS, div=fm.hutchinson_div)
                     for _ in range(pick(smoke=3, lecture=20))])
hutch_z = ((draws.mean(0) - exact) / (draws.std(0) / len(draws) ** 0.5)).abs()
for e, m, s in zip(exact, draws.mean(0), draws.std(0) / len(draws) ** 0.5):
    print(f"log p: exact trace {e:7.3f}   Hutchinson {m:7.3f} +- {s:.3f}")
fig, axes = plt.subplots(1, 2, figsize=(8, 3.8))
viz.plot_density(lambda z: flow_cb.log_prob(z, steps=20), extent=4.5, n=pick(smoke=30, lecture=100),
                 ax=axes[0], title="flow matching: ODE density")
with torch.no_grad():
    viz.plot_density(spline.log_prob, extent=4.5, n=100, ax=axes[1], title="spline flow")
fig.tight_layout()

# %% [markdown]
# The exact trace and the mean of the Hutchinson estimates agree within three standard
# errors at every point. At the chapter's budgets the spline flow, trained by maximum
# likelihood, is closer to the floor than the flow-matching ODE: flow matching fits the
# velocity, not the density, and the ODE's density blurs the checkerboard's sharp edges
# (the left panel). The benchmark trains both for longer and compares their test NLL with
# the floor.
#
# ## Digits: conditional flow matching with guidance, in 1 to 20 steps
#
# The velocity network becomes chapter 07's small UNet with a label input and label dropout,
# so that classifier-free guidance works as for eps (the velocity is affine in eps):
# $\tilde v = (1+w)\,v_\theta(x, t, y) - w\, v_\theta(x, t, \varnothing)$.

# %%
digits_flow = recipes.digits_fm(seed=0, steps=cfgs["digits_steps"], progress=True)
clf = digit_classifier(steps=pick(smoke=300, lecture=1500))
labels = torch.arange(10).repeat(pick(smoke=1, lecture=5))
x0_digits = torch.randn(len(labels), 1, 8, 8, generator=torch.Generator().manual_seed(6))
digit_steps = (1, 2, 4, 10, 20)
digit_samples = {}
for s in digit_steps:
    digit_samples[s] = digits_flow.sample(len(labels), s, fm.euler, x0=x0_digits, y=labels, w=2.0)
    acc = (clf.predict(digit_samples[s]) == labels).float().mean().item()
    print(f"Euler {s:2d} steps, guidance w = 2: classified as the requested digit {100 * acc:5.1f}%")
fig, axes = plt.subplots(1, len(digit_steps), figsize=(15, 2.6))  # same noise in every panel
for ax, s in zip(axes, digit_steps):
    viz.image_grid(digit_samples[s][:30], nrow=10, ax=ax, title=f"{s} Euler steps")
fig.tight_layout()

# %%
x_test = data.load_images("digits", "test")[:pick(smoke=100, lecture=None)]
digit_rows = []
for s in (4, 10, 20):
    torch.manual_seed(0)
    t0 = time.perf_counter()
    xs = digits_flow.sample(len(x_test), s)  # uniform labels, no guidance: p(x)
    sec = time.perf_counter() - t0
    sc = classifier_scores(x_test, xs, clf)
    digit_rows.append({"sampler": f"FM Euler {s}", "FID": sc["fid"], "precision": sc["precision"],
                       "recall": sc["recall"], "samples/s": len(x_test) / sec})
print(format_table(digit_rows))

# %% [markdown]
# With guidance even one Euler step gives the requested digit; without guidance (the table,
# labels drawn uniformly) more steps bring the samples closer to the test digits, with higher
# recall at a small cost in precision.

# %% [markdown]
# ## A widget: steps, solver and coupling
#
# Every combination is sampled once from the same noise when the widget is built; moving a
# control only redraws.

# %% tags=["nbval-ignore-output"]
import ipywidgets as W

state = figures.flow_sampler_state({"independent": flow, "OT": flow_ot})
widgets.live(lambda fig, **kw: figures.draw_flow_sampler(fig, state=state, **kw), figsize=(10, 4.2),
             steps=W.SelectionSlider(options=list(figures.FLOW_STEPS), value=10, description="steps"),
             solver=W.Dropdown(options=list(fm.SOLVERS), value="Euler", description="solver"),
             coupling=W.Dropdown(options=["independent", "OT"], value="independent",
                                 description="coupling"))

# %% [markdown]
# ## What you should now know
#
# * A probability path joins noise and data pairwise; regressing a network on the pairs'
#   velocities (conditional flow matching) learns the marginal velocity field, whose ODE
#   carries $p_0$ to $p_1$. No simulation during training, no noise schedule, no Jacobian.
# * Sampling is solving an ODE: Euler, midpoint and Heun trade steps for network calls; the
#   coupling (independent or minibatch OT) and reflow decide how straight, and so how cheap
#   to integrate, the paths are.
# * One step needs a map, not a field: reflow's pairs define one and distillation at $t = 0$
#   fits it; a consistency model distils the ODE into a map from any $x_t$ to $x_1$, one or
#   two network calls per sample.
# * eps, $x$, score and velocity are the same prediction on a Gaussian path; DDIM is Euler on
#   the linear path in rescaled coordinates, and the probability-flow ODE is the VP path's
#   flow.
# * The flow has an exact log-likelihood, by integrating the divergence along the ODE
#   (exactly in 2D, with Hutchinson's unbiased estimate in high dimension).
#
# ## What to try
#
# In the widget, set one step and switch the coupling: why does the independent coupling's
# one-step sample collapse to the centre, and the OT coupling's not? Then raise the steps:
# at how many Euler steps do both reach all eight modes, and does Heun at half the steps
# do better or worse? Change `cfgs["fm"]` to the VP path (`path="vp"`) and compare its
# trajectories with the linear path's.

# %%
run_time()
