"""The VAE family: a variational autoencoder on the 16 x 16 digits (lesson 11, where it is
compared with the course's DCGAN and a small diffusion model on the same judges).

One file for the family: the encoder and decoder, the reparameterisation, the loss (the
negative ELBO), the trainer and the sampler.

**The model** (Kingma and Welling, 2014). A latent z ~ N(0, I) of ``z_dim`` numbers; a
decoder turns z into the mean x_hat(z) of a Gaussian over the image with a fixed standard
deviation sigma (``recon_std``) per pixel. An encoder q(z | x) = N(mu(x), diag(exp(log_var(x))))
guesses which z made an image x. For every x the evidence lower bound (ELBO) holds:

    log p(x)  >=  ELBO(x) = E_{z ~ q(z|x)} [log p(x | z)] - KL(q(z | x) || N(0, I))

and training maximises it: we minimise its negative, averaged over the batch,

    L = mean_batch [ sum_pixels (x - x_hat(z))^2 / (2 sigma^2)                 (reconstruction)
                   + 1/2 sum_latent (mu^2 + exp(log_var) - 1 - log_var) ]      (KL to N(0, I))

dropping the constant D/2 log(2 pi sigma^2) of the Gaussian (D = 256 pixels), with one draw
of z per image. **The reparameterisation**: z = mu + exp(log_var / 2) * eps with
eps ~ N(0, I) drawn outside the network, so the gradient reaches mu and log_var through z
(sampling z ~ q directly would cut it).

**Beyond samples** the VAE gives an encoder (an image -> its latent mu, log_var) and the
bound itself: -L (plus the constant) is a lower bound on log p(x) per image.

``VAEConfig`` holds the settings, ``train_vae`` trains (batches from ``training.sampler``),
``VAE.sample`` draws digits. ``loss_fn`` lets lesson 11 pass the learner's own loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

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

WEIGHTS_NAME = "vae_digits"
IMAGE_SIZE = 16
PIXELS = IMAGE_SIZE * IMAGE_SIZE

# The signature of the loss: (x, mu, log_var, noise, decode, recon_std) -> scalar.
LossFn = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class VAEConfig:
    """The settings of a VAE, passed by name: ``VAEConfig(z_dim=8, training=...)``.

    z_dim: length of the latent z.  hidden: units of the encoder's and decoder's hidden
    layers.  recon_std: sigma, the decoder's fixed per-pixel standard deviation (on the
    [-1, 1] pixel scale); smaller sigma weighs reconstruction more against the KL term.
    training: steps, batch size, learning rate, seed (``training.TrainConfig``; decay_from
    is used, betas are Adam's).
    """

    z_dim: int = 8
    hidden: int = 256
    recon_std: float = 0.3
    training: TrainConfig = TrainConfig(steps=3000, batch_size=128, lr=2e-3, betas=(0.9, 0.999),
                                        decay_from=0.6)

    def __post_init__(self) -> None:
        for name in ("z_dim", "hidden"):
            value = getattr(self, name)
            if not is_integer(value) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        std = self.recon_std
        if isinstance(std, bool) or not isinstance(std, (int, float)) or \
                not (std > 0 and math.isfinite(std)):
            raise ValueError(f"recon_std must be a finite number > 0, got {std!r}")
        if not isinstance(self.training, TrainConfig):
            raise TypeError(f"training must be a training.TrainConfig, got "
                            f"{type(self.training).__name__}")


class VAE(nn.Module):
    """Encoder x (N, 1, 16, 16) -> (mu, log_var), each (N, z_dim); decoder z (N, z_dim) ->
    x_hat (N, 1, 16, 16) in [-1, 1] (tanh). Both are two-layer perceptrons."""

    def __init__(self, config: VAEConfig = VAEConfig()):
        super().__init__()
        self.z_dim = config.z_dim
        self.encoder = nn.Sequential(
            nn.Flatten(), nn.Linear(PIXELS, config.hidden), nn.SiLU(),
            nn.Linear(config.hidden, config.hidden), nn.SiLU(),
            nn.Linear(config.hidden, 2 * config.z_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(config.z_dim, config.hidden), nn.SiLU(),
            nn.Linear(config.hidden, config.hidden), nn.SiLU(),
            nn.Linear(config.hidden, PIXELS), nn.Tanh(),
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (N, 1, 16, 16) -> mu, log_var, each (N, z_dim)."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"expected images of shape (N, 1, 16, 16), got {tuple(x.shape)}")
        mu, log_var = self.encoder(x).chunk(2, dim=1)
        return mu, log_var

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (N, z_dim) -> x_hat (N, 1, 16, 16), the decoder's mean image."""
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"expected z of shape (N, {self.z_dim}), got {tuple(z.shape)}")
        return self.decoder(z).view(-1, 1, IMAGE_SIZE, IMAGE_SIZE)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n digits: z ~ N(0, I) drawn on the CPU, returned as the decoder's means x_hat(z)
        (N, 1, 16, 16) on the model's device (the mean, without the pixel noise sigma)."""
        if not is_integer(n) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        z = torch.randn(n, self.z_dim, generator=generator)
        return self.decode(z.to(module_device(self)))


