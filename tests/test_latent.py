"""Latent space tools (lerp, slerp, directions, PNG grids) and the latent explorer widget.

``Image.value`` is ``bytes`` in ipywidgets 7 and a ``memoryview`` in 8, hence ``bytes(...)``.
"""

from __future__ import annotations

import io
import math

import pytest
import torch
from PIL import Image
from torch import nn

from gan_course.dcgan import DCGANGenerator
from gan_course.images import images_to_png
from gan_course.latent import latent_directions, lerp, slerp
from gan_course.widgets.latent_explorer import LatentExplorer, latent_explorer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- interpolation ------------------------------------------------------------------------------


@pytest.mark.parametrize("interpolate", [lerp, slerp])
def test_endpoints_are_the_codes(interpolate):
    z0, z1 = torch.randn(16), torch.randn(16)
    path = interpolate(z0, z1, torch.tensor([0.0, 1.0]))
    assert path.shape == (2, 16)
    assert torch.allclose(path[0], z0, atol=1e-5)
    assert torch.allclose(path[1], z1, atol=1e-5)
    assert torch.allclose(interpolate(z0, z1, 0.0), z0, atol=1e-5)


@pytest.mark.parametrize("interpolate", [lerp, slerp])
def test_batched_codes_give_one_row_per_t(interpolate):
    z0, z1 = torch.randn(3, 4), torch.randn(3, 4)
    assert interpolate(z0, z1, torch.linspace(0, 1, 5)).shape == (5, 3, 4)
    assert interpolate(z0, z1, 0.3).shape == (3, 4)


def test_slerp_keeps_the_norm_of_equal_norm_codes():
    z0, z1 = torch.randn(64, dtype=torch.float64), torch.randn(64, dtype=torch.float64)
    z1 = z1 * z0.norm() / z1.norm()
    norms = slerp(z0, z1, torch.linspace(0, 1, 11, dtype=torch.float64)).norm(dim=1)
    assert torch.allclose(norms, z0.norm().expand(11), rtol=1e-9)


def test_slerp_of_orthogonal_unit_vectors_at_half():
    e0, e1 = torch.eye(2)
    expected = (e0 + e1) / math.sqrt(2)
    assert torch.allclose(slerp(e0, e1, 0.5), expected, atol=1e-6)


def test_slerp_of_parallel_codes_falls_back_to_lerp():
    z = torch.randn(8)
    assert torch.allclose(slerp(z, 2 * z, 0.5), 1.5 * z, atol=1e-5)


def test_lerp_midpoint_of_orthogonal_codes_shrinks_by_sqrt2():
    # |(z0 + z1)/2| = sqrt(|z0|^2 + |z1|^2)/2 = sqrt(2 r^2)/2 = r / sqrt(2) when <z0, z1> = 0
    z0, z1 = 3 * torch.eye(4)[0], 3 * torch.eye(4)[1]
    assert lerp(z0, z1, 0.5).norm().item() == pytest.approx(3 / math.sqrt(2))


def test_interpolation_refuses_bad_shapes():
    with pytest.raises(ValueError, match="same shape"):
        lerp(torch.zeros(3), torch.zeros(4), 0.5)
    with pytest.raises(ValueError, match=r"\(T,\)"):
        slerp(torch.zeros(3), torch.ones(3), torch.zeros(2, 2))


# --- directions ---------------------------------------------------------------------------------


class LinearToyGenerator(nn.Module):
    """x = A z as a 1 x 4 x 4 image. A (16, 6) has orthogonal columns of norms 1, 1, 1, 1, 2, 5,
    so the images vary most along z's last coordinate, then along the one before."""

    z_dim = 6

    def __init__(self):
        super().__init__()
        q, _ = torch.linalg.qr(torch.randn(16, 16, generator=torch.Generator().manual_seed(1)))
        self.register_buffer("A", q[:, :6] * torch.tensor([1.0, 1.0, 1.0, 1.0, 2.0, 5.0]))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (z @ self.A.T).reshape(-1, 1, 4, 4)


def test_latent_directions_are_unit_vectors():
    G = DCGANGenerator(z_dim=8, image_size=16, width=8)
    directions = latent_directions(G, n_directions=3, n_samples=300,
                                   generator=torch.Generator().manual_seed(0))
    assert directions.shape == (3, 8)
    assert torch.allclose(directions.norm(dim=1), torch.ones(3), atol=1e-5)
    assert not G.training


def test_latent_directions_of_a_linear_generator():
    G = LinearToyGenerator()
    directions = latent_directions(G, n_directions=2, n_samples=1000,
                                   generator=torch.Generator().manual_seed(0))
    assert abs(directions[0, 5].item()) == pytest.approx(1.0, abs=1e-3)  # the norm-5 column
    assert abs(directions[1, 4].item()) == pytest.approx(1.0, abs=1e-3)  # then the norm-2 one


