import matplotlib.pyplot as plt
import pytest
import torch

from gan_course.images import animate_images, image_grid, show_images


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
