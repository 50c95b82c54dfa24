"""PixelCNN: causality of the masks, the blind spot, and the chain rule's normalisation,
checked on randomly initialised networks against references computed independently."""
import itertools
import math

import pytest
import torch

from gmcourse.data import load_images
from gmcourse import recipes
from gmcourse.pixelcnn import (BinaryPixels, GatedPixelCNNNet, LevelPixels, PixelCNN, PixelCNNNet,
                               causal_mask, horizontal_mask, pixelcnn, vertical_mask)

H = W = 9


def dependence(net, c_in, H=H, W=W, seed=0):
    """(HW, HW) boolean: out[i, j] = some output channel at pixel i depends on input pixel j,
    from the exact Jacobian (float64) at a random input; pixels in raster order."""
    torch.manual_seed(seed)
    net = net.double()
    x = torch.randn(1, c_in, H, W, dtype=torch.float64)
    # output channels are summed (random weights: no exact cancellation); (HW, 1, C_in, H, W)
    J = torch.autograd.functional.jacobian(lambda x: net(x)[0].sum(0).flatten(), x,
                                           vectorize=True)
    return (J.abs().sum(dim=(1, 2)) != 0).reshape(H * W, H * W)


def init_randomly(net, seed=1):
    torch.manual_seed(seed)
    for p in net.parameters():
        p.data.normal_(0, 0.3)  # not the default init: no weight may hide a leak by being 0
    return net


def test_masks_by_hand():
    assert causal_mask(3, "A").tolist() == [[1, 1, 1], [1, 0, 0]]
    assert causal_mask(3, "B").tolist() == [[1, 1, 1], [1, 1, 0]]
    assert causal_mask(5, "A").tolist() == [[1] * 5, [1] * 5, [1, 1, 0, 0, 0]]
    assert vertical_mask(3, first=True).tolist() == [[1, 1, 1], [0, 0, 0]]
    assert vertical_mask(3, first=False).tolist() == [[1, 1, 1], [1, 1, 1]]
    assert horizontal_mask(3, first=True).tolist() == [[1, 0, 0]]
    assert horizontal_mask(3, first=False).tolist() == [[1, 1, 0]]


NETS = {
    "plain, binary": (lambda: PixelCNNNet(1, 1, 8, layers=3, kernel=3, first_kernel=5), 1),
    "plain, 17-way": (lambda: PixelCNNNet(17, 17, 8, layers=2, kernel=3, first_kernel=7), 17),
    "gated, binary": (lambda: GatedPixelCNNNet(1, 1, 8, layers=3, kernel=3, first_kernel=3), 1),
    "gated, 17-way": (lambda: GatedPixelCNNNet(17, 17, 8, layers=3, kernel=3, first_kernel=5), 17),
    "gated, kernel 5": (lambda: GatedPixelCNNNet(4, 4, 8, layers=2, kernel=5, first_kernel=5), 4),
}


@pytest.mark.parametrize("name", NETS)
def test_output_i_never_depends_on_inputs_j_ge_i(name):
    build_net, c_in = NETS[name]
    dep = dependence(init_randomly(build_net()), c_in)
    assert not dep.triu().any()  # j >= i (diagonal included): gradient exactly 0
    assert dep.tril(-1).sum() > 0.3 * H * W * (H * W - 1) / 2  # and many j < i do reach i


def gated_receptive_field(R, H=H, W=W):
    """What the gated PixelCNN's docstring promises: output (r, c) sees rows r-R..r-1 at
    columns c-R..c+R, and (r, c-R..c-1). Built pixel by pixel, independently of the net."""
    field = torch.zeros(H * W, H * W, dtype=torch.bool)
    for r, c, r2, c2 in itertools.product(range(H), range(W), range(H), range(W)):
        above = r - R <= r2 < r and abs(c2 - c) <= R
        left = r2 == r and c - R <= c2 < c
        field[r * W + c, r2 * W + c2] = above or left
    return field


@pytest.mark.parametrize("layers,kernel,first_kernel", [(3, 3, 3), (3, 3, 5), (2, 5, 7)])
def test_gated_pixelcnn_has_no_blind_spot(layers, kernel, first_kernel):
    R = first_kernel // 2 + (layers - 1) * (kernel // 2)
    net = init_randomly(GatedPixelCNNNet(2, 2, 8, layers, kernel, first_kernel))
    assert torch.equal(dependence(net, 2), gated_receptive_field(R))


