"""Transformers as autoregressive models: PixelCNN's chain rule, computed by masked
self-attention over a sequence (the pixels of a digit in raster order, or characters).

Symbols
    x          a sequence of D tokens x_1..x_D in 0..K-1 (pixels in raster order, characters)
    chain rule p(x) = prod_i p(x_i | x_<i)                                            (Eq. 1)
    inputs     [BOS, x_1, ..., x_{D-1}]: position i reads x_<i and outputs p(x_i | x_<i);
               BOS is the extra token K ("begin of sequence")
    h          (B, T, d) one vector per position: token embedding + position embedding
    q, k, v    queries, keys, values h W_q, h W_k, h W_v, split into heads of d_h = d / heads
    attention  softmax(q k^T / sqrt(d_h) + M) v,  M_ij = -inf where j > i (causal mask) (Eq. 2)
    block      h <- h + attn(LN(h)),  h <- h + MLP(LN(h))   (pre-norm, as in GPT-2)      (Eq. 3)
    cache      every layer's keys and values of earlier positions: sampling step i computes
               q, k, v of position i alone and attends to the cache (D steps of one position
               each, instead of D passes over the whole prefix)
    bits/dim   -log2 p(x) / D                                                          (Eq. 4)
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch import nn


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position i attends to positions j <= i (Eq. 2)."""

    def __init__(self, d: int, heads: int, dropout: float = 0.0):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, h, cache: dict | None = None):
        """h (B, L, d) holds positions t0..t0+L-1, where t0 is the number of positions whose
        keys and values ``cache`` holds; the call appends this call's keys and values."""
        B, L, d = h.shape
        # (B, L, 3d) -> 3 x (B, heads, L, d_h)
        q, k, v = self.qkv(h).view(B, L, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        if cache is not None:
            if cache:
                k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        T = k.shape[2]
        att = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, heads, L, T)
        i = torch.arange(T - L, T, device=h.device)[:, None]
        j = torch.arange(T, device=h.device)
        att = att.masked_fill(j > i, float("-inf"))  # Eq. 2: nothing from later positions
        y = self.drop(att.softmax(-1)) @ v  # (B, heads, L, d_h)
        return self.proj(y.transpose(1, 2).reshape(B, L, d))


class Block(nn.Module):
    """Pre-norm transformer block (Eq. 3): attention, then a position-wise MLP."""

    def __init__(self, d: int, heads: int, dropout: float = 0.0):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = CausalSelfAttention(d, heads, dropout)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d),
                                 nn.Dropout(dropout))

    def forward(self, h, cache: dict | None = None):
        h = h + self.attn(self.ln1(h), cache)
        return h + self.mlp(self.ln2(h))


class CausalTransformer(nn.Module):
    """tokens (B, L) in 0..K (K = BOS) -> logits (B, L, K) of the next token at each position.

    ``caches``: one dict per block (``new_caches()``); a call then continues the positions
    those caches already hold, and extends them.
    """

    def __init__(self, K: int, length: int, d: int = 64, heads: int = 4, layers: int = 2,
                 dropout: float = 0.0):
        super().__init__()
        self.tok = nn.Embedding(K + 1, d)
        self.pos = nn.Embedding(length, d)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(d, heads, dropout) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, K)

    def new_caches(self) -> list[dict]:
        return [{} for _ in self.blocks]

    def embed(self, idx, t0: int = 0):  # (B, L) -> (B, L, d)
        return self.tok(idx) + self.pos(torch.arange(t0, t0 + idx.shape[1], device=idx.device))

    def body(self, h, caches: list[dict] | None = None):  # (B, L, d) -> (B, L, K)
        for i, block in enumerate(self.blocks):
            h = block(h, None if caches is None else caches[i])
        return self.head(self.ln(h))

    def forward(self, idx, caches: list[dict] | None = None):
        t0 = caches[0]["k"].shape[2] if caches and caches[0] else 0
        return self.body(self.drop(self.embed(idx, t0)), caches)


