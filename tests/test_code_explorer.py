"""Lesson 10's code explorer, driven headlessly: its engine is a function of tensors, and the
widget is driven by setting ``.value`` on its controls (no browser)."""

from __future__ import annotations

import io

import pytest
import torch
from PIL import Image

from gan_course import infogan
from gan_course.images import images_to_png
from gan_course.widgets.code_explorer import CodeExplorer, code_explorer, code_images

CONFIG = infogan.InfoGANConfig(z_dim=4, width=8)


def picture(image_widget) -> bytes:
    return bytes(image_widget.value)


@pytest.fixture(scope="module")
def G() -> infogan.InfoGenerator:
    torch.manual_seed(0)
    return infogan.InfoGenerator(CONFIG).eval()


def test_engine_is_G_of_each_value_alone(G):
    z, continuous = torch.randn(4), torch.tensor([0.5, -0.3])
    strip = code_images(G, z, continuous)
    assert strip.shape == (10, 1, 16, 16)
    with torch.no_grad():
        alone = G(z[None], torch.tensor([7]), continuous[None])
    assert torch.allclose(strip[7:8], alone, atol=1e-6)
    with pytest.raises(ValueError, match="z must have shape"):
        code_images(G, torch.randn(5), continuous)
    with pytest.raises(ValueError, match="continuous must have shape"):
        code_images(G, z, torch.zeros(3))


def test_widget_pictures_follow_the_controls(G):
    widget = code_explorer(G, seed=0, scale=2)
    assert isinstance(widget, CodeExplorer) and len(widget.sliders) == 2
    assert Image.open(io.BytesIO(picture(widget.image))).size == (32, 32)
    image, strip = picture(widget.image), picture(widget.strip_image)
    widget.category_picker.value = 3
    assert picture(widget.image) != image and picture(widget.strip_image) == strip
    assert "code k = 3" in widget.status.value
    expected = code_images(G, widget._z, widget.continuous())[3:4]
    assert picture(widget.image) == images_to_png(expected, nrow=1, scale=2)
    widget.sliders[1].value = 0.8
    assert widget.continuous().tolist() == pytest.approx([0.0, 0.8])
    assert picture(widget.strip_image) != strip
    widget.sliders[1].value = 0.0
    assert picture(widget.strip_image) == strip


def test_seed_randomise_and_refused_seed(G):
    widget = code_explorer(G, seed=1, scale=1)
    first = picture(widget.image)
    widget.seed.value = 5
    assert picture(widget.image) != first
    widget.randomise()
    assert widget.seed.value != 5
    shown = picture(widget.image)
    widget.seed.value = -2
    assert "seed must be 0 or more" in widget.status.value
    assert picture(widget.image) == shown
    assert widget.response_ms(repeats=3) > 0


def test_bad_arguments():
    with pytest.raises(TypeError, match="an InfoGAN generator"):
        CodeExplorer(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="seed"):
        CodeExplorer(infogan.InfoGenerator(CONFIG), seed=-1)
