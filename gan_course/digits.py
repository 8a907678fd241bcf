"""The UCI handwritten digits, shipped with the course: real images that need no download
(the data of lessons 02 to 07).

1,797 grey-scale digits of 8 x 8 pixels (values 0..16) with labels 0..9; see
``gan_course/data/README.md`` for the source and licence. ``load_digits`` returns them as
float tensors in [-1, 1], resized to the size the lesson asks for, with a fixed
train / held-out split (80 / 20 within every class, the same on every machine).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

DATA_FILE = Path(__file__).parent / "data" / "uci_digits.npz"
SIZES = (8, 16, 32)
SPLITS = ("train", "heldout", "all")
HELDOUT_SHARE = 0.2


@dataclass(frozen=True)
class ImageData:
    """images: (N, C, H, W) float in [-1, 1].  labels: (N,) int64."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


def _raw() -> tuple[torch.Tensor, torch.Tensor]:
    with np.load(DATA_FILE) as archive:
        images = torch.from_numpy(archive["images"].astype(np.float32))
        labels = torch.from_numpy(archive["labels"].astype(np.int64))
    return images, labels


def split_indices(labels: torch.Tensor, split: str) -> torch.Tensor:
    """Indices (M,) into ``labels`` (N,) of ``split``: within each class a fixed shuffle
    (seed 0); the first 20 % of it are held out, the rest are for training."""
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}. Valid choices: {', '.join(SPLITS)}")
    if split == "all":
        return torch.arange(len(labels))
    rng = torch.Generator().manual_seed(0)
    chosen = []
    for digit in range(10):
        members = torch.nonzero(labels == digit).flatten()
        members = members[torch.randperm(len(members), generator=rng)]
        n_held = round(HELDOUT_SHARE * len(members))
        chosen.append(members[:n_held] if split == "heldout" else members[n_held:])
    return torch.sort(torch.cat(chosen)).values


def load_digits(size: int = 16, split: str = "train") -> ImageData:
    """The digits as images (N, 1, size, size) in [-1, 1] (background -1, ink +1).

    size: 8 (the originals), 16 or 32 (bilinear upsampling of the originals); an integer.
    split: ``train`` (1,438 images), ``heldout`` (359) or ``all`` (1,797); the held-out
    share is 20 % of each class, rounded (``split_indices``).
    Pixel map: x = value / 8 - 1, so 0 -> -1 and 16 -> +1.
    """
    if not isinstance(size, (int, np.integer)) or isinstance(size, (bool, np.bool_)) \
            or size not in SIZES:
        hint = (f": the size is a whole number of pixels, write size={int(size)}"
                if isinstance(size, float) and size in SIZES else "")
        raise ValueError(f"Unsupported size {size!r}{hint}. Valid choices: "
                         f"{', '.join(map(str, SIZES))}")
    size = int(size)
    images, labels = _raw()
    keep = split_indices(labels, split)
    images = images[keep].unsqueeze(1) / 8.0 - 1.0
    if size != 8:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    return ImageData(images.clamp(-1.0, 1.0), labels[keep])
