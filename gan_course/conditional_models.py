"""The players of a class-conditional GAN, and the guard on their labels.

* ``ConditionalGenerator`` G(z, y): a learned embedding e(y) is concatenated to z, then the
  DCGAN body draws the image;
* ``ProjectionDiscriminator`` (Miyato and Koyama, 2018): features h = phi(x), then
  logit = w . h + b + <embed(y), h>: an unconditional score plus a class-matching term;
* ``ConcatDiscriminator``: y as n_classes constant one-hot maps stacked onto the image
  channels, so the first convolution sees it (``one_hot`` makes the vectors; the
  discriminator takes any function with its signature, e.g. a learner's).

``gan_course.conditional`` trains and evaluates them.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gan_course.dcgan import count_doublings, dcgan_init, down_block, up_block


def check_labels(labels: torch.Tensor, n_classes: int) -> None:
    """Refuse anything but an int tensor (N,) with values in 0..n_classes-1, saying why."""
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"labels must be a torch.Tensor, got {type(labels).__name__}: pass "
                        "torch.tensor([...], dtype=torch.int64), e.g. torch.tensor([3, 7])")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise TypeError(f"labels must be integers, got {labels.dtype}: pass "
                        "torch.tensor([...]) of int64 (or convert with labels.long())")
    if labels.dim() != 1:
        raise ValueError(f"labels must have shape (N,), one class per image, got "
                         f"{tuple(labels.shape)} (flatten them with labels.reshape(-1))")
    bad = labels[(labels < 0) | (labels >= n_classes)]
    if len(bad) > 0:
        shown = sorted(set(bad.tolist()))[:10]
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {shown}")


def one_hot(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """(N,) class indices -> (N, n_classes) float32, a single 1 per row (in column labels[i]),
    on the labels' device. Refuses what ``check_labels`` refuses (TypeError, ValueError)."""
    check_labels(labels, n_classes)
    return F.one_hot(labels, n_classes).float()


def _check_pairs(x: torch.Tensor, labels: torch.Tensor, n_classes: int) -> None:
    """Labels valid, and exactly one per row of ``x``."""
    check_labels(labels, n_classes)
    if len(labels) != len(x):
        raise ValueError(f"need one label per row: {len(x)} rows but {len(labels)} labels")


