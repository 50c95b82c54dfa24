"""Shared networks: what their inputs can reach (time, skips, labels), checked by moving
one input while the others stay fixed."""
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
