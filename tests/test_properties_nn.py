"""Shared networks: what their inputs can reach (time, skips, labels), checked by moving
one input while the others stay fixed."""
import pytest
import torch

from gmcourse.nn import DCDiscriminator, TimeMLP, UNet


def test_time_mlp_output_changes_with_t():
    torch.manual_seed(0)
    net = TimeMLP(2, 16, 2)
    x = torch.randn(4, 2).repeat(3, 1)
    t = torch.tensor([1.0, 200.0, 900.0]).repeat_interleave(4)
    with torch.no_grad():
        a, b, c = net(x, t).chunk(3)
    assert not torch.allclose(a, b) and not torch.allclose(b, c)


def test_unet_skips_carry_the_input_past_a_closed_bottleneck():
    """With the downsampling convolutions zeroed, the coarse levels see a constant; the
    output still depends on x only through the skip connections."""
    torch.manual_seed(0)
    net = UNet(1, 8, (1, 2), emb_dim=16).eval()
    with torch.no_grad():
        for conv in net.downsample:
            conv.weight.zero_(), conv.bias.zero_()
        t = torch.tensor([10, 10])
        a = net(torch.randn(2, 1, 8, 8), t)
        b = net(torch.randn(2, 1, 8, 8), t)
    assert (a - b).abs().max() > 1e-3


def test_projection_discriminator_label_term_depends_on_the_image():
    """d(x, y) = w.h(x) + embed(y).h(x): changing y moves d by (embed(y) - embed(y')).h(x),
    which differs from image to image."""
    torch.manual_seed(0)
    D = DCDiscriminator((1, 8, 8), 8, n_classes=10, norm=False).eval()
    x = torch.rand(5, 1, 8, 8)
    with torch.no_grad():
        shift = D(x, torch.zeros(5, dtype=torch.long)) - D(x, torch.ones(5, dtype=torch.long))
    assert shift.std() > 1e-3 * shift.abs().mean()


def test_conditional_batch_norm_is_batch_norm_then_the_labels_gain_and_bias():
    from gmcourse.nn import ConditionalBatchNorm
    torch.manual_seed(0)
    cbn = ConditionalBatchNorm(5, n_classes=3)
    h, y = torch.randn(16, 5, 4, 4) * 3 + 1, torch.arange(16) % 3
    ref = torch.nn.functional.batch_norm(h, None, None, training=True, eps=cbn.bn.eps)
    assert torch.allclose(cbn(h, y), ref, atol=1e-5)  # at init: plain batch norm
    with torch.no_grad():
        cbn.gain.weight.uniform_(0.5, 2)
        cbn.bias.weight.normal_()
    out = cbn(h, y)
    g, b = cbn.gain.weight[y][:, :, None, None], cbn.bias.weight[y][:, :, None, None]
    assert torch.allclose(out, ref * g + b, atol=1e-5)
    out[y == 0].sum().backward()  # only label 0's rows of the tables receive a gradient
    assert cbn.gain.weight.grad[1:].abs().max() == 0 and cbn.gain.weight.grad[0].abs().max() > 0


def test_generator_with_the_label_in_every_layer():
    from gmcourse.nn import ConditionalBatchNorm, DCGenerator
    G = DCGenerator(8, (1, 8, 8), 16, n_classes=10, label_layers="all")
    assert sum(isinstance(m, ConditionalBatchNorm) for m in G.modules()) == 2
    z = torch.randn(1, 8).expand(10, -1)
    x = G.train()(z, torch.arange(10))
    assert x.shape == (10, 1, 8, 8)
    with pytest.raises(ValueError, match="label_layers"):
        DCGenerator(8, n_classes=10, label_layers="every")
