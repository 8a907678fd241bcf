"""Train a DCGAN on your own images with one call.

    from gan_course.gan_api import train_gan
    G, history = train_gan(images)          # images: (N, C, H, W) float tensor in [-1, 1]
    samples = G.sample(16)

Everything is the course's own parts put together: ``dcgan`` models, the non-saturating
loss, ``training.train`` (Adam, lr 2e-4, beta1 0.5) and a random-shift augmentation of the
discriminator's input, which helps when there are only a few thousand images.
"""

from __future__ import annotations

import torch

from gan_course.augment import ShiftAugment
from gan_course.checkpoints import load_pretrained
from gan_course.dcgan import DCGANDiscriminator, DCGANGenerator
from gan_course.device import pick_device, seed_everything
from gan_course.training import History, train


def check_images(images: torch.Tensor) -> None:
    """Refuse, with a message that says how to fix it, anything that is not a float tensor
    (N, C, H, W) with C in {1, 3}, H = W a power of two >= 8, and values in [-1, 1]."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor, got {type(images).__name__} "
                        "(for a NumPy array use torch.from_numpy(array))")
    if not images.is_floating_point():
        raise TypeError(f"images must be floating point, got {images.dtype}: convert 8-bit "
                        "pixels with images.float() / 127.5 - 1")
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape (N, C, H, W) with C = 1 or 3, got "
                         f"{tuple(images.shape)} (add a channel axis with images[:, None])")
    height, width = images.shape[2:]
    if height != width or height < 8 or height & (height - 1):
        raise ValueError(f"images must be square with a side of 8, 16, 32, 64..., got "
                         f"{height} x {width} (resize them first)")
    low, high = images.min().item(), images.max().item()
    if low < -1.0 - 1e-6 or high > 1.0 + 1e-6:
        raise ValueError(f"images must lie in [-1, 1], got [{low:.3g}, {high:.3g}] (8-bit "
                         "pixels: x / 127.5 - 1; pixels in [0, 1]: x * 2 - 1)")


def train_gan(
    images: torch.Tensor,
    steps: int = 2000,
    batch_size: int = 128,
    z_dim: int = 32,
    width: int = 64,
    lr: float = 2e-4,
    max_shift: int = 1,
    decay_from: float = 0.6,
    device: str | None = None,
    seed: int = 0,
    snapshot_every: int = 0,
    progress: bool = True,
) -> tuple[DCGANGenerator, History]:
    """Train a DCGAN on ``images`` (N, C, H, W) in [-1, 1]; return (G in eval mode, history).

    steps: generator updates (each with one discriminator update on a batch of real images
    drawn with replacement). max_shift: pixels of random shift for the discriminator's input
    (0 turns augmentation off). device: None for ``pick_device()``. With ``snapshot_every``,
    ``history.snapshots`` holds G(z) for 64 fixed codes (CPU tensors) every so many steps.
    """
    check_images(images)
    seed_everything(seed)
    target = pick_device(device)
    size, channels = images.shape[2], images.shape[1]
    G = DCGANGenerator(z_dim, size, channels, width).to(target)
    D = ShiftAugment(DCGANDiscriminator(size, channels, width), max_shift).to(target)
    data = images.detach().cpu()

    def sample_real(n: int, generator: torch.Generator) -> torch.Tensor:
        return data[torch.randint(len(data), (n,), generator=generator)]

    z_fixed = torch.randn(64, z_dim, generator=torch.Generator().manual_seed(seed + 1))

    def snapshot(G: DCGANGenerator, D: torch.nn.Module, step: int) -> torch.Tensor:
        return G(z_fixed.to(target)).cpu()

    history = train(G, D, sample_real, steps=steps, batch_size=batch_size, lr=lr,
                    decay_from=decay_from, snapshot_every=snapshot_every,
                    snapshot=snapshot if snapshot_every else None, seed=seed, progress=progress)
    return G.eval(), history


def pretrained_digits_generator(map_location: str | torch.device | None = None) -> DCGANGenerator:
    """The course's shipped DCGAN for 16 x 16 digits (``python tools/train_weights.py
    dcgan-digits`` made it), sha256-checked, on ``map_location`` (default: the CPU), in eval
    mode."""
    checkpoint = load_pretrained("dcgan_digits", map_location=map_location or "cpu")
    meta = checkpoint["meta"]
    G = DCGANGenerator(meta["z_dim"], meta["image_size"], 1, meta["width"])
    G.load_state_dict(checkpoint["state_dict"])
    return G.to(map_location or "cpu").eval()
