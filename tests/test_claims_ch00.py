"""Chapter 00's quantitative sentences, at the chapter's own settings."""
import math

import matplotlib
import numpy as np
import torch

from gmcourse import data
from gmcourse.intro import (AffineFitConfig, dims_for_variance, fit_affine, relative_error,
                            sinh_map)

matplotlib.use("Agg")


def test_digits_need_21_directions_and_noise_55():
    x = data.load_images("digits", "train")
    noise = torch.rand(x.shape, generator=torch.Generator().manual_seed(0))
    assert (dims_for_variance(x), dims_for_variance(noise)) == (21, 55)


def test_affine_fit_error_is_mostly_optimisation_noise():
    """0.5% for the maximum-likelihood estimate (about 1/sqrt(n) = 0.7%), 1.4% for SGD,
    whose L is 1.6% from that optimum: three times further than the optimum from the truth."""
    cfg = AffineFitConfig()
    model, x, _ = fit_affine(cfg, progress=False)
    L_true = torch.linalg.cholesky(torch.tensor(cfg.Sigma))
    # the optimum, checked independently: chol of the 1/n sample covariance from numpy
    L_mle = torch.from_numpy(np.linalg.cholesky(np.cov(x.numpy().T, bias=True))).float()
    err_mle, err = relative_error(L_mle, L_true), relative_error(model.L.detach(), L_true)
    assert abs(100 * err_mle - 0.5) < 0.1 and err_mle < 1 / math.sqrt(cfg.n)
    assert abs(100 * err - 1.4) < 0.1
    to_optimum = relative_error(model.L.detach(), L_mle)
    assert abs(100 * to_optimum - 1.6) < 0.1 and round(to_optimum / err_mle) == 3


def test_larger_a_moves_mass_from_the_centre_to_the_tails():
    """The chapter's Monte Carlo fractions against the closed form
    P(|x| < r) = 2 Phi(asinh(a r) / a) - 1, and the peak height 1/sqrt(2 pi) for every a."""
    from gmcourse.intro import sinh_map_log_prob
    z = torch.randn(200_000, generator=torch.Generator().manual_seed(1))
    Phi = lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))  # noqa: E731
    inner, outer = [], []
    for a in (0.5, 1.0, 2.0):
        x = sinh_map(z, a)
        p_in, p_out = (x.abs() < 1).float().mean().item(), (x.abs() > 4).float().mean().item()
        assert abs(p_in - (2 * Phi(math.asinh(a) / a) - 1)) < 0.005
        assert abs(p_out - 2 * (1 - Phi(math.asinh(4 * a) / a))) < 0.003
        assert abs(sinh_map_log_prob(torch.tensor(0.0), a).exp() - 1 / math.sqrt(2 * math.pi)) < 1e-6
        inner.append(p_in), outer.append(p_out)
    assert inner == sorted(inner, reverse=True) and outer == sorted(outer)


def test_widget_histogram_counts_every_sample_and_has_no_edge_spikes():
    """No clamping: the bars integrate to the mass inside [-4, 4], the edge bars match the
    density there instead of collecting the tails."""
    import matplotlib.pyplot as plt
    from gmcourse.intro import sinh_map_log_prob
    from gmcourse.figures import draw_change_of_variables
    fig = plt.figure()
    draw_change_of_variables(fig, a=2.5)
    heights = np.array([p.get_height() for p in fig.axes[1].patches])
    x = sinh_map(torch.randn(20_000, generator=torch.Generator().manual_seed(0)), 2.5)
    inside = (x.abs() < 4).float().mean().item()
    assert abs(heights.sum() * 0.1 - inside) < 1e-4
    edge_density = sinh_map_log_prob(torch.tensor([-3.95, 3.95]), 2.5).exp().numpy()
    assert np.all(np.abs(heights[[0, -1]] - edge_density) < 0.05)
    plt.close(fig)
