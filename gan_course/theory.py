"""Closed-form pieces of GAN theory, used to check what training finds (lesson 01).

For a fixed generator with density p_g, the discriminator that maximises V(D, G) is

    D*(x) = p_data(x) / (p_data(x) + p_g(x)),

and at that discriminator the value function becomes

    V(D*, G) = -log 4 + 2 JSD(p_data || p_g),

so training D estimates the Jensen-Shannon divergence between data and generator.
"""

from __future__ import annotations

import math

import torch


def gaussian_pdf(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """1-D normal density N(x; mean, std^2) = exp(-(x-mean)^2 / 2 std^2) / (std sqrt(2 pi))."""
    if std <= 0:
        raise ValueError(f"std must be positive, got {std!r}")
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), elementwise; 1/2 where both densities are 0."""
    total = p_data + p_g
    return torch.where(total > 0, p_data / total.clamp_min(1e-300), torch.full_like(total, 0.5))


def js_divergence(p: torch.Tensor, q: torch.Tensor, dx: float) -> float:
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2, for densities on a grid
    with spacing ``dx`` (a Riemann sum). Between 0 (equal) and log 2 (disjoint supports)."""
    p, q = p.double(), q.double()
    m = (p + q) / 2

    def kl_to_m(a: torch.Tensor) -> torch.Tensor:
        mask = (a > 0) & (m > 0)
        return (a[mask] * torch.log(a[mask] / m[mask])).sum() * dx

    return float((kl_to_m(p) + kl_to_m(q)) / 2)


def optimal_value(p_data: torch.Tensor, p_g: torch.Tensor, dx: float) -> float:
    """V(D*, G) = -log 4 + 2 JSD(p_data || p_g)."""
    return -math.log(4) + 2 * js_divergence(p_data, p_g, dx)
