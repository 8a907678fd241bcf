"""Drawing the 2-D GAN playground (lesson 01's "Play with it" section, lesson 05's bridges
between modes) as one PNG with five panels, and mapping a click on it back to the plane.

The view draws whatever has the fields of a ``DrawableState``: in the course, the
``PlaygroundState`` that ``gan_course.playground.Playground.state()`` returns (the view does
not import the engine, and the engine knows nothing of matplotlib). Headless:

    png = PlaygroundView().draw(playground.state())

The figure is made once, with matplotlib's Agg canvas and no pyplot. What changes every
frame (the pictures, the curves, most titles) is drawn over a saved background that holds
everything else (frames, ticks, legends): the background is drawn again only when the data
set, the loss or an axis range changes, and the curves' ranges only grow during a run, in
steps of a round number (the steps axis doubles), so most frames redraw only the moving
parts. The picture is packed into a PNG by ``png_bytes`` (no row filter, light zlib
compression: four to five times faster than Pillow's encoder, lossless, no larger here).
That is what lets play reach ten frames a second (``benchmarks.playground``).

``pixel_to_plane`` turns a click on the picture (image pixels) into a point of the plane:
the playground widget uses it to let the learner draw a data set on the first panel.
"""

from __future__ import annotations

import math
import struct
import zlib
from typing import Protocol

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.quiver import Quiver

from gan_course.plotting import FAKE_COLOUR, REAL_COLOUR

LOG_2 = math.log(2)
COMPARE_COLOUR = "#7f7f7f"


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
    divergence_steps: list[int]
    divergences: list[float]


def pixel_to_plane(px: float, py: float, box: tuple[float, float, float, float],
                   extent: float) -> tuple[float, float] | None:
    """The point (x, y) of the plane under image pixel (px, py), or None outside the panel.

    box = (left, top, width, height): the panel in image pixels (origin at the image's top
    left, y downwards), showing [-extent, extent]^2. With u = (px - left) / width and
    v = (py - top) / height, both in [0, 1] inside the panel:
        x = -extent + 2 extent u,    y = extent - 2 extent v    (pixel rows run downwards).
    """
    left, top, width, height = box
    if not (width > 0 and height > 0):
        raise ValueError(f"the panel's width and height must be positive, got {box!r}")
    u, v = (px - left) / width, (py - top) / height
    if not (0 <= u <= 1 and 0 <= v <= 1):
        return None
    return -extent + 2 * extent * u, extent - 2 * extent * v


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_bytes(rgb: np.ndarray, level: int = 3) -> bytes:
    """An image (H, W, 3) of uint8 RGB values as a PNG file's bytes, lossless.

    A PNG is the signature and three chunks, each length | type | data | CRC-32(type + data):
    IHDR (width, height, bit depth 8, colour type 2 = RGB, compression, filter and
    interlace methods 0), IDAT (the rows, each led by its filter byte, 0 = none, then
    compressed with zlib at ``level``) and IEND (empty). Plots are mostly flat colour, so
    the unfiltered rows compress about as well as Pillow's adaptive filters do, for a
    fraction of the time.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 array, got {rgb.dtype} {rgb.shape}")
    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # column 0: filter byte 0
    rows[:, 1:].reshape(height, width, 3)[:] = rgb  # a view of rows: one copy, no temporary
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (PNG_SIGNATURE + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), level))
            + _png_chunk(b"IEND", b""))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def nice_range(low: float, high: float, ticks: int = 3) -> tuple[float, float]:
    """[low, high] widened to multiples of a round step (1, 2 or 5 times a power of ten)
    about (high - low) / ticks long, so the range only changes when a value crosses one."""
    span = max(high - low, 1e-3)
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return math.floor(low / step) * step, math.ceil(high / step) * step


def steps_range(step: int) -> int:
    """The x-axis' right end for a run at ``step``: 200, doubled as often as needed."""
    end = 200
    while end < step:
        end *= 2
    return end


