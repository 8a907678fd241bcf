"""The explorers' latent controls (``gan_course.widgets.latent_controls``): seeds against
torch's and Python's own generators used directly, and the offset sliders."""

from __future__ import annotations

import random

import torch

from gan_course.widgets.latent_controls import (
    SEED_LIMIT,
    code_for_seed,
    offset_sliders,
    other_seed,
)


def test_code_for_seed_is_the_global_generator_seeded_the_same():
    state = torch.get_rng_state()
    try:
        torch.manual_seed(7)
        expected = torch.randn(5)
    finally:
        torch.set_rng_state(state)
    assert torch.equal(code_for_seed(7, 5), expected)
    assert torch.equal(code_for_seed(7, 5), code_for_seed(7, 5))
    assert not torch.equal(code_for_seed(7, 5), code_for_seed(8, 5))


def test_other_seed_draws_again_until_it_differs():
    draws = random.Random(0)
    first, second = draws.randrange(SEED_LIMIT), draws.randrange(SEED_LIMIT)
    assert other_seed(random.Random(0), current=first + 1) == first  # differs: kept
    assert other_seed(random.Random(0), current=first) == second  # equal: drawn again


def test_offset_sliders_start_at_zero_and_report_every_move():
    moves = []
    sliders = offset_sliders(["a", "b"], 2.0, lambda change: moves.append(change["new"]))
    assert [s.description for s in sliders] == ["a", "b"]
    assert [(s.value, s.min, s.max) for s in sliders] == [(0.0, -2.0, 2.0)] * 2
    sliders[1].value = 1.5
    sliders[1].value = 9.0  # clipped to the range
    assert moves == [1.5, 2.0]
