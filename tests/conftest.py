import matplotlib
import pytest
import torch
from torch import nn

from gan_course.domains import dilate, erode

matplotlib.use("Agg")


class _Fn(nn.Module):
    """A function as a module, with one dummy parameter so it has a device."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return self.fn(x)


class _KnownTranslator(nn.Module):
    """G_AB = the hidden transform (dilation), G_BA = erosion: grading has closed forms."""

    def __init__(self):
        super().__init__()
        self.G_AB, self.G_BA = _Fn(dilate), _Fn(erode)


@pytest.fixture
def known_translator() -> nn.Module:
    """A CycleGAN-shaped model that translates exactly as the hidden truth does."""
    return _KnownTranslator()
