"""Data: 2D toy distributions with exact densities, and small image datasets.

Toy distributions are objects with ``sample(n)`` and, where the density is known in
closed form, an exact ``log_prob(x)`` (``has_log_prob`` says which). Points are
float32 tensors of shape (n, 2).

Images come back as float32 tensors of shape (N, C, H, W) with values in [0, 1]
(``binarize=True`` thresholds at 0.5; ``binarize="dynamic"`` draws Bernoulli pixels),
optionally with integer labels of shape (N,):

    digits          scikit-learn's 8x8 digits (ships with scikit-learn: works offline)
    mnist           28x28 handwritten digits
    fashion_mnist   28x28 clothing items
    cifar10         3x32x32 colour images

The real datasets download once into ``data/`` and are checked against their published
MD5 sums; ``GMCOURSE_DATA`` names further directories (``os.pathsep``-separated) that
hold ``<name>/<file>`` and are searched first.
"""
from __future__ import annotations

import gzip
import hashlib
import math
import os
import pickle
import tarfile
import urllib.request
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

# ----------------------------------------------------------------------------------
# 2D toy distributions
# ----------------------------------------------------------------------------------


class Toy2D:
    """A 2D distribution: ``sample(n) -> (n, 2)``; ``log_prob(x) -> (n,)`` if known."""

    name = "toy"
    has_log_prob = False
    extent = 4.0  # plots show [-extent, extent]^2

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(
            f"{self.name} has no closed-form density; use a sample-based estimate instead")

    def __repr__(self):
        return f"{type(self).__name__}({self.name})"


class GaussianMixture(Toy2D):
    """sum_k w_k N(x; mu_k, Sigma_k), with exact ``log_prob`` and ``score``.

    means (K, 2); covs (K, 2, 2), or a scalar/array of per-component standard deviations
    for isotropic components; weights (K,), normalised here.
    """

    has_log_prob = True

    def __init__(self, means, covs=None, weights=None, *, std=None, name="mixture"):
        self.means = torch.as_tensor(np.asarray(means, dtype=np.float64), dtype=torch.float64)
        K = self.means.shape[0]
        if covs is None:
            s = torch.as_tensor(1.0 if std is None else std, dtype=torch.float64).expand(K)
            covs = s[:, None, None] ** 2 * torch.eye(2, dtype=torch.float64)
        self.covs = torch.as_tensor(np.asarray(covs, dtype=np.float64), dtype=torch.float64)
        w = torch.ones(K, dtype=torch.float64) if weights is None else \
            torch.as_tensor(np.asarray(weights, dtype=np.float64), dtype=torch.float64)
        self.weights = w / w.sum()
        self.name = name
        self.extent = float(self.means.abs().max()
                            + 4 * self.covs.diagonal(dim1=1, dim2=2).sqrt().max()) + 0.5

    @property
    def stds(self) -> torch.Tensor:
        """Per-component isotropic standard deviation (sqrt of the mean variance)."""
        return self.covs.diagonal(dim1=1, dim2=2).mean(-1).sqrt()

    def _components(self, dtype, device):
        return torch.distributions.MultivariateNormal(
            self.means.to(device, dtype), self.covs.to(device, dtype))

    def sample(self, n, generator=None):
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        L = torch.linalg.cholesky(self.covs)
        eps = torch.randn(n, 2, 1, generator=generator, dtype=torch.float64)
        return (self.means[k] + (L[k] @ eps).squeeze(-1)).float()  # (n, 2)

    def log_prob(self, x):
        comp = self._components(x.dtype, x.device)
        lp = comp.log_prob(x.unsqueeze(-2))  # (n, K)
        return torch.logsumexp(lp + self.weights.to(x.device, x.dtype).log(), dim=-1)

    def score(self, x):
        """grad_x log p(x), in closed form: sum_k r_k(x) Sigma_k^{-1} (mu_k - x)."""
        comp = self._components(x.dtype, x.device)
        lp = comp.log_prob(x.unsqueeze(-2)) + self.weights.to(x.device, x.dtype).log()
        r = torch.softmax(lp, dim=-1)  # (n, K) responsibilities
        prec = torch.linalg.inv(self.covs.to(x.device, x.dtype))  # (K, 2, 2)
        diff = self.means.to(x.device, x.dtype) - x.unsqueeze(-2)  # (n, K, 2)
        return (r.unsqueeze(-1) * (prec @ diff.unsqueeze(-1)).squeeze(-1)).sum(-2)

    def component(self, x):
        """Index of the nearest mean (Mahalanobis-free), for mode histograms."""
        return torch.cdist(x.double(), self.means.to(x.device)).argmin(-1)


