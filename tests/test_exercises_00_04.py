"""The exercise machinery and the checkers of chapters 00-04.

For every exercise: the solution (solutions/NN_topic.py) passes, and realistic wrong answers
fail with a message that names the mistake. The chapters' exercise cells, run with their
blank stubs, report "not attempted yet" and never raise; progress() reads the stored
outputs of notebooks.
"""
import contextlib
import io
import math
import runpy
import sys

import nbformat
import pytest
import torch

from exercise_support import NAMES as ALL_NAMES, solution
from gmcourse.exercises import REGISTRY, Result, Wrong, check, hint, progress, register
from gmcourse.exercises.core import run_checker

NAMES = {k: v for k, v in ALL_NAMES.items() if k in ('00', '01', '02', '03', '04')}
KEYS = sorted(k for k in REGISTRY if k[:2] in NAMES)




# --- the exercises: enough of them, of each kind ----------------------------------------







# --- wrong answers and the mistake each message must name -------------------------------

def _affine_missing_half(x, mu, L):
    z = torch.linalg.solve_triangular(L, (x - mu).T, upper=False).T
    return -(z ** 2).sum(-1) - 0.5 * len(mu) * math.log(2 * math.pi) - L.diagonal().log().sum()


def _affine_transposed(x, mu, L):
    z = torch.linalg.solve_triangular(L.T, (x - mu).T, upper=True).T
    return -0.5 * (z ** 2).sum(-1) - 0.5 * len(mu) * math.log(2 * math.pi) - L.diagonal().log().sum()


def _forward_kl(p, q, n):
    x = p.sample(n).double()
    return (p.log_prob(x) - q.log_prob(x)).mean()


def _mmd(x, y, h, scale=2.0, biased=False, cross=2.0):
    k = lambda a, b: torch.exp(-torch.cdist(a, b) ** 2 / (scale * h ** 2))  # noqa: E731
    n, m = len(x), len(y)
    kxx, kyy = k(x, x), k(y, y)
    if biased:
        return kxx.mean() + kyy.mean() - cross * k(x, y).mean()
    return ((kxx.sum() - kxx.trace()) / (n * (n - 1)) + (kyy.sum() - kyy.trace()) / (m * (m - 1))
            - cross * k(x, y).mean())


def _v_missing_pg(log_p, log_pg, area):
    return (log_p.exp() * (log_p - torch.logaddexp(log_p, log_pg))).sum() * area


def _gp(f, x_real, x_fake, lam=10.0, *, graph=True, square=False, one_sided=False,
        at_real=False):
    eps = torch.rand(len(x_real), 1)
    x_hat = (x_real.clone() if at_real else eps * x_real + (1 - eps) * x_fake).requires_grad_(True)
    (g,) = torch.autograd.grad(f(x_hat).sum(), x_hat, create_graph=graph)
    norm = g.pow(2).sum(1) if square else g.norm(dim=1)
    gap = (norm - 1).clamp_min(0) if one_sided else norm - 1
    return lam * gap.pow(2).mean()


def _elbo_wrong(trace=True, kl_sign=-1.0, s_var=False):
    def elbo(x, W, b, s, m, S):
        D, d = W.shape
        v = s if s_var else s ** 2
        r = x - m @ W.T - b
        rec = -0.5 * D * math.log(2 * math.pi * v) - (
            (r ** 2).sum(-1) + (torch.trace(W @ S @ W.T) if trace else 0.0)) / (2 * v)
        kl = 0.5 * (torch.trace(S) + (m ** 2).sum(-1) - d - torch.logdet(S))
        return rec + kl_sign * kl
    return elbo


def _symmetric_root(sigma):
    """The symmetric square root of sigma: a root, but not lower triangular."""
    lam, v = torch.linalg.eigh(torch.tensor(sigma, dtype=torch.float64))
    return v @ torch.diag(lam.sqrt()) @ v.T


def _lse_naive(log_w):
    return log_w.exp().mean(0).log()


