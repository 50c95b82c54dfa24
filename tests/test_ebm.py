"""Energy-based models (chapter 08): the score as -grad E, Langevin on a known energy,
grid normalisation and KL, and the chapter's trained model against a Gaussian fit."""
import math

import pytest
import torch
from torch import nn

from gmcourse import recipes
from gmcourse.ebm import EBM, gaussian_fit, grid_kl, grid_log_prob, log_partition
from gmcourse.nn import MLP


class Quadratic(nn.Module):
    """E(x) = 1/2 (x - mu)^T P (x - mu): the energy of N(mu, P^-1)."""

    def __init__(self, mu, P):
        super().__init__()
        self.mu, self.P = torch.as_tensor(mu), torch.as_tensor(P)

    def forward(self, x):
        d = x - self.mu
        return 0.5 * ((d @ self.P) * d).sum(-1, keepdim=True)


def test_score_is_minus_the_energy_gradient():
    """EBM.score against central finite differences of E in float64, from random init."""
    torch.manual_seed(0)
    model = EBM(MLP(2, 1, 32, 2).double(), box=3.0, buffer_size=10)
    x = torch.randn(16, 2, dtype=torch.float64)
    h = 1e-6
    fd = torch.stack([(model.E(x + h * e) - model.E(x - h * e)) / (2 * h)
                      for e in torch.eye(2, dtype=torch.float64)], 1)
    assert torch.allclose(model.score(x), -fd, atol=1e-7)
    assert fd.abs().min() > 1e-4  # a non-trivial energy


def test_score_of_a_quadratic_energy_is_the_gaussian_score():
    mu, P = torch.tensor([0.5, -1.0]), torch.tensor([[2.0, 0.6], [0.6, 1.0]])
    model = EBM(Quadratic(mu, P), buffer_size=10)
    x = torch.randn(8, 2)
    assert torch.allclose(model.score(x), -(x - mu) @ P, atol=1e-6)


def test_langevin_on_a_quadratic_energy_samples_its_gaussian():
    mu, cov = torch.tensor([1.0, -0.5]), torch.tensor([[0.5, 0.2], [0.2, 0.3]])
    model = EBM(Quadratic(mu, torch.linalg.inv(cov)), box=2.0, buffer_size=10)
    x = model.sample(4000, steps=400, eps=0.01, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(x.mean(0), mu, atol=0.04)
    assert torch.allclose(torch.cov(x.T), cov, atol=0.04)  # eps = 0.01: a small bias


def test_grid_normalisation_and_kl_against_closed_forms():
    p = torch.distributions.MultivariateNormal(torch.zeros(2), torch.eye(2) * 0.5)
    q = torch.distributions.MultivariateNormal(torch.tensor([0.5, 0.0]), torch.eye(2))
    exact = torch.distributions.kl_divergence(p, q).item()
    assert grid_kl(p.log_prob, q.log_prob, 6.0, 200) == pytest.approx(exact, abs=1e-3)
    assert grid_kl(p.log_prob, p.log_prob, 6.0, 200) == pytest.approx(0.0, abs=1e-12)
    # an unnormalised log-density: the grid recovers its constant
    assert log_partition(lambda x: q.log_prob(x) + 3.0, 6.0, 200) == pytest.approx(3.0, abs=1e-3)
    lp = grid_log_prob(lambda x: q.log_prob(x) + 3.0, 6.0, 200)
    assert torch.allclose(lp, q.log_prob(_grid(6.0, 200)).double(), atol=1e-3)


def _grid(extent, n):
    from gmcourse.viz import grid_points
    return grid_points(extent, n)[2]


def test_gaussian_fit_is_the_sample_mean_and_covariance():
    x = torch.randn(5000, 2) @ torch.tensor([[1.0, 0.3], [0.0, 0.5]]) + 2
    g = gaussian_fit(x)
    assert torch.allclose(g.mean, x.double().mean(0))
    assert torch.allclose(g.covariance_matrix, torch.cov(x.double().T))


def test_negatives_continue_and_store_the_replay_chains():
    torch.manual_seed(0)
    model = EBM(MLP(2, 1, 16, 2), box=3.0, buffer_size=50, steps=3, restart=0.0)
    before = model.replay.clone()
    x = model.negatives(40)
    changed = (model.replay != before).any(1)
    assert changed.sum() == 40  # 40 distinct chains moved, the other 10 kept
    assert all((model.replay == xi).all(1).any() for xi in x)
    assert not any((before == xi).all(1).any() for xi in x)


def test_a_gradient_step_on_the_loss_lowers_data_energy_against_negative_energy():
    """Eq. 3's sign: one small step down the loss widens E(x-) - E(x+)."""
    torch.manual_seed(0)
    model = EBM(MLP(2, 1, 16, 2), box=3.0, buffer_size=100, alpha=0.1)
    x_pos, x_neg = torch.randn(64, 2) * 0.3, torch.rand(64, 2) * 6 - 3
    model.negatives = lambda n: x_neg  # fixed negatives: the loss's theta-gradient alone
    gap = lambda: (model.E(x_neg).mean() - model.E(x_pos).mean()).item()  # noqa: E731
    before = gap()
    loss = model.loss(x_pos)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    with torch.no_grad():
        for p, g in zip(model.parameters(), grads):
            p -= 1e-2 * g
    assert gap() > before + 1e-4


# --- the chapter's model, at the chapter's settings -------------------------------------------

@pytest.fixture(scope="module")
def ring_ebm():
    return recipes.trained(recipes.EBM_RING, profile="lecture")


def test_chapter_ebm_kl_is_below_the_gaussian_fit(ring_ebm):
    target = recipes.ebm_target()
    box = recipes.EBM_RING.config.box
    gauss = gaussian_fit(target.sample(100_000, torch.Generator().manual_seed(0)))
    kl_gauss = grid_kl(target.log_prob, gauss.log_prob, box)
    kl_ebm = grid_kl(target.log_prob, lambda x: -ring_ebm.E(x), box)
    print(f"KL(target || EBM) = {kl_ebm:.3f}, KL(target || Gaussian fit) = {kl_gauss:.3f}")
    assert kl_gauss > 1.5
    assert kl_ebm < 1.0 < kl_gauss


def test_chapter_ebm_score_points_like_the_exact_score(ring_ebm):
    target = recipes.ebm_target()
    x = target.sample(2000, torch.Generator().manual_seed(1))
    cos = torch.nn.functional.cosine_similarity(ring_ebm.score(x), target.score(x)).mean()
    assert cos > 0.8
