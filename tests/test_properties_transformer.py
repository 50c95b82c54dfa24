"""The causal transformer's cache and sampler where the existing checks cannot see: chunks
fed after a non-empty cache, and conditionals far from deterministic."""
import itertools

import torch

from gmcourse.transformer import ar_transformer


def _model(seed=0, K=17, shape=(1, 8, 8), scale=16, **kw):
    torch.manual_seed(seed)
    return ar_transformer(K, shape, scale, **kw).eval()


def test_chunks_fed_through_a_non_empty_cache_give_the_full_pass_logits():
    """A prefix of 10, then a chunk of 20 at once (its queries see the cache and each
    other through the causal mask), then the rest one at a time."""
    model = _model(layers=2)
    k = torch.randint(0, 17, (3, 64), generator=torch.Generator().manual_seed(0))
    inputs = model.inputs(k)
    with torch.no_grad():
        full = model.net(inputs)
        caches = model.net.new_caches()
        parts = [model.net(inputs[:, :10], caches), model.net(inputs[:, 10:30], caches)]
        parts += [model.net(inputs[:, t:t + 1], caches) for t in range(30, 64)]
    assert torch.allclose(torch.cat(parts, 1), full, atol=1e-5)


def test_samples_follow_the_model_when_conditionals_are_spread_out():
    """K = 3 tokens, sequences of 2, conditionals far from 0/1 (a random init): frequencies
    of 40,000 samples match exp(log_prob) within 4 standard errors. Each position needs its
    own uniform; near-deterministic conditionals would hide a shared one."""
    model = _model(K=3, shape=(2,), scale=None, d=16, heads=2, layers=1)
    x = torch.tensor(list(itertools.product(range(3), repeat=2)))
    with torch.no_grad():
        p = model.log_prob(x).exp()
    n = 40_000
    s = model.sample(n, generator=torch.Generator().manual_seed(1))
    freq = torch.stack([(s == xi).all(1).float().mean() for xi in x])
    assert p.max() < 0.5  # not near-deterministic
    assert ((freq - p).abs() < 4 * (p * (1 - p) / n).sqrt() + 1e-3).all()
