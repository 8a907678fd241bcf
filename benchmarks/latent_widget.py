"""How fast the latent explorer answers a slider:  python -m benchmarks.latent_widget

Builds the explorer on the 16 x 16 digits DCGAN (the shipped ``dcgan_digits`` weights when
they are installed, an untrained generator of the same size otherwise) and moves the first
direction slider again and again. Prints {"widget_ms": ...}: the median milliseconds from the
new slider value to the new PNG in the image widget (target: at most 50).
"""

from __future__ import annotations

import json
import sys

import torch
from torch import nn

from gan_course.dcgan import DCGANGenerator
from gan_course.widgets.latent_explorer import LatentExplorer


def digits_generator() -> nn.Module:
    """The shipped 16 x 16 digits DCGAN (``DCGANGenerator.from_pretrained``), or if its weights
    are missing an untrained DCGANGenerator(z_dim=32, image_size=16, width=64), in eval mode."""
    try:
        return DCGANGenerator.from_pretrained(map_location="cpu")
    except (ValueError, FileNotFoundError) as error:
        print(f"(untrained generator: {error})", file=sys.stderr)
    return DCGANGenerator(z_dim=32, image_size=16, channels=1, width=64).eval()


def measure_widget_ms(G: nn.Module | None = None, repeats: int = 50) -> float:
    """Median ms from a slider change to the new image: ``LatentExplorer.response_ms``."""
    explorer = LatentExplorer(G if G is not None else digits_generator())
    return explorer.response_ms(repeats)


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(json.dumps({"widget_ms": round(measure_widget_ms(), 2)}))
