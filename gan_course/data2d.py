"""Two-dimensional toy data sets, where every sample and every decision can be drawn
(lessons 01 and 05; the 2-D playground trains on them too).

The two mixtures are the ones the mode-collapse papers (VEEGAN, PacGAN, ...) use:

* ``ring``: 8 Gaussians with centres evenly spaced on a circle of radius 1, sigma 0.01;
* ``grid``: 25 Gaussians with centres on {-4, -2, 0, 2, 4}^2, sigma 0.05.

Two smooth shapes without separate modes are there to play with: ``spiral`` and ``moons``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


def _count(value: object, name: str, smallest: int = 1) -> int:
    """``value`` as a Python int when it is an integer (NumPy's too) >= smallest, else a
    ValueError naming ``name``."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) \
            or value < smallest:
        raise ValueError(f"{name} must be an integer >= {smallest}, got {value!r}")
    return int(value)


def _positive(value: object, name: str) -> float:
    """``value`` as a float when it is a finite number > 0, else a ValueError naming ``name``."""
    if (not isinstance(value, (int, float, np.integer, np.floating))
            or isinstance(value, (bool, np.bool_)) or not math.isfinite(value) or value <= 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def ring_centres(n_modes: int = 8, radius: float = 1.0) -> torch.Tensor:
    """Centres of a ring mixture, shape (n_modes, 2).

    Angle of mode k is 2*pi*k / n_modes for k = 0..n_modes-1. (A linspace that includes
    2*pi would put the last centre on top of the first and leave only n_modes - 1 modes.)
    Refuses a count below 1 and a radius that is not a positive number.
    """
    n_modes, radius = _count(n_modes, "n_modes"), _positive(radius, "radius")
    angles = torch.arange(n_modes, dtype=torch.float32) * (2 * math.pi / n_modes)
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def grid_centres(n_per_side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    """Centres of a square grid mixture centred on the origin, shape (n_per_side**2, 2).

    Refuses a count below 1 and a spacing that is not a positive number.
    """
    n_per_side, spacing = _count(n_per_side, "n_per_side"), _positive(spacing, "spacing")
    offset = (n_per_side - 1) * spacing / 2
    coords = torch.arange(n_per_side, dtype=torch.float32) * spacing - offset
    xs, ys = torch.meshgrid(coords, coords, indexing="ij")
    return torch.stack([xs.flatten(), ys.flatten()], dim=1)


@dataclass(frozen=True)
class Toy2D:
    """A named 2-D distribution that can be sampled.

    ``centres`` and ``sigma`` are set for Gaussian mixtures (so their modes can be counted)
    and are ``None`` for the smooth shapes.
    """

    name: str
    centres: torch.Tensor | None = None
    sigma: float | None = None
    extent: float = 1.5

    def __post_init__(self) -> None:
        if self.centres is not None:
            _positive(self.sigma, "sigma")  # 0 would make every sample a centre, p(x) infinite

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` points, shape (n, 2); ``n`` a positive integer (NumPy's too)."""
        if not isinstance(n, (int, np.integer)) or isinstance(n, (bool, np.bool_)) or n <= 0:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        n = int(n)
        if self.centres is not None:
            return _sample_mixture(self.centres, self.sigma, n, generator)
        if self.name == "spiral":
            return _sample_spiral(n, generator)
        return _sample_moons(n, generator)

    def density(self, points: torch.Tensor) -> torch.Tensor:
        """Mixture density p(x) at ``points`` (N, 2) -> (N,). Only for Gaussian mixtures."""
        if self.centres is None:
            raise ValueError(f"{self.name!r} has no closed-form density in the course")
        return mixture_density(points, self.centres, self.sigma)


def _sample_mixture(
    centres: torch.Tensor, sigma: float, n: int, generator: torch.Generator | None
) -> torch.Tensor:
    """Pick a centre uniformly, then add isotropic Gaussian noise: x = c_k + sigma * eps."""
    which = torch.randint(len(centres), (n,), generator=generator)
    noise = torch.randn(n, 2, generator=generator)
    return centres[which] + sigma * noise


def _sample_spiral(n: int, generator: torch.Generator | None) -> torch.Tensor:
    """An Archimedean spiral r = t, with a little noise, scaled into about [-1.3, 1.3]^2."""
    t = torch.sqrt(torch.rand(n, generator=generator)) * 3 * math.pi
    points = torch.stack([t * t.cos(), t * t.sin()], dim=1) / (3 * math.pi) * 1.2
    return points + 0.03 * torch.randn(n, 2, generator=generator)


def _sample_moons(n: int, generator: torch.Generator | None) -> torch.Tensor:
    """Two interleaving half circles, with a little noise, centred on the origin."""
    t = torch.rand(n, generator=generator) * math.pi
    upper = torch.rand(n, generator=generator) < 0.5
    x = torch.where(upper, t.cos(), 1 - t.cos()) - 0.5
    y = torch.where(upper, t.sin(), 0.5 - t.sin()) - 0.25
    return torch.stack([x, y], dim=1) + 0.05 * torch.randn(n, 2, generator=generator)


def mixture_density(points: torch.Tensor, centres: torch.Tensor, sigma: float) -> torch.Tensor:
    """Equal-weight isotropic Gaussian mixture density.

    p(x) = (1/K) * sum_k N(x; c_k, sigma^2 I),   N(x; c, s^2 I) = exp(-|x-c|^2 / 2s^2) / (2 pi s^2)

    points: (N, 2), centres: (K, 2) -> (N,). ``sigma`` must be a positive number.
    """
    _positive(sigma, "sigma")
    sq_dist = torch.cdist(points, centres).pow(2)
    normal = torch.exp(-sq_dist / (2 * sigma**2)) / (2 * math.pi * sigma**2)
    return normal.mean(dim=1)


DATASETS: dict[str, Toy2D] = {
    "ring": Toy2D("ring", ring_centres(8, 1.0), 0.01, extent=1.5),
    "grid": Toy2D("grid", grid_centres(5, 2.0), 0.05, extent=5.5),
    "spiral": Toy2D("spiral", extent=1.6),
    "moons": Toy2D("moons", extent=2.0),
}


def get_dataset(name: str) -> Toy2D:
    """Look up a 2-D data set by name: one of ``ring``, ``grid``, ``spiral``, ``moons``."""
    if name not in DATASETS:
        raise ValueError(f"Unknown 2-D dataset {name!r}. Valid choices: {', '.join(DATASETS)}")
    return DATASETS[name]
