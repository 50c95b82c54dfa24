"""Chapter 07's claims about the ring-8 DDPM, at the chapter's own settings."""
import pytest
import torch

from gmcourse.config import set_threads
from gmcourse.data import ring8
from gmcourse.diffusion import ToyConfig, toy_ddpm
from gmcourse.metrics import mode_coverage


@pytest.fixture(scope="module")
def chapter_ring_model():
    set_threads()
    ring = ring8()
    model, _ = toy_ddpm(ring, ToyConfig(steps=4000), seed=0, progress=False)
    torch.manual_seed(1)
    return ring, model, model.sample(2000)


def test_ring8_all_modes_high_quality_and_right_weights(chapter_ring_model):
    ring, _, x = chapter_ring_model
    cov = mode_coverage(x, ring)
    assert cov.modes == 8
    assert cov.high_quality >= 0.90
    assert cov.weight_error(ring) <= 0.05


def test_ddim_keeps_the_modes_but_fewer_high_quality_samples(chapter_ring_model):
    """The chapter: 10 DDIM steps blur the modes; 50 and 100 keep all eight, with fewer
    high-quality samples than the ancestral sampler."""
    ring, model, x = chapter_ring_model
    hq_anc = mode_coverage(x, ring).high_quality
    torch.manual_seed(2)
    hq10 = mode_coverage(model.ddim_sample(2000, 10), ring).high_quality
    for steps in (50, 100):
        cov = mode_coverage(model.ddim_sample(2000, steps), ring)
        assert cov.modes == 8
        assert hq10 < cov.high_quality - 0.2
        assert cov.high_quality < hq_anc
