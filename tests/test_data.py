import gzip
import math
import urllib.error

import pytest
import torch

from gmcourse import data
from gmcourse.viz import grid_cell_area, grid_points

from conftest import require_mnist

EXACT = {
    "ring8": (data.ring8(), 1.1, 1500),
    "grid25": (data.grid25(), 4.5, 1200),
    "two_gaussians": (data.two_gaussians(separation=5, weights=(0.3, 0.7), std=0.8), 6.0, 600),
    "correlated": (data.GaussianMixture([[0, 0], [1, 1]], covs=[[[1, .8], [.8, 1]], [[.3, -.1], [-.1, .2]]],
                                        weights=[1, 2]), 6.0, 600),
    "checkerboard": (data.Checkerboard(), 4.2, 841),
}


@pytest.mark.parametrize("name", EXACT)
def test_log_prob_integrates_to_one(name):
    dist, extent, n = EXACT[name]
    *_, pts = grid_points(extent, n)
    mass = dist.log_prob(pts.double()).exp().sum().item() * grid_cell_area(extent, n)
    assert mass == pytest.approx(1.0, rel=0.01)


@pytest.mark.parametrize("name", ["two_gaussians", "correlated", "checkerboard", "grid25"])
def test_samples_follow_log_prob(name):
    """Histogram of 200k samples vs the density integrated over each bin: TV < 0.02."""
    dist, extent, _ = EXACT[name]
    bins, sub = 24, 20
    x = dist.sample(200_000, generator=torch.Generator().manual_seed(0)).double()
    edges = torch.linspace(-extent, extent, bins + 1, dtype=torch.float64)
    hist = torch.histogramdd(x, bins=[edges, edges]).hist
    hist = hist / len(x)
    # exact probability of each bin by a midpoint rule on a finer grid
    fine = (torch.arange(bins * sub, dtype=torch.float64) + 0.5) * (2 * extent / (bins * sub)) - extent
    xx, yy = torch.meshgrid(fine, fine, indexing="ij")
    p = dist.log_prob(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)).exp()
    p = p.reshape(bins, sub, bins, sub).sum((1, 3)) * (2 * extent / (bins * sub)) ** 2
    tv = 0.5 * (hist - p).abs().sum().item()
    assert tv < 0.02


def test_wrong_sampler_would_be_caught():
    """The histogram test above fails for a mixture whose weights are swapped."""
    dist = data.two_gaussians(separation=5, weights=(0.3, 0.7), std=0.8)
    wrong = data.two_gaussians(separation=5, weights=(0.7, 0.3), std=0.8)
    x = wrong.sample(50_000, generator=torch.Generator().manual_seed(0))
    right_side = (x[:, 0] > 0).float().mean().item()
    mass_right = dist.log_prob(x).exp()  # just to touch log_prob with float32
    assert torch.isfinite(mass_right).all()
    assert abs(right_side - 0.7) > 0.3


def test_mixture_score_matches_autograd():
    dist = EXACT["correlated"][0]
    x = torch.randn(64, 2, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(dist.log_prob(x).sum(), x)
    assert torch.allclose(dist.score(x.detach()), g, atol=1e-10)


def test_sample_only_toys_say_so():
    for name in ["two_moons", "swiss_roll", "spirals"]:
        d = data.toy(name)
        assert d.sample(10).shape == (10, 2) and not d.has_log_prob
        with pytest.raises(NotImplementedError, match="no closed-form density"):
            d.log_prob(torch.zeros(1, 2))


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="valid names are: .*checkerboard.*ring8"):
        data.toy("ring9")
    with pytest.raises(data.UnknownDatasetError, match="cifar10, digits, fashion_mnist, mnist"):
        data.load_images("mnsit")


def test_digits_shapes_and_range():
    x, y = data.load_images("digits", "train", labels=True)
    xt = data.load_images("digits", "test")
    assert x.shape == (1500, 1, 8, 8) and xt.shape == (297, 1, 8, 8)
    assert x.dtype == torch.float32 and x.min() == 0 and x.max() == 1
    assert y.dtype == torch.int64 and set(y.tolist()) == set(range(10))
    xb = data.load_images("digits", "train", binarize=True)
    assert set(xb.unique().tolist()) == {0.0, 1.0}
    xd = data.load_images("digits", "train", binarize="dynamic",
                          generator=torch.Generator().manual_seed(0))
    assert set(xd.unique().tolist()) == {0.0, 1.0}
    assert abs(xd.mean().item() - x.mean().item()) < 0.01


def test_mnist_from_shared_idx_files():
    require_mnist()
    x, y = data.load_images("mnist", "test", labels=True)
    assert x.shape == (10000, 1, 28, 28) and y.shape == (10000,)
    assert x.min() == 0 and x.max() == 1 and x.dtype == torch.float32
    assert y[:5].tolist() == [7, 2, 1, 0, 4]
    assert 0.12 < x.mean().item() < 0.14  # MNIST's mean intensity is about 0.13


def test_missing_offline_file_says_where_to_put_it(tmp_path, monkeypatch):
    def offline(url, timeout):
        raise urllib.error.URLError("no network")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(data.DatasetNotFoundError) as e:
        data.load_images("fashion_mnist", "test", root=tmp_path)
    msg = str(e.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and str(tmp_path / "fashion_mnist") in msg
    assert "GMCOURSE_DATA" in msg and "no network" in msg
    assert not (tmp_path / "fashion_mnist" / "t10k-images-idx3-ubyte.gz").exists()


def test_corrupt_file_fails_checksum_and_is_not_used(tmp_path):
    d = tmp_path / "mnist"
    d.mkdir()
    with gzip.open(d / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x03" + (1).to_bytes(4, "big") * 3 + b"\x07")
    with pytest.raises(data.ChecksumError, match="corrupt .*Delete it"):
        data.load_images("mnist", "test", root=tmp_path, download=False)


def test_corrupt_download_is_discarded(tmp_path, monkeypatch):
    def fake_download(url, dest):
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"not the real file")
    monkeypatch.setattr(data, "_download", fake_download)
    with pytest.raises(data.DatasetNotFoundError, match="checksum mismatch"):
        data.load_images("mnist", "test", root=tmp_path)
    assert not (tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz").exists()


def test_good_file_is_found_under_root(tmp_path):
    require_mnist()
    import shutil
    for f in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]:
        (tmp_path / "mnist").mkdir(exist_ok=True)
        shutil.copy(data.dataset_file("mnist", f, download=False), tmp_path / "mnist" / f)
    x = data.load_images("mnist", "test", root=tmp_path, download=False, limit=3)
    assert x.shape == (3, 1, 28, 28)


def test_checkerboard_entropy_is_log32():
    cb = data.Checkerboard()
    x = cb.sample(10_000)
    assert torch.isfinite(cb.log_prob(x)).all()
    assert -cb.log_prob(x).mean().item() == pytest.approx(math.log(32))
