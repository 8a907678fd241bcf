"""Small fully connected generator and discriminator for low-dimensional data (lesson 01;
lesson 05's cures and the 2-D playground build on them).

Both are plain stacks of ``Linear -> activation`` layers, written out so a learner can
print them and see every layer. The discriminator returns a *logit* (any real number);
D(x) = sigmoid(logit) is the probability it gives that x is real. Losses take logits,
which is numerically safer than taking log of a sigmoid.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from gan_course.device import module_device


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def mlp(
    in_dim: int, hidden: int, out_dim: int, depth: int, make_activation: Callable[[], nn.Module]
) -> nn.Sequential:
    """``depth`` hidden layers of width ``hidden``, each followed by ``make_activation()``.

    Shapes: (N, in_dim) -> (N, out_dim).
    """
    _check_sizes(in_dim=in_dim, hidden=hidden, out_dim=out_dim, depth=depth)
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(depth):
        layers.append(nn.Linear(width, hidden))
        layers.append(make_activation())
        width = hidden
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


def _leaky_relu() -> nn.Module:
    return nn.LeakyReLU(0.2)


class MLPGenerator(nn.Module):
    """G: latent code z -> data point x.   Shapes: (N, z_dim) -> (N, out_dim)."""

    def __init__(self, z_dim: int = 2, hidden: int = 128, depth: int = 3, out_dim: int = 2):
        super().__init__()
        self.z_dim = z_dim
        self.net = mlp(z_dim, hidden, out_dim, depth, nn.ReLU)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"expected z of shape (N, {self.z_dim}), got {tuple(z.shape)}")
        return self.net(z)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw z ~ N(0, I) on the model's device and return G(z), shape (n, out_dim)."""
        device = module_device(self)
        z = torch.randn(n, self.z_dim, generator=generator).to(device)
        return self(z)


class MLPDiscriminator(nn.Module):
    """D: data point x -> logit.   Shapes: (N, in_dim) -> (N,).   D(x) = sigmoid(logit)."""

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        self.in_dim = in_dim
        self.net = mlp(in_dim, hidden, 1, depth, _leaky_relu)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"expected x of shape (N, {self.in_dim}), got {tuple(x.shape)}")
        return self.net(x).squeeze(1)
