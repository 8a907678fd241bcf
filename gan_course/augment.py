"""Differentiable augmentation for the discriminator, for GANs trained on few images
(lesson 02 introduces it; lesson 03's conditional GAN and lesson 07's DCGANs train with it).

With only ~1,400 training digits, a discriminator soon memorises them, and its feedback to
the generator degrades. DiffAugment (Zhao et al., 2020) transforms *both* real and generated
images the same random way before the discriminator sees them. The transform here is a
random translation by up to ``max_shift`` pixels, made of padding and indexing, so the
generator's gradient flows through it unchanged. Only the discriminator's input is
augmented: the generator still learns to draw un-shifted digits, because shifted real
digits are what the discriminator calls real, and the shift is applied to fakes as well.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def random_shift(images: torch.Tensor, max_shift: int,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Translate each image by (dy, dx) ~ Uniform{-s..s}^2, filling with background -1.

    (N, C, H, W) -> (N, C, H, W); out[n, :, i, j] = padded[n, :, i + dy_n + s, j + dx_n + s].
    """
    if max_shift == 0:
        return images
    n, _, height, width = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=-1.0)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator)
    rows = torch.arange(height)[None, :] + offsets[0][:, None]  # (N, H)
    cols = torch.arange(width)[None, :] + offsets[1][:, None]   # (N, W)
    rows, cols = rows.to(images.device), cols.to(images.device)
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


class ShiftAugment(nn.Module):
    """Wrap a discriminator: in training mode, shift its images first; in eval mode, don't.

    Anything after the images (a conditional discriminator's labels) is passed on unchanged.
    """

    def __init__(self, discriminator: nn.Module, max_shift: int = 1):
        super().__init__()
        if not isinstance(max_shift, int) or max_shift < 0:
            raise ValueError(f"max_shift must be a non-negative integer, got {max_shift!r}")
        self.discriminator = discriminator
        self.max_shift = max_shift

    def forward(self, images: torch.Tensor, *conditions: torch.Tensor) -> torch.Tensor:
        if self.training:
            images = random_shift(images, self.max_shift)
        return self.discriminator(images, *conditions)
