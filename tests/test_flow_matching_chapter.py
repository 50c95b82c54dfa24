"""Chapter 10's claims, at the chapter's own settings (models shared through the checkpoint
cache with the chapter; the same seeds and sample sizes as its cells)."""
import pytest
import torch

from gmcourse import flow_matching as fm
from gmcourse import param
from gmcourse import recipes
from gmcourse.config import set_threads
from gmcourse.data import ring8, toy
from gmcourse.divergences import wasserstein_batches
from gmcourse.metrics import mode_coverage

N, K = 1000, 4  # the chapter's n and K (lecture profile)


@pytest.fixture(scope="module")
def chapter():
    set_threads()
    cfgs = recipes.chapter_configs("lecture")
    ring = ring8()
    g = torch.Generator().manual_seed(7)
    refs = [ring.sample(N, generator=g) for _ in range(K)]
    models = {"flow": recipes.toy_fm(cfgs["fm"], 0), "flow_ot": recipes.toy_fm(cfgs["fm_ot"], 0),
              "reflow": recipes.toy_reflow(cfgs["reflow"], 0),
              "cm": recipes.toy_consistency(cfgs["cm"], 0),
              "distilled": recipes.toy_distilled(cfgs["distill"], 0),
              "ddpm": recipes.ring_ddpm(0, cfgs["ddpm_steps"])}
    return cfgs, ring, refs, models


def _score(ring, refs, draw):
    torch.manual_seed(2)  # as the chapter's score_ring
    x = draw(K * N)
    cov = mode_coverage(x, ring)
    w1, se = wasserstein_batches(x, refs)
    return {"modes": cov.modes, "hq": cov.high_quality, "w1": w1, "se": se, "x": x}


def test_straightness_falls_with_ot_and_with_reflow(chapter):
    _, _, _, m = chapter
    s = {k: fm.straightness(m[k]) for k in ("flow", "flow_ot", "reflow")}
    assert s["flow_ot"] < 0.5 * s["flow"]
    assert s["reflow"] < 0.5 * s["flow_ot"]


def test_one_step_of_the_independent_flow_lands_near_the_mean(chapter):
    """v(x, 0) = E[x1] - x: one Euler step sends every point near the data mean, 0."""
    _, ring, refs, m = chapter
    r = _score(ring, refs, lambda n: m["flow"].sample(n, 1))
    assert r["x"].norm(dim=1).mean() < 0.25 and r["modes"] == 0