# key -> [(id, answer or (lambda: answer built from the solution), words the message names)]
WRONG = {
    "00.affine_log_prob": [
        ("logdet-sign", lambda: lambda x, mu, L: solution("00", "affine_log_prob")(x, mu, L)
         + 2 * L.diagonal().log().sum(), "wrong sign of the log-determinant"),
        ("missing-half", _affine_missing_half, "missing 1/2"),
        ("solve-with-LT", _affine_transposed, "solving with L^T"),
        ("summed-batch", lambda: lambda x, mu, L: solution("00", "affine_log_prob")(x, mu, L).sum(),
         "axis that should stay"),
    ],
    "00.lognormal_density": [
        ("no-jacobian", lambda x, m, s: torch.distributions.Normal(m, s).log_prob(x.log()),
         "missing Jacobian"),
        ("missing-1/s", lambda x, m, s: torch.distributions.Normal(0.0, 1.0).log_prob(
            (x.log() - m) / s) - x.log(), "missing 1/s"),
        ("jacobian-sign", lambda x, m, s: torch.distributions.Normal(m, s).log_prob(x.log())
         + x.log(), "wrong sign"),
    ],
    "00.cholesky": [
        ("upper", [[2.0, 1.0], [0.0, 3.0]], "upper-triangular factor"),
        ("entrywise-sqrt-lower", [[2.0, 0.0], [2 ** 0.5, 10 ** 0.5]], "check b = Sigma_12 / a"),
        ("negative-diagonal", [[2.0, 0.0], [1.0, -3.0]], "not positive"),
        ("symmetric-root", _symmetric_root([[4.0, 2.0], [2.0, 10.0]]), "not lower triangular"),
    ],
    "01.kl_gaussians": [
        ("other-direction", lambda m1, s1, m2, s2: math.log(s1 / s2)
         + (s2 ** 2 + (m1 - m2) ** 2) / (2 * s1 ** 2) - 0.5, "other direction"),
        ("std-for-variance", lambda m1, s1, m2, s2: math.log(s2 / s1)
         + (s1 + (m1 - m2) ** 2) / (2 * s2) - 0.5, "standard deviations used where variances"),
        ("missing-half", lambda m1, s1, m2, s2: math.log(s2 / s1)
         + (s1 ** 2 + (m1 - m2) ** 2) / s2 ** 2 - 1, "missing 1/2"),
    ],
    "01.reverse_kl": [
        ("forward-kl", _forward_kl, "forward KL"),
        ("sign", lambda: lambda p, q, n: -solution("01", "reverse_kl")(p, q, n), "wrong sign"),
    ],
    "01.reverse_kl_one_mode": [
        ("sign", lambda w: math.log(w), "wrong sign"),
        ("other-mode", lambda w: -math.log(1 - w), "other mode"),
        ("constant", lambda w: math.log(2), "equal-weight case"),
    ],
    "01.mmd2": [
        ("biased", lambda x, y, h: _mmd(x, y, h, biased=True), "biased estimate"),
        ("kernel-missing-2", lambda x, y, h: _mmd(x, y, h, scale=1.0), "missing 2 in 2 h^2"),
        ("cross-factor", lambda x, y, h: _mmd(x, y, h, cross=1.0), "factor 2 on the cross term"),
    ],
    "02.optimal_discriminator": [
        ("exp-underflow", lambda lp, lg: lp.exp() / (lp.exp() + lg.exp()), "underflows"),
        ("swapped", lambda lp, lg: torch.sigmoid(lg - lp), "swapped"),
        ("logit", lambda lp, lg: lp - lg, "logit"),
        ("ratio", lambda lp, lg: (lp - lg).exp(), "not normalised"),
    ],
    "02.value_at_optimum": [
        ("missing-pg-term", _v_missing_pg, "missing p_g log(1 - D*) term"),
        ("no-area", lambda: lambda lp, lg, a: solution("02", "value_at_optimum")(lp, lg, 1.0),
         "missing cell area"),
    ],
    "02.nonsat_gradient": [
        ("minimax", lambda d: -torch.sigmoid(d), "minimax (saturating)"),
        ("sign", lambda d: 1 - torch.sigmoid(d), "wrong sign"),
        ("sigmoid-prime", lambda d: -torch.sigmoid(d) * (1 - torch.sigmoid(d)),
         "without dividing by sigmoid(d)"),
    ],
    "03.critic_loss": [
        ("sign", lambda r, f: r.mean() - f.mean(), "wrong sign"),
        ("gan-loss", lambda r, f: torch.nn.functional.softplus(-r).mean()
         + torch.nn.functional.softplus(f).mean(), "no sigmoid"),
        ("sums", lambda r, f: f.sum() - r.sum(), "sums instead of means"),
    ],
    "03.gradient_penalty": [
        ("no-create-graph", lambda f, x, y, lam=10.0: _gp(f, x, y, lam, graph=False), "create_graph=True"),
        ("squared-norm", lambda f, x, y, lam=10.0: _gp(f, x, y, lam, square=True),
         "squared gradient norm"),
        ("one-sided", lambda f, x, y, lam=10.0: _gp(f, x, y, lam, one_sided=True), "one-sided"),
        ("at-real-points", lambda f, x, y, lam=10.0: _gp(f, x, y, lam, at_real=True),
         "Lipschitz constant"),
    ],
    "03.w1_scales": [
        ("w2", lambda s1, s2: abs(s1 - s2), "that is W2"),
        ("no-abs", lambda s1, s2: (s1 - s2) * math.sqrt(2 / math.pi), "negative distance"),
        ("squared", lambda s1, s2: (s1 - s2) ** 2, "squared distance"),
    ],
    "03.clip_bound": [
        ("row-sum", lambda n_out, n_in, c: c * n_in, "row-sum bound"),
        ("one-weight", lambda n_out, n_in, c: c, "one weight's bound"),
        ("sum-of-entries", lambda n_out, n_in, c: c * n_out * n_in, "sum of all entries"),
    ],
    "04.kl_normal": [
        ("log-var-as-var", lambda mu, lv: 0.5 * (lv + mu ** 2 - 1 - lv.log()).sum(-1),
         "log-variance used as the variance"),
        ("log-var-as-log-std", lambda mu, lv: 0.5 * ((2 * lv).exp() + mu ** 2 - 1 - 2 * lv).sum(-1),
         "log standard deviation"),
        ("missing-half", lambda mu, lv: (lv.exp() + mu ** 2 - 1 - lv).sum(-1), "missing 1/2"),
        ("batch-axis", lambda mu, lv: 0.5 * (lv.exp() + mu ** 2 - 1 - lv).sum(0),
         "wrong axis"),
    ],
    "04.reparameterize": [
        ("exp-log-var-as-std", lambda mu, lv: mu + lv.exp() * torch.randn_like(mu),
         "log standard deviation"),
        ("no-gradient", lambda mu, lv: torch.normal(mu.detach(), (0.5 * lv).exp().detach()),
         "no gradient reaches mu"),
        ("no-noise", lambda mu, lv: mu + 0 * lv, "does not vary"),
    ],
    "04.elbo": [
        ("missing-trace", _elbo_wrong(trace=False), "missing trace term"),
        ("kl-added", _elbo_wrong(kl_sign=1.0), "KL added"),
        ("s-as-variance", _elbo_wrong(s_var=True), "s used as the variance"),
    ],
    "04.iwae": [
        ("underflow", _lse_naive, "underflows"),
        ("elbo", lambda lw: lw.mean(0), "the ELBO"),
        ("wrong-axis", lambda lw: torch.logsumexp(lw, 1) - math.log(lw.shape[1]), "wrong axis"),
        ("missing-log-k", lambda lw: torch.logsumexp(lw, 0), "missing -log k"),
    ],
}

