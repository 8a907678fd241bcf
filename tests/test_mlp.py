import pytest
import torch

from gan_course.mlp import MLPDiscriminator, MLPGenerator, mlp


def test_shapes():
    G, D = MLPGenerator(z_dim=3, hidden=16, depth=2, out_dim=2), MLPDiscriminator(2, 16, 2)
    x = G(torch.randn(7, 3))
    assert x.shape == (7, 2)
    assert D(x).shape == (7,)
    assert G.sample(4).shape == (4, 2)


def test_mlp_layers_are_what_the_arguments_say():
    net = mlp(2, 8, 1, 3, torch.nn.ReLU)
    kinds = [type(layer).__name__ for layer in net]
    assert kinds == ["Linear", "ReLU"] * 3 + ["Linear"]


def test_wrong_input_shapes_are_clear_errors():
    with pytest.raises(ValueError, match=r"expected z of shape \(N, 2\)"):
        MLPGenerator()(torch.randn(5, 3))
    with pytest.raises(ValueError, match=r"expected x of shape \(N, 2\)"):
        MLPDiscriminator()(torch.randn(5))


def test_bad_sizes():
    with pytest.raises(ValueError, match="hidden must be a positive integer"):
        MLPGenerator(hidden=0)
