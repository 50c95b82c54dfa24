"""VQ-VAE gradient routing and the prior's sampler, against independent computations."""
import torch

from gmcourse.vqvae import build_vqvae


def _model(seed=0):
    torch.manual_seed(seed)
    return build_vqvae(K=16, D=4, hidden=8, beta=0.25)


def test_codes_move_only_by_the_codebook_term_at_weight_one():
    """Of loss = rec + ||sg[z_e] - e||^2 + beta ||z_e - sg[e]||^2, only the codebook term
    reaches the codebook: its gradient is that of mean (e_k - z_e)^2 over the nearest
    codes, found here by brute force, whatever beta is."""
    model = _model()
    x = torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    model.loss(x).backward()
    z_e = model.encoder(x).detach().permute(0, 2, 3, 1).reshape(-1, 4)  # (positions, D)
    e = model.quantizer.codebook.weight.detach().clone().requires_grad_(True)
    k = ((z_e[:, None] - e[None]) ** 2).sum(-1).argmin(1)
    ((e[k] - z_e) ** 2).mean().backward()
    got = model.quantizer.codebook.weight.grad
    assert got is not None and torch.allclose(got, e.grad, atol=1e-7)
    assert e.grad.abs().sum() > 0


def test_prior_samples_draw_each_grid_position_from_its_own_histogram():
    """A prior that puts all mass on code (3i + j) mod K at position (i, j) must return
    exactly that code map for every sample."""
    model = _model()
    h = w = 4
    K = model.quantizer.codebook.num_embeddings
    pattern = (3 * torch.arange(h)[:, None] + torch.arange(w)[None]) % K  # (h, w)
    probs = torch.nn.functional.one_hot(pattern, K).double() + 1e-12
    model.log_prior = (probs / probs.sum(-1, keepdim=True)).log().float()
    model.decode = lambda k: k  # look at the codes themselves
    torch.manual_seed(0)
    codes = model.sample(6)
    assert codes.shape == (6, h, w) and (codes == pattern).all()