def reparameterise(mu: torch.Tensor, log_var: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """z = mu + exp(log_var / 2) * noise, all (N, z_dim): a draw from N(mu, exp(log_var))
    through which gradients reach mu and log_var."""
    return mu + torch.exp(0.5 * log_var) * noise


def kl_to_standard_normal(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(log_var))) || N(0, I)) per sample, (N,):
    1/2 sum_j (mu_j^2 + exp(log_var_j) - 1 - log_var_j)."""
    return 0.5 * (mu ** 2 + torch.exp(log_var) - 1 - log_var).sum(dim=1)


def negative_elbo(x: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor,
                  noise: torch.Tensor, decode: Callable[[torch.Tensor], torch.Tensor],
                  recon_std: float) -> torch.Tensor:
    """The VAE's loss, a scalar: the batch mean of the negative ELBO (without its constant).

    x (N, 1, 16, 16); mu, log_var, noise (N, z_dim); decode: z (N, z_dim) -> x_hat like x.
    z = mu + exp(log_var / 2) * noise;
    L = mean_n [ sum_pixels (x - decode(z))^2 / (2 recon_std^2) + KL_n ]
    with KL_n = 1/2 sum_j (mu_j^2 + exp(log_var_j) - 1 - log_var_j).
    """
    z = reparameterise(mu, log_var, noise)
    x_hat = decode(z)
    reconstruction = ((x - x_hat) ** 2).flatten(1).sum(dim=1) / (2 * recon_std ** 2)
    return (reconstruction + kl_to_standard_normal(mu, log_var)).mean()


def train_vae(images: torch.Tensor, config: VAEConfig = VAEConfig(),
              loss_fn: LossFn = negative_elbo, device: str | torch.device = "cpu",
              ) -> tuple[VAE, History]:
    """Train a VAE on ``images`` (N, 1, 16, 16) in [-1, 1]; return (model in eval mode, History).

    Seeds everything with ``config.training.seed``; each step draws a batch with replacement
    (``training.sampler``) and noise eps ~ N(0, I), and takes one Adam step on
    loss_fn(x, mu, log_var, eps, model.decode, recon_std). History records "loss" per step
    and, in ``losses["seconds"]``, the training wall time (one entry).
    """
    check_images(images, in_range=True)
    settings = config.training
    seed_everything(settings.seed)
    model = VAE(config).to(device)
    sample_real = sampler(images.float())

    def step_loss(rng: torch.Generator) -> torch.Tensor:
        x = sample_real(settings.batch_size, rng).to(device)
        noise = torch.randn(settings.batch_size, config.z_dim, generator=rng).to(device)
        mu, log_var = model.encode(x)
        return loss_fn(x, mu, log_var, noise, model.decode, config.recon_std)

    history = fit(model, step_loss, settings, desc="VAE")
    return model.eval(), history


@torch.no_grad()
def elbo_per_image(model: VAE, images: torch.Tensor, recon_std: float,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """The ELBO of each image (N,), in nats, with one draw of z and the Gaussian's constant
    -D/2 log(2 pi sigma^2) included: a lower bound on log p(x) under the model (for the
    density of pixels on the [-1, 1] scale)."""
    x = images.to(module_device(model))
    mu, log_var = model.encode(x)
    noise = torch.randn(mu.shape, generator=generator).to(mu.device)
    x_hat = model.decode(reparameterise(mu, log_var, noise))
    reconstruction = ((x - x_hat) ** 2).flatten(1).sum(dim=1) / (2 * recon_std ** 2)
    constant = 0.5 * PIXELS * math.log(2 * math.pi * recon_std ** 2)
    return (-(reconstruction + constant) - kl_to_standard_normal(mu, log_var)).cpu()


def shipped_config() -> VAEConfig:
    """The settings of the shipped weights (``python tools/train_generative_weights.py``
    made them), from MANIFEST.json's record of the checkpoint."""
    fields, training = settings_from_record(load_pretrained(WEIGHTS_NAME)["meta"],
                                            ignore=("fid",))
    return VAEConfig(**fields, training=training)


def from_pretrained(map_location: str | torch.device = "cpu") -> tuple[VAE, dict]:
    """The shipped model (sha256-checked), in eval mode on ``map_location``, and its meta
    (settings, training seconds and FID as recorded when it was made)."""
    checkpoint = load_pretrained(WEIGHTS_NAME, map_location=map_location)
    model = VAE(shipped_config())
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(map_location).eval(), checkpoint["meta"]
