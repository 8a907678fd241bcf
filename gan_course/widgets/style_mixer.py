"""Mix the styles of two digits (lesson 09):  style_mixer(G)

    from gan_course.widgets.style_mixer import style_mixer
    style_mixer(G)     # last line of a cell: shows it

Two seed boxes pick the coarse source A and the fine source B (z from ``code_for_seed``), a
slider sets the truncation psi (applied to both w's) and another the crossover: blocks below
it (4 x 4, then 8 x 8) take A's w, the rest B's. The widget shows A, the mix and B side by side,
all drawn with the same noise.

The engine, ``mix_images``, is a plain function of tensors: tests (and a text-only front end)
call it without a browser. Every change re-renders at once, so scripts drive the widget by
setting ``.value`` on its controls. Only widgets that ipywidgets 7.7 and 8 both have are used.
"""

from __future__ import annotations

import ipywidgets as widgets
import torch

from gan_course.device import module_device
from gan_course.images import images_to_png
from gan_course.stylegan import N_STYLES, StyleGenerator, mix_styles, truncate
from gan_course.widgets.latent_controls import code_for_seed
from gan_course.widgets.status import error_html, status_html

NOISE_SEED = 0  # the same noise pictures for every drawing


@torch.no_grad()
def mix_images(G: StyleGenerator, z_coarse: torch.Tensor, z_fine: torch.Tensor, psi: float,
               crossover: int) -> torch.Tensor:
    """The engine: (3, 1, 16, 16) on the CPU: A alone, the mix, B alone.

    z_coarse, z_fine: (z_dim,). w_A = truncate(f(z_coarse), w_avg, psi), likewise w_B; the mix
    takes blocks 0 .. crossover-1 from w_A and the rest from w_B (``stylegan.mix_styles``).
    One noise draw (seed ``NOISE_SEED``) for all three. Runs G in its current mode.
    """
    for name, z in (("z_coarse", z_coarse), ("z_fine", z_fine)):
        if tuple(z.shape) != (G.z_dim,):
            raise ValueError(f"{name} must have shape ({G.z_dim},), got {tuple(z.shape)}")
    device = module_device(G)
    w = truncate(G.map(torch.stack([z_coarse, z_fine]).to(device)), G.w_avg, psi)
    w_a, w_b = w[0:1], w[1:2]
    noise = G.draw_noise(1, torch.Generator().manual_seed(NOISE_SEED))
    ws = [torch.cat(parts) for parts in zip([w_a] * N_STYLES, mix_styles(w_a, w_b, crossover),
                                            [w_b] * N_STYLES)]
    return G.synthesis(ws, [pic.expand(3, -1, -1, -1) for pic in noise]).cpu()


class StyleMixer(widgets.VBox):
    """Seed boxes for A (coarse) and B (fine), a psi slider, a crossover slider, and the
    pictures A | mix | B. A negative seed is refused: the status line says why and the
    pictures stay as they were. G is put in eval mode."""

    def __init__(self, G: StyleGenerator, coarse_seed: int = 0, fine_seed: int = 1,
                 scale: int = 8) -> None:
        for name in ("z_dim", "w_avg", "synthesis"):
            if not hasattr(G, name):
                raise TypeError(f"G must have a {name!r} attribute (a style-based generator)")
        if coarse_seed < 0 or fine_seed < 0:
            raise ValueError(f"seeds must be 0 or more, got {coarse_seed} and {fine_seed}")
        self.G = G.eval()
        self.scale = scale
        self.pictures = torch.empty(0)
        self.coarse_seed = widgets.IntText(value=coarse_seed, description="coarse A",
                                           layout={"width": "170px"})
        self.fine_seed = widgets.IntText(value=fine_seed, description="fine B",
                                         layout={"width": "170px"})
        self.psi = widgets.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.05,
                                       description="psi")
        self.crossover = widgets.IntSlider(value=2, min=0, max=N_STYLES,
                                           description="crossover")
        for control in (self.coarse_seed, self.fine_seed, self.psi, self.crossover):
            control.observe(self._redraw, names="value")
        self.image = widgets.Image(value=b"", format="png")
        self.status = widgets.HTML(value="")
        super().__init__(children=[
            widgets.HTML(value="<b>Style mixing: blocks below the crossover from A, the rest "
                               "from B</b>"),
            widgets.HBox([self.coarse_seed, self.fine_seed]),
            widgets.HBox([self.psi, self.crossover]),
            widgets.HTML(value="A &nbsp;|&nbsp; mix &nbsp;|&nbsp; B"),
            self.image,
            self.status,
        ])
        self._redraw()

    def _redraw(self, change: object = None) -> None:
        a, b = self.coarse_seed.value, self.fine_seed.value
        if a < 0 or b < 0:
            self.status.value = error_html(f"seeds must be 0 or more, got {a} and {b} "
                                           "(showing the last valid pictures)")
            return
        self.pictures = mix_images(self.G, code_for_seed(a, self.G.z_dim),
                                   code_for_seed(b, self.G.z_dim), self.psi.value,
                                   self.crossover.value)
        self.image.value = images_to_png(self.pictures, nrow=3, scale=self.scale)
        blocks = ["4x4", "8x8", "16x16"]
        from_a = ", ".join(blocks[:self.crossover.value]) or "none"
        self.status.value = status_html(f"blocks from A (seed {a}): {from_a} · psi "
                                        f"{self.psi.value:.2f} · B: seed {b}")


def style_mixer(G: StyleGenerator, coarse_seed: int = 0, fine_seed: int = 1,
                scale: int = 8) -> StyleMixer:
    """Build the style mixer for a style-based generator (``stylegan.StyleGenerator``); make it
    the last line of a cell to show it."""
    return StyleMixer(G, coarse_seed=coarse_seed, fine_seed=fine_seed, scale=scale)
