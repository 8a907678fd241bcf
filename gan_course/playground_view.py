"""Drawing the 2-D GAN playground (lesson 01's last cell) as one PNG with four panels.

The view draws whatever has the fields of a ``DrawableState``: in the course, the
``PlaygroundState`` that ``gan_course.playground.Playground.state()`` returns (the view does
not import the engine, and the engine knows nothing of matplotlib). Headless:

    png = PlaygroundView().draw(playground.state())

The figure is made once, with matplotlib's Agg canvas and no pyplot, and its artists are
updated in place on every frame: that keeps drawing fast enough for several frames a second.
"""

from __future__ import annotations

import io
import math
from typing import Protocol

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.quiver import Quiver

from gan_course.plotting import FAKE_COLOUR, REAL_COLOUR


class DrawableState(Protocol):
    """What the view reads (``playground.PlaygroundState`` has it, with the meaning of each)."""

    dataset: str
    loss: str
    step: int
    extent: float
    n_modes: int | None
    real: np.ndarray  # (M, 2)
    fake: np.ndarray  # (N, 2)
    d_map: np.ndarray  # (R, R) in [0, 1]
    d_map_label: str
    warp: np.ndarray  # (L, P, 2) polylines
    push_from: np.ndarray  # (A, 2)
    push: np.ndarray  # (A, 2)
    losses: dict[str, list[float]]
    mode_steps: list[int]
    modes: list[int]
    mode_text: str


