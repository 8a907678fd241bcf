"""Known ways to spoil real images, to see which failures each metric catches (lesson 06).

Each function takes real images (N, C, H, W) in [-1, 1] and returns a new set that mimics
one failure of a generator:

* ``blur``:            soft, detail-free samples (a Gaussian filter);
* ``add_noise``:       grainy samples (Gaussian pixel noise);
* ``drop_class``:      a generator that never draws one class (missing a mode);
* ``memorised_copies``: a generator that returns its training images;
* ``collapse``:        a generator that draws a few images over and over (mode collapse).

``balanced_subset`` draws the same number of images from every class, for reference sets.

Randomness comes from an explicit ``torch.Generator``, so every set can be reproduced.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gan_course.images import check_images


def _take(n: int, available: int, generator: torch.Generator | None) -> torch.Tensor:
    """n distinct random indices out of ``available``."""
    if not 1 <= n <= available:
        raise ValueError(f"asked for {n} images but only {available} are available")
    return torch.randperm(available, generator=generator)[:n]


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """1-D Gaussian weights (2r + 1,), r = ceil(3 sigma): w_t = exp(-t^2 / (2 sigma^2)) / sum."""
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    radius = math.ceil(3 * sigma)
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    weights = torch.exp(-t.pow(2) / (2 * sigma**2))
    return weights / weights.sum()


def blur(images: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """Gaussian blur of ``images`` (N, C, H, W) with standard deviation ``sigma`` pixels, same
    shape out: one pass along the rows, one along the columns, since the 2-D Gaussian is
    separable, out[y, x] = sum_s sum_t w_s w_t in[y + s, x + t]. Edges repeat the border pixel."""
    check_images(images)
    weights = gaussian_kernel(sigma).to(images.device, images.dtype)
    channels, radius = images.shape[1], len(weights) // 2
    rows = weights.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)      # (C, 1, 1, K)
    cols = weights.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)      # (C, 1, K, 1)
    x = F.pad(images, (radius, radius, radius, radius), mode="replicate")
    x = F.conv2d(x, rows, groups=channels)
    return F.conv2d(x, cols, groups=channels)


def add_noise(images: torch.Tensor, std: float = 0.3,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """clip(x + std * e, -1, 1) with e ~ N(0, 1) drawn per pixel of ``images`` (N, C, H, W)."""
    check_images(images)
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    noise = torch.randn(images.shape, generator=generator).to(images.device, images.dtype)
    return (images + std * noise).clamp(-1.0, 1.0)


def drop_class(images: torch.Tensor, labels: torch.Tensor, dropped: int, n: int | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """The images (N, C, H, W) whose label (N,) is not ``dropped``, (N_kept, C, H, W); with
    ``n``, a random n of them (no repeats), (n, C, H, W)."""
    check_images(images)
    if labels.shape != (len(images),):
        raise ValueError(f"need one label per image: labels {tuple(labels.shape)}, "
                         f"images {len(images)}")
    kept = images[labels != dropped]
    if n is None:
        return kept
    return kept[_take(n, len(kept), generator)]


def balanced_subset(labels: torch.Tensor, n: int, generator: torch.Generator | None = None,
                    exclude: torch.Tensor | None = None) -> torch.Tensor:
    """Indices (n,) of n distinct items, n / K from each of the K classes in ``labels`` (N,),
    none of them in ``exclude``. Class proportions that wobble from draw to draw move every
    metric, so reference sets are best drawn this way. n must be a multiple of K."""
    classes = torch.unique(labels)
    if n % len(classes):
        raise ValueError(f"n = {n} is not a multiple of the {len(classes)} classes")
    allowed = torch.ones(len(labels), dtype=torch.bool)
    if exclude is not None:
        allowed[exclude] = False
    chosen = []
    for k in classes.tolist():
        pool = torch.nonzero(allowed & (labels == k)).flatten()
        chosen.append(pool[_take(n // len(classes), len(pool), generator)])
    chosen = torch.cat(chosen)
    return chosen[torch.randperm(n, generator=generator)]    # classes mixed, not in blocks


def memorised_copies(train: torch.Tensor, n: int, generator: torch.Generator | None = None,
                     exclude: torch.Tensor | None = None,
                     labels: torch.Tensor | None = None) -> torch.Tensor:
    """n distinct training images (n, C, H, W) of ``train`` (N, C, H, W), returned unchanged:
    what a generator that memorised its training set would draw. ``exclude``: indices of
    ``train`` not to use (for example the ones that serve as the real reference set). With
    ``labels`` (N,), every class gets the same share (see ``balanced_subset``)."""
    check_images(train, what="train")
    if labels is not None:
        return train[balanced_subset(labels, n, generator, exclude)]
    allowed = torch.ones(len(train), dtype=torch.bool)
    if exclude is not None:
        allowed[exclude] = False
    pool = torch.nonzero(allowed).flatten()
    return train[pool[_take(n, len(pool), generator)]]


def collapse(images: torch.Tensor, n: int, n_distinct: int = 1,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """n images (n, C, H, W) made of only ``n_distinct`` different ones of ``images`` (N, C, H,
    W): out_i = chosen_(i mod n_distinct), so each is repeated about n / n_distinct times, as
    from a generator whose output hardly depends on z."""
    check_images(images)
    if n < n_distinct:
        raise ValueError(f"need n >= n_distinct, got n={n}, n_distinct={n_distinct}")
    chosen = images[_take(n_distinct, len(images), generator)]
    return chosen[torch.arange(n) % n_distinct]
