"""PixelCNN: an exact likelihood from the chain rule, computed by masked convolutions.

Symbols
    x          an image (B, 1, H, W); pixel i counts in raster order (row by row)
    x_<i       the pixels before i:   p(x) = prod_i p(x_i | x_<i)                     (Eq. 1)
    K          levels per pixel: 2 (binary), 17 (8x8 digits), 256 (8-bit), or a codebook
    mask A     hides the centre pixel: the first layer, so that output i never sees x_i
    mask B     keeps the centre: later layers, whose feature i has only seen x_<i
    v, h       the vertical stack (rows above) and horizontal stack (same row, left)
    gate       y = tanh(W_f * x) . sigmoid(W_g * x)                                   (Eq. 2)
    bits/dim   -log2 p(x) / D, with D = H W pixels                                     (Eq. 3)

The network maps ``dist.encode(x)`` to per-pixel logits in one pass (training is
parallel); ``sample`` fills pixels one at a time (sampling is sequential: H W passes).
"""
from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import nn

from .dists import Bernoulli, Categorical, bits_per_dim


# --- masks: kernels of k // 2 + 1 rows whose last row is the centre row ----------------------
# Rows below the centre would be all zero in every mask, so the kernels drop them and the
# padding is one-sided: output (r, c) reads rows r - k//2 .. r.

