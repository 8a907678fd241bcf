"""Explore a trained generator's latent space with sliders (lesson 02):  latent_explorer(G)

    from gan_course.widgets.latent_explorer import latent_explorer
    latent_explorer(G)          # last line of a cell: shows it

Top: the image for the code  z = z_seed + sum_k a_k d_k, where z_seed ~ N(0, I) comes from
the seed box and d_1, d_2, ... are the directions that change the images most
(``gan_course.latent.latent_directions``); each slider sets one a_k.
Bottom: the path from seed A's code to seed B's, straight (lerp) or along the sphere
(slerp), with a slider for t and the norm |z(t)| next to sqrt(z_dim).

Every change re-renders at once (G -> PNG -> ``image.value``); no event loop or thread is
needed, so scripts and tests drive it by setting ``.value`` on the controls. Only widgets
that ipywidgets 7.7 and 8 both have are used.
"""

from __future__ import annotations

import math
import random

import ipywidgets as widgets
import torch
from torch import nn

from gan_course.device import module_device
from gan_course.images import images_to_png
from gan_course.latent import latent_directions, lerp, slerp
from gan_course.widgets.latent_controls import code_for_seed, offset_sliders, other_seed
from gan_course.widgets.status import error_html, status_html
from gan_course.widgets.timing import close_tree, slider_response_ms

PATH_STEPS = 9  # images in the strip that shows the whole interpolation path
WRAP = widgets.Layout(flex_flow="row wrap")  # rows of controls wrap in a narrow window


def picture_layout() -> widgets.Layout:
    """An image at its own proportions, at most as wide as the notebook (then scaled down;
    4 px less for the widget margins, so no scroll bar appears)."""
    return widgets.Layout(max_width="calc(100% - 4px)", height="auto", object_fit="contain",
                          align_self="flex-start")