class PlaygroundView:
    """A matplotlib figure (Agg canvas, no pyplot) whose artists are updated in place."""

    def __init__(self, width: float = 13.0, height: float = 3.4, dpi: int = 72) -> None:
        self.figure = Figure(figsize=(width, height), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(left=0.01, right=0.95, bottom=0.12, top=0.88, wspace=0.12)
        grid = self.figure.add_gridspec(1, 4, width_ratios=[1, 1, 1, 1.45])
        self.ax_map, self.ax_warp, self.ax_push, self.ax_loss = (
            self.figure.add_subplot(grid[0, i]) for i in range(4)
        )
        self.ax_modes = self.ax_loss.twinx()
        self._build()
        self._dataset: str | None = None

    def _build(self) -> None:
        empty = np.zeros((0, 2))
        self.heat = self.ax_map.imshow(np.zeros((2, 2)), origin="lower", cmap="coolwarm_r",
                                       vmin=0.0, vmax=1.0, interpolation="bilinear")
        self.real = [ax.scatter(empty[:, 0], empty[:, 1], s=3, c=REAL_COLOUR, alpha=alpha)
                     for ax, alpha in ((self.ax_map, 0.5), (self.ax_warp, 0.25),
                                       (self.ax_push, 0.25))]
        self.fake = self.ax_map.scatter(empty[:, 0], empty[:, 1], s=4, c=FAKE_COLOUR)
        self.warp = LineCollection([], linewidths=0.8)
        self.ax_warp.add_collection(self.warp)
        self.push_points = self.ax_push.scatter(empty[:, 0], empty[:, 1], s=6, c=FAKE_COLOUR)
        self.arrows: Quiver | None = None  # made on the first draw, with one arrow per point
        for ax in (self.ax_map, self.ax_warp, self.ax_push):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_aspect("equal")
        (self.d_line,) = self.ax_loss.plot([], [], lw=1, c=REAL_COLOUR, label="D loss")
        (self.g_line,) = self.ax_loss.plot([], [], lw=1, c="#ff7f0e", label="G loss")
        (self.mode_line,) = self.ax_modes.plot([], [], lw=1.5, c="#2ca02c", label="modes",
                                               drawstyle="steps-post")
        self.ax_loss.set_xlabel("step", fontsize=8, labelpad=1)
        self.ax_loss.tick_params(labelsize=7)
        self.ax_modes.tick_params(labelsize=7, colors="#2ca02c")
        self.ax_loss.legend(handles=[self.d_line, self.g_line, self.mode_line], fontsize=7,
                            loc="upper left", frameon=False)
        self.no_modes = self.ax_loss.text(0.98, 0.04, "modes: n/a", ha="right", fontsize=8,
                                          color="#2ca02c", transform=self.ax_loss.transAxes)

    def _set_dataset(self, state: DrawableState) -> None:
        """Things that change only with the data set: limits, mode axis."""
        extent = state.extent
        self.heat.set_extent((-extent, extent, -extent, extent))
        for ax in (self.ax_map, self.ax_warp, self.ax_push):
            ax.set_xlim(-extent, extent)
            ax.set_ylim(-extent, extent)
        has_modes = state.n_modes is not None
        self.mode_line.set_visible(has_modes)
        self.ax_modes.yaxis.set_visible(has_modes)
        self.no_modes.set_visible(not has_modes)
        if has_modes:
            self.ax_modes.set_ylim(0, state.n_modes + 0.5)
        self._dataset = state.dataset

    def draw(self, state: DrawableState) -> bytes:
        """Update every artist from ``state`` and return the figure as PNG bytes."""
        if self._dataset != state.dataset:
            self._set_dataset(state)
        for scatter in self.real:  # a new seed draws other real points from the same data set
            scatter.set_offsets(state.real)
        self._draw_map(state)
        self._draw_warp(state)
        self._draw_push(state)
        self._draw_curves(state)
        buffer = io.BytesIO()
        self.canvas.print_png(buffer, pil_kwargs={"compress_level": 1})
        return buffer.getvalue()

    def _draw_map(self, state: DrawableState) -> None:
        self.heat.set_data(state.d_map)
        self.fake.set_offsets(state.fake)
        title = f"{state.dataset}, step {state.step}: {state.d_map_label}"
        self.ax_map.set_title(title, fontsize=9)

    def _draw_warp(self, state: DrawableState) -> None:
        self.warp.set_segments(list(state.warp))
        colours = ["#9467bd" if i % 2 == 0 else "#8c564b" for i in range(len(state.warp))]
        self.warp.set_color(colours)
        self.ax_warp.set_title("G warps a latent grid", fontsize=9)

    def _draw_push(self, state: DrawableState) -> None:
        """Arrows along -dl_G/dx, the longest a quarter of the extent long."""
        points, push = state.push_from, state.push
        norms = np.linalg.norm(push, axis=1)
        longest = max(float(norms.max()), 1e-12)
        arrows = push / longest * 0.25 * state.extent
        if self.arrows is None or self.arrows.N != len(points):
            if self.arrows is not None:
                self.arrows.remove()
            self.arrows = self.ax_push.quiver(points[:, 0], points[:, 1], arrows[:, 0],
                                              arrows[:, 1], angles="xy", scale_units="xy",
                                              scale=1.0, width=0.006, color="#444444")
        self.arrows.set_offsets(points)
        self.arrows.set_UVC(arrows[:, 0], arrows[:, 1])
        self.push_points.set_offsets(points)
        self.ax_push.set_title(f"-dL_G/dx, mean |grad| {norms.mean():.2g}", fontsize=9)

    def _draw_curves(self, state: DrawableState) -> None:
        steps, d_values = _block_means(state.losses.get("d", []))
        _, g_values = _block_means(state.losses.get("g", []))
        self.d_line.set_data(steps, d_values)
        self.g_line.set_data(steps, g_values)
        last = max(state.step, 10)
        self.ax_loss.set_xlim(0, last)
        both = np.concatenate([d_values, g_values])
        both = both[np.isfinite(both)]  # a diverged run still draws
        if len(both):
            low, high = float(both.min()), float(both.max())
            pad = 0.08 * (high - low) + 1e-3
            self.ax_loss.set_ylim(low - pad, high + pad)
        if state.modes:  # extend the last count to the right edge
            self.mode_line.set_data(state.mode_steps + [last], state.modes + state.modes[-1:])
        title = f"losses ({state.loss}), {state.mode_text}"
        self.ax_loss.set_title(title, fontsize=9)


def _block_means(values: list[float], max_points: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Average ``values`` over consecutive blocks so at most ``max_points`` remain.

    Returns (x, y): x is the step at the end of each block (steps count from 1).
    """
    array = np.asarray(values, dtype=float)
    block = max(1, math.ceil(len(array) / max_points))
    usable = len(array) // block * block
    if usable == 0:
        return np.zeros(0), np.zeros(0)
    means = array[:usable].reshape(-1, block).mean(axis=1)
    ends = np.arange(1, len(means) + 1) * block
    return ends, means
