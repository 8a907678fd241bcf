"""The players of a CycleGAN (Zhu, Park, Isola and Efros, 2017), sized for 16 x 16 images.

* ``ResnetBlock``: x + F(x), where F is two 3 x 3 convolutions; the block starts near the
  identity, which suits translation (most of the input should come through unchanged).
* ``ResnetGenerator`` G: image -> image of the same size. Encoder (7 x 7 convolution, one
  stride-2 convolution), a few ResNet blocks at half resolution, decoder (one transposed
  convolution, 7 x 7 convolution, tanh). Instance norm and reflection padding, as in the
  paper. For 16 x 16 grey images and ``width=32``::

      (N, 1, 16, 16) -> (N, 32, 16, 16) -> (N, 64, 8, 8) -> [n_blocks x ResnetBlock(64)]
                     -> (N, 32, 16, 16) -> (N, 1, 16, 16)

* ``PatchDiscriminator`` D: image -> a map of scores, one per overlapping patch, instead of
  one score per image. For 16 x 16 inputs the map is (N, 1, 8, 8) and every score sees a
  12 x 12 patch (receptive field 4 -> 8 -> 12 through the three convolutions). The scores
  are raw numbers for the least-squares loss (target 1 for real, 0 for fake); no sigmoid.

``gan_course.cyclegan`` has the losses, the image pool and the training loop.
"""

from __future__ import annotations

import torch
from torch import nn


def check_images(x: object, channels: int, image_size: int, what: str = "images") -> None:
    """Refuse anything but a float tensor (N, channels, image_size, image_size), saying why."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} must be a torch.Tensor of shape (N, {channels}, {image_size}, "
                        f"{image_size}), got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{what} must be floating point with values in [-1, 1], got {x.dtype}: "
                        "convert with images.float() / 127.5 - 1 for 0..255 pixels")
    expected = (channels, image_size, image_size)
    if x.dim() != 4 or tuple(x.shape[1:]) != expected:
        hint = ""
        if x.dim() == 3 and tuple(x.shape) == expected:
            hint = " (a single image: add the batch dimension with x[None])"
        elif x.dim() == 4 and x.shape[1] != channels:
            hint = (f" ({x.shape[1]} channels where {channels} are expected: "
                    "is it an image from another domain or data set?)")
        raise ValueError(f"{what} must have shape (N, {', '.join(map(str, expected))}), "
                         f"got {tuple(x.shape)}{hint}")


def norm_act(channels: int) -> list[nn.Module]:
    """InstanceNorm2d (per image and channel: mean 0, variance 1, learned scale and shift)
    followed by ReLU."""
    return [nn.InstanceNorm2d(channels, affine=True), nn.ReLU()]


class ResnetBlock(nn.Module):
    """y = x + F(x),  F = [reflect-pad, conv 3 x 3, IN, ReLU, reflect-pad, conv 3 x 3, IN].

    Shape (N, C, H, W) -> (N, C, H, W).
    """

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3),
            *norm_act(channels),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """G: (N, channels, S, S) in [-1, 1] -> (N, out_channels, S, S) in [-1, 1] (tanh).

    S must be even (one halving and one doubling). ``width`` is the number of channels at
    full resolution; the ResNet blocks run at S/2 with 2 * width channels.
    """

    def __init__(self, channels: int = 1, out_channels: int | None = None,
                 image_size: int = 16, width: int = 32, n_blocks: int = 3):
        super().__init__()
        if image_size % 2 or image_size < 8:
            raise ValueError(f"image_size must be even and at least 8, got {image_size}")
        self.channels, self.image_size = channels, image_size
        self.out_channels = channels if out_channels is None else out_channels
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3), nn.Conv2d(channels, width, 7), *norm_act(width),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), *norm_act(2 * width),
        ]
        layers += [ResnetBlock(2 * width) for _ in range(n_blocks)]
        layers += [
            nn.ConvTranspose2d(2 * width, width, 3, stride=2, padding=1, output_padding=1),
            *norm_act(width),
            nn.ReflectionPad2d(3), nn.Conv2d(width, self.out_channels, 7), nn.Tanh(),
        ]
        self.net = nn.Sequential(*layers)
        self.apply(normal_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, self.channels, self.image_size, "the generator's input")
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """D: (N, channels, S, S) -> patch scores (N, 1, S/2, S/2), one per overlapping patch.

    conv 4 x 4 stride 2 -> LeakyReLU(0.2) -> conv 3 x 3 -> IN -> LeakyReLU(0.2) -> conv 3 x 3.
    Each score looks at a 12 x 12 window of the input (less at the borders, where the
    windows hang over the padding); only the instance norm's mean and variance, one pair
    per image and channel, carry information from the rest of the image.
    """

    def __init__(self, channels: int = 1, image_size: int = 16, width: int = 32):
        super().__init__()
        if image_size % 2:
            raise ValueError(f"image_size must be even, got {image_size}")
        self.channels, self.image_size = channels, image_size
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.InstanceNorm2d(2 * width, affine=True), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 1, 3, padding=1),
        )
        self.apply(normal_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, self.channels, self.image_size, "the discriminator's input")
        return self.net(x)


def normal_init(module: nn.Module) -> None:
    """The paper's initialisation, for ``model.apply(normal_init)``: convolution weights
    ~ N(0, 0.02) and biases 0; instance-norm scales ~ N(1, 0.02) and shifts 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.InstanceNorm2d) and module.weight is not None:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