class LatentExplorer(widgets.VBox):
    """Sliders along the top latent directions, a seed box, and a lerp/slerp interpolation.

    A negative seed is refused: the status line says why and the picture keeps its last
    valid code. G is put in eval mode and run on the device of its parameters.
    """

    def __init__(self, G: nn.Module, n_directions: int = 5, seed: int = 0, scale: int = 8,
                 seed_a: int = 1, seed_b: int = 2, slider_range: float = 3.0,
                 directions: torch.Tensor | None = None) -> None:
        self.G = G.eval()
        self.z_dim = G.z_dim
        self.scale = scale
        if directions is None:
            directions = latent_directions(G, n_directions,
                                           generator=torch.Generator().manual_seed(0))
        self.directions = directions  # (n_directions, z_dim), unit rows
        self._rng = random.Random(seed)
        self._quiet = False  # True while several controls change at once
        self._z_seed = code_for_seed(seed, self.z_dim)
        self._make_controls(seed, seed_a, seed_b, slider_range)
        # Images keep their proportions (never stretched to the sliders' height) and the
        # path strip shrinks to the notebook's width instead of being cut off.
        self.image = widgets.Image(value=self._png(self.current_code()), format="png",
                                   layout=picture_layout())
        self.path_image = widgets.Image(value=b"", format="png", layout=picture_layout())
        self.interp_image = widgets.Image(value=b"", format="png", layout=picture_layout())
        self.interp_info = widgets.HTML(value="")
        self.status = widgets.HTML(value="")
        super().__init__(children=[
            widgets.HTML(value="<b>Latent directions</b>"),
            widgets.HBox([self.seed, self.randomise_button, self.zero_button], layout=WRAP),
            widgets.HBox([widgets.VBox(self.sliders), self.image]),
            widgets.HTML(value="<b>Interpolation from seed A to seed B</b>"),
            widgets.HBox([self.seed_a, self.seed_b, self.mode], layout=WRAP),
            widgets.HBox([self.t_slider, self.interp_info], layout=WRAP),
            self.interp_image,
            widgets.HTML(value=f"the whole path, t = 0 to 1 in {PATH_STEPS} steps:"),
            self.path_image,
            self.status,
        ])
        self._draw_interpolation(path_too=True)
        self._show_status()

    def _make_controls(self, seed: int, seed_a: int, seed_b: int, slider_range: float) -> None:
        narrow = widgets.Layout(width="160px")
        labels = [f"direction {k + 1}" for k in range(len(self.directions))]
        self.sliders = offset_sliders(labels, slider_range, self._on_code_change)
        self.seed = widgets.IntText(value=seed, description="seed", layout=narrow)
        self.seed.observe(self._on_seed_change, names="value")
        self.randomise_button = widgets.Button(description="randomise")
        self.randomise_button.on_click(lambda _: self.randomise())
        self.zero_button = widgets.Button(description="sliders to 0")
        self.zero_button.on_click(lambda _: self.zero_sliders())
        self.seed_a = widgets.IntText(value=seed_a, description="seed A", layout=narrow)
        self.seed_b = widgets.IntText(value=seed_b, description="seed B", layout=narrow)
        self.mode = widgets.ToggleButtons(options=["slerp", "lerp"], value="slerp")
        self.t_slider = widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.02,
                                            description="t", continuous_update=True)
        for control in (self.seed_a, self.seed_b, self.mode):
            control.observe(self._on_path_change, names="value")
        self.t_slider.observe(self._on_t_change, names="value")

    # --- the code and the actions -------------------------------------------------------------

    def current_code(self) -> torch.Tensor:
        """z = z_seed + sum_k a_k d_k, shape (z_dim,), with a_k the slider values."""
        z = self._z_seed.clone()
        for slider, direction in zip(self.sliders, self.directions):
            z = z + slider.value * direction
        return z

    def randomise(self) -> None:
        """Pick a new random seed (different from the current one); the image follows."""
        self.seed.value = other_seed(self._rng, self.seed.value)

    def zero_sliders(self) -> None:
        """Put every slider back to 0 and re-render once."""
        self._quiet = True
        try:
            for slider in self.sliders:
                slider.value = 0.0
        finally:
            self._quiet = False
        self._on_code_change()

    # --- reacting to the controls -------------------------------------------------------------

    def response_ms(self, repeats: int = 50) -> float:
        """Median milliseconds the kernel takes from a slider move to the new image being set.

        Setting ``slider.value`` re-renders synchronously (z -> G(z) -> PNG -> image), so
        timing the assignment times the kernel's whole update; the browser's drawing comes on
        top. It is timed on an undisplayed twin (same generator, directions and seeds), so
        the sliders on screen never move: a browser showing them could write an old value
        back after the measurement.
        """
        twin = LatentExplorer(self.G, seed=self.seed.value, scale=self.scale,
                              seed_a=self.seed_a.value, seed_b=self.seed_b.value,
                              directions=self.directions)
        try:
            return slider_response_ms(twin.sliders[0], repeats)
        finally:
            close_tree(twin)

    def _on_code_change(self, change: object = None) -> None:
        if not self._quiet:
            self.image.value = self._png(self.current_code())

    def _on_seed_change(self, change: object = None) -> None:
        if self.seed.value >= 0:
            self._z_seed = code_for_seed(self.seed.value, self.z_dim)
            self._on_code_change()
        self._show_status()

    def _on_path_change(self, change: object = None) -> None:
        self._draw_interpolation(path_too=True)
        self._show_status()

    def _on_t_change(self, change: object = None) -> None:
        self._draw_interpolation(path_too=False)

    # --- drawing ------------------------------------------------------------------------------

    def _png(self, codes: torch.Tensor, nrow: int = 1) -> bytes:
        """Codes (z_dim,) or (N, z_dim) -> G -> PNG bytes, images side by side."""
        codes = codes.reshape(-1, self.z_dim).to(module_device(self.G))
        with torch.no_grad():
            images = self.G(codes)
        return images_to_png(images, nrow=nrow, scale=self.scale)

    def _path(self, t: float | torch.Tensor) -> torch.Tensor:
        z_a = code_for_seed(self.seed_a.value, self.z_dim)
        z_b = code_for_seed(self.seed_b.value, self.z_dim)
        interpolate = slerp if self.mode.value == "slerp" else lerp
        return interpolate(z_a, z_b, t)

    def _draw_interpolation(self, path_too: bool) -> None:
        if self.seed_a.value < 0 or self.seed_b.value < 0:
            return  # _show_status explains
        z_t = self._path(float(self.t_slider.value))
        self.interp_image.value = self._png(z_t)
        self.interp_info.value = status_html(f"|z(t)| = {z_t.norm():.2f}   "
                                             f"(sqrt(z_dim) = {math.sqrt(self.z_dim):.2f})")
        if path_too:
            strip = self._path(torch.linspace(0, 1, PATH_STEPS))
            self.path_image.value = self._png(strip, nrow=PATH_STEPS)

    def _show_status(self) -> None:
        """List every invalid seed box, or say what is shown."""
        problems = []
        for box in (self.seed, self.seed_a, self.seed_b):
            if box.value < 0:
                problems.append(f"{box.description} must be 0 or more, got {box.value}")
        if problems:
            text = "; ".join(problems) + " (showing the last valid choice)"
            self.status.value = error_html(text)
        else:
            self.status.value = status_html(f"seed {self.seed.value} · z_dim {self.z_dim} · "
                                            f"{len(self.sliders)} directions")


def latent_explorer(G: nn.Module, n_directions: int = 5, seed: int = 0, scale: int = 8,
                    seed_a: int = 1, seed_b: int = 2) -> LatentExplorer:
    """Build the explorer for generator G (any module with ``z_dim`` mapping (N, z_dim) to
    (N, C, H, W) in [-1, 1]); make it the last line of a cell to show it."""
    return LatentExplorer(G, n_directions=n_directions, seed=seed, scale=scale,
                          seed_a=seed_a, seed_b=seed_b)