def causal_mask(k: int, mask_type: str) -> torch.Tensor:
    """(k//2 + 1, k) mask of the plain PixelCNN: rows above, and the left of the centre row.

    Type "A" hides the centre (first layer), type "B" keeps it (later layers).
    """
    m = torch.ones(k // 2 + 1, k)
    m[-1, k // 2 + (mask_type == "B"):] = 0
    return m


def vertical_mask(k: int, first: bool) -> torch.Tensor:
    """(k//2 + 1, k) mask of the vertical stack: rows up to the centre (first layer: above it)."""
    m = torch.ones(k // 2 + 1, k)
    m[-1] = 0 if first else 1
    return m


def horizontal_mask(k: int, first: bool) -> torch.Tensor:
    """(1, k) mask of the horizontal stack: left of the centre, and the centre unless ``first``."""
    return causal_mask(k, "A" if first else "B")[-1:]


class MaskedConv2d(nn.Conv2d):
    """A convolution whose kernel is multiplied by a fixed 0/1 ``mask`` (kh, kw); the output
    pixel sits at the mask's last row, middle column. Output size = input size."""

    def __init__(self, c_in: int, c_out: int, mask: torch.Tensor):
        kh, kw = mask.shape
        super().__init__(c_in, c_out, (kh, kw))
        self.pad = (kw // 2, kw // 2, kh - 1, 0)  # left, right, top, bottom
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.conv2d(F.pad(x, self.pad), self.weight * self.mask, self.bias)


# --- networks: encode(x) (B, C_in, H, W) -> logits (B, C_out, H, W) ----------------------

def _head(hidden: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.ReLU(), nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
                         nn.Conv2d(hidden, c_out, 1))


class PixelCNNNet(nn.Module):
    """The original PixelCNN (van den Oord et al. 2016, "Pixel Recurrent Neural Networks").

    One type-A ``first_kernel`` convolution, ``layers`` residual type-B ``kernel`` convolutions,
    a 1x1 head. Stacked masked kernels leave a *blind spot*: pixels up and to the right
    that are before i in raster order but never reach output i.
    """

    def __init__(self, c_in: int, c_out: int, hidden: int = 64, layers: int = 5,
                 kernel: int = 3, first_kernel: int = 7):
        super().__init__()
        self.inp = MaskedConv2d(c_in, hidden, causal_mask(first_kernel, "A"))
        self.hidden = nn.ModuleList(MaskedConv2d(hidden, hidden, causal_mask(kernel, "B"))
                                    for _ in range(layers))
        self.out = _head(hidden, c_out)

    def forward(self, x):
        h = self.inp(x)  # (B, C_in, H, W) -> (B, hidden, H, W)
        for conv in self.hidden:
            h = h + conv(F.relu(h))
        return self.out(h)


def gate(a: torch.Tensor) -> torch.Tensor:
    """tanh(f) * sigmoid(g) for a = [f, g] stacked on channels: (B, 2c, H, W) -> (B, c, H, W)."""
    f, g = a.chunk(2, dim=1)
    return torch.tanh(f) * torch.sigmoid(g)  # Eq. 2


class GatedLayer(nn.Module):
    """One layer of the gated PixelCNN (van den Oord et al. 2016, "Conditional Image
    Generation with PixelCNN Decoders"), with the two stacks that remove the blind spot.

    v (rows strictly above, all columns within reach) feeds h; h (same row, to the left)
    never feeds v, so no information flows from the current row back up.
    """

    def __init__(self, c_in: int, c: int, k: int = 3, first: bool = False):
        super().__init__()
        self.first = first
        self.v = MaskedConv2d(c_in, 2 * c, vertical_mask(k, first))
        self.h = MaskedConv2d(c_in, 2 * c, horizontal_mask(k, first))
        self.v_to_h = nn.Conv2d(2 * c, 2 * c, 1)
        self.h_out = nn.Conv2d(c, c, 1)

    def forward(self, v, h):
        v_feat = self.v(v)  # at (r, c): inputs of rows < r only, so h may use it unshifted
        h_new = self.h_out(gate(self.h(h) + self.v_to_h(v_feat)))
        return gate(v_feat), h_new if self.first else h + h_new


class GatedPixelCNNNet(nn.Module):
    """Gated PixelCNN without a blind spot. With reach R = first_kernel//2 + (layers-1) kernel//2,
    output (r, c) sees exactly rows r-R..r-1 at columns c-R..c+R, and (r, c-R..c-1)."""

    def __init__(self, c_in: int, c_out: int, hidden: int = 64, layers: int = 6,
                 kernel: int = 3, first_kernel: int = 7):
        super().__init__()
        self.layers = nn.ModuleList(
            [GatedLayer(c_in, hidden, first_kernel, first=True)]
            + [GatedLayer(hidden, hidden, kernel) for _ in range(layers - 1)])
        self.out = _head(hidden, c_out)

    def forward(self, x):
        v = h = x
        for layer in self.layers:
            v, h = layer(v, h)  # (B, hidden, H, W) each
        return self.out(h)


# --- what a pixel is: the network's input code and its output distribution ----------------
# ``distribution(logits)`` is a ``gmcourse.dists`` distribution over whole images (event_dims
# = 3): ``log_prob(x)`` (B, 1, H, W) -> (B,) and ``sample()``, the contract of the package.

class BinaryPixels:
    """Binary pixels x in {0, 1}: one logit per pixel, a Bernoulli."""
    levels, in_channels, out_channels = 2, 1, 1

    def encode(self, x):
        return 2 * x.float() - 1

    def value(self, k):
        return k.float()

    def distribution(self, logits):  # (B, 1, H, W)
        return Bernoulli(logits, event_dims=3)


class LevelPixels:
    """K-way pixels, a categorical. ``scale=K-1``: images in [0, 1] with x * scale in
    0..K-1 (17-level digits: x * 16); ``scale=None``: integer codes 0..K-1 (a VQ-VAE code
    map), kept long."""

    def __init__(self, K: int, scale: float | None = None):
        self.levels = self.in_channels = self.out_channels = K
        self.scale = scale

    def index(self, x):
        return x.long() if self.scale is None else torch.round(x * self.scale).long()

    def value(self, k):
        return k if self.scale is None else k.float() / self.scale

    def encode(self, x):  # one-hot: (B, 1, H, W) -> (B, K, H, W)
        return F.one_hot(self.index(x)[:, 0], self.levels).permute(0, 3, 1, 2).float()

    def distribution(self, logits):  # (B, K, H, W) -> over (B, 1, H, W)
        return Categorical(logits.movedim(1, -1).unsqueeze(1), event_dims=3,
                           codes=self.scale is None)


# --- the model ------------------------------------------------------------------------------

class PixelCNN(nn.Module):
    """p(x) = prod_i p(x_i | x_<i) (Eq. 1): a masked ``net`` gives every conditional at once."""

    def __init__(self, net: nn.Module, dist, shape=(1, 8, 8)):
        super().__init__()
        self.net, self.dist, self.shape = net, dist, tuple(shape)

    def logits(self, x):
        return self.net(self.dist.encode(x))

    def log_prob(self, x):
        """log p(x) in nats, (B, 1, H, W) -> (B,): one parallel pass, exact."""
        return self.dist.distribution(self.logits(x)).log_prob(x)

    def loss(self, x):
        return -self.log_prob(x).mean() / x[0].numel()  # nats per dimension

    @torch.no_grad()
    def sample(self, n: int, shape=None) -> torch.Tensor:
        """Ancestral sampling in raster order: H W network passes, one per pixel."""
        C, H, W = shape or self.shape
        device = next(self.parameters()).device
        x = self.dist.value(torch.zeros(n, C, H, W, dtype=torch.long, device=device))
        for r in range(H):
            for c in range(W):
                # rows below r never reach row r (causal masks, top-only padding): skip them
                logits = self.logits(x[:, :, :r + 1])[:, :, r:r + 1, c:c + 1]
                x[:, :, r:r + 1, c:c + 1] = self.dist.distribution(logits).sample()
        return x

    @torch.no_grad()
    def bits_per_dim(self, x, batch_size: int = 512) -> float:
        """-log2 p(x) / D averaged over x (Eq. 3); exact, in the units of ``dist``."""
        nll = torch.cat([-self.log_prob(b) for b in x.split(batch_size)])
        return bits_per_dim(nll.mean().item(), x[0].numel())


def pixelcnn(dist, gated: bool = True, hidden: int = 32, layers: int = 4, kernel: int = 3,
             first_kernel: int = 7, shape=(1, 8, 8)) -> PixelCNN:
    """A (gated) PixelCNN whose pixels are ``dist`` (``BinaryPixels()`` or ``LevelPixels(K)``)."""
    Net = GatedPixelCNNNet if gated else PixelCNNNet
    net = Net(dist.in_channels, dist.out_channels, hidden, layers, kernel, first_kernel)
    return PixelCNN(net, dist, shape)


# --- what the chapter measures ----------------------------------------------------------

def input_gradients(net: nn.Module, c_in: int, H: int, W: int, seed: int = 0) -> torch.Tensor:
    """|d output pixel i / d input pixel j|, summed over channels: (H*W, H, W), raster order i.

    Exactly zero where output i cannot see input j: the receptive field, blind spot included.
    """
    x = torch.randn(1, c_in, H, W, generator=torch.Generator().manual_seed(seed))
    J = torch.autograd.functional.jacobian(lambda x: net(x)[0].sum(0).flatten(), x,
                                           vectorize=True)  # (HW, 1, C_in, H, W)
    return J.abs().sum(dim=(1, 2))


@torch.no_grad()
def sampling_seconds(model: PixelCNN, sides=(4, 8, 12, 16), n: int = 8) -> list[dict]:
    """Wall time of ``model.sample(n)`` for square images of each side: H W passes of a
    network whose cost grows with H W, so about (H W)^2 in all for large images."""
    rows = []
    for s in sides:
        model.sample(n, shape=(1, min(s, 4), min(s, 4)))  # warm-up
        t0 = time.perf_counter()
        model.sample(n, shape=(1, s, s))
        rows.append({"side": s, "pixels": s * s, "seconds": time.perf_counter() - t0})
    return rows


def power_law_exponent(x, y) -> float:
    """Slope a of the least-squares line log y = a log x + b."""
    lx, ly = torch.tensor(x, dtype=torch.float64).log(), torch.tensor(y, dtype=torch.float64).log()
    lx = lx - lx.mean()
    return ((lx * (ly - ly.mean())).sum() / (lx * lx).sum()).item()