class PlaygroundView:
    """A matplotlib figure (Agg canvas, no pyplot) whose artists are updated in place."""

    def __init__(self, width: float = 13.0, height: float = 3.4, dpi: int = 72) -> None:
        self.figure = Figure(figsize=(width, height), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(left=0.01, right=0.985, bottom=0.13, top=0.88,
                                    wspace=0.22)
        grid = self.figure.add_gridspec(1, 5, width_ratios=[1, 1, 1, 1.3, 1.05])
        self.ax_map, self.ax_warp, self.ax_push, self.ax_loss, self.ax_js = (
            self.figure.add_subplot(grid[0, i]) for i in range(5)
        )
        self.ax_modes = self.ax_loss.twinx()
        self._build()
        self._dataset: tuple[str, float] | None = None
        self._limits: tuple | None = None  # the curves' ranges the background was drawn with
        self._step = 0  # the step last drawn: a smaller one is a new run, whose ranges start anew
        self._background = None
        self.map_box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
        self.full_redraws = 0

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
        (self.js_line,) = self.ax_js.plot([], [], lw=1.5, c="#9467bd", marker=".", ms=3)
        (self.js_compare,) = self.ax_js.plot([], [], lw=1.2, c=COMPARE_COLOUR, ls="--")
        for ax in (self.ax_loss, self.ax_js):
            ax.set_xlabel("step", fontsize=8, labelpad=1)
            ax.tick_params(labelsize=7)
        self.ax_js.set_ylim(0, LOG_2 * 1.04)  # JS lies in [0, log 2]; log 2: no overlap
        self.ax_js.axhline(LOG_2, lw=0.6, ls=":", c="#444444")
        self.ax_js.set_yticks([0, 0.2, 0.4, 0.6, LOG_2], ["0", "0.2", "0.4", "0.6", "log 2"])
        self.ax_modes.tick_params(labelsize=7, colors="#2ca02c")
        self.ax_loss.legend(handles=[self.d_line, self.g_line, self.mode_line], fontsize=7,
                            loc="upper left", frameon=False)
        self.ax_warp.set_title("G warps a latent grid", fontsize=9)
        self.no_modes = self.ax_loss.text(0.98, 0.04, "modes: n/a", ha="right", fontsize=8,
                                          color="#2ca02c", transform=self.ax_loss.transAxes)
        # Drawn every frame, in this order; the rest (the real points on the warp and push
        # panels among them: they sit under everything there) is the background.
        # The step, the losses, the modes and the divergence are numbers in the widget's
        # status line; of the titles only the push panel's changes every frame.
        self.moving: list[Artist] = [
            self.heat, self.real[0], self.fake, self.warp, self.push_points, self.d_line,
            self.g_line, self.mode_line, self.js_line, self.js_compare, self.ax_push.title,
        ]
        for artist in self.moving:
            artist.set_animated(True)

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
        self._dataset = (state.dataset, extent)
        self._background = None

    def draw(self, state: DrawableState, compare: DrawableState | None = None) -> bytes:
        """Update every artist from ``state`` and return the figure as PNG bytes.

        ``compare``: another run (same data, another loss) whose divergence is drawn dashed
        on the divergence panel, for a side-by-side reading."""
        if self._dataset != (state.dataset, state.extent):
            self._set_dataset(state)
        if not np.array_equal(state.real, self.real[0].get_offsets()):
            for scatter in self.real:  # a new seed draws other real points from the same data
                scatter.set_offsets(state.real)
            self._background = None  # two panels have them in the background
        self._draw_map(state)
        self._draw_warp(state)
        self._draw_push(state)
        limits = self._draw_curves(state, compare)
        if self._background is None or limits != self._limits:
            self._set_limits(limits)
            self.canvas.draw()  # everything but the moving artists
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._measure_map_box()
            self.full_redraws += 1
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self.moving:
            if artist.get_visible():
                artist.draw(renderer)
        if self.arrows is not None:
            self.arrows.draw(renderer)
        rgba = np.asarray(self.canvas.buffer_rgba())  # (H, W, 4), a view of the canvas
        return png_bytes(rgba[:, :, :3])  # the figure is opaque: RGB is a quarter less to pack

    def _measure_map_box(self) -> None:
        """The first panel's box in image pixels (left, top, width, height), top-left origin."""
        box = self.ax_map.get_window_extent(self.canvas.get_renderer())
        height = self.canvas.get_width_height()[1]
        self.map_box = (float(box.x0), float(height - box.y1), float(box.width),
                        float(box.height))

    def _draw_map(self, state: DrawableState) -> None:
        self.heat.set_data(state.d_map)
        self.fake.set_offsets(state.fake)
        self.ax_map.set_title(f"{state.dataset}: {state.d_map_label}", fontsize=9)

    def _draw_warp(self, state: DrawableState) -> None:
        self.warp.set_segments(list(state.warp))
        colours = ["#9467bd" if i % 2 == 0 else "#8c564b" for i in range(len(state.warp))]
        self.warp.set_color(colours)

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
            self.arrows.set_animated(True)
        self.arrows.set_offsets(points)
        self.arrows.set_UVC(arrows[:, 0], arrows[:, 1])
        self.push_points.set_offsets(points)
        self.ax_push.set_title(f"-dL_G/dx, mean |grad| {norms.mean():.2g}", fontsize=9)

    def _draw_curves(self, state: DrawableState, compare: DrawableState | None) -> tuple:
        """Set the curves' data; return what the background depends on: the ranges they
        need (x end, loss low, loss high), the losses the titles and legend name, and the
        map's label."""
        steps, d_values = _block_means(state.losses.get("d", []))
        _, g_values = _block_means(state.losses.get("g", []))
        self.d_line.set_data(steps, d_values)
        self.g_line.set_data(steps, g_values)
        last = steps_range(max(state.step, compare.step if compare else 0))
        both = np.concatenate([d_values, g_values])
        both = both[np.isfinite(both)]  # a diverged run still draws
        low, high = nice_range(float(both.min()), float(both.max())) if len(both) else (0, 1)
        if self._limits is not None and state.step >= self._step and state.loss == self._limits[3]:
            low, high = min(low, self._limits[1]), max(high, self._limits[2])  # only grows
        self._step = state.step
        if state.modes:  # extend the last count to the right edge
            self.mode_line.set_data(state.mode_steps + [last], state.modes + state.modes[-1:])
        self.js_line.set_data(state.divergence_steps, state.divergences)
        other = None
        if compare is not None and compare.divergences:
            self.js_compare.set_data(compare.divergence_steps, compare.divergences)
            other = compare.loss
        self.js_compare.set_visible(other is not None)
        return last, low, high, state.loss, other, state.d_map_label

    def _set_limits(self, limits: tuple) -> None:
        """Ranges and the divergence panel's legend (it names the losses): the background."""
        last, low, high, loss, other, _ = limits
        self.ax_loss.set_title(f"losses ({loss})", fontsize=9)
        self.ax_js.set_title("JS(data, G): how far apart", fontsize=9)
        self.ax_loss.set_xlim(0, last)
        self.ax_js.set_xlim(0, last)
        self.ax_loss.set_ylim(low, high)
        self.js_line.set_label(loss)
        self.js_compare.set_label(f"{other} (dashed)")
        handles = [self.js_line] + ([self.js_compare] if other is not None else [])
        self.ax_js.legend(handles=handles, fontsize=7, loc="lower left", frameon=False)
        self._limits = limits


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
