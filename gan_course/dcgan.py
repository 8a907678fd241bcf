"""The DCGAN family in one file (lesson 02 builds it; lessons 06 and 07 use it): the generator
and discriminator (Radford, Metz and Chintala, 2016), sized from the image; the recipe
``train_gan`` that trains both on your images with one call (lessons 02 and 07); and the
course's shipped generator, ``DCGANGenerator.from_pretrained`` (lessons 02 and 06). Lesson
03's conditional players, lesson 05's digit collapse and lesson 07's anomaly encoder reuse its
blocks.

The paper's guidelines, all followed here:

* no pooling: the discriminator halves the resolution with strided convolutions, the
  generator doubles it with transposed (fractionally strided) convolutions;
* batch normalisation in both networks, except the generator's output layer and the
  discriminator's input layer;
* ReLU in the generator with tanh at the output (images live in [-1, 1]); LeakyReLU
  (slope 0.2) in the discriminator;
* weights drawn from N(0, 0.02).

For a 16 x 16 grey image and ``width=64`` the shapes are::

    G: z (N, z_dim, 1, 1) -> (N, 128, 4, 4) -> (N, 64, 8, 8) -> (N, 1, 16, 16)
    D: x (N, 1, 16, 16)   -> (N, 64, 8, 8)  -> (N, 128, 4, 4) -> logit (N,)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from gan_course.augment import ShiftAugment
from gan_course.checkpoints import load_pretrained
from gan_course.device import module_device, pick_device, seed_everything
from gan_course.images import check_images
from gan_course.training import History, TrainConfig, is_integer, sampler, train

WEIGHTS_NAME = "dcgan_digits"

Block = Callable[..., nn.Module]


def conv_output_size(size: int, kernel: int, stride: int, padding: int,
                     transposed: bool = False) -> int:
    """Side length after a square (transposed) convolution; lesson 02 asks the learner to derive it.

    A convolution fits its kernel into the padded input (size + 2 padding) at positions 0,
    stride, 2 stride, ...: floor((size + 2 padding - kernel) / stride) + 1 of them. A
    transposed convolution runs that map backwards, from the output size to the input size:
    (size - 1) stride - 2 padding + kernel. Refuses sizes, kernels or strides below 1, a
    negative padding and a result below 1 (a kernel that does not fit) with a ValueError.
    """
    if min(size, kernel, stride) < 1 or padding < 0:
        raise ValueError(f"size, kernel and stride must be >= 1 and padding >= 0, got size={size}, "
                         f"kernel={kernel}, stride={stride}, padding={padding}")
    if transposed:
        out = (size - 1) * stride - 2 * padding + kernel
    else:
        out = (size + 2 * padding - kernel) // stride + 1
    if out < 1:
        raise ValueError(f"a kernel of {kernel} with padding {padding} does not fit a side of "
                         f"{size} (the output would be {out})")
    return out


def up_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """Double the resolution: (N, in, H, W) -> (N, out, 2H, 2W).

    ConvTranspose2d(kernel 4, stride 2, padding 1) -> BatchNorm2d -> ReLU. The convolution
    has no bias: batch norm subtracts each channel's batch mean, which removes any constant
    added before it (and batch norm's own shift puts a learned one back).
    """
    return nn.Sequential(
        nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


def down_block(in_channels: int, out_channels: int, batch_norm: bool = True) -> nn.Sequential:
    """Halve the resolution: (N, in, H, W) -> (N, out, H/2, W/2).

    Conv2d(kernel 4, stride 2, padding 1) -> [BatchNorm2d] -> LeakyReLU(0.2).
    """
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, 4, stride=2, padding=1, bias=not batch_norm)
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation, for ``model.apply(dcgan_init)``.

    Convolution weights ~ N(0, 0.02) (the paper) and biases, if any, 0; batch-norm scale
    ~ N(1, 0.02) and shift 0 (the authors' code and PyTorch's DCGAN example).
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def count_doublings(image_size: int) -> int:
    """How many times 4 x 4 doubles to reach ``image_size`` (a power of two, at least 8)."""
    steps = math.log2(image_size / 4) if image_size > 0 else -1
    if image_size < 8 or steps != int(steps):
        raise ValueError(f"image_size must be a power of two >= 8 (8, 16, 32...), got {image_size}")
    return int(steps)


class DCGANGenerator(nn.Module):
    """G: z (N, z_dim) -> images (N, channels, image_size, image_size) in [-1, 1]."""

    def __init__(self, z_dim: int = 32, image_size: int = 16, channels: int = 1,
                 width: int = 64, block: Block = up_block):
        super().__init__()
        self.z_dim, self.image_size, self.channels = z_dim, image_size, channels
        doublings = count_doublings(image_size)
        ch = width * 2 ** (doublings - 1)
        layers: list[nn.Module] = [  # project z to a 4 x 4 map
            nn.ConvTranspose2d(z_dim, ch, 4, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(),
        ]
        for _ in range(doublings - 1):
            layers.append(block(ch, ch // 2))
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, stride=2, padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"expected z of shape (N, {self.z_dim}), got {tuple(z.shape)}")
        return self.net(z[:, :, None, None])

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw z ~ N(0, I), (n, z_dim), on the CPU (for reproducibility) and return G(z),
        (n, channels, image_size, image_size), on G's device."""
        device = module_device(self)
        return self(torch.randn(n, self.z_dim, generator=generator).to(device))

    @classmethod
    def from_pretrained(cls, map_location: str | torch.device = "cpu") -> DCGANGenerator:
        """The course's shipped DCGAN for 16 x 16 digits (``python tools/train_weights.py
        dcgan-digits`` made it), sha256-checked, on ``map_location``, in eval mode."""
        checkpoint = load_pretrained(WEIGHTS_NAME, map_location=map_location)
        meta = checkpoint["meta"]
        G = cls(meta["z_dim"], meta["image_size"], meta.get("channels", 1), meta["width"])
        G.load_state_dict(checkpoint["state_dict"])
        return G.to(map_location).eval()


class DCGANDiscriminator(nn.Module):
    """D: images (N, channels, image_size, image_size) -> logits (N,)."""

    def __init__(self, image_size: int = 16, channels: int = 1, width: int = 64,
                 block: Block = down_block):
        super().__init__()
        self.image_size, self.channels = image_size, channels
        doublings = count_doublings(image_size)
        layers: list[nn.Module] = [block(channels, width, batch_norm=False)]
        ch = width
        for _ in range(doublings - 1):
            layers.append(block(ch, ch * 2))
            ch *= 2
        layers.append(nn.Conv2d(ch, 1, 4, stride=1, padding=0))  # 4 x 4 -> 1 x 1 logit
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"expected images of shape (N, {', '.join(map(str, expected))}), "
                             f"got {tuple(x.shape)}")
        return self.net(x).flatten()