def ring8(radius: float = 1.0, std: float = 0.01) -> GaussianMixture:
    """Eight Gaussians on a circle: the "2D-ring" of VEEGAN and PacGAN.

    PacGAN (Lin et al. 2018, Sec. 5.1), reproducing VEEGAN (Srivastava et al. 2017):
    means (cos(2 pi i / 8), sin(2 pi i / 8)), variance 1e-4 (std 0.01) per dimension.
    """
    a = 2 * math.pi * torch.arange(8, dtype=torch.float64) / 8
    return GaussianMixture(radius * torch.stack([a.cos(), a.sin()], 1), std=std, name="ring8")


def ring(k: int, radius: float = 1.0, std: float = 0.05) -> GaussianMixture:
    """k Gaussians of equal weight evenly spaced on a circle (chapter 02's capacity grid)."""
    a = 2 * math.pi * torch.arange(k, dtype=torch.float64) / k
    return GaussianMixture(radius * torch.stack([a.cos(), a.sin()], 1), std=std, name=f"ring{k}")


def grid25(spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """A 5x5 grid of Gaussians: the "2D-grid" of VEEGAN and PacGAN.

    PacGAN Sec. 5.1: means (-4 + 2i, -4 + 2j), i, j in 0..4, variance 0.0025 (std 0.05).
    """
    c = spacing * (torch.arange(5, dtype=torch.float64) - 2)
    means = torch.cartesian_prod(c, c)
    return GaussianMixture(means, std=std, name="grid25")


def two_gaussians(separation: float = 4.0, weights=(0.5, 0.5), std=1.0,
                  covs=None) -> GaussianMixture:
    """Two components at (-separation/2, 0) and (+separation/2, 0)."""
    means = [[-separation / 2, 0.0], [separation / 2, 0.0]]
    return GaussianMixture(means, covs=covs, weights=weights, std=std, name="two_gaussians")


class Checkerboard(Toy2D):
    """Uniform on the 8 dark cells of a 4x4 board over [-4, 4]^2.

    Each cell is 2x2, so the support has area 8 * 4 = 32 and the density is 1/32 there:
    the entropy is log 32 = 3.466 nats, a floor no model's NLL can beat.
    """

    name = "checkerboard"
    has_log_prob = True
    extent = 4.5

    def _inside(self, x):
        i = torch.floor((x[:, 0] + 4) / 2)
        j = torch.floor((x[:, 1] + 4) / 2)
        in_box = (x.abs() < 4).all(-1)
        return in_box & ((i + j) % 2 == 0)

    def sample(self, n, generator=None):
        cell = torch.randint(0, 8, (n,), generator=generator)
        row = cell // 2  # 4 rows, 2 dark cells per row
        col = 2 * (cell % 2) + (row % 2)  # dark cells have (row + col) even
        u = torch.rand(n, 2, generator=generator)
        return torch.stack([-4 + 2 * (col + u[:, 0]), -4 + 2 * (row + u[:, 1])], 1).float()

    def log_prob(self, x):
        inside = self._inside(x)
        return torch.where(inside, torch.full_like(x[:, 0], -math.log(32.0)),
                           torch.full_like(x[:, 0], -math.inf))


class NoisyCurve(Toy2D):
    """Points on a curve plus isotropic Gaussian noise: known only through samples."""

    def __init__(self, noise: float = 0.1):
        self.noise = noise

    def curve(self, n: int, generator) -> torch.Tensor:
        raise NotImplementedError

    def sample(self, n, generator=None):
        pts = self.curve(n, generator)
        return (pts + self.noise * torch.randn(n, 2, generator=generator)).float()


class TwoMoons(NoisyCurve):
    """Two interleaved half circles."""

    name = "two_moons"
    extent = 2.5

    def __init__(self, noise: float = 0.08):
        super().__init__(noise)

    def curve(self, n, generator):
        t = math.pi * torch.rand(n, generator=generator)
        upper = torch.rand(n, generator=generator) < 0.5
        x = torch.where(upper, t.cos(), 1 - t.cos())
        y = torch.where(upper, t.sin(), 0.5 - t.sin())
        return torch.stack([x - 0.5, y - 0.25], 1) * 1.5


class SwissRoll(NoisyCurve):
    """A 2D swiss roll: the radius grows with the angle."""

    name = "swiss_roll"
    extent = 4.0

    def curve(self, n, generator):
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
        return torch.stack([t * t.cos(), t * t.sin()], 1) / 4


class Spirals(NoisyCurve):
    """Two interleaved Archimedean spirals."""

    name = "spirals"
    extent = 4.0

    def curve(self, n, generator):
        t = 3 * math.pi * torch.rand(n, generator=generator).sqrt()
        arm = (torch.rand(n, generator=generator) < 0.5).float() * 2 - 1
        return arm[:, None] * torch.stack([t * t.cos(), t * t.sin()], 1) / 3


TOYS = {"ring8": ring8, "grid25": grid25, "two_gaussians": two_gaussians,
        "checkerboard": Checkerboard, "two_moons": TwoMoons, "swiss_roll": SwissRoll,
        "spirals": Spirals}


def toy(name: str, **kwargs) -> Toy2D:
    """A toy distribution by name, e.g. ``toy("ring8")``; keyword arguments configure it."""
    if name not in TOYS:
        raise UnknownDatasetError(name, TOYS)
    return TOYS[name](**kwargs)


# ----------------------------------------------------------------------------------
# Image datasets
# ----------------------------------------------------------------------------------

class UnknownDatasetError(ValueError):
    """A name that is not one of the datasets; the message lists the valid ones."""

    def __init__(self, name, valid):
        super().__init__(f"unknown dataset {name!r}; valid names are: {', '.join(sorted(valid))}")


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is neither cached nor downloadable; the message says where to put it."""


class ChecksumError(ValueError):
    """A dataset file does not match its published checksum, so it is not used."""


_MNIST_MIRRORS = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                  "http://yann.lecun.com/exdb/mnist/"]
_FASHION_MIRRORS = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]

# name -> {file: md5}, the mirrors, and the published checksums (torchvision's lists)
REMOTE = {
    "mnist": (_MNIST_MIRRORS, {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}),
    "fashion_mnist": (_FASHION_MIRRORS, {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}),
    "cifar10": (["https://www.cs.toronto.edu/~kriz/"], {
        "cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a"}),
}
IMAGE_DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10")
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def search_dirs(root: str | Path | None = None) -> list[Path]:
    """Where dataset files are looked for, in order: ``root``, ``GMCOURSE_DATA``, data/."""
    if root is not None:
        return [Path(root)]
    env = os.environ.get("GMCOURSE_DATA", "")
    return [Path(p) for p in env.split(os.pathsep) if p] + [DATA_DIR]


def md5sum(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _download(url: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    with urllib.request.urlopen(url, timeout=30) as r, open(tmp, "wb") as f:
        while chunk := r.read(1 << 20):
            f.write(chunk)
    tmp.replace(dest)


def dataset_file(name: str, filename: str, root=None, download: bool = True) -> Path:
    """The verified local path of one dataset file, downloading it once if needed."""
    mirrors, md5s = REMOTE[name]
    expected = md5s[filename]
    for d in search_dirs(root):
        path = d / name / filename
        if path.exists():
            if md5sum(path) != expected:
                raise ChecksumError(
                    f"{path} is corrupt (MD5 {md5sum(path)}, expected {expected}); it was not "
                    f"used. Delete it and load again to re-download it.")
            return path
    target = search_dirs(root)[-1] / name / filename
    errors = []
    for base in mirrors if download else []:
        try:
            _download(base + filename, target)
        except OSError as e:  # URLError, timeouts and refused connections are OSErrors
            errors.append(f"{base}{filename}: {e}")
            continue
        if md5sum(target) == expected:
            return target
        target.unlink()
        errors.append(f"{base}{filename}: checksum mismatch, file discarded")
    where = "\n  ".join(str(d / name / filename) for d in search_dirs(root))
    tried = ("\nDownload attempts:\n  " + "\n  ".join(errors)) if errors else ""
    raise DatasetNotFoundError(
        f"{name}: file {filename} (MD5 {expected}) is not available offline.\n"
        f"Download it from {mirrors[0]}{filename} and put it at one of:\n  {where}\n"
        f"or set GMCOURSE_DATA to a directory that contains {name}/{filename}.{tried}")


def read_idx(path: Path) -> np.ndarray:
    """Parse an IDX file (gzipped or not): the MNIST family's format."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise ChecksumError(f"{path} is not an unsigned-byte IDX file")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


@lru_cache(maxsize=8)
def _load_uint8(name: str, split: str, root, download: bool):
    """(images uint8 (N, C, H, W), labels int64 (N,)) for one split."""
    if name == "digits":
        from sklearn.datasets import load_digits
        d = load_digits()
        x = np.round(d.images * (255 / 16)).astype(np.uint8)[:, None]  # 0..16 -> 0..255
        perm = np.random.default_rng(0).permutation(len(x))  # a fixed split, 1500 / 297
        idx = perm[:1500] if split == "train" else perm[1500:]
        return x[idx], d.target[idx].astype(np.int64)
    if name in ("mnist", "fashion_mnist"):
        prefix = "train" if split == "train" else "t10k"
        x = read_idx(dataset_file(name, f"{prefix}-images-idx3-ubyte.gz", root, download))
        y = read_idx(dataset_file(name, f"{prefix}-labels-idx1-ubyte.gz", root, download))
        return x[:, None].copy(), y.astype(np.int64)
    path = dataset_file("cifar10", "cifar-10-python.tar.gz", root, download)
    members = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    xs, ys = [], []
    with tarfile.open(path, "r:gz") as tar:
        for m in members:
            batch = pickle.load(tar.extractfile(f"cifar-10-batches-py/{m}"), encoding="bytes")
            xs.append(batch[b"data"].reshape(-1, 3, 32, 32))
            ys.append(np.asarray(batch[b"labels"], dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def load_images(name: str, split: str = "train", *, binarize: bool | str = False,
                labels: bool = False, limit: int | None = None, root=None,
                download: bool = True, generator: torch.Generator | None = None):
    """Images as float32 (N, C, H, W) in [0, 1], and labels (N,) if ``labels=True``.

    binarize: False (grey levels), True (threshold at 0.5) or "dynamic" (Bernoulli
    draws with the grey level as probability, as in the VAE literature).
    limit: keep the first ``limit`` images (the splits are already shuffled or fixed).
    """
    if name not in IMAGE_DATASETS:
        raise UnknownDatasetError(name, IMAGE_DATASETS)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    x_u8, y = _load_uint8(name, split, None if root is None else str(root), download)
    x = torch.from_numpy(x_u8[:limit].astype(np.float32) / 255.0)
    if binarize == "dynamic":
        x = torch.bernoulli(x, generator=generator)
    elif binarize:
        x = (x > 0.5).float()
    return (x, torch.from_numpy(y[:limit])) if labels else x


class DynamicBinarized:
    """Binary images drawn afresh each time, x ~ Bernoulli(grey level), as in the VAE
    literature on MNIST; ``train.fit`` draws batches with ``sample(n)``."""

    def __init__(self, x):
        self.x, self.shape, self.device = x, x.shape, x.device

    def sample(self, n, generator=None):
        idx = torch.randint(len(self.x), (n,), generator=generator).to(self.device)
        on_cpu = self.device.type == "cpu"  # a CPU generator cannot drive CUDA draws
        return torch.bernoulli(self.x[idx], generator=generator if on_cpu else None)


def available(name: str, split: str = "test") -> bool:
    """True when ``load_images(name, split)`` works without a download."""
    try:
        load_images(name, split, download=False, limit=1)
        return True
    except (DatasetNotFoundError, ChecksumError):
        return False
