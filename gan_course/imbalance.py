"""Class-imbalanced training sets, and how a generator's class shares compare with them
(lesson 07, part 3: what a GAN does with a rare class).

A GAN learns the distribution of its training data, imbalance included. To see what it does
with a rare class we make one on purpose: keep every image of the other classes and only a
fraction of one (the *minority*), then compare class shares

    share_k = 100 * n_k / sum_j n_j      (per cent)

of the training labels with those of the generated images (as the classifier labels them).
The ratio generated share / training share is 1 if the generator reproduces the imbalance,
above 1 if it evens it out, below 1 if it amplifies it (and 0 if it drops the class).
"""

from __future__ import annotations

import torch

from gan_course.digits import ImageData


def keep_fraction_of_class(data: ImageData, minority: int, fraction: float,
                           seed: int = 0) -> ImageData:
    """All images of the other classes and round(fraction * n) random images of ``minority``
    (at least one), in their original order."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    members = torch.nonzero(data.labels == minority).flatten()
    if len(members) == 0:
        raise ValueError(f"class {minority} does not occur in the labels")
    n_keep = max(1, round(fraction * len(members)))
    chosen = members[torch.randperm(len(members), generator=torch.Generator().manual_seed(seed))]
    keep = torch.ones(len(data.labels), dtype=torch.bool)
    keep[chosen[n_keep:]] = False
    return ImageData(data.images[keep], data.labels[keep])


def class_shares(labels_or_counts: torch.Tensor, n_classes: int = 10,
                 counts: bool = False) -> torch.Tensor:
    """Per-cent share of each class (n_classes,), float64, summing to 100.

    labels_or_counts: integer labels (N,), or per-class counts (n_classes,) with counts=True.
    """
    values = torch.as_tensor(labels_or_counts)
    if counts:
        if values.shape != (n_classes,):
            raise ValueError(f"counts must have shape ({n_classes},), got {tuple(values.shape)}")
        tally = values.double()
    else:
        if values.dim() != 1 or values.is_floating_point():
            raise ValueError("labels must be a 1-d integer tensor (pass counts=True for counts)")
        tally = torch.bincount(values, minlength=n_classes).double()
    total = tally.sum()
    if total <= 0:
        raise ValueError("no labels to count")
    return 100.0 * tally / total
