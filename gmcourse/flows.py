"""Normalizing flows: an exact likelihood through the change of variables.

Symbols (chapter 05):
    x         a data point;  z = f(x) its latent code, z ~ p_Z = N(0, I)
    f         the flow, f = f_K o ... o f_1, every f_k invertible (layer 1 touches the data)
    log_det   log |det J| of one layer, one number per example (B,)
    log p(x) = log p_Z(f(x)) + sum_k log |det df_k/dh_{k-1}|              Eq. (1)
    m         a binary mask: m * x is passed through, (1 - m) * x is transformed
    s, t      log-scale and shift of an affine coupling
    u, w, b   parameters of a planar layer

Every layer keeps one contract, which states its direction:
    forward(x) -> (z, log_det)   data -> latent, log_det = log |det dz/dx|
    inverse(z) -> (x, log_det)   latent -> data, log_det = log |det dx/dz| = -forward's
so ``log_prob`` runs the layers forwards and ``sample`` runs them backwards.
Image layers (squeeze, multi-scale split, logit, dequantization) live in flows_image.py.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .dists import standard_normal_log_prob
from .nn import MLP


def _sum_per_example(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(len(t), -1).sum(1)  # (B, ...) -> (B,)


class Flow(nn.Module):
    """A base N(0, I) on latents of ``shape`` and a list of layers (layers[0] touches x)."""

    def __init__(self, layers, shape):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.shape = tuple(shape)
        self.register_buffer("_ref", torch.zeros(1))  # carries device and dtype

    def forward(self, x, layers=None):
        log_det = x.new_zeros(len(x))
        for layer in self.layers if layers is None else layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return x, log_det

    def inverse(self, z, layers=None):
        log_det = z.new_zeros(len(z))
        for layer in reversed(self.layers if layers is None else layers):
            z, ld = layer.inverse(z)
            log_det = log_det + ld
        return z, log_det

    @staticmethod
    def base_log_prob(z):
        return _sum_per_example(standard_normal_log_prob(z))

    def log_prob(self, x):
        z, log_det = self(x)
        return self.base_log_prob(z) + log_det  # Eq. (1)

    def loss(self, x):
        return -self.log_prob(x).mean()  # maximum likelihood

    @torch.no_grad()
    def sample(self, n: int, temperature: float = 1.0):
        z = temperature * torch.randn(n, *self.shape, device=self._ref.device)
        return self.inverse(z)[0]

    # Layer by layer, for the chapter's widget. Stage k is the distribution after the
    # first k generative steps z -> ...: stage 0 is the base, stage K is the model p(x).
    @torch.no_grad()
    def trajectory(self, z):
        """[z, h_1, ..., x]: a batch of latents pushed through the layers one at a time."""
        out = [z]
        for layer in reversed(self.layers):
            out.append(layer.inverse(out[-1])[0])
        return out

    def stage_log_prob(self, h, k: int):
        """log density of stage k at h: Eq. (1) with only the last k layers."""
        z, log_det = self(h, layers=self.layers[len(self.layers) - k:])
        return self.base_log_prob(z) + log_det


class Inverse(nn.Module):
    """A layer run backwards: its forward is the wrapped layer's inverse."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer.inverse(x)

    def inverse(self, z):
        return self.layer(z)


class Planar(nn.Module):
    """Planar layer (Rezende & Mohamed 2015). forward, data -> latent:
        z = x + u_hat tanh(w^T x + b),  log_det = log |1 + u_hat^T w tanh'(w^T x + b)|
    u_hat = u + (softplus(w^T u) - 1 - w^T u) w / |w|^2 makes w^T u_hat > -1, so the map is
    invertible (their App. A). The inverse has no closed form: it solves one scalar equation.
    """

    def __init__(self, dim: int = 2):
        super().__init__()
        self.w = nn.Parameter(torch.randn(dim))
        self.u = nn.Parameter(torch.randn(dim))
        self.b = nn.Parameter(torch.randn(1))

    def u_hat(self):
        wu = self.w @ self.u
        return self.u + (F.softplus(wu) - 1 - wu) * self.w / (self.w @ self.w)

    def forward(self, x):
        u = self.u_hat()
        a = x @ self.w + self.b  # (B,)
        z = x + u * torch.tanh(a)[:, None]
        log_det = torch.log((1 + (1 - torch.tanh(a) ** 2) * (self.w @ u)).abs())
        return z, log_det

    def inverse(self, z):
        # a = w^T x + b solves a + (w^T u_hat) tanh(a) = w^T z + b, increasing in a: bisect
        u = self.u_hat()
        wu, c = self.w @ u, z @ self.w + self.b
        lo, hi = c - wu.abs() - 1e-3, c + wu.abs() + 1e-3
        for _ in range(60):
            mid = (lo + hi) / 2
            right = mid + wu * torch.tanh(mid) > c
            lo, hi = torch.where(right, lo, mid), torch.where(right, mid, hi)
        a = (lo + hi) / 2
        x = z - u * torch.tanh(a)[:, None]
        return x, -torch.log((1 + (1 - torch.tanh(a) ** 2) * wu).abs())


