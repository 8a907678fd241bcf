import pytest
import torch

from gan_course.dcgan import (
    DCGANDiscriminator,
    DCGANGenerator,
    conv_output_size,
    dcgan_init,
    down_block,
    up_block,
)


@pytest.mark.parametrize("size,channels", [(8, 1), (16, 1), (32, 3)])
def test_shapes(size, channels):
    G = DCGANGenerator(z_dim=8, image_size=size, channels=channels, width=8)
    D = DCGANDiscriminator(image_size=size, channels=channels, width=8)
    x = G(torch.randn(3, 8))
    assert x.shape == (3, channels, size, size)
    assert x.abs().max() <= 1
    assert D(x).shape == (3,)


def test_blocks_double_and_halve():
    assert up_block(8, 4)(torch.randn(2, 8, 5, 5)).shape == (2, 4, 10, 10)
    assert down_block(4, 8)(torch.randn(2, 4, 10, 10)).shape == (2, 8, 5, 5)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in down_block(1, 4, False))


def test_init_statistics():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(64, 64, 4)
    bn = torch.nn.BatchNorm2d(500)
    conv.apply(dcgan_init)
    bn.apply(dcgan_init)
    assert conv.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert conv.bias.abs().max() == 0
    assert bn.weight.mean().item() == pytest.approx(1.0, abs=0.01)


def test_bad_sizes_and_inputs():
    with pytest.raises(ValueError, match="power of two"):
        DCGANGenerator(image_size=24)
    with pytest.raises(ValueError, match=r"\(N, 1, 16, 16\)"):
        DCGANDiscriminator(16)(torch.randn(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"\(N, 32\)"):
        DCGANGenerator(32)(torch.randn(2, 16))


@pytest.mark.parametrize("size,kernel,stride,padding,transposed", [
    (16, 4, 2, 1, False), (5, 4, 2, 1, False), (4, 4, 1, 0, False), (7, 3, 1, 1, False),
    (1, 4, 1, 0, True), (4, 4, 2, 1, True), (5, 3, 2, 1, True), (3, 1, 1, 0, True),
])
def test_conv_output_size_matches_torch(size, kernel, stride, padding, transposed):
    kind = torch.nn.ConvTranspose2d if transposed else torch.nn.Conv2d
    layer = kind(1, 1, kernel, stride=stride, padding=padding)
    expected = layer(torch.zeros(1, 1, size, size)).shape[-1]
    assert conv_output_size(size, kernel, stride, padding, transposed) == expected


@pytest.mark.parametrize("args", [(2, 5, 1, 0, False), (3, 5, 2, 0, False), (5, 3, 0, 1, False),
                                  (5, 3, 1, -1, False), (0, 3, 1, 0, True), (1, 4, 2, 3, True)])
def test_conv_output_size_refuses_what_cannot_be_built(args):
    with pytest.raises(ValueError):
        conv_output_size(*args)
