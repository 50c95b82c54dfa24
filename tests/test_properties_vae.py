"""VAE gradient estimators at a noise level other than 1, and which latent dimensions the
encoder actually uses."""
import pytest
import torch
from torch import nn

from gmcourse.dists import Normal
from gmcourse.vae import VAE, reparam_grads, score_function_grads


@pytest.mark.parametrize("estimator", [reparam_grads, score_function_grads])
def test_gradient_estimators_are_unbiased_at_sigma_one_half(estimator):
    """d/dmu E[z^3] = d/dmu (mu^3 + 3 mu sigma^2) = 3 mu^2 + 3 sigma^2 for z ~ N(mu, sigma^2):
    the answer depends on sigma, unlike d/dmu E[z^2] = 2 mu."""
    mu, sigma, n = 1.5, 0.5, 400_000
    est = estimator(lambda z: z ** 3, mu, sigma, n, torch.Generator().manual_seed(0))
    exact = 3 * mu ** 2 + 3 * sigma ** 2
    assert abs(est.mean().item() - exact) < 5 * est.std().item() / n ** 0.5 + 1e-3


class _Encoder(nn.Module):
    """mu(x) = (x_0, 0, 0.05 x_0): one dimension used, one constant, one below threshold."""

    def forward(self, x):
        x0 = x.flatten(1)[:, 0]
        mu = torch.stack([x0, torch.zeros_like(x0), 0.05 * x0], 1)
        return Normal(mu, torch.ones_like(mu))


def test_active_units_count_dimensions_whose_mean_varies_over_the_data():
    vae = VAE(_Encoder(), nn.Identity(), latent_dim=3)
    x = torch.randn(500, 1, 2, 2, generator=torch.Generator().manual_seed(0))
    assert vae.active_units(x) == 1  # Var_x E[z_0|x] = 1, the others 0 and 0.0025
