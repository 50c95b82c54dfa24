"""Chapter 06: PixelCNN and gated PixelCNN on binarized digits, at the chapter's settings
(the models are cached in data/checkpoints, shared with the chapter and test_ch06.py)."""
from gmcourse import pixelcnn
from gmcourse.data import load_images

STEPS = 1000  # the chapter's lecture setting


def test_both_pixelcnns_below_041_bits_per_dim_and_within_002_of_each_other():
    x_test = load_images("digits", "test", binarize=True)
    gated = pixelcnn.image_pixelcnn(2, True, "digits", steps=STEPS).bits_per_dim(x_test)
    plain = pixelcnn.image_pixelcnn(2, False, "digits", steps=STEPS).bits_per_dim(x_test)
    assert gated < 0.41 and plain < 0.41
    assert abs(gated - plain) < 0.02
