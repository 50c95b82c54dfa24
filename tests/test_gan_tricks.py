"""Label smoothing, noisy labels and instance noise against their definitions."""
import math

import torch
from torch import nn

from gmcourse.gan import GAN, Minimax
from gmcourse.gan_tricks import InstanceNoise, SmoothedLabels


def _bce(d, y):  # -y log sigmoid(d) - (1 - y) log(1 - sigmoid(d)), elementwise, by hand
    p = 1 / (1 + torch.exp(-d.double()))
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p))


def test_no_smoothing_and_no_flips_is_the_original_discriminator_loss():
    g = torch.Generator().manual_seed(0)
    d_real, d_fake = torch.randn(50, generator=g) * 3, torch.randn(60, generator=g) * 3
    assert torch.isclose(SmoothedLabels().d_loss(d_real, d_fake), Minimax().d_loss(d_real, d_fake))


def test_one_sided_smoothing_targets_one_minus_s_for_real_and_zero_for_fakes():
    g = torch.Generator().manual_seed(1)
    d_real, d_fake = torch.randn(40, generator=g) * 2, torch.randn(30, generator=g) * 2
    want = _bce(d_real, 0.9).mean() + _bce(d_fake, 0.0).mean()
    assert torch.isclose(SmoothedLabels(smooth=0.1).d_loss(d_real, d_fake).double(), want, atol=1e-6)


def test_flipped_labels_average_to_the_mixture_of_both_targets():
    g = torch.Generator().manual_seed(2)
    d_real, d_fake = torch.randn(64, generator=g), torch.randn(64, generator=g)
    q = 0.3
    want = ((1 - q) * _bce(d_real, 1.0) + q * _bce(d_real, 0.0)).mean() \
        + ((1 - q) * _bce(d_fake, 0.0) + q * _bce(d_fake, 1.0)).mean()
    torch.manual_seed(0)
    draws = torch.stack([SmoothedLabels(flip=q).d_loss(d_real, d_fake) for _ in range(4000)]).double()
    se = draws.std() / math.sqrt(len(draws))
    assert abs(draws.mean() - want) < 4 * se
    assert torch.isclose(SmoothedLabels(flip=1.0).d_loss(d_real, d_fake).double(),
                         _bce(d_real, 0.0).mean() + _bce(d_fake, 1.0).mean(), atol=1e-6)


def test_instance_noise_is_gaussian_in_training_absent_in_eval_and_decays_linearly():
    D = nn.Identity()
    noise = InstanceNoise(0.5, steps=4)
    Dn = noise.wrap(D)
    x = torch.zeros(20_000, 2)
    torch.manual_seed(0)
    assert abs(Dn.train()(x).std().item() - 0.5) < 0.01
    assert torch.equal(Dn.eval()(x), x)
    sigmas = []
    for _ in range(5):
        noise.after_step(Dn)
        sigmas.append(Dn.sigma.item())
    assert sigmas == [0.375, 0.25, 0.125, 0.0, 0.0]


def test_the_generator_step_sees_the_noised_discriminator():
    """G's loss goes through the same wrapped D: with a huge sigma, D's logit of a batch is
    noise, so two evaluations of G's loss on the same z differ."""
    torch.manual_seed(0)
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    gan = GAN(G, D, SmoothedLabels(), 2, constraint=InstanceNoise(100.0, steps=10))
    gan.train()
    x = G(torch.randn(8, 2))
    assert not torch.allclose(gan.discriminate(x), gan.discriminate(x))
    gan.eval()
    assert torch.allclose(gan.discriminate(x), gan.discriminate(x))
