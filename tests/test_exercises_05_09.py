"""The checkers of chapters 05-09.

For every exercise: the solution (solutions/NN_topic.py) passes, and realistic wrong answers
fail with a message that names the mistake. The chapters' exercise cells, run with their
blank stubs, report "not attempted yet"; the stored solutions notebooks show every check
passed; the "what to try" prompts of chapters 05 and 06 say what the widgets show.
"""
import math

import pytest
import torch

from exercise_support import NAMES as ALL_NAMES, ROOT, solution
from gmcourse.exercises import REGISTRY
from gmcourse.exercises.core import run_checker

NAMES = {k: v for k, v in ALL_NAMES.items() if k in ('05', '06', '07', '08', '09')}
KEYS = sorted(k for k in REGISTRY if k[:2] in NAMES)










# --- wrong answers ----------------------------------------------------------------------

def _coupling(*, sign=1.0, all_coords=False, from_x=False, exp_s=False):
    def coupling_forward(x, mask, s_net, t_net):
        h = x if from_x else mask * x
        s, t = s_net(h), t_net(h)
        z = mask * x + (1 - mask) * (x * torch.exp(s) + t)
        ld = s if all_coords else (1 - mask) * (s.exp() if exp_s else s)
        return z, sign * ld.sum(1)
    return coupling_forward


def _planar(*, h_prime=True, one=True, sign=1.0):
    def planar_log_det(x, u, w, b):
        a = x @ w + b
        d = 1 - torch.tanh(a) ** 2 if h_prime else torch.tanh(a)
        return torch.log((float(one) + sign * d * (w @ u)).abs())
    return planar_log_det


def _bpd(*, volume=-1.0, log_base=2.0, per_dim=True):
    def dequantized_bits_per_dim(log_p_y, D, K):
        nll = -(log_p_y + volume * D * math.log(K)) / math.log(log_base)
        return nll / D if per_dim else nll
    return dequantized_bits_per_dim


