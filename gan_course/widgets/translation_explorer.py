"""Explore a CycleGAN's two translations (lesson 04):  translation_explorer(model)

    from gan_course.widgets.translation_explorer import translation_explorer
    translation_explorer(model)     # last line of a cell: shows it

Pick a domain (A: thin digits, B: bold digits) and an image with the slider; the widget
shows, left to right,

    input x  |  translation G(x)  |  reconstruction F(G(x))  |  the hidden true translation T

where (G, F) = (G_AB, G_BA) for an A input and (G_BA, G_AB) for a B input. The status line
gives the pixel errors |G(x) - T| and |F(G(x)) - x| for that image. ``show_input(x)`` puts
your own (1, 1, 16, 16) image in, which is checked first: a wrong shape or channel count is
refused with a message that says what was expected.

Every change re-renders at once, so scripts and tests drive the widget by setting ``.value``
on its controls. Only widgets that ipywidgets 7.7 and 8 both have are used.
"""

from __future__ import annotations

import ipywidgets as widgets
import torch
from torch import nn

from gan_course.device import module_device
from gan_course.domains import PairedTest, check_domain_images, make_paired_test
from gan_course.images import check_images, images_to_png
from gan_course.widgets.status import status_html

DOMAINS = (("A: thin", "A"), ("B: bold", "B"))


class TranslationExplorer(widgets.VBox):
    """A domain picker, an image slider, and the strip input | G(x) | F(G(x)) | truth."""

    def __init__(self, model: nn.Module, test: PairedTest, scale: int = 8) -> None:
        for name in ("G_AB", "G_BA"):
            if not isinstance(getattr(model, name, None), nn.Module):
                raise TypeError(f"model must have a {name!r} generator (a CycleGAN), "
                                f"got {type(model).__name__}")
        check_domain_images(test.a, "test.a")
        check_domain_images(test.b, "test.b")
        if len(test.a) == 0 or len(test.a) != len(test.b):
            raise ValueError(f"test needs the same number (>= 1) of A and B images, got "
                             f"{len(test.a)} and {len(test.b)}")
        self.model = model.eval()
        self.test, self.scale = test, scale
        self.domain = widgets.ToggleButtons(options=list(DOMAINS), value="A",
                                            description="domain")
        self.index = widgets.IntSlider(value=0, min=0, max=len(test.a) - 1,
                                       description="image", continuous_update=True)
        self.domain.observe(self._on_change, names="value")
        self.index.observe(self._on_change, names="value")
        self.strip = widgets.Image(value=b"", format="png")
        self.status = widgets.HTML(value="")
        self.last = torch.empty(0)  # the four images shown, (4, 1, 16, 16)
        super().__init__(children=[
            widgets.HTML(value="<b>CycleGAN: input | translation | reconstruction | "
                               "hidden truth</b>"),
            widgets.HBox([self.domain, self.index]),
            self.strip,
            self.status,
        ])
        self._on_change()

    def _generators(self) -> tuple[nn.Module, nn.Module]:
        """(G, F): forward and backward generators for the picked domain."""
        if self.domain.value == "A":
            return self.model.G_AB, self.model.G_BA
        return self.model.G_BA, self.model.G_AB

    def _on_change(self, change: object = None) -> None:
        i = self.index.value
        if self.domain.value == "A":
            source, truth = self.test.a[i:i + 1], self.test.b[i:i + 1]
        else:
            source, truth = self.test.b[i:i + 1], self.test.a[i:i + 1]
        self._draw(source, truth, f"{self.domain.value} image {i}")

    def show_input(self, x: torch.Tensor, truth: torch.Tensor | None = None) -> None:
        """Translate your own image x (1, 1, 16, 16) or (1, 16, 16) of the picked domain.

        Raises TypeError / ValueError, with what was expected, for anything else."""
        if isinstance(x, torch.Tensor) and x.dim() == 3:
            x = x[None]
        check_domain_images(x, "the input image")
        if len(x) != 1:
            raise ValueError(f"show_input takes one image, got a batch of {len(x)}")
        if truth is not None:
            check_images(truth, 1, 16, "truth")
        self._draw(x, truth, f"your {self.domain.value} image")

    def _draw(self, source: torch.Tensor, truth: torch.Tensor | None, what: str) -> None:
        G, F = self._generators()
        device = module_device(G)
        with torch.no_grad():
            translated = G(source.to(device)).cpu()
            reconstructed = F(translated.to(device)).cpu()
        shown = [source, translated, reconstructed]
        text = (f"{what} · |F(G(x)) - x| = "
                f"{(reconstructed - source).abs().mean().item():.3f}")
        if truth is not None:
            shown.append(truth)
            text += f" · |G(x) - truth| = {(translated - truth).abs().mean().item():.3f}"
        self.last = torch.cat(shown)
        self.strip.value = images_to_png(self.last, nrow=len(shown), scale=self.scale)
        self.status.value = status_html(text)


def translation_explorer(model: nn.Module, test: PairedTest | None = None,
                         scale: int = 8) -> TranslationExplorer:
    """Build the explorer for a CycleGAN (a module with generators G_AB and G_BA on
    (N, 1, 16, 16) images) over held-out pairs ``test`` (default: ``make_paired_test()``);
    make it the last line of a cell to show it."""
    return TranslationExplorer(model, make_paired_test() if test is None else test, scale)
