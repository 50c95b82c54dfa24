"""Classifier guidance against exact references on a two-class Gaussian mixture: with the
exact eps of p(x_t) and the exact posterior p(y | x_t) of the noised mixture, the guided
noise prediction at s = 1 is the exact eps of p(x_t | y) (Bayes), and it is linear in s."""
import pytest
import torch
from torch import nn

from gmcourse import guidance
from gmcourse.data import GaussianMixture
from gmcourse.diffusion import DDPM, cosine_beta
from gmcourse.nn import ConvClassifier
from gmcourse.score import MixtureScore

MIX = GaussianMixture([[-1.5, 0.5], [1.0, -0.5]], std=0.4, weights=[0.3, 0.7])


def _component(k):
    return GaussianMixture(MIX.means[k:k + 1].tolist(), std=0.4)


class ExactEps(nn.Module):
    """eps of the noised mixture p(x_t): -sqrt(1 - alpha_bar_t) grad log p(x_t)."""

    def __init__(self, alpha_bar, p):
        super().__init__()
        self.alpha_bar, self.score = alpha_bar.double(), MixtureScore(p)

    def forward(self, xt, t, y=None):
        ab = self.alpha_bar[int(t[0])].item()  # one t for the batch, as the samplers call it
        return -(1 - ab) ** 0.5 * self.score(xt.double(), (1 - ab) ** 0.5, ab ** 0.5).to(xt)


class ExactPosterior(nn.Module):
    """Logits of p(y | x_t) for the noised mixture, read from [x_t, sqrt(1 - alpha_bar_t)]:
    log w_k + log N(x_t; sqrt(alpha_bar) mu_k, (alpha_bar std^2 + 1 - alpha_bar) I)."""

    def forward(self, inp):
        x, level = inp[:, :2].double(), inp[:, 2:3].double()
        ab = 1 - level ** 2
        var = ab * 0.4 ** 2 + level ** 2  # (B, 1)
        d2 = ((x[:, None, :] - ab.sqrt()[:, None] * MIX.means[None]) ** 2).sum(-1)  # (B, K)
        return (MIX.weights.log() - d2 / (2 * var) - torch.log(var)).float()  # 2D: log var


@pytest.fixture
def exact():
    process = DDPM(nn.Identity(), cosine_beta(1000), shape=(2,))
    process.eps_model = ExactEps(process.alpha_bar, MIX)
    return process, guidance.NoisyClassifier(ExactPosterior(), process)


@pytest.mark.parametrize("t", [1, 100, 500, 900])
def test_guided_eps_at_s_1_is_the_exact_class_conditional_eps(exact, t):
    process, clf = exact
    torch.manual_seed(t)
    xt = torch.randn(64, 2)
    y = torch.randint(0, 2, (64,))
    tt = torch.full((64,), t)
    got = guidance.classifier_guided(process, clf, 1.0).eps_theta(xt, tt, y)
    want = torch.stack([ExactEps(process.alpha_bar, _component(int(k)))(xt[i:i + 1], tt[i:i + 1])[0]
                        for i, k in enumerate(y)])
    assert torch.allclose(got, want, atol=1e-4), (got - want).abs().max()


def test_guided_eps_is_linear_in_the_scale_and_s_0_is_the_unconditional_model(exact):
    process, clf = exact
    torch.manual_seed(0)
    xt, y, t = torch.randn(32, 2), torch.randint(0, 2, (32,)), torch.full((32,), 300)
    e = {s: guidance.classifier_guided(process, clf, s).eps_theta(xt, t, y) for s in (0, 1, 3)}
    assert torch.allclose(e[0], process.eps_theta(xt, t))
    assert torch.allclose(e[3] - e[0], 3 * (e[1] - e[0]), atol=1e-5)
    assert not torch.allclose(e[1], e[0], atol=1e-3)  # the classifier does steer


def test_classifier_guided_sampling_draws_the_requested_class(exact):
    """At s = 1 DDIM with the exact pieces samples p(x | y): every sample of class 0 lands
    near component 0 although its prior weight is only 0.3."""
    process, clf = exact
    torch.manual_seed(0)
    x = guidance.classifier_guided(process, clf, 1.0).ddim_sample(400, 50, y=torch.zeros(400, dtype=torch.long))
    assert (x - MIX.means[0].float()).norm(dim=1).lt(1.6).float().mean() > 0.99
    with pytest.raises(ValueError, match="labels"):
        guidance.classifier_guided(process, clf, 1.0).ddim_sample(4, 5)


def test_noisy_classifier_sees_the_noise_level_and_trains():
    torch.manual_seed(0)
    from gmcourse.diffusion import ImageDDPM
    process = ImageDDPM(nn.Identity(), cosine_beta(100), shape=(1, 8, 8))
    clf = guidance.NoisyClassifier(ConvClassifier(10, 8, in_ch=2), process)
    x0, y = torch.rand(16, 1, 8, 8), torch.randint(0, 10, (16,))
    loss = clf.loss(x0, y)
    loss.backward()
    assert loss.isfinite() and all(p.grad is not None for p in clf.parameters())
    g = clf.grad_log_prob(torch.randn(16, 1, 8, 8), torch.full((16,), 50), y)
    assert g.shape == (16, 1, 8, 8) and g.abs().sum() > 0
