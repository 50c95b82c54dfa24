"""Chapter 04, prior holes: the aggregate posterior, the prior gap, the learned mixture prior."""
import math

import pytest
import torch
from torch import nn

from gmcourse import recipes
from gmcourse.data import load_images
from gmcourse.dists import Normal
from gmcourse.vae import VAE, build_vae
from gmcourse.vae_priors import MixturePrior, MixturePriorVAE, aggregate_log_prob, prior_gap
from gmcourse.viz import grid_cell_area, grid_points


class ConstantEncoder(nn.Module):
    """q(z|x) = N(m, s^2 I) whatever x: then q(z) = N(m, s^2 I) too."""

    def __init__(self, m, s):
        super().__init__()
        self.m, self.s = torch.as_tensor(m), torch.as_tensor(s)

    def forward(self, x):
        n = len(x)
        return Normal(self.m.expand(n, -1), self.s.expand(n, -1))


def _vae_with(encoder):
    base = build_vae((1, 8, 8), 2, 16, 1, "bernoulli")
    return VAE(encoder, base.decoder, 2)


def test_mixture_prior_normalises_and_samples_its_density():
    torch.manual_seed(0)
    prior = MixturePrior(2, K=5)
    with torch.no_grad():
        prior.log_s.normal_(0, 0.3)
        prior.logits.normal_()
    _, _, pts = grid_points(8.0, 400)
    with torch.no_grad():
        mass = prior.log_prob(pts).exp().sum() * grid_cell_area(8.0, 400)
        z = prior.sample((50_000,))
        grid_mean = (prior.log_prob(pts).exp()[:, None] * pts).sum(0) * grid_cell_area(8.0, 400)
    assert mass.item() == pytest.approx(1.0, abs=2e-3)
    assert z.shape == (50_000, 2)
    assert torch.allclose(z.mean(0), grid_mean, atol=0.03)


def test_aggregate_posterior_against_torch_mixture():
    torch.manual_seed(1)
    model = build_vae((1, 8, 8), 2, 32, 1, "bernoulli")
    x = (torch.rand(30, 1, 8, 8) < 0.4).float()
    z = torch.randn(100, 2) * 2
    q = model.encoder(x)
    mix = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(torch.ones(30)),
        torch.distributions.Independent(torch.distributions.Normal(q.mu, q.sigma), 1))
    assert torch.allclose(aggregate_log_prob(model, x, z), mix.log_prob(z).detach(), atol=1e-5)


def test_prior_gap_is_zero_when_the_aggregate_posterior_is_the_prior():
    x = torch.zeros(10, 1, 8, 8)
    g = prior_gap(_vae_with(ConstantEncoder([0.0, 0.0], [1.0, 1.0])), x, n=5000)
    assert g["kl"] == pytest.approx(0.0, abs=1e-6) and g["hole_share"] == 0


def test_prior_gap_of_a_shifted_posterior_is_the_gaussian_kl():
    """q(z) = N(m, I) against p = N(0, I): KL(p || q) = |m|^2 / 2, by Monte Carlo."""
    x = torch.zeros(10, 1, 8, 8)
    m = torch.tensor([1.5, -1.0])
    g = prior_gap(_vae_with(ConstantEncoder(m, [1.0, 1.0])), x, n=200_000)
    assert g["kl"] == pytest.approx((m ** 2).sum().item() / 2, rel=0.02)
    # holes: log q < log p - log 10  <=>  m.z - |m|^2/2 < -log 10, a half-plane under N(0, I)
    t = ((m ** 2).sum() / 2 - math.log(10)) / m.norm()
    share = 0.5 * (1 + math.erf(t.item() / math.sqrt(2)))
    assert g["hole_share"] == pytest.approx(share, abs=0.01)
    ratio = g["z_ranked"] @ m - (m ** 2).sum() / 2  # log q - log p, ranked ascending
    assert torch.all(ratio[1:] >= ratio[:-1] - 1e-5)


def test_mixture_prior_vae_bounds_are_ordered():
    torch.manual_seed(2)
    base = build_vae((1, 8, 8), 2, 32, 1, "bernoulli")
    model = MixturePriorVAE(base.encoder, base.decoder, 2, K=4)
    x = (torch.rand(64, 1, 8, 8) < 0.4).float()
    with torch.no_grad():
        elbo = torch.stack([model.elbo(x) for _ in range(200)]).mean()
        iwae = model.iwae(x, k=200).mean()
    assert elbo < iwae
    assert model.sample(3).shape == (3, 1, 8, 8)


# --- the chapter's models (seed 0, lecture settings) ------------------------------------------

def test_chapter_learned_prior_closes_the_gap():
    x_train = load_images("digits", "train", binarize=True)
    x_test = load_images("digits", "test", binarize=True)
    std = recipes.trained(recipes.VAE_2D, profile="lecture")
    mix = recipes.trained(recipes.VAE_2D_MIXTURE, profile="lecture")
    g_std, g_mix = prior_gap(std, x_train), prior_gap(mix, x_train)
    with torch.no_grad():
        torch.manual_seed(0)
        elbo_std, elbo_mix = std.elbo(x_test).mean().item(), mix.elbo(x_test).mean().item()
    print(f"gap {g_std['kl']:.3f} -> {g_mix['kl']:.3f}, holes {g_std['hole_share']:.3f} -> "
          f"{g_mix['hole_share']:.3f}, ELBO {elbo_std:.2f} -> {elbo_mix:.2f}")
    # "the gap is a fraction of a nat, and under 1% of prior samples fall where q(z) is
    # below a tenth of p(z)"; the learned prior shrinks the gap, the ELBO moves < 0.5 nats
    assert 0 < g_std["kl"] < 1 and 0 < g_std["hole_share"] < 0.01
    assert g_mix["kl"] < g_std["kl"]
    assert abs(elbo_mix - elbo_std) < 0.5
