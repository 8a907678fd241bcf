"""Explore a class-conditional generator (lesson 03):  conditional_explorer(G)

    from gan_course.widgets.conditional_explorer import conditional_explorer
    conditional_explorer(G)     # last line of a cell: shows it

Top: the image G(z, class) for the class picked with the buttons and the code
z = z_seed + (a_1, ..., a_k, 0, ..., 0), where z_seed ~ N(0, I) comes from the seed box and
slider k adds a_k to the raw latent coordinate k.
Bottom: the "sweep", the same z drawn once for every class. Changing the class leaves the
sweep alone; changing z redraws it, so the learner sees the style (stroke, slant, thickness)
stay while the class changes.

Every change re-renders at once, so scripts and tests drive the widget by setting ``.value``
on its controls. Only widgets that ipywidgets 7.7 and 8 both have are used.
"""

from __future__ import annotations

import html
import random
from collections.abc import Sequence

import ipywidgets as widgets
import torch
from torch import nn

from gan_course.device import module_device
from gan_course.images import images_to_png
from gan_course.widgets.latent_controls import code_for_seed, offset_sliders, other_seed
from gan_course.widgets.status import error_html, status_html
from gan_course.widgets.timing import slider_response_ms

MAX_TOGGLE_CLASSES = 12  # more classes than this get a Dropdown instead of a row of buttons


