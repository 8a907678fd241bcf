"""Counting modes: the protocol of the mode-collapse papers (VEEGAN, PacGAN) (lessons 01
and 05; the benchmark's mode-collapse race and the playground use it, and ``classifier``
scores class histograms with its ``kl_to_uniform``).

Given generated samples and the centres of a Gaussian mixture with standard deviation sigma:

* a sample is *high quality* if it lies within 3 sigma of some centre;
* a mode is *captured* if it is the nearest centre of at least one high-quality sample;
* KL(p || uniform) of the histogram p of high-quality samples over the modes measures how
  unevenly they are spread: 0 when every mode gets the same share, log K when one mode
  gets everything.

The papers use 2,500 generated samples. ``well_covered_modes`` is a stricter count than
"captured": modes holding at least a fifth of a fair share of the samples.

For images, the other metrics have modules of their own: ``fid`` (Frechet distance on a
classifier's features), ``manifold`` (precision/recall, density/coverage) and
``memorisation`` (nearest training images, copy detection).
"""

from __future__ import annotations

import math
from collections.abc import Callable
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


def mode_stats(
    samples: torch.Tensor,
    centres: torch.Tensor,
    sigma: float,
    count_fn: Callable[[torch.Tensor, torch.Tensor, float], tuple[int, float]] | None = None,
) -> ModeStats:
    """Mode coverage of ``samples`` (N, 2) for a mixture with ``centres`` (K, 2) and ``sigma``.

    hq_i   = [ min_k |x_i - c_k| < 3 sigma ]
    n_k    = #{ i : hq_i and argmin_k |x_i - c_k| = k }
    modes  = #{ k : n_k > 0 },   hq_pct = 100 * mean_i hq_i
    KL     = sum_k p_k log(p_k K),   p_k = n_k / sum_j n_j   (0 log 0 = 0; inf if no hq sample)

    ``count_fn(samples, centres, sigma) -> (modes, hq_pct)``, if given, computes the two
    headline figures instead (lesson 05 passes the learner's ``count_modes``); it gets the
    samples detached, as float32 on the CPU. ``counts`` and ``kl`` are always computed here.
    """
    if samples.dim() != 2 or samples.shape[1] != centres.shape[1]:
        raise ValueError(
            f"samples must have shape (N, {centres.shape[1]}), got {tuple(samples.shape)}"
        )
    samples, centres = samples.detach().float().cpu(), centres.detach().float().cpu()
    distances = torch.cdist(samples, centres)
    nearest_dist, nearest = distances.min(dim=1)
    high_quality = nearest_dist < 3 * sigma
    counts = torch.bincount(nearest[high_quality], minlength=len(centres))
    if count_fn is None:
        modes, hq_pct = int((counts > 0).sum()), 100.0 * high_quality.float().mean().item()
    else:
        modes, hq_pct = count_fn(samples, centres, sigma)
    return ModeStats(counts=counts.tolist(), modes=modes, hq_pct=hq_pct, kl=kl_to_uniform(counts))


def kl_to_uniform(counts: torch.Tensor) -> float:
    """KL(p || U_K) for the histogram ``counts`` (K,): sum_k p_k log(K p_k)."""
    total = counts.sum().item()
    if total == 0:
        return math.inf
    p = counts.double() / total
    nonzero = p[p > 0]
    return float((nonzero * torch.log(nonzero * len(counts))).sum())


def well_covered_modes(counts: list[int], n_samples: int, share: float = 0.2) -> int:
    """Modes that hold at least ``share`` of a fair share of the samples (a stricter count).

    fair = n_samples / K  (what each of the K modes would get if the samples were spread evenly)
    well covered = #{ k : counts_k >= share * fair }

    "Captured" (``mode_stats``) needs one high-quality sample out of ``n_samples``, so a mode the
    generator has all but dropped still counts. With 2,500 samples on the 25-mode grid and
    ``share`` 0.2, a mode needs 20 high-quality samples to count here.
    """
    if n_samples <= 0 or not counts:
        raise ValueError(f"need n_samples > 0 and at least one mode, got {n_samples} and {counts}")
    threshold = share * n_samples / len(counts)
    return sum(1 for count in counts if count >= threshold)
