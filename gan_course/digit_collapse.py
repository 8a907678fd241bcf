"""Mode collapse in images: a digits DCGAN's class histogram over training, with one cure.

The evaluation classifier (lesson 02) labels a fixed batch of generated digits every so many
steps, so collapse shows up as a class histogram drifting away from 10 % per digit. The cure
is the image version of minibatch standard deviation (Karras et al., 2018): one extra
feature map, the batch's average spread, appended before the discriminator's last layer.
"""

from __future__ import annotations

import torch
from torch import nn

from gan_course.classifier import DigitClassifier
from gan_course.dcgan import DCGANDiscriminator, DCGANGenerator
from gan_course.device import seed_everything
from gan_course.training import train

# A setting that makes collapse easy to see on the 1,438 training digits, used by lesson 05
# for both runs: a latent code of ONE number (z_dim = 1), no augmentation, small batches and
# a high learning rate. With z_dim = 32 and these settings the class histogram stayed close
# to even (class KL 0.06 to 0.1 after 1,000 steps), with or without the cure.
DIGITS_COLLAPSE_SETTINGS = {"steps": 1000, "batch_size": 32, "lr": 1e-3, "width": 32, "z_dim": 1}


def minibatch_std_map(h: torch.Tensor) -> torch.Tensor:
    """Append the batch's spread as one constant feature map.   (N, C, H, W) -> (N, C+1, H, W).

    s = mean over (c, i, j) of sqrt( Var_n[h_ncij] + 1e-8 )   (variance over the batch, 1/N)
    """
    if h.dim() != 4 or h.shape[0] < 2:
        raise ValueError(f"expected feature maps of shape (N >= 2, C, H, W), got {tuple(h.shape)}")
    s = torch.sqrt(h.var(dim=0, unbiased=False) + 1e-8).mean()
    return torch.cat([h, s.expand(h.shape[0], 1, h.shape[2], h.shape[3])], dim=1)


class MinibatchStdDCGANDiscriminator(nn.Module):
    """A ``DCGANDiscriminator`` whose last layer also sees ``minibatch_std_map``.

    images (N, channels, size, size) -> logits (N,). Real and fake batches must go through
    it separately (``training.train_step`` does), or the spread would mix the two.
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


def train_digits_with_histogram(
    images: torch.Tensor,
    classifier: DigitClassifier,
    minibatch_std: bool,
    steps: int = 1000,
    batch_size: int = 32,
    lr: float = 1e-3,
    width: int = 32,
    z_dim: int = 32,
    n_track: int = 500,
    every: int = 50,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> tuple[list[int], torch.Tensor]:
    """Train a DCGAN on ``images`` (N, 1, 16, 16) and follow its class histogram.

    Every ``every`` steps the classifier labels G(z) for ``n_track`` fixed codes. Returns
    (steps, counts) with counts of shape (len(steps), 10): row t is the histogram at steps[t].
    """
    seed_everything(seed)
    size = images.shape[-1]
    G = DCGANGenerator(z_dim, size, 1, width).to(device)
    D_class = MinibatchStdDCGANDiscriminator if minibatch_std else DCGANDiscriminator
    D = D_class(size, 1, width).to(device)
    data = images.detach().cpu()
    z_track = torch.randn(n_track, z_dim, generator=torch.Generator().manual_seed(seed + 1))

    def sample_real(n: int, generator: torch.Generator) -> torch.Tensor:
        return data[torch.randint(len(data), (n,), generator=generator)]

    def histogram(G: nn.Module, D: nn.Module, step: int) -> torch.Tensor:
        predicted = classifier(G(z_track.to(device))).argmax(dim=1)
        return torch.bincount(predicted.cpu(), minlength=10)

    history = train(G, D, sample_real, steps=steps, batch_size=batch_size, lr=lr,
                    snapshot_every=every, snapshot=histogram, seed=seed,
                    progress=True)
    return history.snapshot_steps, torch.stack(history.snapshots)
