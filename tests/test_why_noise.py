"""Chapter 08, why scores need noise: the circle's perturbed score, the learned score's
error where data are rare, denoising score matching = Fisher divergence + constant, and
Tweedie's formula."""
import math

import pytest
import torch
from scipy.special import ive

from gmcourse import recipes, score as S
from gmcourse.data import GaussianMixture


def _bessel_circle_score(x, sigma, radius=1.0):
    """p_sigma(x) ~ exp(-(r^2 + R^2) / (2 sigma^2)) I_0(r R / sigma^2): the radial score
    -r / sigma^2 + (R / sigma^2) I_1(a) / I_0(a), a = r R / sigma^2, along x / r."""
    x = x.double()
    r = x.norm(dim=1)
    a = (r * radius / sigma ** 2).numpy()
    ratio = torch.from_numpy(ive(1, a) / ive(0, a))  # the exponential scalings cancel
    radial = -r / sigma ** 2 + radius / sigma ** 2 * ratio
    return radial[:, None] * x / r[:, None]


@pytest.mark.parametrize("sigma", [1.0, 0.3, 0.1, 0.03, 0.01])
def test_circle_score_by_quadrature_matches_the_bessel_closed_form(sigma):
    g = torch.Generator().manual_seed(0)
    angle = 2 * math.pi * torch.rand(20, generator=g)
    r = 0.5 + torch.rand(20, generator=g)
    x = torch.stack([r * angle.cos(), r * angle.sin()], 1)
    assert torch.allclose(S.circle_score(x, sigma), _bessel_circle_score(x, sigma),
                          rtol=1e-6, atol=1e-6)


def test_chapter_circle_score_blows_up_off_the_curve_and_stays_finite_on_it():
    points = torch.tensor([[1.1, 0.0], [1.0, 0.0], [0.0, 0.5]])
    for sigma in [0.03, 0.01]:  # the chapter's small noise levels: |s| ~ delta / sigma^2
        n = S.circle_score(points, sigma).norm(dim=1)
        assert n[0] == pytest.approx(0.1 / sigma ** 2, rel=0.1)
        assert n[2] == pytest.approx(0.5 / sigma ** 2, rel=0.1)
        assert n[1] < 1.0  # on the curve: -1/(2R) in the limit
    big = S.circle_score(points, 0.01).norm(dim=1)
    assert big[0] > 100 * S.circle_score(points, 0.3).norm(dim=1)[0]


def test_tweedie_formula_gives_the_posterior_mean_of_a_gaussian_mixture():
    """x~ + sigma^2 grad log p_sigma(x~) against E[x | x~] computed per component:
    r_k(x~) (posterior over components) times mu_k + S_k (S_k + sigma^2 I)^-1 (x~ - mu_k)."""
    covs = torch.tensor([[[0.5, 0.2], [0.2, 0.3]], [[1.0, -0.4], [-0.4, 0.8]],
                         [[0.2, 0.0], [0.0, 0.6]]], dtype=torch.float64)
    p = GaussianMixture([[-2.0, 0.5], [1.5, 1.0], [0.0, -2.0]], covs=covs, weights=[0.5, 0.3, 0.2])
    sigma = 0.7
    xt = S.perturbed(p, sigma).sample(200, torch.Generator().manual_seed(1)).double()
    tweedie = xt + sigma ** 2 * S.MixtureScore(p)(xt, sigma)
    eye = torch.eye(2, dtype=torch.float64)
    C = p.covs + sigma ** 2 * eye
    log_r = torch.distributions.MultivariateNormal(p.means, C).log_prob(xt[:, None]) + p.weights.log()
    r = torch.softmax(log_r, -1)  # (n, K)
    gain = p.covs @ torch.linalg.inv(C)  # (K, 2, 2)
    cond = p.means + ((xt[:, None] - p.means)[..., None, :] @ gain.transpose(-1, -2)).squeeze(-2)
    posterior_mean = (r[..., None] * cond).sum(1)
    assert torch.allclose(tweedie, posterior_mean, atol=1e-10)
    assert (tweedie - xt).abs().max() > 0.5  # a real correction


def test_denoising_loss_minus_fisher_divergence_is_the_same_for_any_score():
    """Vincent (2011) at the chapter's sigma = 1 on the two-mode mixture: the exact score,
    zero, and a wrong linear field give the same DSM - Fisher, d/(2 sigma^2) - 1/2 E|s|^2."""
    p, sigma = S.two_modes(), 1.0
    exact = S.MixtureScore(p)
    fields = [lambda x: exact(x, sigma), torch.zeros_like, lambda x: -0.3 * x + 1.0]
    diffs, fishers = [], []
    for fn in fields:
        dsm, fisher = S.denoising_and_fisher(fn, p, sigma, 200_000, torch.Generator().manual_seed(2))
        diffs.append(dsm - fisher)
        fishers.append(fisher)
    xt = S.perturbed(p, sigma).sample(400_000, torch.Generator().manual_seed(3)).double()
    const = 2 / (2 * sigma ** 2) - 0.5 * exact(xt, sigma).pow(2).sum(-1).mean().item()
    assert fishers[0] == 0 and min(fishers[1:]) > 0.3  # the candidates differ a lot
    assert max(diffs) - min(diffs) < 0.02
    assert all(d == pytest.approx(const, abs=0.02) for d in diffs)


def test_chapter_learned_score_error_is_large_where_data_are_rare():
    """The chapter's numbers: NCSN_TWO_MODES (the chapter trains it with recipes.train,
    same seed and settings), sigma = 0.5, a 61x61 grid over [-9, 9]^2."""
    from gmcourse.viz import grid_points
    model = recipes.trained(recipes.NCSN_TWO_MODES, profile="lecture")
    two, sigma = S.two_modes(), 0.5
    _, _, pts = grid_points(9.0, 61)
    with torch.no_grad():
        learned = model.score(pts, sigma)
    err = (learned - S.MixtureScore(two)(pts, sigma).float()).norm(dim=1)
    log_dens = S.perturbed(two, sigma).log_prob(pts.double()).float()
    dense, rare = err[log_dens > -4].median(), err[log_dens < -12].median()
    err2_p = (torch.softmax(log_dens, 0) * err ** 2).sum()
    print(f"median error: {dense:.3f} dense, {rare:.3f} rare; weighted {err2_p:.3f}, "
          f"uniform {(err ** 2).mean():.2f}")
    assert rare > 5 * dense
    assert (err ** 2).mean() > 20 * err2_p