# --- The recipe: train a DCGAN on your own images with one call ------------------------------

# Lesson 02's training settings: Adam at 2e-4 (betas 0.5, 0.999), batches of 128, the learning
# rates falling linearly to 5 % over the last 40 % of 2,000 steps.
DCGAN_TRAINING = TrainConfig(steps=2000, batch_size=128, lr=2e-4, decay_from=0.6)


@dataclass(frozen=True)
class DCGANConfig:
    """The settings of ``train_gan``, passed by name:
    ``DCGANConfig(width=32, training=TrainConfig(steps=300, ...))``.

    z_dim: length of the latent code.  width: channels of G's last and D's first block (the
    others double from there).  max_shift: pixels of random shift of every image the
    discriminator sees (``ShiftAugment``; 0 turns it off).  training: the run's steps, batch
    size, learning rate, seed, snapshots (``training.TrainConfig``).
    """

    z_dim: int = 32
    width: int = 64
    max_shift: int = 1
    training: TrainConfig = DCGAN_TRAINING

    def __post_init__(self) -> None:
        for name, smallest in (("z_dim", 1), ("width", 1), ("max_shift", 0)):
            value = getattr(self, name)
            if not is_integer(value) or value < smallest:
                raise ValueError(f"{name} must be an integer >= {smallest}, got {value!r}")
            object.__setattr__(self, name, int(value))  # a NumPy integer becomes a Python one
        if not isinstance(self.training, TrainConfig):
            raise TypeError(f"training must be a training.TrainConfig, got "
                            f"{type(self.training).__name__}")


@dataclass
class TrainedGAN:
    """What ``train_gan`` returns: both players, in eval mode, and the run's History.

    G: the generator.  D: the discriminator, wrapped in its ``ShiftAugment`` (which does
    nothing in eval mode); lesson 07 scores images with it.  history: the losses per step and
    the snapshots, if any were asked for.
    """

    G: DCGANGenerator
    D: ShiftAugment
    history: History


def training_images(images: torch.Tensor) -> torch.Tensor:
    """``images`` (N, C, S, S) checked for training and in float32; a ValueError or TypeError
    that says how to fix anything else.

    Refused (by ``check_images``): not a float tensor of that shape, values outside [-1, 1],
    and NaN values (training on them turns every weight into NaN). Other float types
    are converted: float32 holds every value of float16 and bfloat16 exactly, and float64
    pixels lose only digits far below what a GAN learns (about 1e-7 of the range).
    """
    check_images(images, in_range=True)  # refuses NaN pixels too, naming the images
    return images.float()


def train_gan(images: torch.Tensor, config: DCGANConfig = DCGANConfig(),
              device: str | None = None) -> TrainedGAN:
    """Train a DCGAN on ``images`` (N, C, H, W) in [-1, 1] with ``config``; return both players.

    Seeds everything with ``config.training.seed``, builds G then D (in that order: the same
    seed gives the same start), and plays ``config.training.steps`` rounds of lesson 01's game
    (``training.game_round`` with the non-saturating loss), each on a batch drawn with
    replacement:

        D step:  minimise  -E[log D(x)] - E[log(1 - D(G(z)))]     (x, G(z) randomly shifted)
        G step:  minimise  -E[log D(G(z))]

    device: None for ``pick_device()``. With ``config.training.snapshot_every`` > 0,
    ``history.snapshots`` holds G(z) for 64 fixed codes (CPU tensors) every so many steps.
    Images in float64 (what ``torch.from_numpy`` gives), float16 or bfloat16 are converted
    to float32, the networks' type; images with NaN values are refused.
    """
    images = training_images(images)
    settings = config.training
    seed_everything(settings.seed)
    target = pick_device(device)
    size, channels = images.shape[2], images.shape[1]
    G = DCGANGenerator(config.z_dim, size, channels, config.width).to(target)
    D = ShiftAugment(DCGANDiscriminator(size, channels, config.width), config.max_shift).to(target)
    z_fixed = torch.randn(64, config.z_dim,
                          generator=torch.Generator().manual_seed(settings.seed + 1))

    def snapshot(G: DCGANGenerator, D: nn.Module, step: int) -> torch.Tensor:
        return G(z_fixed.to(target)).cpu()

    history = train(G, D, sampler(images), config=settings,
                    snapshot=snapshot if settings.snapshot_every else None)
    return TrainedGAN(G.eval(), D.eval(), history)
