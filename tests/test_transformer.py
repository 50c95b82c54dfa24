"""The causal transformer of chapter 06: causality, normalisation, the key/value cache."""
import itertools
import math

import pytest
import torch

from gmcourse import recipes
from gmcourse.data import load_images
from gmcourse.transformer import ar_transformer, input_gradients, parameter_count, sampling_seconds


def _model(seed=0, K=17, shape=(1, 8, 8), scale=16, **kw):
    torch.manual_seed(seed)
    return ar_transformer(K, shape, scale, **kw).eval()


def test_output_i_has_zero_gradient_wrt_inputs_j_at_or_after_i():
    """d logits_i / d x_j is exactly 0 for j >= i and nonzero for every j < i, from random
    init (the Jacobian w.r.t. the embedded inputs, ``input_gradients``)."""
    model = _model(d=32, heads=4, layers=3)
    g = input_gradients(model).flatten(1)  # (D outputs, D pixels)
    i, j = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
    assert torch.all(g[j >= i] == 0)
    assert torch.all(g[j < i] > 0)  # every earlier pixel reaches output i: no blind spot


def test_changing_later_pixels_leaves_earlier_conditionals_unchanged():
    model = _model(layers=2)
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 17, (4, 1, 8, 8), generator=g).float() / 16
    for i in (0, 9, 37, 63):
        y = x.clone().flatten(1)
        y[:, i:] = torch.randint(0, 17, (4, 64 - i), generator=g).float() / 16
        a, b = model.logits(x), model.logits(y.view_as(x))
        assert torch.equal(a[:, :i + 1], b[:, :i + 1])  # output i sees x_<i only
        if i < 63:
            assert not torch.allclose(a[:, i + 1:], b[:, i + 1:])


def test_probabilities_of_all_tiny_images_sum_to_one():
    """K = 3 levels on 2x2 images: the K^D = 81 images' probabilities sum to 1."""
    model = _model(K=3, shape=(1, 2, 2), scale=2, d=16, heads=2, layers=2)
    with torch.no_grad():  # a random init is too close to uniform: perturb the head
        model.net.head.weight.mul_(30)
    x = torch.tensor(list(itertools.product(range(3), repeat=4)), dtype=torch.float32)
    with torch.no_grad():
        p = model.log_prob(x.view(81, 1, 2, 2) / 2).double().exp()
    assert p.max() > 3 * p.min()  # not uniform
    assert p.sum().item() == pytest.approx(1.0, abs=1e-5)


def test_text_tokens_probabilities_sum_to_one():
    model = _model(K=4, shape=(3,), scale=None, d=16, heads=2, layers=1)
    x = torch.tensor(list(itertools.product(range(4), repeat=3)))
    with torch.no_grad():
        p = model.log_prob(x).double().exp()
    assert p.sum().item() == pytest.approx(1.0, abs=1e-5)


def test_cached_logits_equal_uncached_logits():
    model = _model(layers=3)
    k = torch.randint(0, 17, (5, 64), generator=torch.Generator().manual_seed(2))
    inputs = model.inputs(k)
    with torch.no_grad():
        full = model.net(inputs)  # (5, 64, 17): one pass
        caches = model.net.new_caches()
        stepped = torch.cat([model.net(inputs[:, t:t + 1], caches) for t in range(64)], 1)
        caches = model.net.new_caches()  # a prefix of 10 at once, then one at a time
        mixed = torch.cat([model.net(inputs[:, :10], caches)]
                          + [model.net(inputs[:, t:t + 1], caches) for t in range(10, 64)], 1)
    assert torch.allclose(stepped, full, atol=1e-5)
    assert torch.allclose(mixed, full, atol=1e-5)


def test_cached_and_uncached_sampling_give_identical_samples_for_the_same_uniforms():
    model = _model(layers=2)
    with torch.no_grad():
        model.net.head.weight.mul_(10)  # peaked conditionals: samples depend on the prefix
    u = torch.rand(16, 64, generator=torch.Generator().manual_seed(3))
    a, b = model.sample(16, u=u), model.sample(16, u=u, cache=False)
    assert torch.equal(a, b)
    assert a.shape == (16, 1, 8, 8) and torch.equal(a * 16, (a * 16).round())
    assert not torch.equal(a, model.sample(16, u=torch.rand(16, 64)))


def test_samples_follow_the_model_distribution():
    """On 2-pixel binary images the sample frequencies match exp(log_prob) (Monte Carlo)."""
    model = _model(K=2, shape=(2,), scale=None, d=16, heads=2, layers=1)
    with torch.no_grad():
        model.net.head.weight.mul_(20)
    x = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    p = model.log_prob(x).exp()
    s = model.sample(20000, generator=torch.Generator().manual_seed(4))
    freq = torch.stack([(s == xi).all(1).float().mean() for xi in x])
    assert torch.allclose(freq, p, atol=0.015)


def test_prompt_fixes_the_first_tokens():
    model = _model(K=5, shape=(6,), scale=None, d=16, heads=2, layers=1)
    s = model.sample(3, prompt=[4, 2])
    assert torch.equal(s[:, :2], torch.tensor([[4, 2]] * 3))


def test_sampling_seconds_reports_both_paths():
    r = sampling_seconds(_model(K=3, shape=(1, 3, 3), scale=2, d=16, heads=2, layers=1), n=4)
    assert r["identical"] and r["cached"] > 0 and r["uncached"] > 0
    assert math.isclose(r["speedup"], r["uncached"] / r["cached"])


def test_chapter_one_layer_transformer_reads_every_earlier_pixel_at_12x12():
    torch.manual_seed(0)
    tiny = ar_transformer(2, (1, 12, 12), scale=1, d=16, heads=2, layers=1)
    seen = (input_gradients(tiny).flatten(1) > 0)
    i, j = torch.meshgrid(torch.arange(144), torch.arange(144), indexing="ij")
    assert torch.equal(seen, j < i)


# --- the chapter's trained models, at the chapter's settings ----------------------------------

def test_chapter_transformer_below_1_90_bits_per_dim_near_the_gated_pixelcnn():
    x_test = load_images("digits", "test")
    tf = recipes.trained(recipes.TRANSFORMER_DIGITS, profile="lecture")
    cnn = recipes.trained(recipes.PIXELCNN_DIGITS, profile="lecture")
    bpd_tf, bpd_cnn = tf.bits_per_dim(x_test), cnn.bits_per_dim(x_test)
    print(f"transformer {bpd_tf:.4f}, gated PixelCNN {bpd_cnn:.4f} bits/dim")
    assert bpd_tf <= 1.90
    assert abs(bpd_tf - bpd_cnn) < 0.05
    # "about the parameter count ... (106k against 116k)"
    assert round(parameter_count(tf), -3) == 106_000
    assert round(parameter_count(cnn), -3) == 116_000


def test_chapter_character_model_on_the_zen_of_python():
    text = recipes.zen_of_python()
    chars = recipes.characters(text)
    assert len(text) == 856 and len(chars) == 45
    assert text.startswith("The Zen of Python") and recipes.zen_windows().shape == (793, 64)
    tokens = torch.tensor([chars.index(c) for c in text])
    p = torch.bincount(tokens).double() / len(tokens)
    unigram = -(p * p.log2()).sum().item()
    zen = recipes.trained(recipes.TRANSFORMER_ZEN, profile="lecture")
    bits = zen.bits_per_dim(recipes.zen_windows())
    print(f"independent characters {unigram:.2f}, transformer {bits:.2f} bits/char")
    assert unigram == pytest.approx(4.49, abs=0.005)
    assert bits < 1.0
