"""DDIM inversion and interpolation, checked with the exact noise predictor of Gaussian data."""
import math

import torch

from gmcourse import diffusion_edit as E
from gmcourse.diffusion import DDPM, cosine_beta
from test_diffusion_bound import ExactGaussianEps


def exact_model(T=1000, m=0.3, s=0.5):
    eps = ExactGaussianEps(m, s)
    model = DDPM(eps, cosine_beta(T), shape=(4,))
    eps.ddpm = model
    return model


def test_inversion_then_decoding_reconstructs_and_improves_with_steps():
    torch.manual_seed(0)
    model = exact_model()
    x = 0.3 + 0.5 * torch.randn(500, 4)
    err = {k: ((E.decode(model, E.invert(model, x, k), k) - x) ** 2).mean().item()
           for k in (10, 50, 200)}
    assert err[200] < err[50] < err[10], err
    assert err[50] < 1e-3, err


def test_inverted_codes_are_standard_normal_for_data_from_the_model():
    """The ODE maps the data distribution to N(0, I): codes have mean 0, variance 1."""
    torch.manual_seed(0)
    model = exact_model()
    z = E.invert(model, 0.3 + 0.5 * torch.randn(4000, 4), 100)
    assert z.mean().abs() < 0.05 and abs(z.var().item() - 1) < 0.08


def test_slerp_keeps_the_norm_and_ends_at_its_endpoints():
    torch.manual_seed(0)
    a, b = torch.randn(3, 1, 8, 8), torch.randn(3, 1, 8, 8)
    assert torch.allclose(E.slerp(a, b, 0.0), a, atol=1e-5)
    assert torch.allclose(E.slerp(a, b, 1.0), b, atol=1e-5)
    mid = E.slerp(a, b, 0.5)
    lerp = 0.5 * (a + b)
    # same-norm endpoints: slerp stays at that norm, the straight line falls inside the ball
    a2 = a / a.flatten(1).norm(dim=1).view(-1, 1, 1, 1) * 8
    b2 = b / b.flatten(1).norm(dim=1).view(-1, 1, 1, 1) * 8
    n_mid = E.slerp(a2, b2, 0.5).flatten(1).norm(dim=1)
    assert torch.allclose(n_mid, torch.full_like(n_mid, 8.0), atol=1e-4)
    assert (0.5 * (a2 + b2)).flatten(1).norm(dim=1).max() < 8
    assert mid.shape == lerp.shape
    assert abs(E.mean_norm_ratio(torch.randn(2000, 64)) - 1) < 0.02
    assert math.isfinite(E.mean_norm_ratio(mid))


def test_digits_inversion_at_50_steps_reconstructs_within_0_01():
    """Chapter 07's digits DDPM (the recipe, lecture settings): DDIM inversion and decoding
    at 50 steps give back the test digits with a mean squared error below 0.01 in [0, 1]."""
    from gmcourse import data, recipes
    model = recipes.trained(recipes.DDPM_DIGITS, profile="lecture")
    x, y = data.load_images("digits", "test", labels=True)
    x, y = x[:100], y[:100]
    rec = E.decode(model, E.invert(model, x, 50, y=y), 50, y=y)
    assert ((rec - x) ** 2).mean().item() < 0.01
