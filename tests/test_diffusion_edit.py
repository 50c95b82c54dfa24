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


def test_operators_are_the_pooling_blur_and_mask_they_claim():
    torch.manual_seed(0)
    x = torch.rand(3, 1, 8, 8)
    A = E.downsample_operator(8, 8, 2)
    assert torch.allclose(x.flatten(1) @ A.T, torch.nn.functional.avg_pool2d(x, 2).flatten(1), atol=1e-6)
    up = torch.nn.functional.interpolate(torch.nn.functional.avg_pool2d(x, 2), scale_factor=2)
    assert torch.allclose((x.flatten(1) @ A.T) @ E.pinv(A).T, up.flatten(1), atol=1e-5)
    B = E.blur_operator(8, 8, 1.0)
    assert torch.allclose(B, B.T, atol=1e-6) and (B.sum(1) <= 1 + 1e-6).all()
    M = E.mask_operator(torch.arange(64).view(8, 8) % 2)
    assert M.shape == (32, 64) and torch.equal(x.flatten(1) @ M.T, x.flatten(1)[:, 1::2])


def test_restored_images_agree_with_the_measurement_whatever_the_model():
    """The range-null correction makes A x = y hold at the end, for any noise predictor
    (images: where the [0, 1] clamp leaves the measured pixels alone, as for a mask)."""
    from gmcourse.diffusion import ImageDDPM

    class Eps(torch.nn.Module):  # a poor model
        def forward(self, xt, t):
            return 0.5 * torch.tanh(xt)
    torch.manual_seed(0)
    x = torch.rand(4, 1, 8, 8) * 0.6 + 0.2
    plain = DDPM(Eps(), cosine_beta(100), shape=(1, 8, 8))
    for A in (E.downsample_operator(8, 8, 2), E.blur_operator(8, 8, 1.0)[:40],
              E.mask_operator(torch.rand(8, 8) < 0.5)):
        y = x.flatten(1) @ A.T
        rec = E.restore(plain, y, A, steps=10, rcond=1e-6)
        assert torch.allclose(rec.flatten(1) @ A.T, y, atol=1e-3)
    images = ImageDDPM(Eps(), cosine_beta(100), shape=(1, 8, 8), clip_x0=1.0)
    A = E.mask_operator(torch.rand(8, 8) < 0.5)
    y = x.flatten(1) @ A.T
    assert torch.allclose(E.restore(images, y, A, steps=10).flatten(1) @ A.T, y, atol=1e-4)


def test_restoring_a_gaussian_fills_the_unseen_coordinate_by_its_conditional():
    """x ~ N(0, S) in 2D with correlation 0.9 and the exact noise predictor: observing x_1,
    the restored x_2 is pulled from the prior mean 0 towards the conditional mean 0.9 x_1 =
    1.35 (DDNM fills the null space with the model's guess, not an exact posterior sample:
    here it gets about two thirds of the way) with a spread below the prior's."""
    S = torch.tensor([[1.0, 0.9], [0.9, 1.0]], dtype=torch.float64)

    class ExactEps(torch.nn.Module):
        def forward(self, xt, t):
            ab = model.alpha_bar[t].double().view(-1, 1, 1)
            cov = ab * S + (1 - ab) * torch.eye(2, dtype=torch.float64)
            sol = torch.linalg.solve(cov, xt.double().unsqueeze(-1)).squeeze(-1)
            return ((1 - ab[:, :, 0]).sqrt() * sol).float()
    model = DDPM(ExactEps(), cosine_beta(1000), shape=(2,))
    torch.manual_seed(0)
    x1 = torch.full((2000, 1), 1.5)
    A = torch.tensor([[1.0, 0.0]])
    rec = E.restore(model, x1, A, steps=100, eta=1.0)
    assert torch.allclose(rec[:, 0], x1[:, 0], atol=1e-4)
    assert 0.5 < rec[:, 1].mean().item() < 1.5
    assert rec[:, 1].std().item() < 0.8  # the prior's is 1, the exact conditional's 0.44


def test_denoising_a_gaussian_shrinks_towards_the_posterior_mean():
    """x ~ N(0.3, 0.5^2) per coordinate in [0, 1] units... here the plain DDPM (x itself):
    y = x + sigma n; the denoised value tracks E[x | y] = m + s^2/(s^2 + (2 sigma)^2 / 4)..."""
    torch.manual_seed(0)
    model = exact_model(1000, m=0.3, s=0.5)
    x = 0.3 + 0.5 * torch.randn(4000, 4)
    sigma = 0.25  # the plain DDPM's to_model is the identity: noise 2 sigma = 0.5 in its units
    y = x + 2 * sigma * torch.randn_like(x)
    den = E.denoise(model, y, sigma, steps=50)
    post = 0.3 + 0.25 / (0.25 + 0.25) * (y - 0.3)  # E[x | y], s^2 = 0.25, noise var 0.25
    assert ((den - x) ** 2).mean() < ((y - x) ** 2).mean() * 0.75
    assert ((den - post) ** 2).mean() < 0.02
