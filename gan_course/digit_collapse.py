"""Mode collapse in images: a digits DCGAN's class histogram over training, with one cure
(lesson 05, its last section "Collapse in images").

The evaluation classifier (lesson 02) labels a fixed batch of generated digits every so many
steps, so collapse shows up as a class histogram drifting away from 10 % per digit. The cure
is the image version of minibatch standard deviation (Karras et al., 2018): one extra
feature map, the batch's average spread (``cures.batch_spread``), appended before the
discriminator's last layer. ``CURES`` names the discriminators a run can use;
``DigitsCollapseSettings`` holds the run's settings, its defaults being lesson 05's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from gan_course.classifier import DigitClassifier
from gan_course.cures import batch_spread
from gan_course.dcgan import DCGANDiscriminator, DCGANGenerator
from gan_course.device import seed_everything
from gan_course.training import TrainConfig, sampler, train


def minibatch_std_map(h: torch.Tensor) -> torch.Tensor:
    """Append the batch's spread as one constant feature map.   (N, C, H, W) -> (N, C+1, H, W).

    s = mean over (c, i, j) of sqrt( (1/N) sum_n (h_ncij - mean_n h_ncij)^2 + 1e-8 )
    (``cures.batch_spread``, the same spread the 2-D cure appends as one number)
    """
    if h.dim() != 4 or h.shape[0] < 2:
        raise ValueError(f"expected feature maps of shape (N >= 2, C, H, W), got {tuple(h.shape)}")
    s = batch_spread(h)
    return torch.cat([h, s.expand(h.shape[0], 1, h.shape[2], h.shape[3])], dim=1)


class MinibatchStdDCGANDiscriminator(nn.Module):
    """A ``DCGANDiscriminator`` whose last layer also sees ``minibatch_std_map``.

    images (N, channels, size, size) -> logits (N,). Real and fake batches must go through
    it separately (``training.game_round`` does), or the spread would mix the two.
    """

    def __init__(self, image_size: int = 16, channels: int = 1, width: int = 64):
        super().__init__()
        base = DCGANDiscriminator(image_size, channels, width)
        self.image_size, self.channels = image_size, channels
        self.body = base.net[:-1]
        last = base.net[-1]
        self.head = nn.Conv2d(last.in_channels + 1, 1, last.kernel_size, stride=1, padding=0)
        nn.init.normal_(self.head.weight, 0.0, 0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"expected images of shape (N, {', '.join(map(str, expected))}), "
                             f"got {tuple(x.shape)}")
        return self.head(minibatch_std_map(self.body(x))).flatten()


# cure name -> the discriminator class it trains with: (image_size, channels, width) -> D
CURES: dict[str, type[nn.Module]] = {
    "none": DCGANDiscriminator,
    "minibatch-std": MinibatchStdDCGANDiscriminator,
}


@dataclass(frozen=True)
class DigitsCollapseSettings:
    """One histogram-tracking run, passed by name; the defaults are lesson 05's setting.

    That setting makes collapse easy to see on the 1,438 training digits: a latent code of
    ONE number (z_dim = 1), no augmentation, small batches and a high learning rate. With
    z_dim = 32 and these settings the class histogram stayed close to even (class KL 0.06 to
    0.1 after 1,000 steps), with or without the cure.

    config: the training run (``config.snapshot_every``: steps between two histograms;
    ``config.seed`` also seeds the weights and, plus 1, the tracked codes).  width: the DCGAN's
    width.  z_dim: its latent size.  n_track: generated digits labelled per histogram.
    """

    config: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=1000, batch_size=32, lr=1e-3, snapshot_every=50))
    width: int = 32
    z_dim: int = 1
    n_track: int = 500


def train_digits_with_histogram(
    images: torch.Tensor,
    classifier: DigitClassifier,
    cure: str = "none",
    settings: DigitsCollapseSettings = DigitsCollapseSettings(),
    device: str | torch.device = "cpu",
) -> tuple[list[int], torch.Tensor]:
    """Train a DCGAN on ``images`` (N, 1, 16, 16) with the discriminator ``CURES[cure]`` and
    follow its class histogram.

    Every ``settings.config.snapshot_every`` steps the classifier labels G(z) for
    ``settings.n_track`` fixed codes. Returns (steps, counts) with counts of shape
    (len(steps), 10): row t is the histogram at steps[t], counts[t, k] = #{i : argmax
    classifier(G(z_i)) = k}.
    """
    if cure not in CURES:
        raise ValueError(f"Unknown cure {cure!r}. Valid choices: {', '.join(CURES)}")
    seed = settings.config.seed
    seed_everything(seed)
    size = images.shape[-1]
    G = DCGANGenerator(settings.z_dim, size, 1, settings.width).to(device)
    D = CURES[cure](size, 1, settings.width).to(device)
    z_track = torch.randn(settings.n_track, settings.z_dim,
                          generator=torch.Generator().manual_seed(seed + 1))

    def histogram(G: nn.Module, D: nn.Module, step: int) -> torch.Tensor:
        predicted = classifier(G(z_track.to(device))).argmax(dim=1)
        return torch.bincount(predicted.cpu(), minlength=10)

    history = train(G, D, sampler(images), settings.config, snapshot=histogram)
    return history.snapshot_steps, torch.stack(history.snapshots)
