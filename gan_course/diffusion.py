"""The diffusion family: a small DDPM-style model on the 16 x 16 digits (lesson 11, where it is
compared with the course's DCGAN and a VAE on the same judges).

One file for the family: the noise schedule, the closed-form forward (noising) step, the
noise-prediction loss, the denoiser with its time embedding, the trainer and the ancestral
sampling loop.

**The forward process** (Ho et al., 2020). Over T steps, noise is added a little at a time,
x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps_t, with a schedule beta_0 < ... < beta_{T-1}.
With alpha_t = 1 - beta_t and alpha_bar_t = prod_{s <= t} alpha_s, step t can be reached from
the clean image x_0 in one jump:

    x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps,     eps ~ N(0, I)      (``noisy``)

(t counts from 0 here: t = 0 is the first, lightest noise, t = T - 1 the last.)

**The loss.** A network eps_theta(x_t, t) learns to say which noise was added:

    L = E_{x_0, t ~ Uniform{0..T-1}, eps} [ mean over pixels (eps_theta(x_t, t) - eps)^2 ]

(Ho et al.'s "simple" loss; ``denoising_loss``).

**Sampling** (ancestral, ``sample``): x_{T-1} ~ N(0, I), then for t = T-1, ..., 0 estimate
the clean image from the predicted noise, clip it to the pixel range, and step to the
Gaussian q(x_{t-1} | x_t, x0_hat) of the forward process:

    x0_hat  = clip( (x_t - sqrt(1 - alpha_bar_t) eps_theta(x_t, t)) / sqrt(alpha_bar_t), -1, 1 )
    x_{t-1} = c0_t x0_hat + c1_t x_t + sqrt(beta_t) z,     z ~ N(0, I)  (z = 0 at t = 0)
    c0_t = sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t),
    c1_t = sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t),   alpha_bar_{-1} = 1.

Without the clip this is exactly x_{t-1} = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_theta)
/ sqrt(alpha_t) + sqrt(beta_t) z (Ho et al.'s algorithm 2); the clip keeps an imperfect
denoiser's early mistakes from pushing pixels far outside [-1, 1] (in one trial while lesson
11 was made, a short-trained perceptron sampled without the clip drew saturated blobs).

T network calls per image: the price of diffusion's samples. Its training is a plain
regression (no adversary), which is why it is stable.

``DiffusionConfig`` holds the settings, ``Denoiser`` is the network (a perceptron with a
sinusoidal time embedding added to each hidden layer), ``train_diffusion`` trains.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from gan_course.checkpoints import load_pretrained
from gan_course.device import module_device, seed_everything
from gan_course.images import check_images
from gan_course.training import (
    History,
    TrainConfig,
    fit,
    is_integer,
    sampler,
    settings_from_record,
)

WEIGHTS_NAME = "diffusion_digits"
IMAGE_SIZE = 16
PIXELS = IMAGE_SIZE * IMAGE_SIZE

# (model, x0, t, noise, alpha_bar) -> scalar loss
LossFn = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class DiffusionConfig:
    """The settings of a diffusion model, passed by name: ``DiffusionConfig(steps=200, ...)``.

    steps: T, the number of noise levels (and of network calls per sample).  beta_start,
    beta_end: the linear schedule of beta_t from the first to the last level.  hidden: units
    of the denoiser's hidden layers.  embed_dim: length of the sinusoidal time embedding.
    training: steps, batch size, learning rate, seed (``training.TrainConfig``).
    """

    steps: int = 200
    beta_start: float = 1e-3
    beta_end: float = 0.08
    hidden: int = 512
    embed_dim: int = 64
    training: TrainConfig = TrainConfig(steps=1800, batch_size=128, lr=1e-3, betas=(0.9, 0.999),
                                        decay_from=0.6)

    def __post_init__(self) -> None:
        for name, smallest in (("steps", 1), ("hidden", 1), ("embed_dim", 2)):
            value = getattr(self, name)
            if not is_integer(value) or value < smallest:
                raise ValueError(f"{name} must be an integer >= {smallest}, got {value!r}")
        if self.embed_dim % 2:
            raise ValueError(f"embed_dim must be even (sines and cosines), got {self.embed_dim}")
        if not (0 < self.beta_start <= self.beta_end < 1):
            raise ValueError(f"need 0 < beta_start <= beta_end < 1, got {self.beta_start}, "
                             f"{self.beta_end}")
        if not isinstance(self.training, TrainConfig):
            raise TypeError(f"training must be a training.TrainConfig, got "
                            f"{type(self.training).__name__}")


def linear_schedule(config: DiffusionConfig) -> dict[str, torch.Tensor]:
    """The schedule, each (T,) float32: beta_t linear from beta_start to beta_end,
    alpha_t = 1 - beta_t, alpha_bar_t = prod_{s <= t} alpha_s."""
    betas = torch.linspace(config.beta_start, config.beta_end, config.steps)
    alphas = 1 - betas
    return {"beta": betas, "alpha": alphas, "alpha_bar": torch.cumprod(alphas, dim=0)}


def noisy(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor,
          alpha_bar: torch.Tensor) -> torch.Tensor:
    """The forward step in closed form: x_t = sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) noise.

    x0, noise: (N, C, H, W); t: (N,) int64 levels in 0..T-1; alpha_bar: (T,).
    """
    a = alpha_bar.to(x0.device)[t].view(-1, 1, 1, 1)
    return torch.sqrt(a) * x0 + torch.sqrt(1 - a) * noise


def denoising_loss(model: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                   x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor,
                   alpha_bar: torch.Tensor) -> torch.Tensor:
    """The noise-prediction loss, a scalar: mean over batch and pixels of
    (model(x_t, t) - noise)^2 with x_t = noisy(x0, t, noise, alpha_bar). Shapes as ``noisy``."""
    x_t = noisy(x0, t, noise, alpha_bar)
    return ((model(x_t, t) - noise) ** 2).mean()


def time_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of the levels t (N,) -> (N, dim): [sin(t w_k), cos(t w_k)] with
    w_k = 1000^(-k / (dim/2)), k = 0..dim/2 - 1 (Vaswani et al.'s positions, base 1000)."""
    half = dim // 2
    frequencies = torch.exp(-math.log(1000.0) * torch.arange(half, device=t.device) / half)
    angles = t.float()[:, None] * frequencies[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class Denoiser(nn.Module):
    """eps_theta(x_t, t): x_t (N, 1, 16, 16), t (N,) int64 -> predicted noise (N, 1, 16, 16).

    A three-layer perceptron on the 256 pixels; the time embedding, through its own linear
    map per layer, is added to each hidden layer's input to the activation, and a skip
    path scales the input by a learned number per level:
    h1 = silu(W1 x + E1 e(t)),  h2 = silu(W2 h1 + E2 e(t)),  out = W3 h2 + s(e(t)) x.
    (The best guess of the noise is close to a multiple of x_t where the noise dominates;
    without the skip, in lesson 11's trials, the perceptron left visible pixel noise in its
    samples.)
    """

    def __init__(self, config: DiffusionConfig = DiffusionConfig()):
        super().__init__()
        self.embed_dim = config.embed_dim
        self.layer1 = nn.Linear(PIXELS, config.hidden)
        self.layer2 = nn.Linear(config.hidden, config.hidden)
        self.out = nn.Linear(config.hidden, PIXELS)
        self.time1 = nn.Linear(config.embed_dim, config.hidden)
        self.time2 = nn.Linear(config.embed_dim, config.hidden)
        self.skip = nn.Linear(config.embed_dim, 1)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"expected images of shape (N, 1, 16, 16), got {tuple(x.shape)}")
        if t.shape != (len(x),):
            raise ValueError(f"expected t of shape ({len(x)},), got {tuple(t.shape)}")
        e = time_embedding(t, self.embed_dim)
        h = self.act(self.layer1(x.flatten(1)) + self.time1(e))
        h = self.act(self.layer2(h) + self.time2(e))
        return self.out(h).view_as(x) + self.skip(e).view(-1, 1, 1, 1) * x


