"""Chapter 06's exercises: autoregressive models.

    06.causal_mask      code        type-A and type-B masks, probed by input gradients of the
                                    masked convolution: pixel i must not see itself (A) or
                                    any later pixel
    06.gated_seen       derivation  how many earlier pixels reach output (r, c) of a gated
                                    PixelCNN, against the input gradients of random networks
    06.ancestral_sample code        raster-order sampling of a small causal model, against
                                    its exact distribution by enumeration
"""
from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F

from .core import Wrong, call, expect, fmt, number, register
from ..pixelcnn import GatedPixelCNNNet

f64 = torch.float64


# --- 06.causal_mask -------------------------------------------------------------------

def _where(rc, i):
    (r, c), (r0, c0) = rc, i
    if (r, c) == (r0, c0):
        return "itself"
    if r > r0:
        return f"pixel ({r}, {c}) in a row below"
    if r == r0:
        return f"pixel ({r}, {c}) to its {'right' if c > c0 else 'left'} in the same row"
    return f"pixel ({r}, {c}) in a row above"


@register("06.causal_mask")
def _causal_mask(causal_mask):
    H = W = 7
    i = (3, 3)  # an output pixel whose window lies inside the image
    g = torch.Generator().manual_seed(6)
    for k, mask_type in itertools.product((3, 5), ("A", "B")):
        m = torch.as_tensor(call(causal_mask, k, mask_type, what="causal_mask"), dtype=f64)
        if m.shape != (k, k):
            raise Wrong(f"causal_mask({k}, {mask_type!r}) has shape {tuple(m.shape)}, "
                        f"expected ({k}, {k}): the mask covers the whole k x k kernel")
        weight = (torch.rand(1, 1, k, k, generator=g, dtype=f64) + 0.5) * \
            torch.where(torch.rand(1, 1, k, k, generator=g) < 0.5, -1.0, 1.0).to(f64)
        x = torch.randn(1, 1, H, W, generator=g, dtype=f64, requires_grad=True)
        out = F.conv2d(x, weight * m, padding=k // 2)
        grad, = torch.autograd.grad(out[0, 0, i[0], i[1]], x)  # d out_i / d x_j for every j
        seen = grad[0, 0] != 0
        for r, c in itertools.product(range(H), range(W)):
            inside = abs(r - i[0]) <= k // 2 and abs(c - i[1]) <= k // 2
            before = (r, c) < i or (mask_type == "B" and (r, c) == i)
            name = f"causal_mask({k}, {mask_type!r})"
            if seen[r, c] and not before:
                why = ("pixel i sees itself: a type-A mask must hide the centre"
                       if (r, c) == i else "output i may only see earlier pixels")
                raise Wrong(f"with {name}, output pixel {i} depends on {_where((r, c), i)} "
                            f"(d out_i / d x_j = {grad[0, 0, r, c].item():.3g}): {why}")
            if inside and before and not seen[r, c]:
                why = ("a type-B mask keeps the centre: in later layers feature i has only "
                       "seen x_<i, so reading it is safe" if (r, c) == i else
                       "it comes before i in raster order, so the mask should keep it")
                raise Wrong(f"with {name}, output pixel {i} does not see {_where((r, c), i)}, "
                            f"inside its {k}x{k} window: {why}")
    return "for k = 3 and 5, output i sees exactly the earlier pixels of its window (and itself for type B)"


# --- 06.gated_seen --------------------------------------------------------------------

_GATED_CASES = [  # (H, W, first_kernel, kernel, layers, output pixels)
    (9, 9, 3, 3, 2, [(4, 4), (0, 5), (6, 0), (8, 8)]),
    (9, 9, 5, 3, 3, [(5, 4), (2, 7), (8, 1)]),
    (10, 8, 3, 5, 3, [(9, 3), (4, 6), (1, 0)]),
]


def _count(row, col, H, W, R, itself=False, clip=True):
    """Earlier pixels in rows row-R..row-1 x cols col-R..col+R and (row, col-R..col-1)."""
    lo = (lambda v: max(v, 0)) if clip else (lambda v: v)
    cols = (min(col + R, W - 1) if clip else col + R) - lo(col - R) + 1
    return (row - lo(row - R)) * cols + (col - lo(col - R)) + int(itself)


@register("06.gated_seen")
def _gated_seen(gated_seen):
    for H, W, fk, k, layers, pixels in _GATED_CASES:
        with torch.random.fork_rng():  # leaves the notebook's random state alone
            torch.manual_seed(H + fk + k + layers)
            net = GatedPixelCNNNet(1, 1, hidden=8, layers=layers, kernel=k, first_kernel=fk)
            x = torch.randn(1, 1, H, W, requires_grad=True)
        out = net(x)[0, 0]
        R = fk // 2 + (layers - 1) * (k // 2)
        for row, col in pixels:
            grad, = torch.autograd.grad(out[row, col], x, retain_graph=True)  # d out_i / d x_j
            before = torch.arange(H * W).reshape(H, W) < row * W + col
            seen = int(((grad[0, 0] != 0) & before).sum())  # the oracle: input gradients
            args = dict(row=row, col=col, H=H, W=W, first_kernel=fk, kernel=k, layers=layers)
            got = number(call(gated_seen, **args, what="gated_seen"), what="gated_seen")
            on = (f"output ({row}, {col}) of a {H}x{W} image, first_kernel={fk}, kernel={k}, "
                  f"layers={layers} (reference: input gradients of a random network)")
            expect(got, float(seen), what="the number of earlier pixels seen", on=on,
                   atol=0.5, rtol=0, mistakes={
                       "counting pixel i itself, which the network never sees":
                           _count(row, col, H, W, R, itself=True),
                       "a count that ignores the image's borders":
                           _count(row, col, H, W, R, clip=False),
                       "a reach of first_kernel//2 + layers * (kernel//2): the first layer "
                       "is one of the layers, so only layers - 1 of them add kernel // 2":
                           _count(row, col, H, W, fk // 2 + layers * (k // 2)),
                       "a reach of layers * (kernel//2): the first layer reaches "
                       "first_kernel // 2": _count(row, col, H, W, layers * (k // 2)),
                       "only the rectangle of rows above: the current row's pixels to the "
                       "left are seen too": _count(row, col, H, W, R) - (col - max(col - R, 0)),
                   })
    return "your count matches the input gradients of random gated PixelCNNs at every pixel tried"


# --- 06.ancestral_sample ---------------------------------------------------------------

def _toy_model(g, H, W):
    """logits_i = b_i + sum_{j < i} A_ij x_j: a causal model on binary H x W images."""
    D = H * W
    b = torch.randn(D, generator=g, dtype=f64)
    A = torch.tril(3 * torch.randn(D, D, generator=g, dtype=f64), -1)
    return b, A


def _procedure_probs(b, A, order, prob=torch.sigmoid, visible_all_zero=False):
    """Exact probability of every binary image (2^D,) under a sampler that fills pixels in
    ``order``, each from prob(logits) computed on the image filled so far (zeros elsewhere)."""
    D = len(b)
    configs = torch.tensor(list(itertools.product((0.0, 1.0), repeat=D)), dtype=f64)  # (2^D, D)
    p = torch.ones(len(configs), dtype=f64)
    filled = torch.zeros_like(configs)
    for i in order:
        visible = torch.zeros_like(configs) if visible_all_zero else filled
        q = prob(b[i] + visible @ A[i]).clamp(0, 1)
        p = p * torch.where(configs[:, i] == 1, q, 1 - q)
        filled[:, i] = configs[:, i]
    return p


@register("06.ancestral_sample")
def _ancestral(sample):
    H, W, n = 2, 3, 20_000
    g = torch.Generator().manual_seed(60)
    b, A = _toy_model(g, H, W)
    calls = []

    def logits_fn(x):
        x = torch.as_tensor(x, dtype=f64)
        if x.shape[1:] != (1, H, W):
            raise Wrong(f"the network takes images of shape (n, 1, {H}, {W}), got {tuple(x.shape)}")
        calls.append(1)
        return (b + x.reshape(len(x), -1) @ A.T).reshape(len(x), 1, H, W)

    with torch.random.fork_rng():
        torch.manual_seed(0)
        x = torch.as_tensor(call(sample, logits_fn, n, H, W, what="sample"), dtype=f64)
    if x.shape != (n, 1, H, W):
        raise Wrong(f"sample(logits_fn, {n}, {H}, {W}) returned shape {tuple(x.shape)}, "
                    f"expected ({n}, 1, {H}, {W})")
    if not ((x == 0) | (x == 1)).all():
        raise Wrong(f"samples must be binary (0 or 1), got values like {fmt(x.unique()[:4])}")
    idx = (x.reshape(n, -1) * 2 ** torch.arange(H * W - 1, -1, -1, dtype=f64)).sum(1).long()
    empirical = torch.bincount(idx, minlength=2 ** (H * W)).to(f64) / n
    raster = list(range(H * W))
    column = [r * W + c for c in range(W) for r in range(H)]
    exact = _procedure_probs(b, A, raster)
    tv = 0.5 * (empirical - exact).abs().sum().item()
    if tv < 0.03:  # sampling noise of 20,000 draws is about 0.01
        return (f"the distribution of your samples is the exact one (total variation "
                f"{tv:.3f} over all {2 ** (H * W)} images), with {len(calls)} network passes")
    candidates = {
        "all pixels drawn from one pass on the empty image: each pixel must be drawn after the "
        "earlier ones, from logits recomputed on the image filled so far":
            _procedure_probs(b, A, raster, visible_all_zero=True),
        "the pixels filled column by column: the order must be raster order, row by row":
            _procedure_probs(b, A, column),
        "the logits used as probabilities: a pixel is 1 with probability sigmoid(logit)":
            _procedure_probs(b, A, raster, prob=lambda v: v),
        "the probabilities inverted: a pixel is 1 with probability sigmoid(logit), "
        "0 with 1 - sigmoid(logit)": _procedure_probs(b, A, raster, prob=lambda v: 1 - torch.sigmoid(v)),
    }
    worst = int((empirical - exact).abs().argmax())
    image = [int(v) for v in format(worst, f"0{H * W}b")]
    detail = (f"total variation {tv:.3f} from the exact distribution (sampling noise ~0.01); "
              f"e.g. image {image} (raster order) has probability {exact[worst]:.4f}, your "
              f"samples give it {empirical[worst]:.4f}; {len(calls)} network passes")
    for mistake, p in candidates.items():
        if 0.5 * (empirical - p).abs().sum().item() < 0.03:
            raise Wrong(f"your samples look like {mistake} ({detail})")
    raise Wrong(f"your samples do not follow the model's distribution: {detail}")