def test_plain_pixelcnn_has_a_blind_spot():
    net = init_randomly(PixelCNNNet(1, 1, 8, layers=3, kernel=3, first_kernel=3))
    dep = dependence(net, 1)
    R = 1 + 3  # each layer reaches one row further up
    i = 5 * W + 4  # output pixel (5, 4)
    box = gated_receptive_field(R)[i]  # earlier pixels within reach of i
    blind = box & ~dep[i]
    assert blind.any()
    # the blind spot is up and to the right: (4, 6) is before (5, 4) but never reaches it
    assert blind.reshape(H, W)[4, 6] and not blind.reshape(H, W)[:, :5].any()


def all_images(K, D):
    return torch.tensor(list(itertools.product(range(K), repeat=D))).float()


@pytest.mark.parametrize("gated", [False, True])
@pytest.mark.parametrize("K", [2, 3])
def test_chain_rule_probabilities_sum_to_one(gated, K):
    """sum over all K^D images of p(x) = 1: every conditional is normalised and causal."""
    model = init_randomly(pixelcnn(BinaryPixels() if K == 2 else LevelPixels(K, K - 1), gated,
                                   hidden=8, layers=2, first_kernel=3, shape=(1, 2, 3)))
    x = all_images(K, 6).reshape(-1, 1, 2, 3) / (K - 1)
    with torch.no_grad():
        total = model.log_prob(x).exp().sum().item()
    assert total == pytest.approx(1.0, abs=1e-5)


def test_sampling_follows_log_prob():
    """Empirical frequencies of 20,000 samples of 2x2 binary images match exp(log_prob)."""
    model = init_randomly(pixelcnn(BinaryPixels(), hidden=8, layers=2, first_kernel=3,
                                   shape=(1, 2, 2)))
    x = all_images(2, 4).reshape(-1, 1, 2, 2)
    with torch.no_grad():
        p = model.log_prob(x).exp()
    torch.manual_seed(0)
    s = model.sample(20_000)
    codes = (s.flatten(1) * torch.tensor([8, 4, 2, 1])).sum(1).long()
    freq = torch.bincount(codes, minlength=16).float() / len(s)
    assert (freq - p).abs().max() < 4 * math.sqrt(0.25 / 20_000)
    assert 0.5 * (freq - p).abs().sum() < 0.02


def test_bits_per_dim_is_the_mean_nll_in_bits():
    model = init_randomly(pixelcnn(LevelPixels(17, 16), hidden=8, layers=2))
    x = load_images("digits", "test")[:50]
    with torch.no_grad():
        ref = -model.log_prob(x).mean().item() / (64 * math.log(2))
    assert model.bits_per_dim(x, batch_size=7) == pytest.approx(ref, rel=1e-5)


def test_17_level_convention_on_digits():
    dist = LevelPixels(17, scale=16)
    x = load_images("digits", "test")
    k = dist.index(x)
    assert k.min() == 0 and k.max() == 16
    assert torch.allclose(x * 16, k.float(), atol=16 / 255 / 2)  # 8-bit storage of 0..16
    assert torch.equal(dist.index(dist.value(k)), k)
    assert dist.encode(x).sum(1).eq(1).all()  # one-hot


def test_bernoulli_log_prob_by_hand():
    logits = torch.tensor([[[[0.3, -1.0]]]])
    x = torch.tensor([[[[1.0, 0.0]]]])
    ref = math.log(torch.sigmoid(torch.tensor(0.3))) + math.log(1 - torch.sigmoid(torch.tensor(-1.0)))
    assert BinaryPixels().distribution(logits).log_prob(x).item() == pytest.approx(ref, abs=1e-6)


def test_code_prior_learns_code_maps():
    """Code maps (N, 4, 4) of K=6 codes: each map is one of 3 patterns with noise on one code.
    The prior must beat independent codes and return long codes in range."""
    g = torch.Generator().manual_seed(0)
    patterns = torch.randint(0, 6, (3, 4, 4), generator=g)
    codes = patterns[torch.randint(0, 3, (600,), generator=g)]
    codes[:, 0, 0] = torch.randint(0, 6, (600,), generator=g)
    recipe = recipes.code_prior(codes, 6, hidden=16, layers=2, first_kernel=5, steps=150,
                                batch_size=64, lr=1e-2)
    prior, _ = recipes.train(recipe, steps=150, progress=False)
    assert isinstance(prior, PixelCNN)
    x = codes[:, None]
    # independent codes: sum over positions of the entropy of each position's histogram
    freq = torch.stack([torch.bincount(c, minlength=6) for c in x.flatten(1).T]).float() / 600
    indep_bits = -(freq * freq.clamp_min(1e-12).log2()).sum().item() / 16
    assert prior.bits_per_dim(x) < 0.5 * indep_bits
    s = prior.sample(10)
    assert s.dtype == torch.long and s.shape == (10, 1, 4, 4) and 0 <= s.min() and s.max() < 6
