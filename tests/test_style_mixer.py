"""Lesson 09's style mixer, driven headlessly: its engine is a function of tensors, and the
widget is driven by setting ``.value`` on its controls (no browser)."""

from __future__ import annotations

import io

import pytest
import torch
from PIL import Image

from gan_course import stylegan
from gan_course.images import images_to_png
from gan_course.widgets.latent_controls import code_for_seed
from gan_course.widgets.style_mixer import NOISE_SEED, StyleMixer, mix_images, style_mixer

CONFIG = stylegan.StyleGANConfig(z_dim=4, w_dim=4, mapping_layers=2, channels=(4, 4, 4))


def picture(image_widget) -> bytes:
    return bytes(image_widget.value)


@pytest.fixture(scope="module")
def G() -> stylegan.StyleGenerator:
    torch.manual_seed(0)
    G = stylegan.StyleGenerator(CONFIG).eval()
    with torch.no_grad():
        G.w_avg.copy_(torch.randn(4))
        for block in G.blocks:            # some noise, so that its seed matters
            for layer in block:
                layer.noise_scale.fill_(0.3)
    return G


def test_engine_draws_a_mix_and_b_with_one_noise(G):
    z_a, z_b = torch.randn(4), torch.randn(4)
    out = mix_images(G, z_a, z_b, psi=0.5, crossover=2)
    assert out.shape == (3, 1, 16, 16)
    # an independent computation of the mix: the truncation by hand, the blocks by hand
    with torch.no_grad():
        w_a = G.w_avg + 0.5 * (G.map(z_a[None]) - G.w_avg)
        w_b = G.w_avg + 0.5 * (G.map(z_b[None]) - G.w_avg)
        noise = G.draw_noise(1, torch.Generator().manual_seed(NOISE_SEED))
        mixed = G.synthesis([w_a, w_a, w_b], noise)
        alone_b = G.synthesis([w_b, w_b, w_b], noise)
    assert torch.allclose(out[1:2], mixed, atol=1e-6)
    assert torch.allclose(out[2:3], alone_b, atol=1e-6)
    # crossover 3 takes every block from A: the mix is A
    all_a = mix_images(G, z_a, z_b, psi=0.5, crossover=3)
    assert torch.allclose(all_a[1], all_a[0], atol=1e-6)
    with pytest.raises(ValueError, match="z_fine must have shape"):
        mix_images(G, z_a, torch.randn(5), 1.0, 2)
    with pytest.raises(ValueError, match="crossover"):
        mix_images(G, z_a, z_b, 1.0, 5)


def test_widget_pictures_follow_the_controls(G):
    widget = style_mixer(G, coarse_seed=0, fine_seed=1, scale=2)
    assert isinstance(widget, StyleMixer)
    # 3 images of 16 pixels with 1-pixel gaps, scaled 2 times
    assert Image.open(io.BytesIO(picture(widget.image))).size == ((3 * 16 + 2) * 2, 32)
    first = picture(widget.image)
    expected = mix_images(G, code_for_seed(0, 4), code_for_seed(1, 4), 1.0, 2)
    assert first == images_to_png(expected, nrow=3, scale=2)
    widget.crossover.value = 1
    assert picture(widget.image) != first and "4x4 ·" in widget.status.value
    widget.crossover.value = 2
    assert picture(widget.image) == first
    widget.psi.value = 0.0
    assert picture(widget.image) != first and "psi 0.00" in widget.status.value
    widget.fine_seed.value = -3
    assert "seeds must be 0 or more" in widget.status.value
    widget.fine_seed.value = 1
    widget.psi.value = 1.0
    assert picture(widget.image) == first


def test_refuses_a_wrong_generator_and_negative_seeds(G):
    with pytest.raises(TypeError, match="style-based generator"):
        style_mixer(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="seeds must be 0 or more"):
        style_mixer(G, coarse_seed=-1)