def test_latent_directions_refuses_too_many():
    with pytest.raises(ValueError, match="n_directions"):
        latent_directions(LinearToyGenerator(), n_directions=7)


# --- PNG grid -----------------------------------------------------------------------------------


@pytest.mark.parametrize("channels, mode", [(1, "L"), (3, "RGB")])
def test_images_to_png_size_and_mode(channels, mode):
    images = torch.rand(5, channels, 6, 4) * 2 - 1
    png = images_to_png(images, nrow=3, scale=2, padding=1)
    assert png.startswith(PNG_SIGNATURE)
    picture = Image.open(io.BytesIO(png))
    # 3 columns: (3 * 4 + 2 * 1) * 2 wide; 2 rows: (2 * 6 + 1 * 1) * 2 high
    assert picture.size == (28, 26)
    assert picture.mode == mode


def test_images_to_png_pixel_values():
    images = torch.tensor([-1.0, 0.0, 1.0]).reshape(1, 1, 1, 3)
    picture = Image.open(io.BytesIO(images_to_png(images, nrow=1, scale=1)))
    assert picture.tobytes() == bytes([0, 128, 255])


def test_images_to_png_refuses_two_channels():
    with pytest.raises(ValueError, match="1 or 3"):
        images_to_png(torch.zeros(1, 2, 4, 4), nrow=1, scale=1)


# --- the widget ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def explorer():
    torch.manual_seed(0)
    G = DCGANGenerator(z_dim=8, image_size=16, width=8)
    return latent_explorer(G, n_directions=3, seed=0, scale=2)


def picture(image_widget) -> bytes:
    return bytes(image_widget.value)


def test_widget_shows_a_png(explorer):
    assert isinstance(explorer, LatentExplorer)
    assert picture(explorer.image).startswith(PNG_SIGNATURE)
    assert Image.open(io.BytesIO(picture(explorer.image))).size == (32, 32)
    assert len(explorer.sliders) == 3


def test_slider_moves_the_code_and_the_image(explorer):
    before, code_before = picture(explorer.image), explorer.current_code()
    explorer.sliders[0].value = 2.0
    assert picture(explorer.image) != before
    moved = explorer.current_code() - code_before
    assert torch.allclose(moved, 2.0 * explorer.directions[0], atol=1e-5)
    explorer.zero_sliders()
    assert picture(explorer.image) == before


def test_seed_and_randomise_change_the_image(explorer):
    first = picture(explorer.image)
    explorer.seed.value = 7
    second = picture(explorer.image)
    assert second != first
    explorer.randomise()
    assert explorer.seed.value != 7
    assert picture(explorer.image) != second


def test_t_slider_and_mode_change_the_interpolation(explorer):
    explorer.t_slider.value = 0.0
    at_a = picture(explorer.interp_image)
    explorer.t_slider.value = 0.5
    halfway = picture(explorer.interp_image)
    assert halfway != at_a
    slerp_norm = explorer.interp_info.value
    explorer.mode.value = "lerp"  # the midpoint of the straight line is shorter
    assert explorer.interp_info.value != slerp_norm
    explorer.mode.value = "slerp"


def test_negative_seed_shows_a_message(explorer):
    explorer.seed.value = 3
    shown = picture(explorer.image)
    explorer.seed.value = -1  # must not raise
    assert "seed must be 0 or more" in explorer.status.value
    assert picture(explorer.image) == shown
    explorer.seed_b.value = -5
    assert "seed B must be 0 or more" in explorer.status.value
    explorer.seed.value, explorer.seed_b.value = 3, 2
    assert "must be" not in explorer.status.value


def test_response_ms_times_a_twin_and_leaves_the_shown_sliders_alone(explorer):
    """In a browser, moving the displayed sliders made one open at an old value: time a twin."""
    explorer.sliders[1].value = 0.7
    before_image = picture(explorer.image)
    seen = []
    explorer.sliders[0].observe(lambda change: seen.append(change["new"]), names="value")
    assert explorer.response_ms(repeats=5) > 0
    assert seen == [] and explorer.sliders[0].value == 0.0 and explorer.sliders[1].value == 0.7
    assert picture(explorer.image) == before_image


def test_pictures_keep_their_proportions_and_fit_the_width(explorer):
    for image in (explorer.image, explorer.interp_image, explorer.path_image):
        assert image.layout.max_width == "calc(100% - 4px)" and image.layout.height == "auto"
        assert image.layout.object_fit == "contain"
    assert explorer.path_image in explorer.children  # its own row, not beside another image