def train_diffusion(images: torch.Tensor, config: DiffusionConfig = DiffusionConfig(),
                    loss_fn: LossFn = denoising_loss, device: str | torch.device = "cpu",
                    ) -> tuple[Denoiser, History]:
    """Train a denoiser on ``images`` (N, 1, 16, 16) in [-1, 1]; return (model in eval mode,
    History with "loss" per step and "seconds", the training wall time).

    Each step: a batch x0 (``training.sampler``), levels t ~ Uniform{0..T-1}, noise
    eps ~ N(0, I), one Adam step on loss_fn(model, x0, t, eps, alpha_bar).
    """
    check_images(images, in_range=True)
    settings = config.training
    seed_everything(settings.seed)
    model = Denoiser(config).to(device)
    alpha_bar = linear_schedule(config)["alpha_bar"].to(device)
    sample_real = sampler(images.float())

    def step_loss(rng: torch.Generator) -> torch.Tensor:
        x0 = sample_real(settings.batch_size, rng).to(device)
        t = torch.randint(config.steps, (settings.batch_size,), generator=rng).to(device)
        noise = torch.randn(x0.shape, generator=rng).to(device)
        return loss_fn(model, x0, t, noise, alpha_bar)

    history = fit(model, step_loss, settings, desc="diffusion")
    return model.eval(), history