CASES = [(key, name, answer, words) for key, rows in WRONG.items() for name, answer, words in rows]


def test_every_exercise_has_two_wrong_answers():
    assert set(WRONG) == set(KEYS)
    assert all(len(rows) >= 2 for rows in WRONG.values())


def _build(answer):
    """Answers written as `lambda: <answer>` are built from a solution when used."""
    if callable(answer) and getattr(answer, "__code__", None) is not None \
            and answer.__code__.co_argcount == 0:
        return answer()
    return answer


@pytest.mark.parametrize("key,name,answer,words", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_wrong_answer_is_rejected_with_the_mistake_named(key, name, answer, words):
    result = run_checker(key, _build(answer))
    assert result.status == "failed", result.message
    assert words in result.message, result.message


# --- the machinery ------------------------------------------------------------------------

def test_stubs_report_not_attempted_and_never_raise(capsys):
    def stub(x, mu, L):
        raise NotImplementedError

    def forgot_return(x, mu, L):
        x + 1

    for answer in (stub, ..., None, forgot_return):
        result = check("00.affine_log_prob", answer)
        assert isinstance(result, Result) and not result.passed
        assert result.status == "not attempted"
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and all(line.startswith("· 00.affine_log_prob not attempted yet") for line in out)
    assert "forget `return`" in out[-1]


def test_a_crashing_answer_fails_with_its_error():
    result = check("04.iwae", lambda lw: lw.no_such_method())
    assert result.status == "failed" and "AttributeError" in result.message


def test_check_keeps_the_students_random_state():
    answer = solution("04", "reparameterize")  # (running the solutions seeds the generator)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check("04.reparameterize", answer)
    assert torch.equal(torch.rand(3), expected)


def test_register_wrong_and_hint(capsys, monkeypatch):
    from gmcourse.exercises import core
    texts = core._texts()
    monkeypatch.setitem(texts, "99.demo_exercise",
                        {"title": "a demo", "kind": "concept", "hint": "think\nof  42"})
    monkeypatch.setitem(texts, "99.x", {"title": "t", "kind": "essay", "hint": "h"})

    @register("99.demo_exercise")
    def _demo(answer):
        if answer != 42:
            raise Wrong(f"expected 42, got {answer}")
        return "right"
    try:
        assert check("99.demo_exercise", 42).passed
        failed = check("99.demo_exercise", 41)
        assert not failed and failed.message == "expected 42, got 41"
        hint("99.demo_exercise")
        out = capsys.readouterr().out
        assert "✓ 99.demo_exercise passed: right" in out
        assert "✗ 99.demo_exercise failed: expected 42, got 41" in out
        assert "Hint for 99.demo_exercise (a demo): think of 42" in out  # one paragraph
    finally:
        del REGISTRY["99.demo_exercise"]
    with pytest.raises(ValueError, match="not of the form"):
        register("7.bad key")
    with pytest.raises(ValueError, match="is not one of"):
        register("99.x")
    with pytest.raises(ValueError, match="no entry in exercises.toml"):
        register("99.unwritten")
    with pytest.raises(KeyError):
        check("99.no_such_exercise", 1)


def test_every_text_in_the_file_has_its_checker_and_every_checker_its_text():
    import tomllib
    from gmcourse.exercises import core
    with open(core.TEXTS, "rb") as f:
        texts = tomllib.load(f)
    assert set(texts) == set(REGISTRY)
    for key, meta in texts.items():
        assert set(meta) == {"title", "kind", "hint"}, key
        assert len(meta["hint"].split()) >= 8, f"{key}: a hint says what to try"


def _notebook(tmp_path, name, outputs):
    book = nbformat.v4.new_notebook()
    for text in outputs:
        cell = nbformat.v4.new_code_cell("check(...)")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        book.cells.append(cell)
    path = tmp_path / name
    nbformat.write(book, path)
    return path


def test_progress_reads_the_latest_status_from_stored_outputs(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    a = _notebook(tmp_path, "00_introduction.ipynb", [
        "· 00.affine_log_prob not attempted yet: ...\n",
        "✗ 00.cholesky failed: that is the upper-triangular factor\n",
        "✓ 00.lognormal_density passed: ok\n"])
    b = _notebook(tmp_path, "04_vae.ipynb", ["✓ 04.elbo passed: ok\n", "✗ 04.elbo failed: no\n",
                                             "some other output\n✓ 04.iwae passed: ok\n"])
    rows = {r.key: r for r in progress([a, b])}
    assert set(rows) == set(REGISTRY)
    assert rows["00.affine_log_prob"].status == "not attempted"
    assert rows["00.cholesky"].status == "failed"
    assert rows["00.lognormal_density"].status == "passed"
    assert rows["04.elbo"].status == "failed" and rows["04.elbo"].notebook == "04_vae.ipynb"
    assert rows["04.iwae"].status == "passed"
    assert rows["01.mmd2"].status == "not attempted" and rows["01.mmd2"].notebook == ""
    assert {r.key for r in progress(tmp_path)} == set(REGISTRY)  # a folder works too
    out = io.StringIO()  # `python -m gmcourse.exercises FOLDER`, in this process
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        sys.argv = ["gmcourse.exercises", str(tmp_path)]
        runpy.run_module("gmcourse.exercises", run_name="__main__", alter_sys=True)
    assert done.value.code == 0
    total = len(REGISTRY)
    assert f"total: 2 of {total} passed, 2 failed, {total - 4} not attempted" in out.getvalue()
    assert "✓ 04.iwae" in out.getvalue() and "✗ 00.cholesky" in out.getvalue()








# --- the "what to try" prompts of the widgets say what the student will see ----------------

def test_change_of_variables_prompt():
    """Chapter 00: the peak stays at 1/sqrt(2 pi) for every a, the shoulders fall faster and
    the mass beyond [-4, 4] (the clamped outer bins) grows with a."""
    from gmcourse.intro import sinh_map, sinh_map_log_prob
    peak = 1 / math.sqrt(2 * math.pi)
    for a in (0.1, 1.0, 2.5):
        assert sinh_map_log_prob(torch.zeros(1), a).exp().item() == pytest.approx(peak, rel=1e-5)
    shoulder = [sinh_map_log_prob(torch.ones(1), a).exp().item() for a in (0.1, 2.5)]
    assert shoulder[1] < 0.6 * shoulder[0]
    z = torch.randn(20_000, generator=torch.Generator().manual_seed(0))
    outside = [(sinh_map(z, a).abs() > 4).float().mean().item() for a in (0.1, 2.5)]
    assert outside[0] < 0.001 and outside[1] > 0.15
    x = sinh_map(torch.linspace(-3, 3, 101), 0.1)
    assert torch.allclose(x, torch.linspace(-3, 3, 101), atol=0.05)  # f(z) ~ z at a = 0.1


def test_dirac_gan_prompt():
    """Chapter 02: what each setting of the Dirac-GAN widget (200 steps) does."""
    from gmcourse import dirac

    def end(method, h, gamma):
        d = dirac.distance(dirac.trajectory(dirac.METHODS[method], h, 200, gamma))
        return d[0], d[-1]
    for h in (0.02, 0.2, 1.0):  # (1) simultaneous steps never converge
        start, last = end("simultaneous", h, 0.0)
        assert last > start
    start, last = end("alternating", 0.2, 0.0)  # (2) a closed orbit
    assert abs(last / start - 1) < 0.1
    start, last = end("alternating", 0.2, 0.05)  # (3) an inward spiral
    assert last < 0.5 * start
    assert end("simultaneous", 1.0, 0.05)[1] > start  # still out with large Euler steps
    assert end("simultaneous", 1.0, 0.3)[1] < 0.05
    traj = dirac.trajectory(dirac.METHODS["alternating"], 0.02, 200, 1.0)  # (4) no circling,
    assert (traj[1:] < traj[:-1]).all() and (traj > 0).all()                 # but slow
    assert dirac.distance(traj)[-1] > 0.2 * dirac.distance(traj)[0]
