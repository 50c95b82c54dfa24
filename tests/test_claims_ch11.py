"""Chapter 11's claims at the chapter's own (lecture) settings, on chapter 07's digits DDPM."""
import pytest
import torch

from gmcourse import data, diffusion_edit as E, diffusion_vlb as V, recipes
from gmcourse.benchmarks.inverse import _scores, tasks
from gmcourse.classifier import digit_classifier
from gmcourse.metrics import bits_per_dim, independent_pixel_nll


@pytest.fixture(scope="module")
def setting():
    model = recipes.trained(recipes.DDPM_DIGITS, profile="lecture")
    x, y = data.load_images("digits", "test", labels=True)
    return model, x, y


def test_the_bound_stopping_at_a_grey_level_is_tighter_and_just_beats_independent_pixels(setting):
    model, x, _ = setting
    t0 = V.discrete_t0(model, 17)
    assert t0 > 1
    noise = float(((1 - model.alpha_bar[t0]) / model.alpha_bar[t0]).sqrt())
    assert noise <= (1 / 16) / 2.5
    stop = V.bits_per_dim(model, x, 17, t_samples=100)
    torch.manual_seed(1)
    full = bits_per_dim(V.nll_bound(model, x, None, 17, 1, t_samples=100).mean().item(), 64)
    indep = bits_per_dim(independent_pixel_nll(data.load_images("digits", "train"), x, levels=17), 64)
    assert stop < full - 1.0          # "from 3.6 to 2.3"
    assert 3.3 < full < 3.9 and 2.1 < stop < 2.5
    assert stop < indep < stop + 0.3  # "only just below the independent-pixel baseline"


def test_ddim_inversion_reconstructs_and_codes_look_gaussian(setting):
    model, x, y = setting
    torch.manual_seed(0)
    codes = E.invert(model, x, 50, y=y)
    rec = E.decode(model, codes, 50, y=y)
    assert ((rec - x) ** 2).mean().item() < 0.01
    assert 0.85 < E.mean_norm_ratio(codes) < 1.1


def test_diffusion_beats_the_classical_baselines_where_the_measurement_keeps_the_digit(setting):
    model, x, y = setting
    clf = digit_classifier()
    torch.manual_seed(0)
    got = {}
    for name, (A, meas, baseline) in tasks(x, 0.3).items():
        est = E.denoise(model, meas, 0.3, 50) if A is None else E.restore(model, meas, A, 50)
        got[name.split(",")[0].split(" ")[0]] = (_scores(est, x, y, clf), _scores(baseline, x, y, clf))
    for task in ("super-resolution", "denoising", "deblurring"):
        d, c = got[task]
        assert d["agreement"] >= c["agreement"] and d["psnr_db"] > c["psnr_db"], task
    for task in ("super-resolution", "denoising"):  # the two: by more than the noise
        d, c = got[task]
        assert d["agreement"] - c["agreement"] > 2 * (d["agreement_se"] ** 2 + c["agreement_se"] ** 2) ** 0.5
    d, c = got["inpainting"]
    assert d["agreement"] < 0.7  # "far below the original's" (99%)
