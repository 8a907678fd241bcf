"""The Frechet distance between two Gaussians fitted to features: the "F" and "D" of FID.
Lesson 06 builds it step by step and sets it beside the other metrics; lesson 02's sample
report (``classifier.judge``) uses ``frechet_distance`` too.

Fit a Gaussian to each set of feature vectors (mean mu, covariance S). The squared
Frechet (2-Wasserstein) distance between N(mu1, S1) and N(mu2, S2) is

    d^2 = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^(1/2) S2 S1^(1/2))^(1/2)).

The matrix square root is the delicate part. ``S1 S2`` is not symmetric, so its square
root is awkward to compute; instead we use the symmetric matrix M = S1^(1/2) S2 S1^(1/2),
which has the same eigenvalues as S1 S2 and therefore the same trace of square root. M is
positive semi-definite, so tr(M^(1/2)) is the sum of the square roots of its eigenvalues
(tiny negative ones from rounding are set to 0). Everything runs in float64.

Also here: ``fid_terms`` (the mean and covariance parts separately), ``extract_features``
and ``classifier_fid`` (FID on a classifier's features, straight from images), and
``feature_moments`` (per-feature mean, variance, skewness, kurtosis, to compare real and
generated features beyond the two moments FID looks at).
"""

from __future__ import annotations

import torch

from gan_course.device import module_device


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


def fid_terms(mu1: torch.Tensor, cov1: torch.Tensor,
              mu2: torch.Tensor, cov2: torch.Tensor) -> dict[str, float]:
    """The Frechet distance split into its two parts (they add up to ``frechet_distance``):

    mean_term       = |mu1 - mu2|^2                                 (where the clouds sit)
    covariance_term = tr(S1) + tr(S2) - 2 tr((S1^(1/2) S2 S1^(1/2))^(1/2))   (their shapes)
    """
    mean_term = float((mu1.double() - mu2.double()).pow(2).sum())
    total = frechet_distance(mu1, cov1, mu2, cov2)
    return {"mean_term": mean_term, "covariance_term": total - mean_term, "fid": total}


@torch.no_grad()
def extract_features(model: torch.nn.Module, images: torch.Tensor,
                     batch_size: int = 500) -> torch.Tensor:
    """``model.features`` of ``images`` (N, C, H, W), batch by batch on the model's device,
    returned on the CPU (N, D). Any model with a ``features`` method works, for example
    ``classifier.DigitClassifier``."""
    if not hasattr(model, "features"):
        raise TypeError(f"{type(model).__name__} has no .features(images) method")
    device = module_device(model)   # the CPU if it has no weights
    chunks = [model.features(images[start:start + batch_size].to(device)).cpu()
              for start in range(0, len(images), batch_size)]
    return torch.cat(chunks)


def classifier_fid(real: torch.Tensor, fake: torch.Tensor, classifier: torch.nn.Module,
                   batch_size: int = 500) -> float:
    """FID on a classifier's features: frechet_distance of the Gaussians fitted to the
    features of ``real`` and ``fake`` images (N, C, H, W). Only comparable between runs that
    use the same classifier *and the same numbers of images* (the estimate is biased upwards,
    more so for fewer images)."""
    real_stats = feature_statistics(extract_features(classifier, real, batch_size))
    fake_stats = feature_statistics(extract_features(classifier, fake, batch_size))
    return frechet_distance(*real_stats, *fake_stats)


def feature_moments(features: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-feature mean, variance, skewness and excess kurtosis of ``features`` (N, D).

    mean_d = E x_d,  var_d = E (x_d - mean_d)^2  (population),  z = (x_d - mean_d) / sd_d,
    skew_d = E z^3,  kurt_d = E z^4 - 3   (0 for a Gaussian).
    Features that never vary (sd = 0, e.g. a ReLU unit that is always off) get skew = kurt = 0.
    Each value is a float64 tensor (D,).
    """
    if features.dim() != 2 or len(features) < 2:
        raise ValueError(f"need features of shape (N >= 2, D), got {tuple(features.shape)}")
    x = features.detach().double().cpu()
    mean = x.mean(0)
    var = (x - mean).pow(2).mean(0)
    sd = var.sqrt()
    z = (x - mean) / torch.where(sd > 0, sd, torch.ones_like(sd))
    skew = torch.where(sd > 0, z.pow(3).mean(0), torch.zeros_like(sd))
    kurt = torch.where(sd > 0, z.pow(4).mean(0) - 3, torch.zeros_like(sd))
    return {"mean": mean, "variance": var, "skewness": skew, "kurtosis": kurt}
