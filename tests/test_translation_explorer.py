"""The translation explorer, driven headlessly by setting ``.value`` on its controls.

``Image.value`` is ``bytes`` in ipywidgets 7 and a ``memoryview`` in 8, hence ``bytes(...)``.
"""

from __future__ import annotations

import io

import pytest
import torch
from PIL import Image
from torch import nn

from gan_course.cyclegan import CycleGAN, CycleGANConfig
from gan_course.domains import PairedTest, dilate, erode, make_paired_test
from gan_course.images import images_to_png
from gan_course.widgets.translation_explorer import TranslationExplorer, translation_explorer


@pytest.fixture(scope="module")
def test_pairs() -> PairedTest:
    full = make_paired_test()
    return PairedTest(full.a[:6], full.b[:6], full.labels[:6])


def picture(widget) -> bytes:
    return bytes(widget.strip.value)


def test_strip_is_input_translation_reconstruction_truth(test_pairs, known_translator):
    explorer = translation_explorer(known_translator, test_pairs, scale=2)
    a = test_pairs.a[:1]
    expected = torch.cat([a, dilate(a), erode(dilate(a)), test_pairs.b[:1]])
    assert torch.equal(explorer.last, expected)
    assert picture(explorer) == images_to_png(expected, nrow=4, scale=2)
    assert Image.open(io.BytesIO(picture(explorer))).size == (2 * (4 * 17 - 1), 32)
    assert "|G(x) - truth| = 0.000" in explorer.status.value  # dilation is the truth


def test_domain_and_index_controls(test_pairs, known_translator):
    explorer = translation_explorer(known_translator, test_pairs, scale=1)
    first = picture(explorer)
    explorer.index.value = 3
    assert torch.equal(explorer.last[0:1], test_pairs.a[3:4])
    explorer.domain.value = "B"
    b = test_pairs.b[3:4]
    assert torch.equal(explorer.last, torch.cat([b, erode(b), dilate(erode(b)),
                                                 test_pairs.a[3:4]]))
    assert "B image 3" in explorer.status.value
    explorer.domain.value, explorer.index.value = "A", 0
    assert picture(explorer) == first
    assert explorer.index.max == 5


def test_own_input_is_checked(test_pairs, known_translator):
    explorer = translation_explorer(known_translator, test_pairs, scale=1)
    explorer.show_input(test_pairs.a[2])          # (1, 16, 16) is accepted
    assert torch.equal(explorer.last[1:2], dilate(test_pairs.a[2:3]))
    assert len(explorer.last) == 3                # no truth given
    with pytest.raises(ValueError, match="3 channels where 1"):
        explorer.show_input(torch.zeros(1, 3, 16, 16))
    with pytest.raises(ValueError, match=r"\(N, 1, 16, 16\)"):
        explorer.show_input(torch.zeros(1, 1, 28, 28))
    with pytest.raises(ValueError, match="one image"):
        explorer.show_input(test_pairs.a[:2])


def test_bad_model_or_data(known_translator):
    with pytest.raises(TypeError, match="G_AB"):
        TranslationExplorer(nn.Linear(2, 2), make_paired_test())
    with pytest.raises(ValueError, match="3 channels"):
        bad = PairedTest(torch.zeros(2, 3, 16, 16), torch.zeros(2, 3, 16, 16), torch.zeros(2))
        TranslationExplorer(known_translator, bad)


def test_with_a_real_cyclegan(test_pairs):
    torch.manual_seed(0)
    model = CycleGAN.from_config(CycleGANConfig(width=4, n_blocks=1, d_width=4)).train()
    explorer = translation_explorer(model, test_pairs, scale=1)
    assert not model.G_AB.training
    assert explorer.last.shape == (4, 1, 16, 16)
    before = picture(explorer)
    explorer.index.value = 1
    assert picture(explorer) != before