def test_ddim_is_euler_on_the_linear_path_in_float32(chapter):
    _, _, _, m = chapter
    ddpm, steps = m["ddpm"], 10
    x_T = torch.randn(1000, 2, generator=torch.Generator().manual_seed(5))
    x_ddim = ddpm.ddim_sample(1000, steps, eta=0.0, x_T=x_T)
    ts = [1 + i * ddpm.T // steps for i in range(steps)][::-1] + [0]
    ab = [(ddpm.alpha_bar[k].sqrt(), ddpm.one_minus_alpha_bar[k].sqrt()) for k in ts]
    y = x_T / (ab[0][0] + ab[0][1])
    with torch.no_grad():
        for (k, (a, s)), (a2, s2) in zip(zip(ts, ab), ab[1:]):
            tau, tau2 = a / (a + s), a2 / (a2 + s2)
            v = lambda y_, t_, k=k, a=a, s=s: param.convert(  # noqa: E731
                ddpm.eps_theta(y_ * (a + s), k), y_, fm.LinearPath().coeffs(t_), "eps", "v")
            y = fm.euler(v, y, tau, tau2 - tau)
    assert (y * (ab[-1][0] + ab[-1][1]) - x_ddim).abs().max() < 1e-5


def test_euler_is_not_beaten_by_second_order_solvers_at_equal_calls(chapter):
    """The solver table: at 4 and 10 network calls Euler's mean W1 is within one standard
    error of, or below, the best of midpoint and Heun at half the steps."""
    _, ring, refs, m = chapter
    for calls in (4, 10):
        r = {name: _score(ring, refs, lambda n, s=solver: m["flow"].sample(
            n, calls // fm.CALLS[s], s)) for name, solver in fm.SOLVERS.items()}
        best = min(r["midpoint"]["w1"], r["Heun"]["w1"])
        assert r["Euler"]["w1"] <= best + r["Euler"]["se"], calls


def test_couplings_reflow_and_consistency(chapter):
    """The coupling, reflow and consistency tables: OT reaches all modes in 4 Euler steps
    with most samples on them, the independent flow needs about 10; reflow's one step reaches
    all modes with fewer than half the samples on them and two steps most; the distilled
    reflow's one step puts as many there as the reflow's two (within 5 points) and 1.5 times
    the reflow's one; the consistency model is less precise than reflow in one step, and in
    two steps puts most samples on the modes, more than the reflow's two steps."""
    _, ring, refs, m = chapter
    ot4 = _score(ring, refs, lambda n: m["flow_ot"].sample(n, 4))
    ind4 = _score(ring, refs, lambda n: m["flow"].sample(n, 4))
    ind10 = _score(ring, refs, lambda n: m["flow"].sample(n, 10))
    assert ot4["modes"] == 8 and ot4["hq"] > 0.5
    assert ind4["modes"] < 8 and ind10["modes"] == 8
    rf1 = _score(ring, refs, lambda n: m["reflow"].sample(n, 1))
    rf2 = _score(ring, refs, lambda n: m["reflow"].sample(n, 2))
    assert rf1["modes"] == 8 and rf1["hq"] < 0.5 < rf2["hq"]
    cm1 = _score(ring, refs, lambda n: m["cm"].sample(n, 1))
    cm2 = _score(ring, refs, lambda n: m["cm"].sample(n, 2, times=recipes.CM_TIMES))
    assert cm1["hq"] < rf1["hq"] and cm2["hq"] > max(0.5, rf2["hq"])
    d1 = _score(ring, refs, lambda n: m["distilled"].sample(n, 1))
    assert d1["modes"] == 8 and d1["hq"] > 1.5 * rf1["hq"] and abs(d1["hq"] - rf2["hq"]) < 0.05


def test_comparison_table(chapter):
    """Ten Euler steps leave more samples between modes than ancestral DDPM; fifty, and four
    with the OT coupling, are within two standard errors of its W1; DDIM 10 is further from
    the data than FM 10; the distilled reflow (1 call) and the consistency model (2 calls)
    are within two standard errors of FM 50's W1."""
    _, ring, refs, m = chapter
    anc = _score(ring, refs, lambda n: m["ddpm"].sample(n))
    ddim10 = _score(ring, refs, lambda n: m["ddpm"].ddim_sample(n, 10))
    fm10 = _score(ring, refs, lambda n: m["flow"].sample(n, 10))
    assert fm10["hq"] < anc["hq"]
    fm50 = _score(ring, refs, lambda n: m["flow"].sample(n, 50))
    for r in (fm50, _score(ring, refs, lambda n: m["flow_ot"].sample(n, 4))):
        assert abs(r["w1"] - anc["w1"]) < 2 * (r["se"] ** 2 + anc["se"] ** 2) ** 0.5
    assert ddim10["w1"] > fm10["w1"]
    # one or two calls: the distilled reflow and the consistency model's two steps
    for r in (_score(ring, refs, lambda n: m["distilled"].sample(n, 1)),
              _score(ring, refs, lambda n: m["cm"].sample(n, 2, times=recipes.CM_TIMES))):
        assert abs(r["w1"] - fm50["w1"]) < 2 * (r["se"] ** 2 + fm50["se"] ** 2) ** 0.5


def test_digits_guided_in_one_step_and_fid_falls_with_steps():
    from gmcourse.classifier import digit_classifier
    from gmcourse.data import load_images
    from gmcourse.metrics import classifier_scores
    set_threads()
    flow = recipes.digits_fm(seed=0, steps=recipes.chapter_configs("lecture")["digits_steps"])
    clf = digit_classifier(steps=1500)
    labels = torch.arange(10).repeat(5)
    x0 = torch.randn(len(labels), 1, 8, 8, generator=torch.Generator().manual_seed(6))
    x = flow.sample(len(labels), 1, fm.euler, x0=x0, y=labels, w=2.0)
    assert (clf.predict(x) == labels).float().mean() >= 0.95
    x_test = load_images("digits", "test")
    scores = []
    for s in (4, 10, 20):
        torch.manual_seed(0)
        scores.append(classifier_scores(x_test, flow.sample(len(x_test), s), clf))
    assert scores[0]["fid"] > scores[1]["fid"] > scores[2]["fid"]
    assert scores[0]["recall"] < scores[2]["recall"] and scores[0]["precision"] > scores[2]["precision"]


def test_hutchinson_matches_the_exact_trace_on_the_checkerboard_flow():
    """The chapter's five points: the mean of 20 Hutchinson log-densities is within three
    standard errors of the exact-trace log-density at each."""
    set_threads()
    cfgs = recipes.chapter_configs("lecture")
    flow_cb = recipes.toy_fm(cfgs["checkerboard"], 0)
    x = toy("checkerboard").sample(2000, generator=torch.Generator().manual_seed(123))[:5]
    exact = flow_cb.log_prob(x, steps=recipes.LOGP_STEPS)
    torch.manual_seed(8)
    draws = torch.stack([flow_cb.log_prob(x, steps=recipes.LOGP_STEPS, div=fm.hutchinson_div)
                         for _ in range(20)])
    se = draws.std(0) / 20 ** 0.5
    assert ((draws.mean(0) - exact).abs() < 3 * se).all()
    assert (se > 0).all()


def test_spline_flow_beats_the_ode_likelihood_at_the_chapter_budget():
    """The chapter's checkerboard comparison: test NLL of the spline flow (maximum likelihood)
    below that of the flow-matching ODE, both above the floor log 32."""
    import math

    set_threads()
    cfgs = recipes.chapter_configs("lecture")
    board = toy("checkerboard")
    flow_cb = recipes.toy_fm(cfgs["checkerboard"], 0)
    x = board.sample(2000, generator=torch.Generator().manual_seed(123))
    nll_fm = -flow_cb.log_prob(x, steps=recipes.LOGP_STEPS).mean().item()
    spline = recipes.trained(cfgs["spline"], steps=cfgs["spline"].config.train.steps)
    with torch.no_grad():
        nll_spline = -spline.log_prob(x).mean().item()
    assert math.log(32) < nll_spline < nll_fm
