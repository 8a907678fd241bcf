"""Two unpaired image domains made by code, with a hidden correspondence kept for grading
(lesson 04 trains and grades its CycleGAN on them; ``cyclegan.grade_translation``, the
translation explorer widget and ``tools/train_weights.py cyclegan-digits`` use them too).

Domain A is the course's 16 x 16 digits: thin white ink on black, values in [-1, 1].
Domain B is the same kind of digit restyled in **bold**:

    T(x) = dilate(x),    dilate(x)[i, j] = max of x over the 3 x 3 window around (i, j),

so every stroke grows by one pixel on each side (the share of inked pixels goes from about
30 % to about 50 %) and small holes (the loop of a 6, the gap in a 4) shrink or close.
Dilation is spatial: a pixel of B depends on its neighbours in A, so no pixel-by-pixel rule
translates between the domains. (An earlier design also swapped black and white; the
identity loss below then fights the translation, since it asks G_AB to leave white-on-black
images alone, so we kept the colours.)

The training sets are **unpaired**: A is one half of the training digits and B is T applied
to the *other* half, shuffled, so no training image of A has its twin in B. The pairing is
used only to grade a translator on held-out digits: the true translation of a is T(a).

T cannot be undone exactly (dilation forgets thin gaps), but erosion (the 3 x 3 minimum)
undoes it up to a *closing*: ``read_b(T(x)) = erode(dilate(x))``, which the evaluation
classifier reads almost as well as the originals. ``read_b`` is how the course reads a
B-domain image back as a digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gan_course.digits import load_digits
from gan_course.images import check_images

IMAGE_SIZE = 16
CHANNELS = 1
STROKE = 3  # the dilation window: 3 x 3


def check_domain_images(x: object, what: str = "images") -> None:
    """Refuse anything but float images (N, 1, 16, 16) with values in [-1, 1], saying why."""
    check_images(x, CHANNELS, IMAGE_SIZE, what, in_range=True)


def dilate(x: torch.Tensor, size: int = STROKE) -> torch.Tensor:
    """Grey-scale dilation: the maximum over a size x size window (edges padded with the
    smallest value, so they never win). (N, C, H, W) -> (N, C, H, W); size must be odd."""
    if size % 2 == 0 or size < 1:
        raise ValueError(f"size must be an odd positive integer, got {size}")
    return F.max_pool2d(x, size, stride=1, padding=size // 2)


def erode(x: torch.Tensor, size: int = STROKE) -> torch.Tensor:
    """Grey-scale erosion: the minimum over a size x size window, -dilate(-x)."""
    return -dilate(-x, size)


def to_domain_b(a: torch.Tensor) -> torch.Tensor:
    """The hidden translation T(a) = dilate(a): bold strokes. (N, 1, 16, 16) -> same."""
    check_domain_images(a, "domain-A images")
    return dilate(a)


def read_b(b: torch.Tensor) -> torch.Tensor:
    """Read a B-domain image back as an A-style digit for the classifier: erode(b).
    On true translations read_b(T(a)) = erode(dilate(a)), the closing of a."""
    check_domain_images(b, "domain-B images")
    return erode(b)


@dataclass(frozen=True)
class UnpairedDomains:
    """Training images of A and B with no pairing between them.

    a: (N_a, 1, 16, 16) and b: (N_b, 1, 16, 16) in [-1, 1]. The labels are kept for
    inspection only (``labels_a[i]`` is the digit in ``a[i]``); training never sees them.
    """

    a: torch.Tensor
    b: torch.Tensor
    labels_a: torch.Tensor
    labels_b: torch.Tensor


@dataclass(frozen=True)
class PairedTest:
    """Held-out digits with their hidden true translations, for grading only.

    a: (N, 1, 16, 16); b: T(a), same shape, b[i] is the twin of a[i]; labels: (N,).
    """

    a: torch.Tensor
    b: torch.Tensor
    labels: torch.Tensor


def make_unpaired_domains(seed: int = 0) -> UnpairedDomains:
    """Split the training digits at random into two halves; A = first half as they are,
    B = T(second half), shuffled. The same seed gives the same split on every machine."""
    train = load_digits(IMAGE_SIZE, "train")
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))
    half = len(order) // 2
    index_a, index_b = order[:half], order[half:]
    return UnpairedDomains(train.images[index_a], to_domain_b(train.images[index_b]),
                           train.labels[index_a], train.labels[index_b])


def make_paired_test() -> PairedTest:
    """The held-out digits and their true translations T(a)."""
    held = load_digits(IMAGE_SIZE, "heldout")
    return PairedTest(held.images, to_domain_b(held.images), held.labels)
