"""Precision, recall, density and coverage: fidelity and diversity as separate numbers.
Lesson 06 builds them (its exercises are ``precision_recall`` and ``density_coverage``) and
sets them beside FID on spoiled and generated digits.

FID mixes two failures into one number: samples that look wrong (low *fidelity*) and
samples that miss part of the real data (low *diversity*). These metrics separate them by
estimating each data set's support, its "manifold", with balls around its points:

* around every point x of a set, a ball whose radius is the distance to x's k-th nearest
  neighbour in the same set, NND_k(x): small in dense regions, large in sparse ones;
* the union of the balls is the estimated manifold.

Improved precision and recall (Kynkaanniemi et al., 2019; k = 3):

    precision = (1/M) sum_j [ exists i: |y_j - x_i| <= NND_k(x_i) ]   (fakes on the real manifold)
    recall    = (1/N) sum_i [ exists j: |x_i - y_j| <= NND_k(y_j) ]   (reals on the fake manifold)

Density and coverage (Naeem et al., 2020; k = 5) use only the *real* balls, which are less
fooled by outliers among the fakes (one far-off fake makes a huge ball that swallows many
reals and inflates recall):

    density  = 1/(k M) sum_j sum_i [ |y_j - x_i| <= NND_k(x_i) ]     (about 1 for a perfect fake)
    coverage = (1/N) sum_i [ exists j: |y_j - x_i| <= NND_k(x_i) ]

x_1..x_N are real, y_1..y_M generated, all as feature vectors (here: the course classifier's
64 features). Use equal-sized sets: every estimate depends on the sample sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from gan_course.memorisation import nearest_neighbours, pairwise_distances


def knn_radii(features: torch.Tensor, k: int) -> torch.Tensor:
    """NND_k(x_i) (N,): distance from each row of ``features`` (N, ...) to its k-th nearest
    *other* row. (The nearest row of x_i is x_i itself at distance 0, so we ask for k + 1.)"""
    if k < 1 or k >= len(features):
        raise ValueError(f"k must be between 1 and N - 1 = {len(features) - 1}, got {k}")
    distances, _ = nearest_neighbours(features, features, k + 1)
    return distances[:, k]


def in_balls(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor,
             batch_size: int = 1024) -> torch.Tensor:
    """inside[j, i] = |points_j - centres_i| <= radii_i, as a bool matrix (M, N).

    points (M, ...), centres (N, ...), radii (N,)."""
    if radii.shape != (len(centres),):
        raise ValueError(f"need one radius per centre: radii {tuple(radii.shape)}, "
                         f"centres {len(centres)}")
    radii = radii.double().to(centres.device)
    rows = []
    for start in range(0, len(points), batch_size):
        rows.append(pairwise_distances(points[start:start + batch_size], centres) <= radii)
    return torch.cat(rows)


def _check_pair(real: torch.Tensor, fake: torch.Tensor, k: int) -> None:
    for name, x in (("real", real), ("fake", fake)):
        if not isinstance(x, torch.Tensor) or x.dim() < 2:
            raise ValueError(f"{name} must be a tensor (N, D) of features")
        if len(x) <= k:
            raise ValueError(f"{name} has {len(x)} items; need more than k = {k}")


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al., 2019) of ``fake`` (M, D) against
    ``real`` (N, D), with k-NN balls; see the module docstring for the equations."""
    _check_pair(real, fake, k)
    fake_in_real = in_balls(fake, real, knn_radii(real, k))   # (M, N)
    real_in_fake = in_balls(real, fake, knn_radii(fake, k))   # (N, M)
    precision = fake_in_real.any(dim=1).double().mean()
    recall = real_in_fake.any(dim=1).double().mean()
    return float(precision), float(recall)


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al., 2020) of ``fake`` (M, D) against ``real`` (N, D),
    with the real points' k-NN balls only; see the module docstring for the equations."""
    _check_pair(real, fake, k)
    inside = in_balls(fake, real, knn_radii(real, k))          # (M, N)
    density = inside.double().sum() / (k * len(fake))
    coverage = inside.any(dim=0).double().mean()
    return float(density), float(coverage)


@dataclass(frozen=True)
class ManifoldScores:
    """The four numbers; 1 is "as good as real data" for all of them (density may exceed 1)."""

    precision: float
    recall: float
    density: float
    coverage: float

    def __str__(self) -> str:
        return (f"precision {self.precision:.3f}, recall {self.recall:.3f}, "
                f"density {self.density:.3f}, coverage {self.coverage:.3f}")


def manifold_scores(real: torch.Tensor, fake: torch.Tensor, k_pr: int = 3,
                    k_dc: int = 5,
                    precision_recall_fn: Callable[..., tuple[float, float]] = precision_recall,
                    density_coverage_fn: Callable[..., tuple[float, float]] = density_coverage,
                    ) -> ManifoldScores:
    """Precision/recall with k = ``k_pr`` and density/coverage with k = ``k_dc``.

    ``precision_recall_fn(real, fake, k)`` and ``density_coverage_fn(real, fake, k)`` compute
    them (lesson 06 passes the learner's own versions)."""
    precision, recall = precision_recall_fn(real, fake, k_pr)
    density, coverage = density_coverage_fn(real, fake, k_dc)
    return ManifoldScores(precision, recall, density, coverage)
