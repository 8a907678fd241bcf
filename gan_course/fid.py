"""The Frechet distance between two Gaussians fitted to features (the "F" and "D" of FID).

Fit a Gaussian to each set of feature vectors (mean mu, covariance S). The squared
Frechet (2-Wasserstein) distance between N(mu1, S1) and N(mu2, S2) is

    d^2 = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^(1/2) S2 S1^(1/2))^(1/2)).

The matrix square root is the delicate part. ``S1 S2`` is not symmetric, so its square
root is awkward to compute; instead we use the symmetric matrix M = S1^(1/2) S2 S1^(1/2),
which has the same eigenvalues as S1 S2 and therefore the same trace of square root. M is
positive semi-definite, so tr(M^(1/2)) is the sum of the square roots of its eigenvalues
(tiny negative ones from rounding are set to 0). Everything runs in float64.
"""

from __future__ import annotations

import torch


def feature_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and unbiased covariance (D, D) of ``features`` (N, D), in float64."""
    if features.dim() != 2 or len(features) < 2:
        raise ValueError(f"need features of shape (N >= 2, D), got {tuple(features.shape)}")
    x = features.double()
    return x.mean(0), torch.cov(x.T)


def _sqrt_psd(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix via its eigendecomposition."""
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T


def frechet_distance(mu1: torch.Tensor, cov1: torch.Tensor,
                     mu2: torch.Tensor, cov2: torch.Tensor) -> float:
    """d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1^(1/2) S2 S1^(1/2))^(1/2))."""
    mu1, mu2, cov1, cov2 = mu1.double(), mu2.double(), cov1.double(), cov2.double()
    root1 = _sqrt_psd(cov1)
    middle = root1 @ cov2 @ root1
    eigenvalues = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0)
    trace_term = eigenvalues.sqrt().sum()
    value = (mu1 - mu2).pow(2).sum() + cov1.trace() + cov2.trace() - 2 * trace_term
    return float(value.clamp_min(0))
