"""Counting modes: the protocol of the mode-collapse papers (VEEGAN, PacGAN).

Given generated samples and the centres of a Gaussian mixture with standard deviation sigma:

* a sample is *high quality* if it lies within 3 sigma of some centre;
* a mode is *captured* if it is the nearest centre of at least one high-quality sample;
* KL(p || uniform) of the histogram p of high-quality samples over the modes measures how
  unevenly they are spread: 0 when every mode gets the same share, log K when one mode
  gets everything.

The papers use 2,500 generated samples.

For images, the other metrics have modules of their own: ``fid`` (Frechet distance on a
classifier's features), ``manifold`` (precision/recall, density/coverage) and
``memorisation`` (nearest training images, copy detection).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ModeStats:
    """Result of ``mode_stats``: counts per mode and the three headline figures."""

    counts: list[int]
    modes: int
    hq_pct: float
    kl: float

    def __str__(self) -> str:
        return (
            f"modes captured {self.modes}/{len(self.counts)}, "
            f"high quality {self.hq_pct:.1f} %, KL to uniform {self.kl:.3f}"
        )


def mode_stats(samples: torch.Tensor, centres: torch.Tensor, sigma: float) -> ModeStats:
    """Mode coverage of ``samples`` (N, 2) for a mixture with ``centres`` (K, 2) and ``sigma``.

    hq_i   = [ min_k |x_i - c_k| < 3 sigma ]
    n_k    = #{ i : hq_i and argmin_k |x_i - c_k| = k }
    modes  = #{ k : n_k > 0 },   hq_pct = 100 * mean_i hq_i
    KL     = sum_k p_k log(p_k K),   p_k = n_k / sum_j n_j   (0 log 0 = 0; inf if no hq sample)
    """
    if samples.dim() != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(
            f"samples must have shape (N, {centres.shape[1]}), got {tuple(samples.shape)}"
        )
    distances = torch.cdist(samples.detach().float().cpu(), centres.float())
    nearest_dist, nearest = distances.min(dim=1)
    high_quality = nearest_dist < 3 * sigma
    counts = torch.bincount(nearest[high_quality], minlength=len(centres))
    return ModeStats(
        counts=counts.tolist(),
        modes=int((counts > 0).sum()),
        hq_pct=100.0 * high_quality.float().mean().item(),
        kl=kl_to_uniform(counts),
    )


def kl_to_uniform(counts: torch.Tensor) -> float:
    """KL(p || U_K) for the histogram ``counts`` (K,): sum_k p_k log(K p_k)."""
    total = counts.sum().item()
    if total == 0:
        return math.inf
    p = counts.double() / total
    nonzero = p[p > 0]
    return float((nonzero * torch.log(nonzero * len(counts))).sum())
