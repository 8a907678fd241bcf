import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gan_course import plotting, snapshots
from gan_course.data2d import get_dataset
from gan_course.mlp import MLPDiscriminator, MLPGenerator


def test_moving_average_by_hand():
    assert np.allclose(plotting.moving_average([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    with pytest.raises(ValueError):
        plotting.moving_average([1.0], 0)


def test_heatmap_orientation_matches_grid_points():
    class XOnly(torch.nn.Module):  # logit = 100 * x: D ~ 1 on the right half, 0 on the left
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor([100.0, 0.0]))

        def forward(self, x):
            return x @ self.w

    heat = snapshots.discriminator_heatmap(XOnly(), extent=1.0, resolution=5)
    assert heat[:, -1].min() > 0.99 and heat[:, 0].max() < 0.01


def test_figures_and_animation_render():
    ring = get_dataset("ring")
    G, D = MLPGenerator(hidden=8, depth=1), MLPDiscriminator(hidden=8, depth=1)
    capture = snapshots.capture_2d(torch.randn(30, 2), ring.extent, resolution=10)
    snaps = [capture(G, D, step) for step in (0, 1)]
    fig, axes = plt.subplots(1, 3)
    plotting.plot_density_2d(axes[0], ring)
    plotting.plot_density_2d(axes[1], get_dataset("moons"))
    image = plotting.plot_snapshot(axes[2], snaps[0], ring.sample(10))
    bar = plotting.colorbar(fig, image, axes[2])
    assert image.get_clim() == (0.0, 1.0) and "D(x)" in bar.ax.get_ylabel()
    # the points are drawn in colours that are neither end of the blue-white-red map
    point_colours = {tuple(c.get_facecolor()[0][:3].round(3)) for c in axes[2].collections}
    assert len(point_colours) == 2
    assert [t.get_text() for t in axes[2].get_legend().get_texts()] == ["real", "generated"]
    plotting.plot_losses([1.0, 0.5, 0.7], [0.3, 0.2, 0.9], window=2)
    plt.close("all")
    html = plotting.animate_snapshots(snaps)
    assert "<script" in html and html.count("data:image/png;base64") >= 2
    # offline: nothing loaded from an address, no Font Awesome icon, all nine buttons labelled
    assert "http" not in html and 'class="fa' not in html
    buttons = re.findall(r"<button[^>]*>(.*?)</button>", html, flags=re.S)
    assert len(buttons) == 9 and all(text.strip() for text in buttons)
    with pytest.raises(ValueError, match="no snapshots"):
        plotting.animate_snapshots([])
