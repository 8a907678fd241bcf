"""Recording what a 2-D GAN looks like at one moment of training (lessons 01 and 05; the
playground records with it too).

A ``Snapshot2D`` holds the generator's samples for a *fixed* batch of latent codes (so an
animation follows the same points) and the discriminator's D(x) on a square grid (its
"heat-map"). Pass ``capture_2d(...)`` as the ``snapshot`` argument of ``training.train``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from gan_course.device import module_device


@dataclass(frozen=True)
class Snapshot2D:
    """samples: (N, 2) generated points.  heatmap: (R, R) values of D(x) on the grid.

    heatmap[i, j] is D at (x = xs[j], y = xs[i]), with xs = linspace(-extent, extent, R).
    """

    step: int
    samples: torch.Tensor
    heatmap: torch.Tensor
    extent: float


def grid_points(extent: float, resolution: int) -> torch.Tensor:
    """Points of an R x R grid over [-extent, extent]^2, shape (R*R, 2), rows of constant y."""
    xs = torch.linspace(-extent, extent, resolution)
    ys, xx = torch.meshgrid(xs, xs, indexing="ij")
    return torch.stack([xx.flatten(), ys.flatten()], dim=1)


def discriminator_heatmap(D: nn.Module, extent: float, resolution: int = 80) -> torch.Tensor:
    """D(x) = sigmoid(logit(x)) on the grid, shape (resolution, resolution), on the CPU."""
    device = module_device(D)
    with torch.no_grad():
        logits = D(grid_points(extent, resolution).to(device))
    return torch.sigmoid(logits).reshape(resolution, resolution).cpu()


def capture_2d(
    z_fixed: torch.Tensor, extent: float, resolution: int = 60
) -> Callable[[nn.Module, nn.Module, int], Snapshot2D]:
    """Make a snapshot function for ``train``: G(z_fixed) and D's heat-map at each call."""

    def snapshot(G: nn.Module, D: nn.Module, step: int) -> Snapshot2D:
        device = module_device(G)
        with torch.no_grad():
            samples = G(z_fixed.to(device)).cpu()
        return Snapshot2D(step, samples, discriminator_heatmap(D, extent, resolution), extent)

    return snapshot
