"""VQ-VAE: nearest codes, the straight-through estimator, losses, usage and the prior."""
import math

import torch

from gmcourse.vqvae import VectorQuantizer, build_vqvae


def _model(seed=0, **kw):
    torch.manual_seed(seed)
    return build_vqvae(K=16, D=4, hidden=8, **kw)


def test_codes_are_nearest_neighbours():
    torch.manual_seed(0)
    vq = VectorQuantizer(K=10, D=3)
    z_e = torch.randn(2, 3, 4, 4)
    k = vq.codes(z_e)
    e = vq.codebook.weight  # brute force: distance of every position to every code
    d = ((z_e.permute(0, 2, 3, 1)[..., None, :] - e) ** 2).sum(-1)  # (2, 4, 4, 10)
    assert torch.equal(k, d.argmin(-1))
    assert torch.equal(vq.lookup(k).permute(0, 2, 3, 1), e[k])


def test_straight_through_passes_the_decoders_gradient_to_the_encoder():
    torch.manual_seed(0)
    vq = VectorQuantizer(K=10, D=3)
    z_e = torch.randn(2, 3, 4, 4, requires_grad=True)
    z_q, k, _, _ = vq(z_e)
    assert torch.allclose(z_q, vq.lookup(k), atol=1e-6)  # forward: the quantized vectors
    w = torch.randn_like(z_q)
    (z_q * w).sum().backward()
    assert torch.equal(z_e.grad, w)  # backward: d/dz_e := d/dz_q (identity)


def test_reconstruction_alone_reaches_the_encoder():
    model = _model()
    x = torch.rand(8, 1, 8, 8)
    z_q, _, _, _ = model.quantizer(model.encoder(x))
    ((model.decoder(z_q) - x) ** 2).mean().backward()
    for name, p in model.encoder.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert model.quantizer.codebook.weight.grad is None  # codes move only by their own loss


def test_losses_are_the_codebook_and_commitment_terms():
    torch.manual_seed(0)
    vq = VectorQuantizer(K=5, D=2)
    z_e = torch.randn(3, 2, 2, 2)
    _, k, codebook, commitment = vq(z_e)
    ref = ((z_e - vq.lookup(k)) ** 2).mean()
    assert torch.allclose(codebook, ref) and torch.allclose(commitment, ref)


def test_every_submodule_learns_in_one_step():
    model = _model()
    x = torch.rand(32, 1, 8, 8)
    with torch.no_grad():  # put the codes where the encoder outputs are, so many are used
        z = model.encoder(x).permute(0, 2, 3, 1).reshape(-1, 4)
        model.quantizer.codebook.weight.copy_(z[torch.randperm(len(z))[:16]])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.loss(x).backward()
    opt.step()
    for k, p in model.named_parameters():
        assert not torch.equal(before[k], p), f"{k} did not change"


def test_usage_perplexity_and_histogram_prior():
    model = _model()
    x = torch.rand(64, 1, 8, 8)
    u = model.code_usage(x)
    assert u.shape == (16,) and math.isclose(u.sum().item(), 1, rel_tol=1e-6)
    p = model.perplexity(x)
    assert 1 <= p <= 16
    # perplexity of a known histogram: uniform over 4 of 16 codes -> 4
    model.code_usage = lambda x: torch.tensor([0.25] * 4 + [0.0] * 12)
    assert abs(model.perplexity(x) - 4) < 1e-5
    del model.code_usage
    model.fit_prior(x)
    assert model.log_prior.shape == (4, 4, 16)
    assert torch.allclose(model.log_prior.exp().sum(-1), torch.ones(4, 4))
    s = model.sample(5)
    assert s.shape == (5, 1, 8, 8) and s.min() >= 0 and s.max() <= 1


def test_chapter_settings_give_a_4x4_grid_of_32_codes():
    from gmcourse.recipes import VQVAE_DIGITS
    torch.manual_seed(0)
    model = VQVAE_DIGITS.build(VQVAE_DIGITS.config)
    assert VQVAE_DIGITS.config.K == 32 and VQVAE_DIGITS.config.beta == 0.25
    assert model.encode(torch.rand(3, 1, 8, 8)).shape == (3, 4, 4)
    assert model.decode(torch.zeros(3, 4, 4, dtype=torch.long)).shape == (3, 1, 8, 8)
