"""Chapter 06's claims at the chapter's own settings: receptive fields and the baselines,
and the plain PixelCNN on binarized digits (trained once, cached in data/checkpoints)."""
import pytest
import torch

from gmcourse import pixelcnn, recipes
from gmcourse.data import load_images
from gmcourse.metrics import bits_per_dim, independent_pixel_nll
from gmcourse.pixelcnn import GatedPixelCNNNet, PixelCNNNet



def chapter_grads():
    H = W = 12
    torch.manual_seed(0)
    return {"plain": pixelcnn.input_gradients(PixelCNNNet(1, 1, 16, layers=4, kernel=3,
                                                          first_kernel=3), 1, H, W),
            "gated": pixelcnn.input_gradients(GatedPixelCNNNet(1, 1, 16, layers=5, kernel=3,
                                                               first_kernel=3), 1, H, W)}


def test_both_networks_reach_five_rows_up_and_only_the_plain_one_has_a_blind_spot():
    grads = chapter_grads()
    r, c, W = 8, 5, 12
    for name, g in grads.items():
        seen = g[r * W + c] > 0
        rows = seen.any(1).nonzero().flatten()
        assert rows.min() == r - 5 and rows.max() == r, name
        within = torch.zeros_like(seen)  # earlier pixels within the reach of 5 rows
        within[r - 5:r] = True
        within[r - 5:r, :max(0, c - 5)] = False
        within[r - 5:r, c + 6:] = False
        within[r, max(0, c - 5):c] = True
        missed = within & ~seen
        assert missed.any() if name == "plain" else not missed.any(), name
        assert not seen[r, c:].any() and not seen[r + 1:].any()


def test_independent_pixel_baselines_quoted_in_the_chapter():
    xb = [load_images("digits", s, binarize=True) for s in ("train", "test")]
    x = [load_images("digits", s) for s in ("train", "test")]
    assert bits_per_dim(independent_pixel_nll(*xb, levels=2), 64) == pytest.approx(0.57, abs=0.005)
    assert bits_per_dim(independent_pixel_nll(*x, levels=17), 64) == pytest.approx(2.42, abs=0.005)


def test_plain_pixelcnn_beats_independent_pixels_on_binarized_digits():
    x_train, x_test = (load_images("digits", s, binarize=True) for s in ("train", "test"))
    base = bits_per_dim(independent_pixel_nll(x_train, x_test, levels=2), 64)
    model = recipes.trained(recipes.pixelcnn_recipe(2, False), profile="lecture")
    assert model.bits_per_dim(x_test) < base - 0.1
