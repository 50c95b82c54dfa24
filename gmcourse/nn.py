"""Shared networks. Model families take one of these as their backbone argument.

Each family adds its networks in its own section below, so that one network serves
every chapter that needs it. ``EMA`` keeps a moving average of any network's weights.
"""
from __future__ import annotations

import copy
import math

import torch
from torch import nn


class MLP(nn.Sequential):
    """in_dim -> hidden x depth -> out_dim, with a nonlinearity between linear layers."""

    def __init__(self, in_dim: int, out_dim: int, hidden: int = 128, depth: int = 2,
                 act: type[nn.Module] = nn.SiLU, out_act: nn.Module | None = None):
        dims = [in_dim] + [hidden] * depth
        layers: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(a, b), act()]
        layers.append(nn.Linear(dims[-1], out_dim))
        if out_act is not None:
            layers.append(out_act)
        super().__init__(*layers)


class EMA(nn.Module):
    """An exponential moving average of a network's weights (Yazici et al. 2019).

    The decay warms up as min(decay, (1 + t) / (10 + t)) after t updates, so that the
    average forgets the random initialisation and the early, fast-moving weights.
    """

    def __init__(self, net: nn.Module, decay: float = 0.999):
        super().__init__()
        self.net, self.decay = copy.deepcopy(net).requires_grad_(False), decay
        self.register_buffer("t", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def update(self, net: nn.Module):
        self.t += 1
        beta = min(self.decay, (1 + self.t.item()) / (10 + self.t.item()))
        for a, b in zip(self.net.state_dict().values(), net.state_dict().values()):
            a.lerp_(b, 1 - beta) if a.is_floating_point() else a.copy_(b)

    def forward(self, *args):
        return self.net(*args)


def sinusoidal_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0):
    """Transformer-style features of a scalar per example: (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period)
                      * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]  # (B, half)
    return torch.cat([args.cos(), args.sin()], dim=-1)


class ConvClassifier(nn.Module):
    """A small CNN classifier for 1-channel images (8x8 digits or 28x28 MNIST).

    ``features(x)`` returns the penultimate activations (B, feat_dim), which the
    evaluation chapter uses as the feature space of its local FID.
    """

    def __init__(self, n_classes: int = 10, channels: int = 32, feat_dim: int = 64,
                 in_ch: int = 1):
        super().__init__()
        c = channels
        self.body = nn.Sequential(
            nn.Conv2d(in_ch, c, 3, padding=1), nn.SiLU(),
            nn.Conv2d(c, 2 * c, 3, padding=1, stride=2), nn.SiLU(),  # H -> H/2
            nn.Conv2d(2 * c, 2 * c, 3, padding=1), nn.SiLU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),  # (B, 2c, H/2, W/2) -> (B, 8c)
            nn.Linear(8 * c, feat_dim), nn.SiLU())
        self.head = nn.Linear(feat_dim, n_classes)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.body(x))


class TimeMLP(nn.Module):
    """eps_theta(x, t) or s_theta(x, sigma) for 2D data: an MLP that also sees a scalar.

    t (B,) is a timestep or a noise level; it enters through sinusoidal features,
    added to every hidden layer so that the network can change behaviour with t.
    """

    def __init__(self, dim: int = 2, hidden: int = 128, depth: int = 3, emb_dim: int = 32):
        super().__init__()
        self.emb_dim = emb_dim
        self.inp = nn.Linear(dim, hidden)
        self.emb = nn.ModuleList(nn.Linear(emb_dim, hidden) for _ in range(depth))
        self.hidden = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(depth))
        self.out = nn.Linear(hidden, dim)
        self.act = nn.SiLU()

    def forward(self, x, t):
        e = sinusoidal_embedding(t, self.emb_dim)  # (B,) -> (B, emb_dim)
        h = self.inp(x)
        for lin, emb in zip(self.hidden, self.emb):
            h = lin(self.act(h + emb(e)))
        return self.out(self.act(h))


# --- GAN networks (chapters 02-03) ---------------------------------------------------

class ConditionalBatchNorm(nn.Module):
    """Batch norm whose gain and bias come from the label y (de Vries et al. 2017; the
    class-conditional generators of Miyato & Koyama 2018 and BigGAN): every layer it sits in
    sees the class. (B, c, ...), (B,) -> (B, c, ...); starts as plain batch norm."""

    def __init__(self, c: int, n_classes: int, dims: int = 2):
        super().__init__()
        self.bn = (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(c, affine=False)
        self.gain, self.bias = nn.Embedding(n_classes, c), nn.Embedding(n_classes, c)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, h, y):
        shape = (len(h), -1) + (1,) * (h.dim() - 2)  # (B, c) -> (B, c, 1, 1) for images
        return self.bn(h) * self.gain(y).view(shape) + self.bias(y).view(shape)


class DCGenerator(nn.Module):
    """DCGAN generator (Radford et al. 2016): z (B, latent) -> images (B, C, H, W) in [0, 1].

    Guidelines kept: no pooling, fractionally strided convolutions, batch norm, ReLU.
    H and W must be multiples of 4 (8x8 digits, 28x28 MNIST, 32x32 CIFAR-10). The output
    is a sigmoid rather than tanh because the course's images lie in [0, 1].
    n_classes: conditional, G(z, y) sees a learned embedding of the label y (B,) beside z;
    label_layers="all" also makes every batch norm a ``ConditionalBatchNorm`` of y.
    """

    def __init__(self, latent_dim: int, image_shape=(1, 8, 8), channels: int = 64,
                 n_classes: int | None = None, emb_dim: int = 16, label_layers: str = "input"):
        super().__init__()
        if label_layers not in ("input", "all"):
            raise ValueError(f"label_layers must be 'input' or 'all', not {label_layers!r}")
        C, H, W = image_shape
        c, self.s = channels, (H // 4, W // 4)
        self.embed = nn.Embedding(n_classes, emb_dim) if n_classes else None
        cbn = n_classes and label_layers == "all"

        def norm(k, dims):
            return ConditionalBatchNorm(k, n_classes, dims) if cbn else \
                (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(k)
        self.fc = nn.Sequential(
            nn.Linear(latent_dim + (emb_dim if n_classes else 0), 2 * c * H * W // 16),
            norm(2 * c * H * W // 16, 1), nn.ReLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1), norm(c, 2), nn.ReLU(),  # H/4 -> H/2
            nn.ConvTranspose2d(c, C, 4, 2, 1), nn.Sigmoid())  # H/2 -> H

    @staticmethod
    def _run(layers, h, y):  # a conditional norm also takes the label
        for layer in layers:
            h = layer(h, y) if isinstance(layer, ConditionalBatchNorm) else layer(h)
        return h

    def forward(self, z, y=None):
        if self.embed is not None:
            z = torch.cat([z, self.embed(y)], 1)
        h = self._run(self.fc, z, y).reshape(len(z), -1, *self.s)  # -> (B, 2c, H/4, W/4)
        return self._run(self.up, h, y)


class DCDiscriminator(nn.Module):
    """DCGAN discriminator: strided convolutions, LeakyReLU(0.2), batch norm if ``norm``
    (off for WGAN-GP, whose per-sample penalty batch norm would break).
    n_classes: a projection discriminator (Miyato & Koyama 2018), d = w.h + embed(y).h.
    """

    def __init__(self, image_shape=(1, 8, 8), channels: int = 64,
                 n_classes: int | None = None, norm: bool = True):
        super().__init__()
        C, H, W = image_shape
        c = channels
        self.body = nn.Sequential(
            nn.Conv2d(C, c, 4, 2, 1), nn.LeakyReLU(0.2),  # H -> H/2
            nn.Conv2d(c, 2 * c, 4, 2, 1), nn.BatchNorm2d(2 * c) if norm else nn.Identity(),
            nn.LeakyReLU(0.2), nn.Flatten())  # (B, 2c, H/4, W/4) -> (B, 2c * H/4 * W/4)
        feat = 2 * c * (H // 4) * (W // 4)
        self.out = nn.Linear(feat, 1)
        self.embed = nn.Embedding(n_classes, feat) if n_classes else None

    def forward(self, x, y=None):
        h = self.body(x)
        d = self.out(h).squeeze(1)
        if self.embed is not None:
            d = d + (self.embed(y) * h).sum(1)
        return d



# --- VAE networks (chapter 04) -------------------------------------------------------

class ConvEncoder(nn.Sequential):
    """Images to a grid of vectors: (B, C, H, W) -> (B, out_dim, H/2^down, W/2^down)."""

    def __init__(self, in_ch: int, out_dim: int, hidden: int = 32, down: int = 1):
        layers: list[nn.Module] = [nn.Conv2d(in_ch, hidden, 3, padding=1), nn.SiLU()]
        for _ in range(down):  # each halves H and W
            layers += [nn.Conv2d(hidden, hidden, 4, stride=2, padding=1), nn.SiLU()]
        layers += [nn.Conv2d(hidden, hidden, 3, padding=1), nn.SiLU(),
                   nn.Conv2d(hidden, out_dim, 1)]
        super().__init__(*layers)


class ConvDecoder(nn.Sequential):
    """The mirror image: (B, in_dim, h, w) -> (B, out_ch, h 2^up, w 2^up), linear output."""

    def __init__(self, in_dim: int, out_ch: int, hidden: int = 32, up: int = 1):
        layers: list[nn.Module] = [nn.Conv2d(in_dim, hidden, 3, padding=1), nn.SiLU()]
        for _ in range(up):  # each doubles H and W
            layers += [nn.ConvTranspose2d(hidden, hidden, 4, stride=2, padding=1), nn.SiLU()]
        layers += [nn.Conv2d(hidden, out_ch, 3, padding=1)]
        super().__init__(*layers)



# --- flow networks (chapter 05) ------------------------------------------------------

class CouplingConvNet(nn.Sequential):
    """A coupling layer's conditioner for images: (B, C_in, H, W) -> (B, C_out, H, W).

    3x3 -> 1x1 -> 3x3 convolutions (RealNVP's and Glow's shape, much smaller); the last
    one starts at zero, so that a coupling layer starts as the identity.
    """

    def __init__(self, in_ch: int, out_ch: int, hidden: int = 64):
        super().__init__(nn.Conv2d(in_ch, hidden, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
                         nn.Conv2d(hidden, out_ch, 3, padding=1))
        nn.init.zeros_(self[-1].weight), nn.init.zeros_(self[-1].bias)



# --- PixelCNN networks (chapter 06) --------------------------------------------------


# --- diffusion networks (chapter 07) -------------------------------------------------

class FourierTimeMLP(TimeMLP):
    """A TimeMLP that first lifts x to random Fourier features [x, sin 2pi xB, cos 2pi xB].

    B (dim, n_freq) ~ N(0, scale^2) is fixed (Tancik et al. 2020). A plain MLP is slow to
    learn functions that change on a scale of 0.01, such as the noise predictor near the
    tight modes of ring-8; the features give it such variation from the start.
    """

    def __init__(self, dim: int = 2, hidden: int = 128, depth: int = 3, emb_dim: int = 32,
                 n_freq: int = 16, scale: float = 3.0, seed: int = 0):
        super().__init__(dim, hidden, depth, emb_dim)
        self.inp = nn.Linear(dim + 2 * n_freq, hidden)
        B = torch.randn(dim, n_freq, generator=torch.Generator().manual_seed(seed)) * scale
        self.register_buffer("B", B)

    def forward(self, x, t):
        proj = 2 * math.pi * x @ self.B  # (B, dim) -> (B, n_freq)
        return super().forward(torch.cat([x, proj.sin(), proj.cos()], -1), t)


class ResBlock(nn.Module):
    """Two 3x3 convolutions with a residual path; the embedding e shifts the features.

    (B, c_in, H, W), (B, emb_dim) -> (B, c_out, H, W). GroupNorm, not BatchNorm: a batch
    of a diffusion model mixes noise levels, so batch statistics would mix them too.
    """

    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int = 8):
        super().__init__()
        self.norm1 = nn.GroupNorm(math.gcd(groups, c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2 = nn.GroupNorm(math.gcd(groups, c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        self.act = nn.SiLU()

    def forward(self, x, e):
        h = self.conv1(self.act(self.norm1(x)))
        h = h + self.emb(e)[:, :, None, None]  # (B, c_out) -> (B, c_out, 1, 1)
        h = self.conv2(self.act(self.norm2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """eps_theta(x_t, t, y) for images: a small UNet with time and optional label input.

    One ResBlock per resolution; ``mults`` sets the channels (ch * m) of each level and
    the number of levels, halving H and W between levels (8x8 digits: (1, 2); 28x28 and
    32x32: (1, 2, 2)). Skips concatenate the down path's features into the up path.
    With ``n_classes`` > 0, y in {0..n_classes-1} or y = n_classes ("no label", the
    null label of classifier-free guidance) adds a learned embedding; y=None is the
    null label.
    """

    def __init__(self, in_ch: int = 1, ch: int = 32, mults=(1, 2), emb_dim: int = 128,
                 n_classes: int = 0):
        super().__init__()
        self.ch, self.n_classes = ch, n_classes
        chans = [ch * m for m in mults]
        self.time = nn.Sequential(nn.Linear(ch, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.label = nn.Embedding(n_classes + 1, emb_dim) if n_classes else None
        self.inp = nn.Conv2d(in_ch, ch, 3, padding=1)
        ins = [ch] + chans[:-1]
        self.down = nn.ModuleList(ResBlock(a, b, emb_dim) for a, b in zip(ins, chans))
        self.downsample = nn.ModuleList(nn.Conv2d(c, c, 3, stride=2, padding=1)
                                        for c in chans[:-1])
        self.mid = ResBlock(chans[-1], chans[-1], emb_dim)
        self.up = nn.ModuleList(ResBlock(2 * c, c, emb_dim) for c in chans)
        self.upsample = nn.ModuleList(  # level i -> level i-1: nearest x2, then a conv
            nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(chans[i], chans[i - 1], 3,
                                                                 padding=1))
            for i in range(1, len(chans)))
        self.out = nn.Sequential(nn.GroupNorm(math.gcd(8, ch), ch), nn.SiLU(),
                                 nn.Conv2d(ch, in_ch, 3, padding=1))

    def forward(self, x, t, y=None):
        e = self.time(sinusoidal_embedding(t, self.ch))  # (B,) -> (B, emb_dim)
        if self.label is not None:
            if y is None:
                y = torch.full((len(x),), self.n_classes, device=x.device, dtype=torch.long)
            e = e + self.label(y)
        h, skips = self.inp(x), []  # (B, in_ch, H, W) -> (B, ch, H, W)
        for i, block in enumerate(self.down):
            h = block(h, e)
            skips.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)  # (B, c, H, W) -> (B, c, H/2, W/2)
        h = self.mid(h, e)
        for i in reversed(range(len(self.up))):
            h = self.up[i](torch.cat([h, skips[i]], 1), e)  # (B, 2c, ., .) -> (B, c, ., .)
            if i > 0:
                h = self.upsample[i - 1](h)  # (B, c_i, H, W) -> (B, c_{i-1}, 2H, 2W)
        return self.out(h)



# --- score networks (chapter 08) -----------------------------------------------------
