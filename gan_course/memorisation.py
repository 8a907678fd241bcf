"""Does the generator copy its training images? Nearest-neighbour checks for memorisation
(lesson 07, part 4, and its nearest-image anomaly baseline; lesson 06 and ``manifold`` use
``nearest_neighbours``).

A generator that returns its training images unchanged scores well on every metric that
compares sample statistics with real data, yet it has learned nothing new (and may leak
private training data). The check: for every generated sample, find its nearest training
image. On its own a small distance means little, since digits are alike. So we calibrate
with real images the generator never saw: the held-out images' distances to their nearest
training image are what "a new image from the same distribution" looks like.

    d(x)       = min_j |x - t_j|                 (Euclidean, on flattened tensors)
    threshold  = the q-quantile of d(h) over held-out real images h   (q = 1 % by default)
    copy share = #{samples s : d(s) < threshold} / #samples

By construction about q of new real images fall below the threshold, so an honest generator
should show a copy share near q. We flag the generator when its copy share exceeds
``flag_at`` (5 % by default, five times the rate of real held-out images).

Use pixels to catch exact or near-exact copies; use classifier features to catch copies
that are slightly shifted or re-drawn (at the price of more false alarms).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def _flatten(x: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() < 1 or len(x) == 0:
        raise ValueError(f"{name} must have shape (N >= 1, ...), got {tuple(x.shape)}")
    return x.detach().reshape(len(x), -1).double()


def nearest_neighbours(queries: torch.Tensor, reference: torch.Tensor, k: int = 1,
                       batch_size: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` nearest ``reference`` rows of every query, by Euclidean distance.

    queries (N, ...), reference (M, ...): flattened to (N, D) and (M, D), same D.
    Returns distances (N, k) float64, ascending, and indices into ``reference`` (N, k) int64.

        |q - r|^2 = |q|^2 + |r|^2 - 2 q . r      (float64, clamped at 0 before the sqrt)

    Queries are processed ``batch_size`` at a time, so memory stays at batch_size x M.
    Runs on the queries' device.
    """
    q, r = _flatten(queries, "queries"), _flatten(reference, "reference")
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries and reference must have the same size per item, got "
                         f"{tuple(queries.shape[1:])} and {tuple(reference.shape[1:])}")
    if not 1 <= k <= len(r):
        raise ValueError(f"k must be between 1 and the number of reference items ({len(r)}), "
                         f"got {k}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    r = r.to(q.device)
    all_dist, all_index = [], []
    for start in range(0, len(q), batch_size):
        distances = pairwise_distances(q[start:start + batch_size], r)   # (batch, M)
        dist, index = distances.topk(k, dim=1, largest=False)
        all_dist.append(dist)
        all_index.append(index)
    return torch.cat(all_dist), torch.cat(all_index).long()


def pairwise_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Euclidean distances (N, M) float64 between the rows of a (N, ...) and b (M, ...).

        |a_i - b_j|^2 = |a_i|^2 + |b_j|^2 - 2 a_i . b_j    (clamped at 0 against rounding)
    """
    a, b = _flatten(a, "a"), _flatten(b, "b").to(a.device)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same size per item, got {a.shape[1]} and "
                         f"{b.shape[1]} numbers")
    squared = a.pow(2).sum(1, keepdim=True) + b.pow(2).sum(1)[None, :] - 2 * a @ b.T
    return squared.clamp_min(0).sqrt()


@dataclass(frozen=True)
class MemorisationReport:
    """Result of ``memorisation_report`` (all tensors on the CPU).

    nn_dist_samples (N,), nn_index_samples (N,): each sample's nearest training image.
    nn_dist_heldout (L,): each held-out real image's distance to the training set.
    threshold: the ``quantile`` of nn_dist_heldout; copy_fraction: share of samples below it.
    flagged: copy_fraction > flag_at.
    """

    nn_dist_samples: torch.Tensor
    nn_index_samples: torch.Tensor
    nn_dist_heldout: torch.Tensor
    threshold: float
    quantile: float
    copy_fraction: float
    flag_at: float
    flagged: bool

    @property
    def median_ratio(self) -> float:
        """median d(sample) / median d(held-out): well below 1 hints at copying."""
        return float(self.nn_dist_samples.median() / self.nn_dist_heldout.median().clamp_min(1e-12))

    def __str__(self) -> str:
        verdict = "LOOKS LIKE COPYING" if self.flagged else "no sign of copying"
        return (f"copy fraction {100 * self.copy_fraction:.1f} % of samples closer to a training "
                f"image than {100 * self.quantile:g} % of held-out real images "
                f"(threshold {self.threshold:.3g}); median distance ratio "
                f"{self.median_ratio:.2f}: {verdict}")


def memorisation_report(samples: torch.Tensor, train: torch.Tensor, heldout: torch.Tensor,
                        quantile: float = 0.01, flag_at: float = 0.05,
                        batch_size: int = 1024) -> MemorisationReport:
    """Compare samples' nearest-training-image distances with held-out real images'.

    samples (N, ...), train (M, ...), heldout (L, ...): same shape per item (images or
    features). threshold = quantile_q { min_j |h - t_j| : h in heldout };
    copy_fraction = mean_s [ min_j |s - t_j| < threshold ]; flagged = copy_fraction > flag_at.
    """
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    if not 0.0 <= flag_at < 1.0:
        raise ValueError(f"flag_at must be in [0, 1), got {flag_at}")
    d_samples, i_samples = nearest_neighbours(samples, train, 1, batch_size)
    d_heldout, _ = nearest_neighbours(heldout, train, 1, batch_size)
    d_samples, d_heldout = d_samples[:, 0].cpu(), d_heldout[:, 0].cpu()
    threshold = float(torch.quantile(d_heldout, quantile))
    copy_fraction = float((d_samples < threshold).double().mean())
    return MemorisationReport(
        nn_dist_samples=d_samples,
        nn_index_samples=i_samples[:, 0].cpu(),
        nn_dist_heldout=d_heldout,
        threshold=threshold,
        quantile=quantile,
        copy_fraction=copy_fraction,
        flag_at=flag_at,
        flagged=copy_fraction > flag_at,
    )
