"""The controls that pick a latent code, shared by the explorers of lessons 02 and 03: a seed
box and sliders that move the code away from the seed's.

A seed box names a code: ``code_for_seed(seed, z_dim)`` is the same z ~ N(0, I) every time,
so a learner can write a seed down and find the same image again. ``other_seed`` is what the
explorers' *randomise* button picks. ``offset_sliders`` makes one slider per offset a_k
(the latent explorer adds a_k along direction k, the conditional explorer to coordinate k).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import torch

SEED_LIMIT = 100_000  # randomise picks seeds in 0..SEED_LIMIT-1


def code_for_seed(seed: int, z_dim: int) -> torch.Tensor:
    """The code z ~ N(0, I) of shape (z_dim,) drawn with ``torch.manual_seed(seed)``."""
    return torch.randn(z_dim, generator=torch.Generator().manual_seed(seed))


def other_seed(rng: random.Random, current: int) -> int:
    """A seed drawn uniformly from 0..SEED_LIMIT-1 with ``rng``, drawn again until it differs
    from ``current`` (so pressing randomise always changes the picture)."""
    new_seed = current
    while new_seed == current:
        new_seed = rng.randrange(SEED_LIMIT)
    return new_seed


def offset_sliders(labels: Sequence[str], slider_range: float,
                   on_change: Callable[[object], None]) -> list[widgets.FloatSlider]:
    """One slider a_k in [-slider_range, slider_range] (step 0.1, starting at 0) per label,
    each calling ``on_change(change)`` whenever its value moves, while it is dragged too."""
    sliders = []
    for label in labels:
        slider = widgets.FloatSlider(value=0.0, min=-slider_range, max=slider_range,
                                     step=0.1, description=label, continuous_update=True,
                                     style={"description_width": "initial"})
        slider.observe(on_change, names="value")
        sliders.append(slider)
    return sliders
