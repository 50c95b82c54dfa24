"""Chapter 06: PixelCNN and gated PixelCNN on binarized digits, at the chapter's settings
(the models are cached in data/checkpoints, shared with the chapter and test_ch06.py)."""
from gmcourse import recipes
from gmcourse.data import load_images



def test_both_pixelcnns_below_041_bits_per_dim_and_within_002_of_each_other():
    x_test = load_images("digits", "test", binarize=True)
    gated, plain = (recipes.trained(recipes.pixelcnn_recipe(2, g), profile="lecture")
                    .bits_per_dim(x_test) for g in (True, False))
    assert gated < 0.41 and plain < 0.41
    assert abs(gated - plain) < 0.02
