"""Chapter 07's quantitative sentences about the digits model, at the chapter's own
settings (the ring-8 claims are in test_ddpm_chapter.py). The model is the chapter's,
from the checkpoint cache."""
import pytest
import torch

from gmcourse import data, recipes
from gmcourse.classifier import digit_classifier


@pytest.fixture(scope="module")
def model():
    return recipes.trained(recipes.DDPM_DIGITS.but(T=1000), profile="lecture")


def test_guidance_makes_digits_bolder_and_more_alike(model):
    clf = digit_classifier()
    per_class = 4
    labels = torch.arange(10).repeat(per_class)
    torch.manual_seed(5)
    x_T = torch.randn(len(labels), 1, 8, 8)
    acc, spread, bold = {}, [], []
    for w in (-1.0, 0.0, 1.0, 2.0, 4.0):
        x = model.ddim_sample(len(labels), 50, y=labels, w=w, x_T=x_T)
        acc[w] = (clf.predict(x) == labels).float().mean().item()
        d = x.reshape(per_class, 10, -1).transpose(0, 1)
        if w >= 0:
            spread.append((torch.cdist(d, d).sum() / (10 * per_class * (per_class - 1))).item())
            bold.append((x > 0.9).float().mean().item())
    assert acc[-1.0] < 0.3 < 0.85 < acc[0.0]            # w = -1 ignores the label
    assert spread == sorted(spread, reverse=True)        # more alike as w grows
    assert bold == sorted(bold)                          # bolder as w grows


def test_ancestral_beats_ddim_on_the_requested_digit(model):
    """99 of 100 ancestral samples against 95 for DDIM with eta = 0, 10 to 100 steps."""
    clf = digit_classifier()
    y = torch.arange(10).repeat_interleave(10)
    hits = {}
    for steps in (None, 10, 50, 100):
        torch.manual_seed(3)
        x = model.sample(100, y=y) if steps is None else model.ddim_sample(100, steps, y=y)
        hits[steps] = int((clf.predict(x) == y).sum())
    assert hits[None] == 99
    assert all(hits[s] == 95 for s in (10, 50, 100))


def test_inpainting_recovers_far_more_digits_than_the_crop_but_not_all(model):
    clf = digit_classifier()
    x_test, y_test = data.load_images("digits", "test", labels=True)
    x, y = x_test[:50], y_test[:50]
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :5, :] = 1
    torch.manual_seed(4)
    filled = model.inpaint(x, mask)
    assert torch.allclose(filled * mask, x * mask, atol=1e-5)  # the known rows are kept
    read = lambda v: (clf.predict(v) == y).float().mean().item()  # noqa: E731
    assert read(x) > 0.95
    assert read(x * mask) + 0.2 < read(filled) < 0.95
