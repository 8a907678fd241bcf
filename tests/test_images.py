import matplotlib.pyplot as plt
import pytest
import torch

from gan_course.images import animate_images, check_images, image_grid, show_images


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
