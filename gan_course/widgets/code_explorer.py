"""Explore an InfoGAN's codes (lesson 10):  code_explorer(G)

    from gan_course.widgets.code_explorer import code_explorer
    code_explorer(G)     # last line of a cell: shows it

Top: the image G(z, k, (c_1, c_2)) for the categorical value k picked with the buttons and the
continuous codes set with the two sliders (each in [-1, 1], the range they were trained on);
z comes from the seed box. Bottom: the same z and continuous codes drawn for every
categorical value, so the learner sees what the categorical code alone changes.

The engine, ``code_images``, is a plain function of tensors: tests (and a text-only front
end) call it without a browser. Every change re-renders at once, so scripts drive the widget
by setting ``.value`` on its controls. Only widgets that ipywidgets 7.7 and 8 both have are
used.
"""

from __future__ import annotations

import random

import ipywidgets as widgets
import torch
from torch import nn

from gan_course.device import module_device
from gan_course.images import images_to_png
from gan_course.widgets.latent_controls import code_for_seed, offset_sliders, other_seed
from gan_course.widgets.status import error_html, status_html
from gan_course.widgets.timing import slider_response_ms


@torch.no_grad()
def code_images(G: nn.Module, z: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
    """The engine: G(z, k, continuous) for every categorical value k = 0..K-1.

    z: (z_dim,), continuous: (n_continuous,), on any device. Returns (K, C, H, W) on the CPU;
    row k is what the explorer shows for value k. Runs G in its current mode (the explorer
    puts it in eval mode, where each image of the batch is made on its own).
    """
    if tuple(z.shape) != (G.z_dim,):
        raise ValueError(f"z must have shape ({G.z_dim},), got {tuple(z.shape)}")
    if tuple(continuous.shape) != (G.n_continuous,):
        raise ValueError(f"continuous must have shape ({G.n_continuous},), got "
                         f"{tuple(continuous.shape)}")
    device = module_device(G)
    k = G.n_categories
    categories = torch.arange(k, device=device)
    return G(z.to(device).expand(k, -1), categories,
             continuous.to(device).float().expand(k, -1)).cpu()


class CodeExplorer(widgets.VBox):
    """A picker for the categorical code, one slider per continuous code, a seed box for z,
    and the strip of every categorical value. A negative seed is refused: the status line
    says why and the pictures keep the last valid z. G is put in eval mode."""

    def __init__(self, G: nn.Module, seed: int = 0, scale: int = 8) -> None:
        for name in ("z_dim", "n_categories", "n_continuous"):
            if not hasattr(G, name):
                raise TypeError(f"G must have a {name!r} attribute (an InfoGAN generator)")
        if seed < 0:
            raise ValueError(f"seed must be 0 or more, got {seed}")
        self.G = G.eval()
        self.scale = scale
        self._rng = random.Random(seed)
        self._z = code_for_seed(seed, G.z_dim)
        self._strip = torch.empty(0)  # code_images(...), (K, C, H, W)
        options = [(str(k), k) for k in range(G.n_categories)]
        self.category_picker = widgets.ToggleButtons(options=options, value=0,
                                                     description="code k",
                                                     style={"button_width": "auto"})
        self.category_picker.observe(self._on_category_change, names="value")
        labels = [f"c{j + 1}" for j in range(G.n_continuous)]
        self.sliders = offset_sliders(labels, 1.0, self._on_code_change)
        self.seed = widgets.IntText(value=seed, description="seed z", layout={"width": "160px"})
        self.seed.observe(self._on_seed_change, names="value")
        self.randomise_button = widgets.Button(description="randomise z")
        self.randomise_button.on_click(lambda _: self.randomise())
        self.image = widgets.Image(value=b"", format="png")
        self.strip_image = widgets.Image(value=b"", format="png")
        self.status = widgets.HTML(value="")
        super().__init__(children=[
            widgets.HTML(value="<b>InfoGAN: pick the categorical code, move the continuous "
                               "codes</b>"),
            widgets.HBox([self.seed, self.randomise_button]),
            self.category_picker,
            widgets.HBox([widgets.VBox(self.sliders), self.image]),
            widgets.HTML(value="<b>The same z and continuous codes for every categorical "
                               "value</b> (0, 1, ...)"),
            self.strip_image,
            self.status,
        ])
        self._on_code_change()

    def continuous(self) -> torch.Tensor:
        """The sliders' values as a (n_continuous,) tensor."""
        return torch.tensor([slider.value for slider in self.sliders], dtype=torch.float32)

    def randomise(self) -> None:
        """Pick a new random seed for z (different from the current one)."""
        self.seed.value = other_seed(self._rng, self.seed.value)

    def response_ms(self, repeats: int = 20) -> float:
        """Median milliseconds from moving the first slider to the new pictures."""
        if not self.sliders:
            raise ValueError("response_ms needs at least one continuous code")
        return slider_response_ms(self.sliders[0], repeats)

    def _on_code_change(self, change: object = None) -> None:
        self._strip = code_images(self.G, self._z, self.continuous())
        self.strip_image.value = images_to_png(self._strip, nrow=len(self._strip),
                                               scale=self.scale)
        self._draw_main()

    def _on_category_change(self, change: object = None) -> None:
        self._draw_main()  # the strip already holds every categorical value

    def _on_seed_change(self, change: object = None) -> None:
        if self.seed.value >= 0:
            self._z = code_for_seed(self.seed.value, self.G.z_dim)
            self._on_code_change()
        else:
            self._show_status()

    def _draw_main(self) -> None:
        k = self.category_picker.value
        self.image.value = images_to_png(self._strip[k:k + 1], nrow=1, scale=self.scale)
        self._show_status()

    def _show_status(self) -> None:
        if self.seed.value < 0:
            self.status.value = error_html(f"seed must be 0 or more, got {self.seed.value} "
                                           "(showing the last valid z)")
            return
        codes = ", ".join(f"c{j + 1} = {v:+.1f}" for j, v in enumerate(self.continuous().tolist()))
        self.status.value = status_html(f"code k = {self.category_picker.value} · {codes} · "
                                        f"seed {self.seed.value}")


def code_explorer(G: nn.Module, seed: int = 0, scale: int = 8) -> CodeExplorer:
    """Build the explorer for an InfoGAN generator G (``infogan.InfoGenerator``: attributes
    z_dim, n_categories, n_continuous; G(z, categories, continuous) -> images); make it the
    last line of a cell to show it."""
    return CodeExplorer(G, seed=seed, scale=scale)