@torch.no_grad()
def sample(model: Denoiser, n: int, config: DiffusionConfig,
           generator: torch.Generator | None = None, progress: bool = True) -> torch.Tensor:
    """n digits by ancestral sampling with x0_hat clipped (see the module docstring): T calls
    of the model, noise drawn on the CPU; returns (n, 1, 16, 16) clamped to [-1, 1] on the
    model's device."""
    if not is_integer(n) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    device = module_device(model)
    schedule = {k: v.to(device) for k, v in linear_schedule(config).items()}
    x = torch.randn(n, 1, IMAGE_SIZE, IMAGE_SIZE, generator=generator).to(device)
    for t in tqdm(range(config.steps - 1, -1, -1), desc="sampling", disable=not progress,
                  mininterval=1.0):
        levels = torch.full((n,), t, dtype=torch.long, device=device)
        eps = model(x, levels)
        beta, alpha = schedule["beta"][t], schedule["alpha"][t]
        alpha_bar = schedule["alpha_bar"][t]
        alpha_bar_before = schedule["alpha_bar"][t - 1] if t > 0 else torch.ones_like(alpha_bar)
        x0_hat = ((x - torch.sqrt(1 - alpha_bar) * eps) / torch.sqrt(alpha_bar)).clamp(-1, 1)
        x = (torch.sqrt(alpha_bar_before) * beta / (1 - alpha_bar) * x0_hat
             + torch.sqrt(alpha) * (1 - alpha_bar_before) / (1 - alpha_bar) * x)
        if t > 0:
            x = x + torch.sqrt(beta) * torch.randn(x.shape, generator=generator).to(device)
    return x.clamp(-1, 1)


def shipped_config() -> DiffusionConfig:
    """The settings of the shipped weights (``python tools/train_generative_weights.py``
    made them), from MANIFEST.json's record of the checkpoint."""
    fields, training = settings_from_record(load_pretrained(WEIGHTS_NAME)["meta"],
                                            ignore=("fid",))
    return DiffusionConfig(**fields, training=training)


def from_pretrained(map_location: str | torch.device = "cpu") -> tuple[Denoiser, dict]:
    """The shipped model (sha256-checked), in eval mode on ``map_location``, and its meta
    (settings, training seconds and FID as recorded when it was made)."""
    checkpoint = load_pretrained(WEIGHTS_NAME, map_location=map_location)
    model = Denoiser(shipped_config())
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(map_location).eval(), checkpoint["meta"]