class ConditionalGenerator(nn.Module):
    """G: (z (N, z_dim), y (N,)) -> images (N, channels, image_size, image_size) in [-1, 1].

    input = [z, e(y)] (N, z_dim + n_classes), with e a learned embedding of size n_classes;
    the rest is the DCGAN generator (transposed convolutions, batch norm, ReLU, tanh).
    """

    def __init__(self, z_dim: int = 32, n_classes: int = 10, image_size: int = 16,
                 channels: int = 1, width: int = 64):
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        self.image_size, self.channels = image_size, channels
        doublings = count_doublings(image_size)
        ch = width * 2 ** (doublings - 1)
        self.embed = nn.Embedding(n_classes, n_classes)
        layers: list[nn.Module] = [  # project [z, e(y)] to a 4 x 4 map
            nn.ConvTranspose2d(z_dim + n_classes, ch, 4, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(),
        ]
        for _ in range(doublings - 1):
            layers.append(up_block(ch, ch // 2))
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, stride=2, padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"expected z of shape (N, {self.z_dim}), got {tuple(z.shape)}")
        _check_pairs(z, labels, self.n_classes)
        inputs = torch.cat([z, self.embed(labels)], dim=1)  # (N, z_dim + n_classes)
        return self.net(inputs[:, :, None, None])

    def sample(self, labels: torch.Tensor,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw z ~ N(0, I) on the CPU (reproducible) and return G(z, labels) on G's device."""
        check_labels(labels, self.n_classes)
        device = next(self.parameters()).device
        z = torch.randn(len(labels), self.z_dim, generator=generator)
        return self(z.to(device), labels.to(device))


def _features(image_size: int, channels: int, width: int) -> tuple[nn.Sequential, int]:
    """phi: DCGAN down-blocks (N, channels, S, S) -> (N, ch, 4, 4); returns (phi, ch)."""
    layers: list[nn.Module] = [down_block(channels, width, batch_norm=False)]
    ch = width
    for _ in range(count_doublings(image_size) - 1):
        layers.append(down_block(ch, ch * 2))
        ch *= 2
    return nn.Sequential(*layers), ch


def _check_images(x: torch.Tensor, channels: int, image_size: int) -> None:
    expected = (channels, image_size, image_size)
    if x.dim() != 4 or tuple(x.shape[1:]) != expected:
        raise ValueError(f"expected images of shape (N, {', '.join(map(str, expected))}), "
                         f"got {tuple(x.shape)}")


class ProjectionDiscriminator(nn.Module):
    """D: (x (N, C, S, S), y (N,)) -> logits (N,), with a projection of the label.

    h = flatten(phi(x))  (N, 16 ch);  logit = w . h + b + <embed(y), h>.
    With embed = 0 this is exactly the DCGAN discriminator (its last 4 x 4 convolution is
    the linear map w . h + b).
    """

    def __init__(self, n_classes: int = 10, image_size: int = 16, channels: int = 1,
                 width: int = 64):
        super().__init__()
        self.n_classes, self.image_size, self.channels = n_classes, image_size, channels
        self.phi, ch = _features(image_size, channels, width)
        self.linear = nn.Linear(ch * 16, 1)
        self.embed = nn.Embedding(n_classes, ch * 16)
        self.apply(dcgan_init)
        nn.init.normal_(self.linear.weight, 0.0, 0.02)
        nn.init.zeros_(self.linear.bias)
        nn.init.normal_(self.embed.weight, 0.0, 0.02)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        _check_images(x, self.channels, self.image_size)
        _check_pairs(x, labels, self.n_classes)
        h = self.phi(x).flatten(start_dim=1)                  # (N, 16 ch)
        projection = (self.embed(labels) * h).sum(dim=1)      # <embed(y), h>  (N,)
        return self.linear(h).flatten() + projection


class ConcatDiscriminator(nn.Module):
    """D: (x (N, C, S, S), y (N,)) -> logits (N,), label as one-hot maps.

    input = [x, onehot(y) broadcast to S x S]  (N, C + n_classes, S, S), then the DCGAN
    discriminator. ``one_hot_fn(labels, n_classes) -> (N, n_classes)`` makes the one-hot
    vectors (default ``one_hot``; lesson 03 passes the learner's own).
    """

    def __init__(self, n_classes: int = 10, image_size: int = 16, channels: int = 1,
                 width: int = 64,
                 one_hot_fn: Callable[[torch.Tensor, int], torch.Tensor] = one_hot):
        super().__init__()
        self.n_classes, self.image_size, self.channels = n_classes, image_size, channels
        self.one_hot_fn = one_hot_fn
        self.phi, ch = _features(image_size, channels + n_classes, width)
        self.head = nn.Conv2d(ch, 1, 4, stride=1, padding=0)  # 4 x 4 -> 1 x 1 logit
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        _check_images(x, self.channels, self.image_size)
        _check_pairs(x, labels, self.n_classes)
        onehot = self.one_hot_fn(labels, self.n_classes)          # (N, n_classes)
        if tuple(onehot.shape) != (len(labels), self.n_classes):
            raise ValueError(f"one_hot_fn must return shape ({len(labels)}, {self.n_classes}), "
                             f"got {tuple(onehot.shape)}")
        onehot = onehot.to(device=x.device, dtype=x.dtype)
        maps = onehot[:, :, None, None].expand(-1, -1, self.image_size, self.image_size)
        return self.head(self.phi(torch.cat([x, maps], dim=1))).flatten()