class ARTransformer(nn.Module):
    """p(x) = prod_i p(x_i | x_<i) (Eq. 1) with a ``CausalTransformer`` giving every
    conditional in one pass, as PixelCNN's masked convolutions do.

    ``shape``: the shape of one example, (1, H, W) for images or (T,) for text.
    ``scale``: images in [0, 1] with x * scale in 0..K-1 (17-level digits: scale = 16);
    None: x holds integer tokens 0..K-1 (characters), kept long.
    """

    def __init__(self, net: CausalTransformer, K: int, shape, scale: float | None = None):
        super().__init__()
        self.net, self.K, self.shape, self.scale = net, K, tuple(shape), scale
        self.D = math.prod(self.shape)

    def tokens(self, x):  # (B, *shape) -> (B, D) long, raster order
        k = x.long() if self.scale is None else torch.round(x * self.scale).long()
        return k.flatten(1)

    def value(self, k):  # (B, D) long -> (B, *shape)
        k = k.view(-1, *self.shape)
        return k if self.scale is None else k.float() / self.scale

    def inputs(self, k):  # (B, D) -> (B, D): [BOS, x_1, ..., x_{D-1}]
        return torch.cat([k.new_full((len(k), 1), self.K), k[:, :-1]], 1)

    def logits(self, x):  # (B, *shape) -> (B, D, K): position i gives p(x_i | x_<i)
        return self.net(self.inputs(self.tokens(x)))

    def log_prob(self, x):
        """log p(x) in nats, (B, *shape) -> (B,): one parallel pass, exact (Eq. 1)."""
        k = self.tokens(x)
        logits = self.net(self.inputs(k))
        return -F.cross_entropy(logits.transpose(1, 2), k, reduction="none").sum(1)

    def loss(self, x):
        return -self.log_prob(x).mean() / self.D  # nats per dimension

    @torch.no_grad()
    def bits_per_dim(self, x, batch_size: int = 512) -> float:
        """-log2 p(x) / D averaged over x (Eq. 4)."""
        nll = torch.cat([-self.log_prob(b) for b in x.split(batch_size)])
        return nll.mean().item() / (self.D * math.log(2))

    @torch.no_grad()
    def sample(self, n: int, u=None, cache: bool = True, prompt=None,
               generator: torch.Generator | None = None):
        """Ancestral sampling, one position at a time: x_i = F_i^{-1}(u_i), the inverse CDF
        of p(x_i | x_<i) at a uniform u_i (u: (n, D), drawn if None), so that the same u
        give the same samples with and without the cache. ``cache=False`` reruns the
        network on the whole prefix at every step; ``prompt``: fixed first tokens."""
        device = next(self.parameters()).device
        u = torch.rand(n, self.D, generator=generator) if u is None else u
        u = u.to(device).t().contiguous()  # (D, n): u[i] for step i
        k = torch.zeros(n, self.D, dtype=torch.long, device=device)
        bos = k.new_full((n, 1), self.K)
        caches, new = (self.net.new_caches(), bos) if cache else (None, None)
        for i in range(self.D):
            if cache:  # one new position: its q, k, v, attending to the cached keys
                logits = self.net(new, caches)[:, -1]
            else:      # the whole prefix again: i + 1 positions
                logits = self.net(torch.cat([bos, k[:, :i]], 1))[:, -1]
            cdf = logits.softmax(-1).cumsum(-1)  # (n, K)
            k[:, i] = torch.searchsorted(cdf, u[i, :, None]).clamp(max=self.K - 1)[:, 0]
            if prompt is not None and i < len(prompt):
                k[:, i] = torch.as_tensor(prompt[i], device=device)
            new = k[:, i:i + 1]
        return self.value(k)


def ar_transformer(K: int, shape, scale: float | None = None, d: int = 64, heads: int = 4,
                   layers: int = 2, dropout: float = 0.0) -> ARTransformer:
    """A causal transformer of ``layers`` blocks of width ``d`` over sequences of
    ``prod(shape)`` tokens with K values each."""
    net = CausalTransformer(K, math.prod(shape), d, heads, layers, dropout)
    return ARTransformer(net, K, shape, scale)


# --- what the chapter measures ------------------------------------------------------------

def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def sampling_seconds(model: ARTransformer, n: int = 64, seed: int = 0,
                     repeats: int = 1) -> dict:
    """Wall time (best of ``repeats``) of ``model.sample(n)`` with and without the key/value
    cache, on the same uniforms; ``identical``: whether both gave the same samples."""
    u = torch.rand(n, model.D, generator=torch.Generator().manual_seed(seed))
    out, secs = {}, {}
    for cache in (True, False):
        best = math.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            out[cache] = model.sample(n, u=u, cache=cache)
            best = min(best, time.perf_counter() - t0)
        secs[cache] = best
    return {"cached": secs[True], "uncached": secs[False],
            "speedup": secs[False] / secs[True],
            "identical": bool(torch.equal(out[True], out[False]))}


def input_gradients(model: ARTransformer, seed: int = 0) -> torch.Tensor:
    """|d logits_i / d pixel j| summed over logits and embedding coordinates: (D, H, W) for
    images (the format of ``pixelcnn.input_gradients``). Pixel j enters as the embedded
    input at position j + 1, so the last pixel, which no position reads, has gradient 0."""
    g = torch.Generator().manual_seed(seed)
    h = model.net.embed(model.inputs(torch.randint(0, model.K, (1, model.D), generator=g)))
    J = torch.autograd.functional.jacobian(lambda h: model.net.body(h)[0].sum(-1), h)
    J = J[:, 0].abs().sum(-1)  # (D outputs, D input positions)
    by_pixel = torch.cat([J[:, 1:], J.new_zeros(model.D, 1)], 1)
    return by_pixel.view(model.D, *model.shape[1:])
