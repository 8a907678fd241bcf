"""Pictures of 2-D GANs: data, samples, the discriminator's view, losses, animations
(lessons 01 and 05; lessons 02 and 03 draw their losses with ``plot_losses``).

Every function draws on a matplotlib ``Axes`` you pass in (or makes a figure), so the
lessons can lay out panels however they like. Nothing here trains anything.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes

from gan_course.data2d import Toy2D
from gan_course.snapshots import Snapshot2D, grid_points

REAL_COLOUR = "#1f77b4"
FAKE_COLOUR = "#d62728"
# Over the discriminator's blue-white-red map (plot_heatmap) blue and red points would vanish
# into the background, so the snapshots draw real points green and generated points black.
SNAPSHOT_REAL_COLOUR = "#2ca02c"
SNAPSHOT_FAKE_COLOUR = "black"
HEATMAP_CMAP = "coolwarm_r"


def plot_density_2d(ax: Axes, data: Toy2D, resolution: int = 200) -> None:
    """Shade where the real data live: log-density for mixtures, a histogram otherwise."""
    extent = data.extent
    if data.centres is not None:
        density = data.density(grid_points(extent, resolution)).reshape(resolution, resolution)
        image = torch.log(density + 1e-3).numpy()
    else:
        points = data.sample(20_000, torch.Generator().manual_seed(0)).numpy()
        image, _, _ = np.histogram2d(
            points[:, 1], points[:, 0], bins=resolution // 2, range=[[-extent, extent]] * 2
        )
        image = np.log1p(image)
    ax.imshow(image, origin="lower", extent=(-extent, extent, -extent, extent), cmap="Blues")
    _square(ax, extent)


def plot_samples_2d(
    ax: Axes, fake: torch.Tensor | None = None, real: torch.Tensor | None = None, title: str = "",
    fake_colour: str = FAKE_COLOUR, real_colour: str = REAL_COLOUR,
) -> None:
    """Scatter generated points (red) over real points (blue); either may be None. (N, 2)."""
    if real is not None:
        real_np = real.detach().cpu().numpy()
        ax.scatter(real_np[:, 0], real_np[:, 1], s=4, c=real_colour, alpha=0.4, label="real")
    if fake is not None:
        fake_np = fake.detach().cpu().numpy()
        ax.scatter(fake_np[:, 0], fake_np[:, 1], s=4, c=fake_colour, alpha=0.6, label="generated")
    ax.set_title(title)
    ax.set_aspect("equal")


def plot_heatmap(ax: Axes, heatmap: torch.Tensor, extent: float) -> object:
    """Draw D(x) in [0, 1] over [-extent, extent]^2 (blue = 'real', red = 'fake')."""
    image = ax.imshow(
        heatmap.numpy(), origin="lower", extent=(-extent, extent, -extent, extent),
        cmap=HEATMAP_CMAP, vmin=0.0, vmax=1.0,
    )
    _square(ax, extent)
    return image


def plot_snapshot(ax: Axes, snap: Snapshot2D, real: torch.Tensor | None = None,
                  legend: bool = True) -> object:
    """The discriminator's heat-map with the real data (green) and the generated samples
    (black) on top, colours that stand out on both ends of the map. Returns the heat-map's
    image, for ``colorbar``."""
    image = plot_heatmap(ax, snap.heatmap, snap.extent)
    plot_samples_2d(ax, snap.samples, real, title=f"step {snap.step}",
                    fake_colour=SNAPSHOT_FAKE_COLOUR, real_colour=SNAPSHOT_REAL_COLOUR)
    if legend:
        ax.legend(loc="upper right", fontsize=7, markerscale=3, framealpha=0.8)
    _square(ax, snap.extent)
    return image


def colorbar(fig: plt.Figure, image: object, ax: Axes | list[Axes]) -> object:
    """A colour bar for a ``plot_heatmap`` image, labelled with what the colours mean."""
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label("D(x): 0 = 'fake' (red), 1/2 (white), 1 = 'real' (blue)", fontsize=8)
    return bar


def plot_losses(d_loss: list[float], g_loss: list[float], ax: Axes | None = None,
                window: int = 50) -> Axes:
    """Loss curves, smoothed with a moving average over ``window`` steps."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    for values, label in ((d_loss, "discriminator"), (g_loss, "generator")):
        ax.plot(moving_average(values, window), label=label)
    ax.axhline(2 * np.log(2), ls="--", c="grey", lw=1, label="D loss at D = 1/2: 2 log 2")
    ax.set_xlabel("step")
    ax.set_ylabel(f"loss (moving average of {window})")
    ax.legend(fontsize=8)
    return ax


def moving_average(values: list[float], window: int) -> np.ndarray:
    """Mean of each run of ``window`` consecutive values (shorter at the start)."""
    if window <= 0:
        raise ValueError(f"window must be positive, got {window!r}")
    array = np.asarray(values, dtype=float)
    cumulative = np.cumsum(np.insert(array, 0, 0.0))
    counts = np.minimum(np.arange(1, len(array) + 1), window)
    starts = np.arange(1, len(array) + 1) - counts
    return (cumulative[1:] - cumulative[starts]) / counts


def animate_snapshots(snapshots: list[Snapshot2D], real: torch.Tensor | None = None,
                      interval_ms: int = 200, size: float = 4.0) -> str:
    """An HTML/JS player (play, pause, step, scrub) of the snapshots; show it with
    ``IPython.display.HTML(...)``. Frames are PNGs embedded in the page and the buttons are
    text symbols (``images.offline_player``), so it plays offline."""
    if not snapshots:
        raise ValueError("no snapshots to animate: pass snapshot_every > 0 when training")
    from gan_course.images import offline_player  # the player's buttons without the CDN

    fig, ax = plt.subplots(figsize=(size, size), dpi=72)
    colorbar(fig, plot_heatmap(ax, snapshots[0].heatmap, snapshots[0].extent), ax)

    def draw(index: int) -> None:
        ax.clear()
        plot_snapshot(ax, snapshots[index], real)

    animation = FuncAnimation(fig, draw, frames=len(snapshots), interval=interval_ms)
    html = offline_player(animation.to_jshtml(default_mode="once"))
    plt.close(fig)
    return html


def _square(ax: Axes, extent: float) -> None:
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
