"""Chapter 07's claims about the ring-8 DDPM, at the chapter's own settings."""
import pytest
import torch

from gmcourse.config import set_threads
from gmcourse.data import ring8
from gmcourse import recipes
from gmcourse.divergences import wasserstein_batches
from gmcourse.metrics import mode_coverage


@pytest.fixture(scope="module")
def chapter_ring_model():
    set_threads()
    ring = ring8()
    model = recipes.trained(recipes.DDPM_RING, profile="lecture")
    torch.manual_seed(1)
    x, path = model.sample(2000, return_path=True)
    return ring, model, x, path


def test_ring8_all_modes_high_quality_and_right_weights(chapter_ring_model):
    ring, _, x, _ = chapter_ring_model
    cov = mode_coverage(x, ring)
    assert cov.modes == 8
    assert cov.high_quality >= 0.90
    assert cov.weight_error(ring) <= 0.05


def test_ddim_keeps_the_modes_and_eta_1_matches_ancestral(chapter_ring_model):
    """The chapter's table: 10 DDIM steps blur the modes; 50 and 100 keep all eight, with a
    mean W1 within two standard errors of the ancestral sampler's; with eta = 0 a few per
    cent of the samples fall between modes, with eta = 1 as few as with ancestral sampling."""
    ring, model, x, _ = chapter_ring_model
    n, K = 2000, 4
    ring.sample(n)  # the chapter's data panel; then its table, drawn in the same order
    torch.manual_seed(3)
    x_anc = torch.cat([x, model.sample((K - 1) * n)])
    refs = [ring.sample(n) for _ in range(K)]
    floor, se_floor = wasserstein_batches(torch.cat([ring.sample(n) for _ in range(K)]), refs)
    w_anc, se_anc = wasserstein_batches(x_anc, refs)
    # "data vs data": about 0.05, a reference and not a floor: the ancestral sampler is
    # below it, within two standard errors
    assert 0.035 < floor < 0.06
    assert w_anc < floor and floor - w_anc <= 2 * (se_floor ** 2 + se_anc ** 2) ** 0.5
    hq_anc = mode_coverage(x_anc, ring).high_quality
    hq = {}
    for eta, steps in [(0.0, 10), (0.0, 50), (0.0, 100), (1.0, 50), (1.0, 100)]:
        torch.manual_seed(2)
        x_ddim = model.ddim_sample(K * n, steps, eta=eta)
        cov = mode_coverage(x_ddim, ring)
        hq[eta, steps] = cov.high_quality
        if steps >= 50:
            w, se = wasserstein_batches(x_ddim, refs)
            assert cov.modes == 8
            assert abs(w - w_anc) <= 2 * (se ** 2 + se_anc ** 2) ** 0.5
    assert hq[0.0, 10] < hq[0.0, 50] - 0.2
    for steps in (50, 100):
        assert 0.90 < hq[0.0, steps] < hq_anc - 0.01  # "a few per cent between two modes"
        assert hq[1.0, steps] > hq_anc - 0.005


def test_the_last_hundred_steps_only_sharpen(chapter_ring_model):
    """97% of the particles are already nearest to the mode they end in at t = 100."""
    ring, model, _, path = chapter_ring_model
    final = ring.component(path[-1])
    same = {t: (ring.component(path[model.T - t]) == final).float().mean().item()
            for t in (500, 300, 100)}
    assert round(100 * same[100]) == 97 and same[500] < same[300] < same[100]
