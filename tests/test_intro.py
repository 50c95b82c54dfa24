"""Chapter 00's claims, at the chapter's own settings."""
import torch

from gmcourse.data import load_images
from gmcourse.intro import (AffineFitConfig, AffineGenerator, dims_for_variance, fit_affine,
                            histogram_check, relative_error, sinh_map_log_prob)


def test_affine_log_prob_is_the_gaussian_density():
    torch.manual_seed(0)
    g = AffineGenerator(2)
    with torch.no_grad():
        g.mu.normal_(), g.L_raw.normal_()
    x = torch.randn(10, 2)
    ref = torch.distributions.MultivariateNormal(g.mu, scale_tril=g.L).log_prob(x)
    assert torch.allclose(g.log_prob(x), ref, atol=1e-5)


def test_learned_L_matches_cholesky_within_5_percent():
    cfg = AffineFitConfig()
    model, _, _ = fit_affine(cfg, progress=False)
    L_true = torch.linalg.cholesky(torch.tensor(cfg.Sigma))
    assert relative_error(model.L.detach(), L_true) < 0.05
    assert torch.allclose(model.mu.detach(), torch.tensor(cfg.mu), atol=0.05)


def test_change_of_variables_1d():
    check = histogram_check(a=1.0)
    assert check["max_gap"] < 0.003
    assert abs(check["mass_formula"] - check["mass_samples"]) < 0.002
    x = torch.linspace(-200, 200, 400_001, dtype=torch.float64)
    assert abs(sinh_map_log_prob(x, 1.5).exp().sum().item() * 1e-3 - 1) < 0.01
    # a wrong Jacobian (dropping the log-derivative) is not a density
    z = torch.asinh(1.5 * x) / 1.5
    assert abs((-0.5 * z ** 2).exp().sum().item() * 1e-3 / (2 * torch.pi) ** 0.5 - 1) > 0.1


def test_digits_live_near_a_low_dimensional_subspace():
    x = load_images("digits", "train")
    noise = torch.rand(x.shape, generator=torch.Generator().manual_seed(0))
    assert 2 * dims_for_variance(x) < dims_for_variance(noise)
