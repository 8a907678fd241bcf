"""The pair explorer (lesson 08), driven headlessly by setting ``.value`` on its controls.

``Image.value`` is ``bytes`` in ipywidgets 7 and a ``memoryview`` in 8, hence ``bytes(...)``.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_course.images import images_to_png
from gan_course.pix2pix import AlwaysDropout
from gan_course.widgets.pair_explorer import pair_explorer


class Constant(nn.Module):
    """A 'generator' that answers every input with the same value everywhere."""

    def __init__(self, value: float):
        super().__init__()
        self.value = value
        self.anchor = nn.Parameter(torch.zeros(()))   # so module_device finds a device

    def forward(self, x):
        return torch.full_like(x, self.value)


@pytest.fixture
def data():
    inputs = -torch.ones(3, 1, 16, 16)
    truths = torch.stack([torch.full((1, 16, 16), v) for v in (0.0, 0.5, -0.5)])
    return inputs, truths


def test_strip_is_input_l1_gan_truth_with_errors(data):
    inputs, truths = data
    explorer = pair_explorer(Constant(0.25), Constant(-0.25), inputs, truths, scale=2)
    expected = torch.cat([inputs[:1], torch.full((1, 1, 16, 16), 0.25),
                          torch.full((1, 1, 16, 16), -0.25), truths[:1]])
    assert torch.equal(explorer.last, expected)
    assert bytes(explorer.strip.value) == images_to_png(expected, nrow=4, scale=2)
    assert "|L1 only - truth| = 0.250" in explorer.status.value
    explorer.index.value = 1   # truth 0.5: errors 0.25 and 0.75
    assert torch.equal(explorer.last[3:], truths[1:2])
    assert "|L1 only - truth| = 0.250" in explorer.status.value
    assert "|L1 + GAN - truth| = 0.750" in explorer.status.value


def test_dropout_seed_changes_the_draw_and_is_repeatable(data):
    inputs, truths = data
    noisy = nn.Sequential(AlwaysDropout(0.5), nn.Tanh())
    noisy.anchor = nn.Parameter(torch.zeros(()))
    explorer = pair_explorer(noisy, noisy, torch.full((3, 1, 16, 16), 0.5), truths)
    first = explorer.last.clone()
    assert torch.equal(first[1], first[2])   # the same seed for both models
    explorer.seed.value = 1
    assert not torch.equal(explorer.last, first)
    explorer.seed.value = 0
    assert torch.equal(explorer.last, first)


def test_refuses_bad_arguments(data):
    inputs, truths = data
    with pytest.raises(TypeError, match="l1_model"):
        pair_explorer("model", Constant(0.0), inputs, truths)
    with pytest.raises(ValueError, match="same number"):
        pair_explorer(Constant(0.0), Constant(0.0), inputs, truths[:2])
    with pytest.raises(ValueError):
        pair_explorer(Constant(0.0), Constant(0.0), torch.zeros(3, 1, 8, 8), truths)
