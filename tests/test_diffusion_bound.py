"""The DDPM's variational bound (diffusion as a hierarchical VAE), checked with the exact
noise predictor of Gaussian data, where -log p(x) is known in closed form."""
import math

import pytest
import torch
from torch import nn

from gmcourse import diffusion_vlb as V
from gmcourse.diffusion import DDPM, ImageDDPM, cosine_beta, linear_beta


class ExactGaussianEps(nn.Module):
    """E[eps | x_t] for x0 ~ N(m, s^2 I): sqrt(1 - ab) (x_t - sqrt(ab) m) / (ab s^2 + 1 - ab)."""

    def __init__(self, m, s):
        super().__init__()
        self.m, self.s, self.ddpm = m, s, None

    def forward(self, xt, t):
        ab = self.ddpm.alpha_bar[t].view(-1, *[1] * (xt.dim() - 1)).double()
        xt = xt.double()
        return ((1 - ab).sqrt() * (xt - ab.sqrt() * self.m) / (ab * self.s ** 2 + 1 - ab)).float()


def gaussian_model(T, m=0.3, s=0.5, schedule=linear_beta):
    eps = ExactGaussianEps(m, s)
    model = DDPM(eps, schedule(T), shape=(3,))
    eps.ddpm = model
    return model


def exact_nll(x, m=0.3, s=0.5):
    return (0.5 * ((x - m) / s) ** 2 + math.log(s) + 0.5 * math.log(2 * math.pi)).sum(1)


def test_bound_lies_above_the_exact_nll_and_tightens_as_T_grows():
    """The cosine schedule (the chapters'); linear_beta's rescaling breaks below T ~ 50."""
    torch.manual_seed(0)
    x = 0.3 + 0.5 * torch.randn(20_000, 3)
    exact = exact_nll(x).mean().item()
    gaps = []
    for T in (5, 20, 200):
        torch.manual_seed(1)
        bound = V.nll_bound(gaussian_model(T, schedule=cosine_beta), x).mean().item()
        gaps.append(bound - exact)
    # Monte Carlo error of each estimate is about 0.02 nats
    assert all(g > -0.05 for g in gaps), gaps          # a bound
    assert gaps[0] > gaps[1] + 0.05 and gaps[1] > gaps[2] + 0.02, gaps  # tighter with T
    assert gaps[2] < 0.08, gaps                        # nearly tight at T = 200 (3 dims)


def test_linear_schedule_bound_is_nearly_tight_at_1000_steps():
    torch.manual_seed(0)
    x = 0.3 + 0.5 * torch.randn(5000, 3)
    torch.manual_seed(1)
    gap = V.nll_bound(gaussian_model(1000, schedule=linear_beta), x).mean().item() - exact_nll(x).mean().item()
    assert -0.05 < gap < 0.15


def test_the_samplers_variance_gives_a_looser_bound():
    """sigma_t^2 = tilde_beta_t (the sampler's) is too small when x0 is spread out: its
    bound is far above beta_t's (Ho et al. 2020, Sec. 3.2)."""
    torch.manual_seed(0)
    x = 0.3 + 0.5 * torch.randn(5000, 3)
    model = gaussian_model(200)
    torch.manual_seed(1)
    beta = V.nll_bound(model, x).mean().item()
    torch.manual_seed(1)
    tilde = V.nll_bound(model, x, variance="tilde").mean().item()
    assert tilde > beta + 1.0


def test_sampled_steps_estimate_the_full_sum_without_bias():
    torch.manual_seed(0)
    x = 0.3 + 0.5 * torch.randn(500, 3)
    model = gaussian_model(200)

    def mean_se(values):
        v = torch.tensor(values)
        return v.mean().item(), v.std().item() / len(v) ** 0.5
    torch.manual_seed(2)
    full, se_full = mean_se([V.nll_bound(model, x).mean().item() for _ in range(6)])
    est, se_est = mean_se([V.nll_bound(model, x, t_samples=20,
                                       generator=torch.Generator().manual_seed(k)).mean().item()
                           for k in range(20)])
    assert abs(est - full) < 4 * (se_full ** 2 + se_est ** 2) ** 0.5 + 0.01


def test_prior_term_is_the_closed_form_kl():
    model = gaussian_model(100)
    x0 = torch.randn(5, 3)
    ab, v = model.alpha_bar[100].double(), model.one_minus_alpha_bar[100].double()
    q = torch.distributions.Normal(ab.sqrt() * x0.double(), v.sqrt())
    ref = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(V.bound_terms(model, x0, 101).double(), ref, rtol=1e-4, atol=1e-6)


def test_discrete_decoder_gives_probabilities_of_the_levels():
    """exp(-L_0) over the 17 levels of one pixel sums to 1, whatever x1's prediction is."""
    torch.manual_seed(0)
    net = nn.Linear(1, 1)

    class Eps(nn.Module):
        def forward(self, xt, t):
            return net(xt.flatten(1)).view_as(xt)
    model = ImageDDPM(Eps(), cosine_beta(50), shape=(1, 1, 1))
    levels = torch.linspace(-1, 1, 17).view(17, 1, 1, 1)
    torch.manual_seed(3)  # the same x1 noise for every level: one decoder distribution
    x1_noise = torch.randn(1, 1, 1, 1).expand(17, 1, 1, 1)
    xt = model.q_sample(torch.zeros_like(levels), 1, x1_noise)
    x0_hat = model.predict_x0(xt, 1, model.eps_theta(xt, 1))
    std = model.beta[1].sqrt()
    normal = torch.distributions.Normal(x0_hat, std)
    half = 1 / 16
    mass = (torch.where(levels > 1 - half / 2, 1.0, normal.cdf(levels + half))
            - torch.where(levels < -1 + half / 2, 0.0, normal.cdf(levels - half)))
    assert mass.sum().item() == pytest.approx(1.0, abs=1e-5)


def test_image_bits_per_dim_is_finite_and_below_uniform_for_a_trained_free_model():
    """An untrained image DDPM's bound is finite and positive in bits per dimension."""
    from gmcourse import recipes
    model = recipes.DDPM_DIGITS.build(recipes.DDPM_DIGITS.config.__class__(T=50))
    x = torch.rand(8, 1, 8, 8).mul(16).round().div(16)
    bpd = V.bits_per_dim(model, x, t_samples=10)
    assert math.isfinite(bpd) and bpd > 0
