"""VAE math against independent references, from random initialisation."""
import math

import numpy as np
import pytest
import scipy.stats as st
import torch

from gmcourse import dists
from gmcourse.vae import (VAE, LinearGaussian, build_vae, reparam_grads,
                          score_function_grads)

g = lambda seed: torch.Generator().manual_seed(seed)  # noqa: E731


def test_normal_and_bernoulli_log_prob_match_scipy():
    mu, sigma = torch.randn(5, 3, generator=g(0), dtype=torch.float64), torch.rand(5, 3, generator=g(1), dtype=torch.float64) + 0.2
    x = torch.randn(5, 3, generator=g(2), dtype=torch.float64)
    ref = st.norm(mu.numpy(), sigma.numpy()).logpdf(x.numpy()).sum(-1)
    assert np.allclose(dists.Normal(mu, sigma).log_prob(x).numpy(), ref)
    logits = 3 * torch.randn(4, 1, 2, 2, generator=g(3), dtype=torch.float64)
    xb = torch.bernoulli(torch.full((4, 1, 2, 2), 0.5, dtype=torch.float64), generator=g(4))
    ref = st.bernoulli(torch.sigmoid(logits).numpy()).logpmf(xb.numpy()).reshape(4, -1).sum(-1)
    assert np.allclose(dists.Bernoulli(logits, event_dims=3).log_prob(xb).numpy(), ref)


def test_categorical_levels_and_discretized_logistic_against_the_logistic_cdf():
    L = 17
    logits = torch.randn(3, 4, L, generator=g(0), dtype=torch.float64)
    x = torch.randint(0, L, (3, 4), generator=g(1)).double() / (L - 1)
    ref = torch.log_softmax(logits, -1).gather(-1, torch.round(x * 16).long()[..., None]).squeeze(-1).sum(-1)
    assert torch.allclose(dists.Categorical(logits).log_prob(x), ref)
    mu = torch.rand(3, 4, generator=g(2), dtype=torch.float64)
    log_s = torch.randn(3, 4, generator=g(3), dtype=torch.float64) - 2
    d = dists.DiscretizedLogistic(mu, log_s, L)
    # reference: CDF differences of scipy's logistic at the bin edges, edge bins open
    edges = np.concatenate([[-np.inf], (np.arange(L - 1) + 0.5) / (L - 1), [np.inf]])
    cdf = st.logistic(mu.numpy()[..., None], np.exp(log_s.numpy())[..., None]).cdf(edges)
    p = np.diff(cdf, axis=-1)  # (3, 4, L)
    assert np.allclose(p.sum(-1), 1)
    k = torch.round(x * 16).long().numpy()
    ref = np.log(np.take_along_axis(p, k[..., None], -1)[..., 0]).sum(-1)
    assert np.allclose(d.log_prob(x).numpy(), ref, atol=1e-8)
    assert torch.allclose(d.mean, torch.as_tensor((p * np.linspace(0, 1, L)).sum(-1)))


def test_closed_form_gaussian_kl_matches_monte_carlo_within_1_percent():
    torch.manual_seed(0)
    q = dists.Normal(torch.randn(6, dtype=torch.float64), torch.rand(6, dtype=torch.float64) + 0.3)
    p = dists.Normal(torch.randn(6, dtype=torch.float64), torch.rand(6, dtype=torch.float64) + 0.5)
    exact = dists.kl_normal(q, p).item()
    mc = dists.kl_monte_carlo(q, p, n=400_000).item()
    assert exact > 0.5 and abs(mc - exact) / exact < 0.01
    # the same against torch.distributions' registered KL
    ref = torch.distributions.kl_divergence(torch.distributions.Normal(q.mu, q.sigma),
                                            torch.distributions.Normal(p.mu, p.sigma)).sum()
    assert exact == pytest.approx(ref.item(), rel=1e-10)


def _linear_gaussian(seed=0, D=3, d=2):
    gen = g(seed)
    W = torch.randn(D, d, generator=gen, dtype=torch.float64)
    b = torch.randn(D, generator=gen, dtype=torch.float64)
    return LinearGaussian(W, b, s=0.7), gen


def test_linear_gaussian_elbo_gap_is_the_kl_to_the_true_posterior():
    model, gen = _linear_gaussian()
    x = torch.randn(8, 3, generator=gen, dtype=torch.float64) * 2
    ref = st.multivariate_normal(model.b.numpy(), (model.W @ model.W.T).numpy()
                                 + 0.49 * np.eye(3)).logpdf(x.numpy())
    assert np.allclose(model.log_prob(x).numpy(), ref)
    for trial in range(5):  # random q(z|x) = N(m, S)
        m = torch.randn(8, 2, generator=gen, dtype=torch.float64)
        A = torch.randn(2, 2, generator=gen, dtype=torch.float64)
        S = A @ A.T + 0.1 * torch.eye(2, dtype=torch.float64)
        elbo = model.elbo(x, m, S)
        gap = torch.as_tensor(ref) - elbo
        assert torch.all(gap > 0)
        assert torch.allclose(gap, model.kl_to_posterior(x, m, S), atol=1e-4)
    m_post, S_post = model.posterior(x)
    assert torch.allclose(model.elbo(x, m_post, S_post), torch.as_tensor(ref), atol=1e-4)


