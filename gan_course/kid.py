"""Kernel Inception Distance (KID): an unbiased alternative to FID (lesson 06).

Binkowski et al. (2018, "Demystifying MMD GANs") compare two sets of feature vectors with
the squared maximum mean discrepancy (MMD) under the cubic polynomial kernel

    k(x, y) = (x . y / d + 1)^3,        x, y in R^d.

For a real set X = {x_1..x_m} and a generated set Y = {y_1..y_n}, the unbiased estimate
of the squared MMD leaves out the pairs of a point with itself:

    MMD^2_u = 1 / (m (m - 1)) sum_{i != j} k(x_i, x_j)
            + 1 / (n (n - 1)) sum_{i != j} k(y_i, y_j)
            - 2 / (m n)       sum_{i, j}   k(x_i, y_j).

Its expectation is the true squared MMD, which is 0 when X and Y come from the same
distribution, whatever m and n are: unlike FID, KID has no bias that depends on the
number of images. The price is that a single estimate can be negative. KID draws several
random subsets of the same size from each set, computes MMD^2_u on each pair of subsets
and reports the mean and the standard deviation over the subsets; the standard deviation
says how much a KID computed from that many images moves from draw to draw.

We compute it on the features of the course's digit classifier (``fid.extract_features``),
like our FID, so our values are not comparable with published KIDs on Inception features.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class KID:
    """KID over subsets: the mean and the standard deviation of MMD^2_u over ``values``
    (n_subsets,), each computed on one pair of random subsets of ``subset_size`` images."""

    mean: float
    std: float
    values: torch.Tensor
    subset_size: int

    def __str__(self) -> str:
        return (f"KID {self.mean:.4f} +- {self.std:.4f} "
                f"({len(self.values)} subsets of {self.subset_size})")


def _check_pair(x: torch.Tensor, y: torch.Tensor) -> None:
    if x.dim() != 2 or y.dim() != 2:
        raise ValueError(f"need two feature matrices (N, D) and (M, D), got shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"the two sets have different feature sizes: {x.shape[1]} and "
                         f"{y.shape[1]}")


def polynomial_kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """k(x_i, y_j) = (x_i . y_j / d + 1)^3 for x (N, D) and y (M, D): a float64 (N, M) matrix."""
    _check_pair(x, y)
    d = x.shape[1]
    return (x.double() @ y.double().T / d + 1) ** 3


def mmd2_unbiased(x: torch.Tensor, y: torch.Tensor) -> float:
    """The unbiased squared MMD between x (m, D) and y (n, D), m, n >= 2, cubic kernel:

    MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m - 1)) + sum_{i != j} k(y_i, y_j) / (n (n - 1))
              - 2 sum_{i, j} k(x_i, y_j) / (m n).

    Can be slightly negative when x and y come from the same distribution.
    """
    _check_pair(x, y)
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError(f"need at least 2 points in each set, got {m} and {n}")
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    within_x = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))   # pairs i != j only
    within_y = (k_yy.sum() - k_yy.diagonal().sum()) / (n * (n - 1))
    between = k_xy.sum() / (m * n)
    return float(within_x + within_y - 2 * between)


def kernel_inception_distance(real: torch.Tensor, fake: torch.Tensor, n_subsets: int = 10,
                              subset_size: int = 100,
                              generator: torch.Generator | None = None) -> KID:
    """KID between features ``real`` (N, D) and ``fake`` (M, D): ``mmd2_unbiased`` on
    ``n_subsets`` pairs of random subsets, each of ``subset_size`` distinct rows of ``real``
    and of ``fake`` (drawn afresh for every pair), summarised by mean and standard deviation:

    KID = (1 / S) sum_s MMD^2_u(X_s, Y_s),
    std = sqrt(sum_s (MMD^2_u(X_s, Y_s) - KID)^2 / (S - 1)).
    """
    _check_pair(real, fake)
    if n_subsets < 2:
        raise ValueError(f"need n_subsets >= 2 for a standard deviation, got {n_subsets}")
    if subset_size < 2:
        raise ValueError(f"need subset_size >= 2, got {subset_size}")
    if len(real) < subset_size or len(fake) < subset_size:
        raise ValueError(f"subset_size {subset_size} is larger than a set: {len(real)} real "
                         f"and {len(fake)} fake feature vectors")
    values = torch.zeros(n_subsets, dtype=torch.float64)
    for s in range(n_subsets):
        real_rows = torch.randperm(len(real), generator=generator)[:subset_size]
        fake_rows = torch.randperm(len(fake), generator=generator)[:subset_size]
        values[s] = mmd2_unbiased(real[real_rows], fake[fake_rows])
    return KID(mean=values.mean().item(), std=values.std().item(), values=values,
               subset_size=subset_size)
