"""WGAN-GP's penalty and the Lipschitz estimate on a critic whose gradient varies with x:
a linear critic has the same gradient everywhere and cannot tell where they are taken."""
import pytest
import torch
from torch import nn

from gmcourse.gan import GAN
from gmcourse.wgan import GradientPenalty, lipschitz_estimate


class HalfSquare(nn.Module):
    """f(x) = |x|^2 / 2, so grad f(x) = x and |grad f(x)| = |x|."""

    def forward(self, x):
        return 0.5 * x.pow(2).flatten(1).sum(1)


def test_gradient_penalty_is_taken_between_real_and_fake_samples():
    """Real points at -1, fakes at +1: |grad f| = 1 at both, so a penalty taken there is 0.
    At x_hat = eps (-1) + (1 - eps) (+1), uniform on [-1, 1], E (|x_hat| - 1)^2 = 1/3."""
    gan = GAN(nn.Linear(1, 1), HalfSquare(), latent_dim=1)
    n, lam = 200_000, 10.0
    torch.manual_seed(0)
    gp = GradientPenalty(lam)(gan, -torch.ones(n, 1), torch.ones(n, 1)).item()
    assert gp == pytest.approx(lam / 3, rel=0.01)


def test_lipschitz_estimate_is_the_largest_gradient_norm():
    """For f = |x|^2 / 2 the gradient norm at a point is its norm, and points between x and
    y are no longer than the longer end: the estimate is max_i max(|x_i|, |y_i|)."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(50, 3, generator=g), 2 * torch.randn(50, 3, generator=g)
    expected = max(x.norm(dim=1).max().item(), y.norm(dim=1).max().item())
    assert lipschitz_estimate(HalfSquare(), x, y) == pytest.approx(expected, rel=1e-6)
