"""The CycleGAN family: translate between two image domains from unpaired examples
(lesson 04; the translation explorer widget, ``tools/train_weights.py cyclegan-digits`` and
the benchmark's grading of lesson 04 use it too).

One file for the family: the players, the game, its training settings, the shipped weights
and the grading against the hidden answer key of ``domains``.

**The players.** Two generators, G_AB: A -> B and G_BA: B -> A (``ResnetGenerator``), and two
patch discriminators, D_A (is this a real A?) and D_B (is this a real B?)
(``PatchDiscriminator``); ``CycleGAN`` holds the four and loads the shipped generators
(``CycleGAN.from_pretrained()``).

**The game.** The generators minimise

    L = L_adv + lambda_cyc * L_cyc + lambda_id * L_id

    L_adv = 1/2 E_a[(D_B(G_AB(a)) - 1)^2] + 1/2 E_b[(D_A(G_BA(b)) - 1)^2]  (least squares)
    L_cyc = E_a |G_BA(G_AB(a)) - a|  +  E_b |G_AB(G_BA(b)) - b|    (there and back again)
    L_id  = E_b |G_AB(b) - b|        +  E_a |G_BA(a) - a|          (leave the target alone)

and each discriminator minimises 1/2 E[(D(real) - 1)^2] + 1/2 E[D(fake)^2] over all its
patch scores, where the fakes come from a **history pool** of earlier generator outputs.
``cyclegan_train_step`` plays one round (lesson 04's exercise re-writes it).

**Training.** ``CycleGANConfig`` holds the CycleGAN's own settings (sizes, loss weights,
pool) and, in ``train``, the ``training.TrainConfig`` of the run: Adam (2e-4, betas 0.5,
0.999), the learning rates falling linearly to 5 % over the second half. ``DEFAULT`` is the
configuration lesson 04 and the benchmark use. ``train_cyclegan`` repeats the round with
``training.play_rounds`` and returns a ``training.History``.

**Grading.** ``grade_translation`` compares both generators with the hidden truth T.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import torch
from torch import nn

from gan_course.checkpoints import load_pretrained
from gan_course.classifier import DigitClassifier, accuracy
from gan_course.device import module_device
from gan_course.domains import PairedTest, read_b
from gan_course.images import check_images
from gan_course.losses import discriminator_loss_least_squares, generator_loss_least_squares
from gan_course.training import History, Losses, SnapshotFn, TrainConfig, play_rounds, sampler

WEIGHTS_NAME = "cyclegan_digits"


# --- The players ------------------------------------------------------------------------------

def norm_act(channels: int) -> list[nn.Module]:
    """InstanceNorm2d (per image and channel: mean 0, variance 1, learned scale and shift)
    followed by ReLU."""
    return [nn.InstanceNorm2d(channels, affine=True), nn.ReLU()]


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


class CycleGAN(nn.Module):
    """The four networks of a CycleGAN for images (N, channels, S, S)."""

    def __init__(self, channels: int = 1, image_size: int = 16, width: int = 16,
                 n_blocks: int = 2, d_width: int = 16):
        super().__init__()
        self.G_AB = ResnetGenerator(channels, channels, image_size, width, n_blocks)
        self.G_BA = ResnetGenerator(channels, channels, image_size, width, n_blocks)
        self.D_A = PatchDiscriminator(channels, image_size, d_width)
        self.D_B = PatchDiscriminator(channels, image_size, d_width)

    @classmethod
    def from_config(cls, config: CycleGANConfig, channels: int = 1,
                    image_size: int = 16) -> CycleGAN:
        """The four networks sized by ``config`` (width, n_blocks, d_width)."""
        return cls(channels, image_size, config.width, config.n_blocks, config.d_width)

    @classmethod
    def from_pretrained(cls, map_location: str | torch.device = "cpu") -> CycleGAN:
        """The shipped CycleGAN for the digit domains (``python tools/train_weights.py
        cyclegan-digits`` made it), sha256-checked, on ``map_location``, in eval mode. Only
        the generators are shipped; the discriminators are fresh."""
        checkpoint = load_pretrained(WEIGHTS_NAME, map_location=map_location)
        meta = checkpoint["meta"]
        model = cls(meta["channels"], meta["image_size"], meta["width"], meta["n_blocks"],
                    meta["d_width"])
        model.G_AB.load_state_dict(checkpoint["state_dict"]["G_AB"])
        model.G_BA.load_state_dict(checkpoint["state_dict"]["G_BA"])
        return model.to(map_location).eval()


# --- The game -----------------------------------------------------------------------------------

class ImagePool:
    """A history of generated images (Shrivastava et al., 2017), so that the discriminator
    sees fakes from many earlier generators, not only the latest one.

    ``query(images)`` returns a batch of the same shape: while the pool has room, each image
    is stored and returned as is; once it is full, each image is, with probability 1/2,
    swapped for a random stored one (which it replaces in the pool), otherwise returned as
    is. pool_size 0 turns the pool off. Images are stored detached.
    """

    def __init__(self, pool_size: int = 50, seed: int = 0):
        if pool_size < 0:
            raise ValueError(f"pool_size must be 0 or more, got {pool_size}")
        self.pool_size = pool_size
        self.images: list[torch.Tensor] = []
        self.rng = random.Random(seed)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        images = images.detach()
        if self.pool_size == 0:
            return images
        out = []
        for image in images:
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
            elif self.rng.random() < 0.5:
                k = self.rng.randrange(self.pool_size)
                out.append(self.images[k])
                self.images[k] = image
            else:
                out.append(image)
        return torch.stack(out)


def cycle_loss(real_a: torch.Tensor, reconstructed_a: torch.Tensor,
               real_b: torch.Tensor, reconstructed_b: torch.Tensor) -> torch.Tensor:
    """L_cyc = mean |G_BA(G_AB(a)) - a| + mean |G_AB(G_BA(b)) - b|  (L1, both directions).

    reconstructed_a = G_BA(G_AB(real_a)); shapes (N, C, H, W) each -> scalar."""
    return (reconstructed_a - real_a).abs().mean() + (reconstructed_b - real_b).abs().mean()


def identity_loss(G_AB: nn.Module, G_BA: nn.Module, real_a: torch.Tensor,
                  real_b: torch.Tensor) -> torch.Tensor:
    """L_id = mean |G_AB(b) - b| + mean |G_BA(a) - a|: a generator handed an image that is
    already in its target domain should leave it alone. Shapes (N, C, H, W) -> scalar."""
    return (G_AB(real_b) - real_b).abs().mean() + (G_BA(real_a) - real_a).abs().mean()


def adversarial_loss_g(D: nn.Module, fake: torch.Tensor) -> torch.Tensor:
    """1/2 E[(D(fake) - 1)^2] over every patch score: the generator wants all patches real."""
    return generator_loss_least_squares(D(fake).flatten())


def adversarial_loss_d(D: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """1/2 E[(D(real) - 1)^2] + 1/2 E[D(fake)^2] over every patch score (fake detached)."""
    return discriminator_loss_least_squares(D(real).flatten(), D(fake.detach()).flatten())


def cyclegan_train_step(
    model: CycleGAN,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real_a: torch.Tensor,
    real_b: torch.Tensor,
    pool_a: ImagePool,
    pool_b: ImagePool,
    config: CycleGANConfig,
) -> dict[str, float]:
    """One CycleGAN step: both generators together, then both discriminators.

    G step: minimise L_adv + lambda_cycle * L_cyc + lambda_identity * L_id (module docstring),
            with the two weights from ``config``; the identity term is skipped (no forward
            pass) when config.lambda_identity is 0.
    D step: minimise adversarial_loss_d(D_A, a, pool_a.query(G_BA(b)))
                   + adversarial_loss_d(D_B, b, pool_b.query(G_AB(a))).
    Returns the losses as floats: {"g", "adv", "cycle", "identity", "d"}.
    """
    fake_b, fake_a = model.G_AB(real_a), model.G_BA(real_b)
    adv = adversarial_loss_g(model.D_B, fake_b) + adversarial_loss_g(model.D_A, fake_a)
    cyc = cycle_loss(real_a, model.G_BA(fake_b), real_b, model.G_AB(fake_a))
    idt = (identity_loss(model.G_AB, model.G_BA, real_a, real_b) if config.lambda_identity
           else torch.zeros((), device=real_a.device))
    g_loss = adv + config.lambda_cycle * cyc + config.lambda_identity * idt
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()

    d_loss = (adversarial_loss_d(model.D_A, real_a, pool_a.query(fake_a))
              + adversarial_loss_d(model.D_B, real_b, pool_b.query(fake_b)))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    return {"g": g_loss.item(), "adv": adv.item(), "cycle": cyc.item(),
            "identity": idt.item(), "d": d_loss.item()}


# --- Training -------------------------------------------------------------------------------

# Lesson 04's training settings: 300 rounds of 32 images of A and 32 of B, Adam 2e-4,
# learning rates decaying over the second half.
TRAIN_DEFAULTS = TrainConfig(steps=300, batch_size=32, lr=2e-4, decay_from=0.5)


@dataclass(frozen=True)
class CycleGANConfig:
    """Everything that sets a CycleGAN run: the CycleGAN's own settings, and in ``train`` the
    run's ``TrainConfig`` (steps, batch_size, lr, betas, decay_from, seed, snapshot_every,
    progress). lambda_identity is in absolute units (the paper's 0.5 x lambda_cycle)."""

    width: int = 16            # generator channels at full resolution
    n_blocks: int = 2          # ResNet blocks
    d_width: int = 16          # discriminator channels
    lambda_cycle: float = 10.0
    lambda_identity: float = 5.0
    pool_size: int = 50
    train: TrainConfig = TRAIN_DEFAULTS

    def __post_init__(self) -> None:
        if not isinstance(self.train, TrainConfig):
            raise TypeError(f"train must be a TrainConfig, got {type(self.train).__name__}")
        if self.train.d_steps != 1:
            raise ValueError(f"a CycleGAN round plays one D step per G step: train.d_steps "
                             f"must be 1, got {self.train.d_steps}")

    def with_training(self, **changes: object) -> CycleGANConfig:
        """This configuration with some training settings changed, e.g.
        ``DEFAULT.with_training(steps=2500, snapshot_every=50)``."""
        return replace(self, train=replace(self.train, **changes))

    def without_cycle(self) -> CycleGANConfig:
        """The paper's "GAN alone" ablation: lambda_cycle = 0 and, since the identity loss is
        an add-on to the cycle loss, lambda_identity = 0 too."""
        return replace(self, lambda_cycle=0.0, lambda_identity=0.0)


DEFAULT = CycleGANConfig()


def ablation_configs(config: CycleGANConfig = DEFAULT) -> dict[str, CycleGANConfig]:
    """The 2 x 2 ablation of the two content losses, everything else as in ``config``:
    {"full": config, "cycle only": no identity loss, "identity only": no cycle loss,
    "GAN alone": neither (``config.without_cycle()``)}."""
    return {"full": config,
            "cycle only": replace(config, lambda_identity=0.0),
            "identity only": replace(config, lambda_cycle=0.0),
            "GAN alone": config.without_cycle()}


CycleStepFn = Callable[..., Losses]


def train_cyclegan(
    model: CycleGAN,
    a_images: torch.Tensor,
    b_images: torch.Tensor,
    config: CycleGANConfig = DEFAULT,
    step_fn: CycleStepFn = cyclegan_train_step,
    snapshot: SnapshotFn | None = None,
) -> History:
    """Train ``model`` on unpaired ``a_images`` (N_a, C, S, S) and ``b_images`` (N_b, C, S, S).

    Each of ``config.train.steps`` rounds draws batch_size images of A and then,
    independently, of B (with replacement, ``training.sampler``, a CPU generator seeded by
    config.train.seed), moves them to the model's device and calls
    step_fn(model, opt_g, opt_d, a, b, pool_a, pool_b, config).
    opt_g holds both generators, opt_d both discriminators (``training.play_rounds``).
    snapshot(generators, discriminators, step) is called every
    ``config.train.snapshot_every`` steps and at the end. Returns the History: losses
    "g", "adv", "cycle", "identity" and "d", one entry per step.
    """
    channels, size = model.G_AB.channels, model.G_AB.image_size
    check_images(a_images, channels, size, "a_images")
    check_images(b_images, channels, size, "b_images")
    device = module_device(model)
    sample_a, sample_b = sampler(a_images), sampler(b_images)
    seed, n = config.train.seed, config.train.batch_size
    pool_a, pool_b = ImagePool(config.pool_size, seed), ImagePool(config.pool_size, seed + 1)

    def play_round(rng: torch.Generator, opt_g: torch.optim.Optimizer,
                   opt_d: torch.optim.Optimizer) -> Losses:
        a, b = sample_a(n, rng), sample_b(n, rng)
        return step_fn(model, opt_g, opt_d, a.to(device), b.to(device), pool_a, pool_b, config)

    generators = nn.ModuleList([model.G_AB, model.G_BA])
    discriminators = nn.ModuleList([model.D_A, model.D_B])
    return play_rounds(generators, discriminators, play_round, config.train, snapshot)


def config_dict(config: CycleGANConfig) -> dict:
    """The configuration as flat plain values (for checkpoints' meta): the CycleGAN's own
    settings and the run's steps, batch_size, lr, decay_from and seed."""
    values = {name: value for name, value in asdict(config).items() if name != "train"}
    for name in ("steps", "batch_size", "lr", "decay_from", "seed"):
        values[name] = getattr(config.train, name)
    return values


# --- Grading ----------------------------------------------------------------------------------

@torch.no_grad()
def translate(G: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """G(images) in batches, on G's device, returned on the CPU. Runs in G's current mode."""
    device = module_device(G)
    return torch.cat([G(images[i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(images), batch_size)])


@dataclass(frozen=True)
class TranslationReport:
    """How well a CycleGAN translates held-out digits, graded against the hidden truth.

    label_keep_ab: share of a whose translation G_AB(a), read back with ``read_b``, the
        classifier labels as a's digit.  label_keep_ba: the same for G_BA(b) (read directly).
    gt_err_ab = mean |G_AB(a) - T(a)|;  gt_err_ba = mean |G_BA(T(a)) - a|  (pixels in [-1, 1]).
    cycle_err = (mean |G_BA(G_AB(a)) - a| + mean |G_AB(G_BA(b)) - b|) / 2.
    """

    label_keep_ab: float
    label_keep_ba: float
    gt_err_ab: float
    gt_err_ba: float
    cycle_err: float

    def rounded(self, digits: int = 4) -> dict[str, float]:
        return {name: round(value, digits) for name, value in asdict(self).items()}


@torch.no_grad()
def grade_translation(model: CycleGAN, test: PairedTest, classifier: DigitClassifier
                      ) -> TranslationReport:
    """Grade both generators on held-out pairs (a, T(a)) in eval mode; see TranslationReport."""
    model.eval()
    a, b = test.a, test.b
    fake_b, fake_a = translate(model.G_AB, a), translate(model.G_BA, b)
    back_a, back_b = translate(model.G_BA, fake_b), translate(model.G_AB, fake_a)
    return TranslationReport(
        label_keep_ab=accuracy(classifier, read_b(fake_b.clamp(-1, 1)), test.labels),
        label_keep_ba=accuracy(classifier, fake_a, test.labels),
        gt_err_ab=(fake_b - b).abs().mean().item(),
        gt_err_ba=(fake_a - a).abs().mean().item(),
        cycle_err=((back_a - a).abs().mean() + (back_b - b).abs().mean()).item() / 2,
    )
