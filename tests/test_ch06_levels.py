"""Chapter 06 and chapter 09: the 17-level gated PixelCNN on digits (cached)."""
import torch

from gmcourse import recipes
from gmcourse.data import load_images


def test_17_level_gated_pixelcnn_below_2_bits_per_dim():
    model = recipes.trained(recipes.PIXELCNN_DIGITS, profile="lecture")  # the chapter's model
    assert model.bits_per_dim(load_images("digits", "test")) < 2.0


def test_digits_pixelcnn_contract_for_chapter_09():
    model = recipes.trained(recipes.PIXELCNN_DIGITS, profile="lecture")
    assert not model.training
    torch.manual_seed(0)
    s = model.sample(4)
    assert s.shape == (4, 1, 8, 8) and s.min() >= 0 and s.max() <= 1
    assert torch.allclose(s * 16, (s * 16).round())  # on the 17-level grid
    assert next(model.parameters()).device.type == "cpu"
