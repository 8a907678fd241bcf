"""Looking at batches of images: grids, PNG bytes for widgets, figures and animations
(lessons 02, 03, 04, 06 and 07 and their widgets), and ``check_images``, with which the image
models and trainers refuse a tensor that is not a batch of images. ``offline_player`` makes
matplotlib's animation players work without internet (lesson 01's and lesson 02's animations).

All functions take images as a tensor (N, C, H, W) with values in [-1, 1] and C = 1 (grey)
or 3 (RGB), which is what the course's generators produce.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from PIL import Image


def check_images(x: object, channels: int | None = None, image_size: int | None = None,
                 what: str = "images", in_range: bool = False) -> None:
    """Refuse, saying how to fix it, anything but a float tensor (N, C, S, S).

    channels: the exact C, or None for 1 (grey) or 3 (RGB).  image_size: the exact S, or None
    for any square side that is a power of two >= 8.  in_range: also require values in
    [-1, 1], the generators' tanh range.  ``what`` names the argument in the message.
    """
    shown = (f"(N, {channels}, {image_size}, {image_size})" if channels and image_size
             else "(N, C, H, W)")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} must be a torch.Tensor of shape {shown}, got "
                        f"{type(x).__name__} (for a NumPy array use "
                        "torch.from_numpy(array).float())")
    if not x.is_floating_point():
        raise TypeError(f"{what} must be floating point with values in [-1, 1], got {x.dtype}: "
                        "convert 8-bit pixels with images.float() / 127.5 - 1")
    if channels is not None and image_size is not None:
        expected = (channels, image_size, image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            hint = ""
            if x.dim() == 3 and tuple(x.shape) == expected:
                hint = " (a single image: add the batch dimension with x[None])"
            elif x.dim() == 4 and x.shape[1] != channels:
                hint = (f" ({x.shape[1]} channels where {channels} are expected: "
                        "is it an image from another domain or data set?)")
            raise ValueError(f"{what} must have shape {shown}, got {tuple(x.shape)}{hint}")
    else:
        if x.dim() != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"{what} must have shape (N, C, H, W) with C = 1 or 3, got "
                             f"{tuple(x.shape)} (add a channel axis with images[:, None])")
        height, width = x.shape[2:]
        if height != width or height < 8 or height & (height - 1):
            raise ValueError(f"{what} must be square with a side of 8, 16, 32, 64..., got "
                             f"{height} x {width} (resize them first)")
    if in_range and x.numel():
        bad = torch.isnan(x).flatten(1).any(dim=1)
        if bool(bad.any()):
            raise ValueError(f"{what} hold NaN values in {int(bad.sum())} of {len(x)} images "
                             f"(the first is image {int(bad.nonzero()[0])}): training on them "
                             "makes every weight NaN. Drop those images, e.g. images = images"
                             "[~images.isnan().flatten(1).any(dim=1)], or find where the NaN "
                             "came from")
        low, high = x.min().item(), x.max().item()
        if low < -1.0 - 1e-4 or high > 1.0 + 1e-4:
            raise ValueError(f"{what} must have values in [-1, 1], got [{low:.3g}, "
                             f"{high:.3g}] (8-bit pixels: x / 127.5 - 1; pixels in [0, 1]: "
                             "x * 2 - 1)")


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 1) -> torch.Tensor:
    """Tile images into one uint8 picture (C, H', W'), ``nrow`` per row, grey gaps between.

    pixel = round((x + 1) * 127.5); H' = rows * (H + padding) - padding, likewise W'.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3) or len(images) == 0:
        raise ValueError(f"images must be (N, 1 or 3, H, W) with N >= 1, got {tuple(images.shape)}")
    if nrow < 1 or padding < 0:
        raise ValueError(f"need nrow >= 1 and padding >= 0; got {nrow}, {padding}")
    n, channels, height, width = images.shape
    cols, rows = min(n, nrow), math.ceil(n / nrow)
    pixels = ((images.detach().float().cpu() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
    grid = torch.full((channels, rows * (height + padding) - padding,
                       cols * (width + padding) - padding), 128, dtype=torch.uint8)
    for index in range(n):
        top, left = (index // nrow) * (height + padding), (index % nrow) * (width + padding)
        grid[:, top:top + height, left:left + width] = pixels[index]
    return grid


def images_to_png(images: torch.Tensor, nrow: int = 8, scale: int = 4, padding: int = 1) -> bytes:
    """The ``image_grid`` of ``images`` (N, C, H, W) as PNG bytes, enlarged ``scale`` times with
    nearest-neighbour pixels
    (fast enough for a widget that redraws on every slider move)."""
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    grid = image_grid(images, nrow, padding)
    if grid.shape[0] == 1:
        picture = Image.fromarray(grid[0].numpy())  # (H, W) uint8: grey, mode "L"
    else:
        picture = Image.fromarray(grid.permute(1, 2, 0).contiguous().numpy())  # RGB
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def show_images(images: torch.Tensor, nrow: int = 8, ax: Axes | None = None,
                title: str = "", row_labels: Sequence[str] | None = None,
                pixels: int = 48) -> Axes:
    """Draw ``images`` (N, C, H, W) in [-1, 1] as a grid of ``nrow`` per row on ``ax``.

    ax: None makes a new figure just big enough that each image is ``pixels`` screen pixels
    wide or more: an image of side S is enlarged ceil(pixels / S) times at the figure's dpi.
    row_labels: one label per row of the grid (ceil(N / nrow) of them), written on its left.
    """
    grid = image_grid(images, nrow)
    rows, side = math.ceil(len(images) / nrow), images.shape[-1]
    if row_labels is not None and len(row_labels) != rows:
        raise ValueError(f"need one label per row: {rows} rows, got {len(row_labels)} labels")
    if ax is None:
        dpi = plt.rcParams["figure.dpi"]
        scale = max(1, math.ceil(pixels / side))
        figure = plt.figure(figsize=(grid.shape[2] * scale / dpi, grid.shape[1] * scale / dpi))
        # the grid fills the figure; labels and title lie outside it, and the notebook's
        # inline backend (bbox_inches="tight") widens the picture to show them
        ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    if grid.shape[0] == 1:
        ax.imshow(grid[0].numpy(), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    ax.set_title(title)
    if row_labels is None:
        ax.axis("off")
        return ax
    centres = [row * (side + 1) + (side - 1) / 2 for row in range(rows)]  # 1 pixel of padding
    ax.set_xticks([])
    ax.set_yticks(centres, list(row_labels))
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


# matplotlib's player draws its buttons with Font Awesome icons, loaded from a CDN: without
# internet the buttons are blank. These symbols, plain text, stand in for them.
PLAYER_SYMBOLS = {
    "fa-minus": "\u2212",                          # slower
    "fa-fast-backward": "|\u25c0\ufe0e\u25c0\ufe0e",  # first frame
    "fa-step-backward": "|\u25c0\ufe0e",            # previous frame
    "fa-play fa-flip-horizontal": "\u25c0\ufe0e",   # play backwards
    "fa-pause": "\u275a\u275a",                    # pause
    "fa-play": "\u25b6\ufe0e",                      # play
    "fa-step-forward": "\u25b6\ufe0e|",             # next frame
    "fa-fast-forward": "\u25b6\ufe0e\u25b6\ufe0e|",   # last frame
    "fa-plus": "+",                                # faster
}


def offline_player(html: str) -> str:
    """matplotlib's ``to_jshtml`` page with no link to the Font Awesome CDN and every icon
    ``<i class="fa fa-...">`` replaced by a text symbol (PLAYER_SYMBOLS; an unknown icon by
    its name), so that its buttons show offline."""
    html = re.sub(r'<link[^>]*font-awesome[^>]*>\s*', "", html)

    def symbol(match: re.Match) -> str:
        icon = match.group(1).removeprefix("fa ").strip()
        return PLAYER_SYMBOLS.get(icon, icon.removeprefix("fa-"))

    return re.sub(r'<i class="([^"]*)">\s*</i>', symbol, html)


def animate_images(frames: list[torch.Tensor], steps: list[int], nrow: int = 8,
                   interval_ms: int = 250, pixels: int = 48) -> str:
    """An HTML/JS player of image grids, one per training snapshot; show it with
    ``IPython.display.HTML(...)``. ``frames[i]`` is (N, C, H, W) at training step ``steps[i]``.
    Each image is drawn ``pixels`` screen pixels wide or more, as in ``show_images``. Its
    frames and buttons are in the page itself, so it plays offline."""
    if not frames or len(frames) != len(steps):
        raise ValueError("need one step number per frame, and at least one frame")
    dpi, title_px = 72, 24  # the player shows each frame at the figure's dpi, untrimmed
    grid = image_grid(frames[0], nrow)
    scale = max(1, math.ceil(pixels / frames[0].shape[-1]))
    width, height = grid.shape[2] * scale, grid.shape[1] * scale
    fig = plt.figure(figsize=(width / dpi, (height + title_px) / dpi), dpi=dpi)
    ax = fig.add_axes((0.0, 0.0, 1.0, height / (height + title_px)))  # the title above it

    def draw(index: int) -> None:
        ax.clear()
        show_images(frames[index], nrow, ax, title=f"step {steps[index]}")

    animation = FuncAnimation(fig, draw, frames=len(frames), interval=interval_ms)
    html = offline_player(animation.to_jshtml(default_mode="once"))
    plt.close(fig)
    return html
