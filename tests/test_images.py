import base64
import io
import re

import matplotlib.pyplot as plt
import pytest
import torch
from PIL import Image

from gan_course.images import (
    animate_images,
    check_images,
    image_grid,
    offline_player,
    show_images,
)


def test_grid_layout_and_pixel_mapping():
    images = torch.stack([torch.full((1, 2, 2), v) for v in (-1.0, 0.0, 1.0)])
    grid = image_grid(images, nrow=2, padding=1)
    assert grid.shape == (1, 5, 5)
    assert grid[0, 0, 0] == 0 and grid[0, 0, 3] == 128 and grid[0, 3, 0] == 255
    assert grid[0, 2, 2] == 128  # padding is mid-grey


def test_show_and_animate():
    frames = [torch.rand(4, 1, 8, 8) * 2 - 1 for _ in range(3)]
    show_images(frames[0], nrow=2, title="x")
    plt.close("all")
    html = animate_images(frames, [0, 10, 20], nrow=2)
    assert html.count("data:image/png;base64") >= 3
    with pytest.raises(ValueError):
        animate_images(frames, [0])


def assert_plays_offline(html: str) -> None:
    """No address to load anything from, no Font Awesome icon, and every button of the
    player (slower, first, previous, backwards, pause, play, next, last, faster) labelled."""
    assert "http" not in html and "font-awesome" not in html
    assert not re.search(r'class="[^"]*\bfa\b', html)
    labels = [re.sub(r"<[^>]*>", "", inner).strip()
              for inner in re.findall(r"<button[^>]*>(.*?)</button>", html, flags=re.S)]
    assert len(labels) == 9 and all(labels)
    assert "\u25b6\ufe0e" in labels and "\u275a\u275a" in labels  # play, pause


def test_animation_player_works_offline_with_large_frames():
    html = animate_images([torch.zeros(2, 1, 8, 8), torch.ones(2, 1, 8, 8)], [0, 5], nrow=2)
    assert_plays_offline(html)
    first = re.search(r'"data:image/png;base64,([^"]*)"', html).group(1)
    frame = Image.open(io.BytesIO(base64.b64decode(re.sub(r"[\\\s]", "", first))))
    # two 8 x 8 images and a gap of 1: 17 pixels, each drawn ceil(48 / 8) = 6 times as wide;
    # one grid row of 8 pixels, 6 times as tall, under a 24-pixel band for the title
    assert frame.size == (17 * 6, 8 * 6 + 24)


def test_offline_player_replaces_each_icon():
    page = ('<link rel="stylesheet"\nhref="https://cdn.example/font-awesome.min.css">\n'
            '<button title="Play"><i class="fa fa-play"></i></button>'
            '<button title="Back"><i class="fa fa-play fa-flip-horizontal"></i></button>'
            '<button title="?">\n  <i class="fa fa-rocket"></i></button>')
    assert offline_player(page) == ('<button title="Play">\u25b6\ufe0e</button>'
                                    '<button title="Back">\u25c0\ufe0e</button>'
                                    '<button title="?">\n  rocket</button>')


def test_grid_is_drawn_large_enough_with_labelled_rows():
    digits = torch.zeros(12, 1, 16, 16)
    ax = show_images(digits, nrow=6, row_labels=["input", "output"], title="t")
    figure = ax.figure
    width_px = figure.get_size_inches()[0] * figure.dpi
    # 6 digits of 16 pixels and 5 gaps of 1, each pixel enlarged ceil(48 / 16) = 3 times
    assert width_px == pytest.approx((6 * 16 + 5) * 3)
    assert [label.get_text() for label in ax.get_yticklabels()] == ["input", "output"]
    assert list(ax.get_yticks()) == [7.5, 24.5]  # row centres: 15 / 2, then 17 further down
    plt.close("all")
    small = show_images(torch.zeros(3, 1, 8, 8), nrow=3, pixels=50).figure
    assert small.get_size_inches()[0] * small.dpi == pytest.approx((3 * 8 + 2) * 7)
    plt.close("all")
    with pytest.raises(ValueError, match="one label per row: 2 rows, got 1"):
        show_images(digits, nrow=6, row_labels=["input"])
    plt.close("all")


@pytest.mark.parametrize("images,error,message", [
    ([[0.0]], TypeError, "torch.Tensor"),
    (torch.zeros(4, 1, 16, 16, dtype=torch.uint8), TypeError, "127.5"),
    (torch.zeros(4, 16, 16), ValueError, r"\(N, C, H, W\)"),
    (torch.zeros(4, 2, 16, 16), ValueError, "C = 1 or 3"),
    (torch.zeros(4, 1, 16, 12), ValueError, "square"),
    (torch.zeros(4, 1, 12, 12), ValueError, "8, 16, 32"),
    (torch.full((4, 1, 16, 16), 255.0), ValueError, r"\[-1, 1\]"),
])
def test_bad_images_are_refused_clearly(images, error, message):
    with pytest.raises(error, match=message):
        check_images(images, in_range=True)


def test_exact_shape_is_required_when_given():
    with pytest.raises(ValueError, match="3 channels where 1"):
        check_images(torch.zeros(2, 3, 16, 16), 1, 16)
    with pytest.raises(ValueError, match="add the batch dimension"):
        check_images(torch.zeros(1, 16, 16), 1, 16)
    check_images(torch.zeros(2, 1, 16, 16), 1, 16)          # accepted
    check_images(torch.full((2, 1, 8, 8), 3.0))             # range unchecked unless asked


def test_check_images_refuses_nan_pixels_saying_how_many_images():
    x = torch.zeros(3, 1, 8, 8)
    x[1, 0, 2, 2] = float("nan")
    with pytest.raises(ValueError, match=r"NaN values in 1 of 3 images \(the first is image 1\)"):
        check_images(x, channels=1, image_size=8, in_range=True)
    check_images(x, channels=1, image_size=8)  # the range check is what looks at values