class AffineCoupling(nn.Module):
    """RealNVP's affine coupling (Dinh et al. 2017, Eq. 9). forward, data -> latent:
        z = m * x + (1 - m) * (x * exp(s) + t),  (s, t) = net(m * x),  log_det = sum (1 - m) s
    ``net`` maps a tensor shaped like x to twice its channels (dim 1); the raw scale goes
    through ``scale * tanh`` so that early steps cannot blow up.
    """

    def __init__(self, mask, net):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.net = net
        self.scale = nn.Parameter(torch.ones(mask.shape[0]))

    def _s_t(self, x_masked):
        s, t = self.net(x_masked).chunk(2, dim=1)
        scale = self.scale.view(1, -1, *[1] * (x_masked.dim() - 2))
        return (1 - self.mask) * scale * torch.tanh(s), (1 - self.mask) * t

    def forward(self, x):
        s, t = self._s_t(self.mask * x)
        z = self.mask * x + (1 - self.mask) * (x * s.exp() + t)  # s, t vanish where m = 1
        return z, _sum_per_example(s)

    def inverse(self, z):
        s, t = self._s_t(self.mask * z)  # m * z = m * x
        x = self.mask * z + (1 - self.mask) * (z - t) * torch.exp(-s)
        return x, -_sum_per_example(s)


class ActNorm(nn.Module):
    """Glow's activation normalisation (Kingma & Dhariwal 2018, Sec. 3.1), per channel.
    forward, data -> latent: z = (x + bias) * exp(log_s),  log_det = (H W) sum log_s.
    The first training batch sets bias and log_s so that z has zero mean, unit variance.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))
        self.log_s = nn.Parameter(torch.zeros(channels))
        self.register_buffer("initialized", torch.zeros(1))

    def _view(self, p, x):
        return p.view(1, -1, *[1] * (x.dim() - 2))

    def forward(self, x):
        if self.training and not self.initialized:
            with torch.no_grad():
                dims = [0] + list(range(2, x.dim()))
                self.bias.copy_(-x.mean(dims))
                self.log_s.copy_(-x.std(dims).clamp_min(1e-6).log())
                self.initialized.fill_(1)
        pixels = x[0, 0].numel()
        z = (x + self._view(self.bias, x)) * self._view(self.log_s, x).exp()
        return z, (pixels * self.log_s.sum()).expand(len(x))

    def inverse(self, z):
        x = z * self._view(-self.log_s, z).exp() - self._view(self.bias, z)
        return x, (-z[0, 0].numel() * self.log_s.sum()).expand(len(z))


class InvConv1x1(nn.Module):
    """Glow's invertible 1x1 convolution, LU-parameterised (Kingma & Dhariwal 2018, Sec. 3.2).
    forward, data -> latent: z = W x at every pixel (for vectors (B, C), a linear map), with
        W = P L (U + diag(sign_s exp(log_s))),  log_det = (H W) sum log_s
    P a fixed permutation, L unit lower-, U strictly upper-triangular.
    """

    def __init__(self, channels: int):
        super().__init__()
        Q = torch.linalg.qr(torch.randn(channels, channels))[0]  # a random rotation
        P, L, U = torch.linalg.lu(Q)
        self.register_buffer("P", P)
        self.register_buffer("sign_s", torch.sign(U.diagonal()))
        self.register_buffer("lower", torch.tril(torch.ones(channels, channels), -1))
        self.L = nn.Parameter(L)
        self.U = nn.Parameter(torch.triu(U, 1))
        self.log_s = nn.Parameter(U.diagonal().abs().log())

    def weight(self):
        eye = torch.eye(len(self.P), device=self.P.device)
        L = self.L * self.lower + eye
        U = self.U * self.lower.T + torch.diag(self.sign_s * self.log_s.exp())
        return self.P @ L @ U

    @staticmethod
    def _mix(W, x):
        return x @ W.T if x.dim() == 2 else torch.einsum("ij,bjhw->bihw", W, x)

    def forward(self, x):
        pixels = x[0, 0].numel()
        return self._mix(self.weight(), x), (pixels * self.log_s.sum()).expand(len(x))

    def inverse(self, z):
        pixels = z[0, 0].numel()
        return self._mix(torch.linalg.inv(self.weight()), z), \
            (-pixels * self.log_s.sum()).expand(len(z))


# --- 2D flows for the toy distributions ------------------------------------------------

def coupling_mlp(out_per_dim: int, hidden: int = 64, depth: int = 2) -> MLP:
    """The conditioner (B, 2) -> (B, 2 * out_per_dim), zero at initialisation: an identity layer."""
    net = MLP(2, 2 * out_per_dim, hidden, depth)
    nn.init.zeros_(net[-1].weight), nn.init.zeros_(net[-1].bias)
    return net


def masks_2d(n: int):
    return [torch.tensor([1.0, 0.0]) if i % 2 == 0 else torch.tensor([0.0, 1.0])
            for i in range(n)]


def realnvp_2d(layers: int = 4, hidden: int = 64, depth: int = 2) -> Flow:
    """RealNVP for 2D points: [ActNorm, AffineCoupling] x layers."""
    out = []
    for m in masks_2d(layers):
        out += [ActNorm(2), AffineCoupling(m, coupling_mlp(1, hidden, depth))]
    return Flow(out, shape=(2,))
