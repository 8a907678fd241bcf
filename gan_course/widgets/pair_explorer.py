"""Compare two paired translators on one input at a time (lesson 08):
pair_explorer(l1_model, gan_model, inputs, truths)

    from gan_course.widgets.pair_explorer import pair_explorer
    pair_explorer(G_l1, G_gan, hide_bottom(held.images), held.images)   # last line of a cell

Pick an input with the slider (and a dropout seed: pix2pix's only noise); the widget shows,
left to right,

    input x  |  L1-only G_1(x)  |  L1 + GAN G_2(x)  |  the truth y

and the status line gives each output's mean pixel error |G(x) - y|. Every change re-renders
at once, so scripts and tests drive the widget by setting ``.value`` on its controls; the
four images shown are kept in ``.last`` (4, 1, 16, 16). Only widgets that ipywidgets 7.7 and
8 both have are used.
"""

from __future__ import annotations

import ipywidgets as widgets
import torch
from torch import nn

from gan_course.device import module_device
from gan_course.images import check_images, images_to_png
from gan_course.widgets.status import status_html


class PairExplorer(widgets.VBox):
    """An input slider, a dropout-seed slider, and the strip input | L1 | L1 + GAN | truth."""

    def __init__(self, l1_model: nn.Module, gan_model: nn.Module, inputs: torch.Tensor,
                 truths: torch.Tensor, scale: int = 8) -> None:
        for name, model in (("l1_model", l1_model), ("gan_model", gan_model)):
            if not isinstance(model, nn.Module):
                raise TypeError(f"{name} must be a torch module (a generator), got "
                                f"{type(model).__name__}")
        check_images(inputs, 1, 16, "inputs", in_range=True)
        check_images(truths, 1, 16, "truths", in_range=True)
        if len(inputs) == 0 or len(inputs) != len(truths):
            raise ValueError(f"need the same number (>= 1) of inputs and truths, got "
                             f"{len(inputs)} and {len(truths)}")
        self.models = (l1_model.eval(), gan_model.eval())
        self.inputs, self.truths, self.scale = inputs, truths, scale
        self.index = widgets.IntSlider(value=0, min=0, max=len(inputs) - 1, description="input")
        self.seed = widgets.IntSlider(value=0, min=0, max=9, description="dropout seed")
        self.index.observe(self._on_change, names="value")
        self.seed.observe(self._on_change, names="value")
        self.strip = widgets.Image(value=b"", format="png")
        self.status = widgets.HTML(value="")
        self.last = torch.empty(0)
        super().__init__(children=[
            widgets.HTML(value="<b>input | L1 only | L1 + GAN (pix2pix) | truth</b>"),
            widgets.HBox([self.index, self.seed]), self.strip, self.status])
        self._on_change()

    def _on_change(self, change: object = None) -> None:
        i = self.index.value
        x, y = self.inputs[i:i + 1], self.truths[i:i + 1]
        outputs = []
        with torch.no_grad():
            for model in self.models:
                torch.manual_seed(self.seed.value)   # the same dropout draw for both
                outputs.append(model(x.to(module_device(model))).cpu())
        self.last = torch.cat([x, *outputs, y])
        errors = [(out - y).abs().mean().item() for out in outputs]
        self.strip.value = images_to_png(self.last, nrow=4, scale=self.scale)
        self.status.value = status_html(
            f"input {i} · |L1 only - truth| = {errors[0]:.3f} · "
            f"|L1 + GAN - truth| = {errors[1]:.3f}")


def pair_explorer(l1_model: nn.Module, gan_model: nn.Module, inputs: torch.Tensor,
                  truths: torch.Tensor, scale: int = 8) -> PairExplorer:
    """Build the explorer for two generators on (N, 1, 16, 16) images over ``inputs`` and
    their ``truths`` (both (N, 1, 16, 16) in [-1, 1]); make it the last line of a cell."""
    return PairExplorer(l1_model, gan_model, inputs, truths, scale)