def test_linear_gaussian_closed_form_elbo_matches_monte_carlo():
    model, gen = _linear_gaussian(1)
    x = torch.randn(1, 3, generator=gen, dtype=torch.float64)
    m = torch.randn(1, 2, generator=gen, dtype=torch.float64)
    S = torch.tensor([[0.5, 0.1], [0.1, 0.3]], dtype=torch.float64)
    q = torch.distributions.MultivariateNormal(m[0], S)
    z = q.sample((200_000,))
    log_joint = (torch.distributions.Normal(z @ model.W.T + model.b, 0.7).log_prob(x).sum(-1)
                 + torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1))
    mc = (log_joint - q.log_prob(z)).mean()
    assert model.elbo(x, m, S).item() == pytest.approx(mc.item(), abs=0.02)


def _digits_vae(likelihood="bernoulli", seed=0):
    torch.manual_seed(seed)
    return build_vae(latent_dim=4, hidden=64, likelihood=likelihood)


def test_iwae_is_above_the_elbo_and_grows_with_k():
    from gmcourse.data import load_images
    x = load_images("digits", "test", binarize=True)[:100]
    model = _digits_vae()
    torch.manual_seed(0)
    with torch.no_grad():
        elbo = model.elbo(x.repeat(100, 1, 1, 1)).mean().item()
    means = {k: model.iwae(x.repeat(max(2, 200 // k), 1, 1, 1), k, chunk=2000).mean().item()
             for k in (1, 2, 5, 20, 100)}
    assert means[1] == pytest.approx(elbo, abs=0.3)  # IWAE_1 is the ELBO
    ks = sorted(means)
    assert all(means[a] < means[b] for a, b in zip(ks, ks[1:]))
    assert means[100] > elbo + 0.2


def test_iwae_is_exact_when_q_is_the_true_posterior():
    """A decoder that ignores z has posterior = prior and log p(x) = log p(x|z); with q set
    to the prior every importance weight equals p(x), so IWAE_k = log p(x) exactly."""
    torch.manual_seed(0)
    model = _digits_vae()
    for layer in list(model.decoder.net)[:-1]:
        for p in layer.parameters():
            p.data.zero_()
    enc_out = model.encoder.net[-1]
    enc_out.weight.data.zero_()
    enc_out.bias.data = torch.tensor([0.0] * 4 + [0.3] * 4)
    model.sigma0.fill_(torch.nn.functional.softplus(torch.tensor(0.3)).item() + 1e-4)
    x = (torch.rand(10, 1, 8, 8) > 0.5).float()
    log_p = model.decoder(torch.zeros(1, 4)).log_prob(x)
    assert torch.allclose(model.iwae(x, 50), log_p, atol=1e-4)
    model.sigma0.fill_(2.0)  # q no longer the posterior: below log p(x) on average
    assert model.iwae(x.repeat(50, 1, 1, 1), 50).mean() < log_p.mean() - 0.1


def test_monte_carlo_and_analytic_kl_give_the_same_elbo_on_average():
    from gmcourse.data import load_images
    x = load_images("digits", "test", binarize=True)[:50]
    model = _digits_vae()
    torch.manual_seed(0)
    x = x.repeat(200, 1, 1, 1)  # 200 draws of z per image
    with torch.no_grad():
        a, b = model.elbo(x).mean(), model.elbo(x, analytic_kl=False).mean()
    assert a.item() == pytest.approx(b.item(), abs=0.2)


def test_reparameterisation_and_score_function_are_unbiased_and_differ_in_variance():
    f = lambda z: z ** 2  # noqa: E731   d/dmu E[z^2] = 2 mu
    rp = reparam_grads(f, 1.5, 1.0, 100_000, g(0))
    sf = score_function_grads(f, 1.5, 1.0, 100_000, g(1))
    assert rp.mean().item() == pytest.approx(3.0, abs=0.03)
    assert sf.mean().item() == pytest.approx(3.0, abs=0.15)
    assert sf.var() > 5 * rp.var()


@pytest.mark.parametrize("likelihood", ["bernoulli", "categorical", "logistic", "gaussian"])
@pytest.mark.parametrize("autoencoder", [False, True])
def test_every_submodule_learns_in_one_step(likelihood, autoencoder):
    from gmcourse.data import load_images
    torch.manual_seed(0)
    model = build_vae(latent_dim=3, hidden=16, likelihood=likelihood, autoencoder=autoencoder)
    x = load_images("digits", "train", binarize=likelihood == "bernoulli")[:32]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.loss(x).backward()
    opt.step()
    params = dict(model.named_parameters())
    assert params
    for k in params:
        assert not torch.equal(before[k], params[k]), f"{k} did not change"


def test_shapes_sample_and_beta():
    model = _digits_vae("logistic")
    x = torch.rand(5, 1, 8, 8)
    assert model.sample(7).shape == (7, 1, 8, 8)
    assert model.reconstruct(x).shape == (5, 1, 8, 8)
    assert model.decoder(torch.zeros(2, 5, 4)).log_prob(x).shape == (2, 5)
    assert model.kl_per_dim(x).shape == (4,)
    torch.manual_seed(0)
    e1 = model.elbo(x, beta=1.0)
    torch.manual_seed(0)
    e3 = model.elbo(x, beta=3.0)
    torch.manual_seed(0)
    e0 = model.elbo(x, beta=0.0)
    assert torch.allclose(e1 - e3, 2 * (e0 - e1), atol=1e-3)  # linear in beta
    assert isinstance(model, VAE) and model.bits_per_dim(x, k=4) > 0
    assert math.isfinite(model.bits_per_dim(x, k=4))


def test_digits_models_for_the_comparison_chapter(tmp_path, monkeypatch):
    import gmcourse.checkpoint as ckpt
    from gmcourse.data import load_images
    from gmcourse import recipes
    monkeypatch.setattr(ckpt, "CHECKPOINT_DIR", tmp_path)
    monkeypatch.setattr(ckpt, "SHIPPED_DIR", tmp_path / "none")
    x = load_images("digits", "test")[:20]
    for recipe in (recipes.VAE_DIGITS, recipes.VQVAE_DIGITS):
        build = lambda seed, steps: recipes.trained(recipe, seed, steps)  # noqa: E731
        model = build(seed=0, steps=5)
        s = model.sample(6)
        assert s.shape == (6, 1, 8, 8) and s.min() >= 0 and s.max() <= 1
        assert not model.training and next(model.parameters()).device.type == "cpu"
        again = build(seed=0, steps=5)  # reloaded from its checkpoint, same weights
        assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                      again.state_dict().values()))
    bpd = recipes.trained(recipes.VAE_DIGITS, 0, 5).bits_per_dim(x, k=10)
    assert 0 < bpd < 4.1  # 17 levels: log2(17) = 4.09 bits for a uniform pixel


def test_the_iwae_loss_is_the_elbo_at_k_1_and_tighter_above():
    """IWAE_1 is the ELBO with a Monte Carlo KL at the same draw; IWAE_k >= ELBO on average."""
    from gmcourse.vae import IWAE
    torch.manual_seed(0)
    vae = build_vae((1, 8, 8), latent_dim=4, hidden=32, likelihood="bernoulli")
    iwae = IWAE(vae.encoder, vae.decoder, 4)
    x = (torch.rand(64, 1, 8, 8) > 0.5).float()
    iwae.k = 1
    torch.manual_seed(1)
    a = iwae.loss(x)
    torch.manual_seed(1)
    b = -vae.elbo(x, analytic_kl=False).mean()
    assert torch.allclose(a, b, atol=1e-5)
    iwae.k = 50
    assert iwae.loss(x).item() < -vae.elbo(x).mean().item()
    a.backward()
    assert all(p.grad is not None for p in iwae.parameters())


def test_conv_vae_gaussian_decoder_is_the_squared_error_up_to_constants_and_iwae_takes_k_samples():
    """build_conv_vae from random weights: log p(x|z) of the Gaussian decoder against the
    formula written out; the backbone takes IWAE's (k, B, d) latents."""
    import math
    from gmcourse.vae import build_conv_vae
    torch.manual_seed(0)
    m = build_conv_vae(likelihood="gaussian")
    x = torch.rand(6, 1, 8, 8)
    z = torch.randn(6, 16)
    p = m.decoder(z)
    s = p.sigma.flatten()[0]
    ref = -(x - p.mu).pow(2).flatten(1).sum(1) / (2 * s ** 2) - 32 * torch.log(2 * math.pi * s ** 2)
    assert torch.allclose(p.log_prob(x), ref, atol=1e-3)
    assert m.decoder(torch.randn(3, 6, 16)).mu.shape == (3, 6, 1, 8, 8)
    assert m.iwae(x, k=5).shape == (6,)
    assert m.sample(4).shape == (4, 1, 8, 8)
