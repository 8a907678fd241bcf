"""The conditional explorer widget, driven headlessly by setting ``.value`` on its controls.

``Image.value`` is ``bytes`` in ipywidgets 7 and a ``memoryview`` in 8, hence ``bytes(...)``.
"""

from __future__ import annotations

import io

import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from gan_course.images import images_to_png
from gan_course.widgets.conditional_explorer import ConditionalExplorer, conditional_explorer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class StandInGenerator(nn.Module):
    """tanh(W [z, one_hot(label)] + b) as a 1 x 16 x 16 image: the ConditionalGenerator's API."""

    def __init__(self, z_dim: int = 32, n_classes: int = 10, image_size: int = 16) -> None:
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        self.image_size, self.channels = image_size, 1
        self.linear = nn.Linear(z_dim + n_classes, image_size * image_size)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        inputs = torch.cat([z, F.one_hot(labels, self.n_classes).float()], dim=1)
        return torch.tanh(self.linear(inputs)).reshape(-1, 1, self.image_size, self.image_size)


@pytest.fixture(scope="module")
def explorer() -> ConditionalExplorer:
    torch.manual_seed(0)
    return conditional_explorer(StandInGenerator().train(), seed=0, n_sliders=3, scale=2)


def picture(image_widget) -> bytes:
    return bytes(image_widget.value)


def test_widget_shows_the_image_and_the_sweep(explorer):
    assert isinstance(explorer, ConditionalExplorer)
    assert not explorer.G.training
    assert len(explorer.sliders) == 3
    assert Image.open(io.BytesIO(picture(explorer.image))).size == (32, 32)
    # 10 images of 16 px with 9 gaps of 1 px, times scale 2
    assert Image.open(io.BytesIO(picture(explorer.sweep_image))).size == (2 * 169, 32)
    assert picture(explorer.sweep_image).startswith(PNG_SIGNATURE)


def test_main_image_is_G_of_the_code_and_class(explorer):
    explorer.class_picker.value = 4
    with torch.no_grad():
        alone = explorer.G(explorer.current_code()[None], torch.tensor([4]))
    assert picture(explorer.image) == images_to_png(alone, nrow=1, scale=2)
    explorer.class_picker.value = 0


def test_class_changes_the_image_but_not_the_sweep(explorer):
    image, sweep = picture(explorer.image), picture(explorer.sweep_image)
    explorer.class_picker.value = 7
    assert picture(explorer.image) != image
    assert picture(explorer.sweep_image) == sweep
    assert "class 7" in explorer.status.value
    explorer.class_picker.value = 0
    assert picture(explorer.image) == image


def test_slider_moves_one_coordinate_and_both_pictures(explorer):
    image, sweep, code = picture(explorer.image), picture(explorer.sweep_image), \
        explorer.current_code()
    explorer.sliders[1].value = 2.0
    assert picture(explorer.image) != image
    assert picture(explorer.sweep_image) != sweep
    assert torch.allclose(explorer.current_code() - code, 2.0 * torch.eye(32)[1])
    explorer.sliders[1].value = 0.0
    assert picture(explorer.image) == image


def test_seed_and_randomise_change_the_image(explorer):
    first = picture(explorer.image)
    explorer.seed.value = 7
    second = picture(explorer.image)
    assert second != first
    explorer.randomise()
    assert explorer.seed.value != 7
    assert picture(explorer.image) != second


def test_negative_seed_shows_a_message(explorer):
    explorer.seed.value = 3
    shown, sweep = picture(explorer.image), picture(explorer.sweep_image)
    explorer.seed.value = -1  # must not raise
    assert "seed must be 0 or more" in explorer.status.value
    assert "#b00020" in explorer.status.value
    assert picture(explorer.image) == shown
    assert picture(explorer.sweep_image) == sweep
    explorer.seed.value = 3
    assert "must be" not in explorer.status.value


def test_response_ms_is_positive(explorer):
    before = picture(explorer.image)
    assert explorer.response_ms(repeats=5) > 0
    assert picture(explorer.image) == before


def test_class_names_and_bad_arguments():
    names = ["zero", "one", "two"]
    widget = ConditionalExplorer(StandInGenerator(z_dim=4, n_classes=3), n_sliders=0,
                                 class_names=names)
    assert [label for label, _ in widget.class_picker.options] == names
    with pytest.raises(ValueError, match="one class name per class"):
        ConditionalExplorer(StandInGenerator(n_classes=3), class_names=["a"])
    with pytest.raises(ValueError, match="n_sliders"):
        ConditionalExplorer(StandInGenerator(z_dim=4), n_sliders=5)


def test_with_the_real_conditional_generator():
    conditional = pytest.importorskip("gan_course.conditional")
    torch.manual_seed(0)
    G = conditional.ConditionalGenerator(z_dim=8, n_classes=10, image_size=16, width=8)
    widget = conditional_explorer(G, n_sliders=2, scale=1)
    image, sweep = picture(widget.image), picture(widget.sweep_image)
    widget.class_picker.value = 3
    assert picture(widget.image) != image
    assert picture(widget.sweep_image) == sweep
    widget.sliders[0].value = 1.5
    assert picture(widget.sweep_image) != sweep