def _mask(*, keep_centre_a=False, mask_below=True, b_keeps_centre=True, tril=False):
    def causal_mask(k, mask_type):
        if tril:
            return torch.tril(torch.ones(k, k), -1 if mask_type == "A" else 0)
        m = torch.ones(k, k)
        keep = (mask_type == "B" and b_keeps_centre) or (mask_type == "A" and keep_centre_a)
        m[k // 2, k // 2 + keep:] = 0
        if mask_below:
            m[k // 2 + 1:] = 0
        return m
    return causal_mask


def _seen(*, itself=False, clip=True, reach=lambda fk, k, L: fk // 2 + (L - 1) * (k // 2)):
    def gated_seen(row, col, H, W, first_kernel, kernel, layers):
        R = reach(first_kernel, kernel, layers)
        lo = (lambda v: max(v, 0)) if clip else (lambda v: v)
        hi = min(col + R, W - 1) if clip else col + R
        return (row - lo(row - R)) * (hi - lo(col - R) + 1) + col - lo(col - R) + int(itself)
    return gated_seen


def _sampler(*, one_pass=False, column_order=False, prob=torch.sigmoid):
    def sample(logits_fn, n, H, W):
        x = torch.zeros(n, 1, H, W)
        if one_pass:
            return torch.bernoulli(prob(logits_fn(x)).clamp(0, 1))
        order = [(r, c) for c in range(W) for r in range(H)] if column_order else \
            [(r, c) for r in range(H) for c in range(W)]
        for r, c in order:
            x[:, 0, r, c] = torch.bernoulli(prob(logits_fn(x)[:, 0, r, c]).clamp(0, 1))
        return x
    return sample


def _ab(beta, t):
    return torch.cat([beta.new_ones(1), torch.cumprod(1 - beta, 0)])[t][:, None]


def _q(*, std=True, product=True, shift=0):
    def q_sample(x0, t, eps, beta):
        ab = _ab(beta, (t + shift).clamp(0, len(beta))) if product else (1 - beta[t - 1])[:, None]
        return ab.sqrt() * x0 + ((1 - ab).sqrt() if std else 1 - ab) * eps
    return q_sample


def _post(*, var="tilde", prev=True, swap=False):
    def posterior(x0, xt, t, beta):
        b = beta[t - 1][:, None]
        ab, ab_prev = _ab(beta, t), _ab(beta, t - 1 if prev else t)
        c0, ct = ab_prev.sqrt() * b / (1 - ab), (1 - b).sqrt() * (1 - ab_prev) / (1 - ab)
        mean = ct * x0 + c0 * xt if swap else c0 * x0 + ct * xt
        tilde = (1 - _ab(beta, t - 1)) / (1 - ab) * b
        return mean, {"tilde": tilde, "beta": b, "std": tilde.sqrt()}[var]
    return posterior


def _eps_mean(*, front_ab=False, root=True, sign=-1.0):
    def mean_from_eps(xt, t, eps, beta):
        b, ab = beta[t - 1][:, None], _ab(beta, t)
        coef = b / ((1 - ab).sqrt() if root else 1 - ab)
        return (xt + sign * coef * eps) / (ab if front_ab else 1 - b).sqrt()
    return mean_from_eps


def _score(*, sign=1.0, power=2, weights=True, constants=True):
    def mixture_score(x, means, stds, w):
        diff = means[None] - x[:, None]
        log_r = -0.5 * (diff ** 2).sum(-1) / stds ** 2
        log_r = log_r + (w.log() if weights else 0) - (2 * stds.log() if constants else 0)
        r = torch.softmax(log_r, -1)
        return sign * (r[..., None] * diff / stds[None, :, None] ** power).sum(1)
    return mixture_score


def _langevin(*, scale_step=True, half=True, root_noise=True, reverse=False, burn=0):
    def annealed_langevin(score, x, sigmas, eps, steps_each):
        torch.rand(burn)  # a different random stream: the checker must not depend on it
        for sigma in (list(sigmas)[::-1] if reverse else sigmas):
            alpha = eps * sigma ** 2 / sigmas[-1] ** 2 if scale_step else eps
            for _ in range(steps_each):
                noise = (alpha ** 0.5 if root_noise else alpha) * torch.randn_like(x)
                x = x + (alpha / 2 if half else alpha) * score(x, sigma) + noise
        return x
    return annealed_langevin


def _dsm(*, half=0.5, reduce_dims="sum", weighted=True, sign=1.0):
    def dsm_loss(score, x, sigma, z):
        s = score(x + sigma * z, sigma)
        r = sigma * s + sign * z if weighted else s + sign * z / sigma
        sq = r.pow(2)
        return half * (sq.sum(1) if reduce_dims == "sum" else sq.mean(1)).mean()
    return dsm_loss


def _fid(*, factor=2.0, entrywise=False, wrong_axis=False, means=True):
    def fid(f_real, f_fake):
        if wrong_axis:
            f_real, f_fake = f_real.T, f_fake.T
        mu_r, mu_g = f_real.mean(0), f_fake.mean(0)
        S_r, S_g = torch.cov(f_real.T), torch.cov(f_fake.T)
        if entrywise:
            tr = (S_r @ S_g).abs().sqrt().trace()
        else:
            w, V = torch.linalg.eigh(S_r)
            root = (V * w.clamp_min(0).sqrt()) @ V.T
            tr = torch.linalg.eigvalsh(root @ S_g @ root).clamp_min(0).sqrt().sum()
        return ((mu_r - mu_g).pow(2).sum() * means + S_r.trace() + S_g.trace() - factor * tr).item()
    return fid


def _is(*, exp=True, reverse=False, axis=0, mean_of_exp=False):
    def inception_score(probs):
        p = probs.clamp_min(1e-12)
        p_y = probs.mean(axis, keepdim=True)
        kl = (p_y * (p_y.log() - p.log())).sum(1) if reverse else (probs * (p.log() - p_y.log())).sum(1)
        if mean_of_exp:
            return kl.exp().mean().item()
        return kl.mean().exp().item() if exp else kl.mean().item()
    return inception_score


# key -> [(id, answer, words the message names)]
WRONG = {
    "05.coupling_logdet": [
        ("logdet-sign", _coupling(sign=-1.0), "wrong sign"),
        ("all-coordinates", _coupling(all_coords=True), "multiply by (1 - m)"),
        ("scale-not-log", _coupling(exp_s=True), "instead of its log"),
        ("conditioner-sees-x", _coupling(from_x=True), "instead of m * x"),
        ("batch-axis", lambda x, mask, s_net, t_net: (
            _coupling()(x, mask, s_net, t_net)[0], ((1 - mask) * s_net(mask * x)).sum(0)),
         "one value per example"),
    ],
    "05.planar_logdet": [
        ("tanh-not-derivative", _planar(h_prime=False), "tanh'(a) = 1 - tanh(a)^2"),
        ("missing-identity", _planar(one=False), "the 1 of the identity is missing"),
        ("sign", _planar(sign=-1.0), "wrong sign"),
    ],
    "05.dequantized_bpd": [
        ("no-cell-volume", _bpd(volume=0.0), "cell volume is missing"),
        ("volume-sign", _bpd(volume=1.0), "wrong sign"),
        ("nats", _bpd(log_base=math.e), "nats, not bits"),
        ("per-image", _bpd(per_dim=False), "not per dimension"),
        ("batch-mean", lambda lp, D, K: _bpd()(lp, D, K).mean(), "one value per example"),
    ],
    "06.causal_mask": [
        ("type-A-keeps-centre", _mask(keep_centre_a=True), "pixel i sees itself"),
        ("rows-below-kept", _mask(mask_below=False), "in a row below"),
        ("type-B-hides-centre", _mask(b_keeps_centre=False), "type-B mask keeps the centre"),
        ("lower-triangular", _mask(tril=True), "comes before i in raster order"),
    ],
    "06.gated_seen": [
        ("counts-itself", _seen(itself=True), "counting pixel i itself"),
        ("no-borders", _seen(clip=False), "ignores the image's borders"),
        ("reach-off-by-one-layer", _seen(reach=lambda fk, k, L: fk // 2 + L * (k // 2)),
         "only layers - 1 of them add kernel // 2"),
    ],
    "06.ancestral_sample": [
        ("one-pass", _sampler(one_pass=True), "one pass on the empty image"),
        ("column-order", _sampler(column_order=True), "column by column"),
        ("logits-as-probabilities", _sampler(prob=lambda v: v), "logits used as probabilities"),
    ],
    "07.q_sample": [
        ("variance-as-std", _q(std=False), "take its square root"),
        ("one-step", _q(product=False), "product of every alpha_s"),
        ("off-by-one", _q(shift=1), "off by one"),
    ],
    "07.posterior": [
        ("beta-as-variance", _post(var="beta"), "the forward step's variance"),
        ("std-not-variance", _post(var="std"), "a standard deviation"),
        ("alpha-bar-t", _post(prev=False), "alpha_bar_t where alpha_bar_(t-1) belongs"),
        ("swapped", _post(swap=True), "swapped"),
    ],
    "07.eps_mean": [
        ("alpha-bar-in-front", _eps_mean(front_ab=True), "1/sqrt(alpha_bar_t) in front"),
        ("missing-root", _eps_mean(root=False), "the denominator is sqrt(1 - alpha_bar_t)"),
        ("sign", _eps_mean(sign=1.0), "wrong sign"),
    ],
    "07.guided_eps": [
        ("swapped", lambda c, u, w: (1 + w) * u - w * c, "two predictions swapped"),
        ("interpolation", lambda c, u, w: w * c + (1 - w) * u, "an interpolation"),
        ("plus", lambda c, u, w: c + w * u, "unconditional prediction is subtracted"),
    ],
    "08.mixture_score": [
        ("sign", _score(sign=-1.0), "wrong sign"),
        ("std-not-variance", _score(power=1), "sigma_k where its square belongs"),
        ("no-weights", _score(weights=False), "without the weights"),
        ("no-constants", _score(constants=False), "without the normalising constants"),
    ],
    "08.annealed_langevin": [
        ("constant-step", _langevin(scale_step=False), "mode weights are wrong"),
        ("missing-half", _langevin(half=False), "drop the 1/2"),
        ("noise-not-rooted", _langevin(root_noise=False), "sqrt(alpha) z"),
        ("reversed-levels", _langevin(reverse=True), "from the largest level down"),
        ("plain", lambda score, x, sigmas, eps, steps_each: _langevin()(
            lambda y, s: score(y, sigmas[-1]), x, sigmas, eps, steps_each), "every score call"),
    ],
    "08.dsm_loss": [
        ("missing-half", _dsm(half=1.0), "missing factor 1/2"),
        ("mean-over-dims", _dsm(reduce_dims="mean"), "mean over the data dimensions"),
        ("unweighted", _dsm(weighted=False), "unweighted loss"),
        ("sign", _dsm(sign=-1.0), "wrong sign on z"),
    ],
    "09.fid": [
        ("no-factor-2", _fid(factor=1.0), "without its factor 2"),
        ("entrywise-sqrt", _fid(entrywise=True), "entrywise square root"),
        ("wrong-axis", _fid(wrong_axis=True), "wrong axis"),
        ("no-mean-term", _fid(means=False), "mean term missing"),
    ],
    "09.inception_score": [
        ("log", _is(exp=False), "take exp of the mean KL"),
        ("reversed-kl", _is(reverse=True), "reversed KL"),
        ("wrong-axis", _is(axis=1), "averaged over the classes"),
        ("mean-of-exp", _is(mean_of_exp=True), "mean of exp(KL)"),
    ],
    "09.fid_mean_bias": [
        ("one-side", lambda n, cov: torch.trace(cov).item() / n, "their variances add"),
        ("identity-cov", lambda n, cov: 2 * cov.shape[0] / n, "d in place of Tr Sigma"),
        ("1/n^2", lambda n, cov: 2 * torch.trace(cov).item() / n ** 2, "1/n^2"),
    ],
}

CASES = [(key, name, answer, words) for key, rows in WRONG.items() for name, answer, words in rows]


def test_every_exercise_has_two_wrong_answers():
    assert set(WRONG) == set(KEYS)
    assert all(len(rows) >= 2 for rows in WRONG.values())


@pytest.mark.parametrize("key,name,answer,words", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_wrong_answer_is_rejected_with_the_mistake_named(key, name, answer, words):
    result = run_checker(key, answer)
    assert result.status == "failed", result.message
    assert words in result.message, result.message


def test_a_correct_langevin_sampler_passes_whatever_its_random_stream():
    """The checker's tolerance covers the sampling noise of any correct implementation."""
    for burn in (1, 7, 100):
        result = run_checker("08.annealed_langevin", _langevin(burn=burn))
        assert result.passed, result.message


def test_a_correct_sampler_passes_whatever_its_random_stream():
    def sample(logits_fn, n, H, W):
        torch.rand(13)
        x = torch.zeros(n, 1, H, W)
        for r in range(H):
            for c in range(W):
                x[:, 0, r, c] = (torch.rand(n) < torch.sigmoid(logits_fn(x)[:, 0, r, c])).float()
        return x
    assert run_checker("06.ancestral_sample", sample).passed


def test_fid_with_the_biased_covariance_still_passes():
    """1/n or 1/(n - 1) in the covariance is a convention, not a mistake."""
    def fid(f_real, f_fake):
        return solution("09", "fid")(f_real * math.sqrt((len(f_real) - 1) / len(f_real)),
                                     f_fake * math.sqrt((len(f_fake) - 1) / len(f_fake)))
    assert run_checker("09.fid", fid).passed


# --- the chapters and the solutions notebooks --------------------------------------------







# --- the "what to try" prompts ------------------------------------------------------------

def test_flow_stages_prompt():
    """Chapter 05: a spline coupling keeps one coordinate of every point; an ActNorm shifts
    and rescales each axis (so the order of the points along each axis is kept)."""
    from gmcourse import figures
    from gmcourse.flows import ActNorm
    from gmcourse.flows_spline import SplineCoupling, spline_flow_2d
    torch.manual_seed(0)
    flow = spline_flow_2d()
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.3 * torch.randn_like(p))
    for m in flow.modules():
        if isinstance(m, ActNorm):
            m.initialized.fill_(1)
    flow.eval()
    stages = figures.flow_stages(flow, n=500, grid=10)
    layers = list(reversed(flow.layers))  # stage k applies layers[k - 1]
    for k in range(1, len(stages)):
        before, after = stages[k - 1]["samples"], stages[k]["samples"]
        kept = (before == after).all(0)
        if isinstance(layers[k - 1], SplineCoupling):
            assert kept.sum() == 1 and not (before == after).all()
        else:
            assert isinstance(layers[k - 1], ActNorm)
            for d in range(2):
                assert torch.equal(before[:, d].argsort(), after[:, d].argsort()) or \
                    torch.equal(before[:, d].argsort(), after[:, d].argsort().flip(0))


def test_receptive_field_prompt():
    """Chapter 06, the widget's networks: the plain one misses earlier pixels at (8, 5) and
    at col 0; at the right border and in row 0 both see the same pixels; (0, 0) sees none."""
    from gmcourse.pixelcnn import GatedPixelCNNNet, PixelCNNNet, input_gradients
    H = W = 12
    torch.manual_seed(0)
    plain = input_gradients(PixelCNNNet(1, 1, 16, layers=4, kernel=3, first_kernel=3), 1, H, W)
    gated = input_gradients(GatedPixelCNNNet(1, 1, 16, layers=5, kernel=3, first_kernel=3), 1, H, W)

    def seen(g, row, col):
        i = row * W + col
        return int(((g[i] > 0) & (torch.arange(H * W).reshape(H, W) < i)).sum())
    assert seen(plain, 8, 5) < seen(gated, 8, 5)
    assert seen(plain, 8, 0) < seen(gated, 8, 0)
    assert seen(plain, 8, W - 1) == seen(gated, 8, W - 1)
    for col in range(W):
        assert seen(plain, 0, col) == seen(gated, 0, col) == min(col, 5)
    assert seen(plain, 0, 0) == seen(gated, 0, 0) == 0
    solve = solution("06", "gated_seen")
    assert all(seen(gated, r, c) == solve(r, c, H, W, 3, 3, 5) for r in (0, 8, 11) for c in (0, 5, 11))


def test_guidance_prompt_matches_the_stored_lecture_run():
    """Chapter 07: the share the prompt reads off the titles falls to chance at w = -1 and
    stays high for w >= 1, while the samples of one digit grow more alike and bolder (the
    lecture run's printed numbers; the digits DDPM is too costly to retrain in a unit test)."""
    import re

    import nbformat
    book = nbformat.read(ROOT / "chapters" / "07_ddpm.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in book.cells if c.cell_type == "code"
                   and "guided[w] =" in c.source for o in c.outputs)
    rows = {float(w): (float(p), float(d), float(b)) for w, p, d, b in re.findall(
        r"w = +(-?[\d.]+): requested digit +([\d.]+)%, +mean distance between samples of one "
        r"digit ([\d.]+), +pixels above 0.9: ([\d.]+)%", text)}
    assert set(rows) == {-1.0, 0.0, 1.0, 2.0, 4.0}, text
    share, spread, bold = ({w: r[i] for w, r in rows.items()} for i in range(3))
    assert share[-1.0] <= 20
    assert all(share[w] >= max(90, share[0.0]) for w in (1.0, 2.0, 4.0))
    ws = (0.0, 1.0, 2.0, 4.0)
    assert all(spread[a] > spread[b] and bold[a] < bold[b] for a, b in zip(ws, ws[1:]))