class ConditionalExplorer(widgets.VBox):
    """A class picker, sliders on the first latent coordinates, a seed box, a sweep of classes.

    A negative seed is refused: the status line says why and the pictures keep the last valid
    code. G is put in eval mode and run on the device of its parameters.
    """

    def __init__(self, G: nn.Module, seed: int = 0, n_sliders: int = 4, scale: int = 8,
                 class_names: Sequence[str] | None = None, slider_range: float = 3.0) -> None:
        for name in ("z_dim", "n_classes"):
            if not hasattr(G, name):
                raise TypeError(f"G must have a {name!r} attribute (a conditional generator)")
        self.G = G.eval()
        self.z_dim: int = G.z_dim
        self.n_classes: int = G.n_classes
        if not 0 <= n_sliders <= self.z_dim:
            raise ValueError(f"n_sliders must be between 0 and z_dim={self.z_dim}, "
                             f"got {n_sliders}")
        if seed < 0:
            raise ValueError(f"seed must be 0 or more, got {seed}")
        if class_names is None:
            class_names = [str(k) for k in range(self.n_classes)]
        if len(class_names) != self.n_classes:
            raise ValueError(f"need one class name per class ({self.n_classes}), "
                             f"got {len(class_names)}")
        self.class_names = [str(name) for name in class_names]
        self.scale = scale
        self._rng = random.Random(seed)
        self._z_seed = code_for_seed(seed, self.z_dim)
        self._sweep_images = torch.empty(0)  # G(z, every class), (n_classes, C, H, W)
        self._make_controls(seed, n_sliders, slider_range)
        self.image = widgets.Image(value=b"", format="png")
        self.sweep_image = widgets.Image(value=b"", format="png")
        self.status = widgets.HTML(value="")
        super().__init__(children=[
            widgets.HTML(value="<b>Conditional generator: pick a class, move z</b>"),
            widgets.HBox([self.seed, self.randomise_button]),
            self.class_picker,
            widgets.HBox([widgets.VBox(self.sliders), self.image]),
            widgets.HTML(value="<b>The same z for every class</b> "
                               f"({html.escape(', '.join(self.class_names))})"),
            self.sweep_image,
            self.status,
        ])
        self._on_code_change()

    def _make_controls(self, seed: int, n_sliders: int, slider_range: float) -> None:
        options = [(name, k) for k, name in enumerate(self.class_names)]
        if self.n_classes <= MAX_TOGGLE_CLASSES:
            self.class_picker = widgets.ToggleButtons(options=options, value=0,
                                                      description="class",
                                                      style={"button_width": "auto"})
        else:
            self.class_picker = widgets.Dropdown(options=options, value=0, description="class")
        self.class_picker.observe(self._on_class_change, names="value")
        labels = [f"z[{k}] +" for k in range(n_sliders)]
        self.sliders = offset_sliders(labels, slider_range, self._on_code_change)
        self.seed = widgets.IntText(value=seed, description="seed", layout={"width": "160px"})
        self.seed.observe(self._on_seed_change, names="value")
        self.randomise_button = widgets.Button(description="randomise")
        self.randomise_button.on_click(lambda _: self.randomise())

    # --- the code and the actions -------------------------------------------------------------

    def current_code(self) -> torch.Tensor:
        """z = z_seed with slider k's value added to coordinate k; shape (z_dim,), on the CPU."""
        z = self._z_seed.clone()
        for k, slider in enumerate(self.sliders):
            z[k] = z[k] + slider.value
        return z

    def randomise(self) -> None:
        """Pick a new random seed (different from the current one); the images follow."""
        self.seed.value = other_seed(self._rng, self.seed.value)

    def response_ms(self, repeats: int = 50) -> float:
        """Median milliseconds from moving the first slider to both new images being set.

        Setting ``slider.value`` re-renders synchronously (z -> G(z, every class) -> PNGs ->
        images), so timing the assignment times the whole update. The slider is put back.
        """
        if not self.sliders:
            raise ValueError("response_ms needs at least one slider (n_sliders >= 1)")
        return slider_response_ms(self.sliders[0], repeats)

    # --- reacting to the controls -------------------------------------------------------------

    def _on_code_change(self, change: object = None) -> None:
        """z changed: run G once on z for every class, redraw the sweep and the main image."""
        z = self.current_code().to(module_device(self.G))
        codes = z.expand(self.n_classes, self.z_dim)
        labels = torch.arange(self.n_classes, device=z.device)
        with torch.no_grad():
            self._sweep_images = self.G(codes, labels).cpu()
        self.sweep_image.value = images_to_png(self._sweep_images, nrow=self.n_classes,
                                               scale=self.scale)
        self._draw_main()

    def _on_class_change(self, change: object = None) -> None:
        self._draw_main()  # only the class changed: the sweep already holds G(z, that class)

    def _on_seed_change(self, change: object = None) -> None:
        if self.seed.value >= 0:
            self._z_seed = code_for_seed(self.seed.value, self.z_dim)
            self._on_code_change()
        else:
            self._show_status()

    # --- drawing ------------------------------------------------------------------------------

    def _draw_main(self) -> None:
        """The main image is row ``class`` of the sweep (in eval mode, G treats each row of a
        batch on its own, so this equals G(z, class) run alone)."""
        label = self.class_picker.value
        self.image.value = images_to_png(self._sweep_images[label:label + 1], nrow=1,
                                         scale=self.scale)
        self._show_status()

    def _show_status(self) -> None:
        """Say why the seed is refused, or what is shown."""
        if self.seed.value < 0:
            text = f"seed must be 0 or more, got {self.seed.value} (showing the last valid code)"
            self.status.value = error_html(text)
        else:
            name = self.class_names[self.class_picker.value]
            self.status.value = status_html(f"class {name} · seed {self.seed.value} · "
                                            f"z_dim {self.z_dim}")


def conditional_explorer(G: nn.Module, seed: int = 0, n_sliders: int = 4, scale: int = 8,
                         class_names: Sequence[str] | None = None) -> ConditionalExplorer:
    """Build the explorer for a conditional generator G (a module with ``z_dim`` and
    ``n_classes`` mapping codes (N, z_dim) and labels (N,) to images (N, C, H, W) in [-1, 1]);
    make it the last line of a cell to show it."""
    return ConditionalExplorer(G, seed=seed, n_sliders=n_sliders, scale=scale,
                               class_names=class_names)
