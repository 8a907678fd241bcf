"""The GAN training loop, written out step by step (lessons 01-07 and 10 train with it; 11's
VAE and diffusion model use its one-model twin, ``fit``).

One round of the game is

1. ``d_steps`` gradient steps of the discriminator (the critic) to tell real from fake better;
2. one gradient step of the generator to fool the updated discriminator.

``game_round`` plays one round of any game named by a ``losses.LossPair`` (the logit game of
lesson 01, least squares, WGAN-GP). ``train_step`` is lesson 01's round of the logit game,
written out line by line; the lesson's exercise re-writes it. ``train`` repeats rounds with a
progress bar, with the settings of a ``TrainConfig``, and returns a ``History``;
``play_rounds`` is the loop itself, shared by every family's trainer (conditional, CycleGAN).
``fit`` is the same loop for one model and one loss (lesson 11's VAE and diffusion model).
``sampler`` and ``random_index`` draw the batches.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from gan_course.device import module_device
from gan_course.losses import LossPair, discriminator_loss, get_loss_pair

# Seconds between progress-bar redraws. In Jupyter every redraw sends a few widget messages;
# tqdm's default (0.1 s) over a minute-long loop sends thousands, which a client that reads
# them only after the cell ends (nbval does) can lose, the cell's closing message with them.
PROGRESS_EVERY_S = 1.0

# What a round returns: the losses of this round by name; "d" and "g" at least.
Losses = dict[str, float]
# A custom round for ``train``: (G, D, opt_g, opt_d, real, z, g_loss_fn) -> (d_loss, g_loss).
StepFn = Callable[..., tuple[float, float]]
SnapshotFn = Callable[[nn.Module, nn.Module, int], Any]
RoundFn = Callable[[torch.Generator, torch.optim.Optimizer, torch.optim.Optimizer], Losses]
SampleFn = Callable[[int, torch.Generator], torch.Tensor]


def is_integer(value: object) -> bool:
    """True for a Python or NumPy integer, False for anything else (True/False included)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_rate(value: object) -> bool:
    """A learning rate: a real number (not a bool), positive and finite."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and value > 0 and math.isfinite(value))


@dataclass(frozen=True)
class TrainConfig:
    """The settings of one training run, passed by name: ``TrainConfig(steps=2000, lr=2e-4)``.

    steps: rounds to play.  batch_size: samples per discriminator step.  lr, betas: Adam's
    (betas (0.5, 0.999) as in DCGAN; WGAN-GP used (0.5, 0.9)).  d_lr: the discriminator's
    own learning rate (None: the same lr as the generator).  decay_from: the fraction of
    the run after which both learning rates fall linearly to 5 % (1.0: never).  d_steps:
    discriminator steps per generator step.  seed: seeds the batches drawn.  snapshot_every:
    call the snapshot function every so many steps (0: only at the end).  progress: show a
    progress bar.
    """

    steps: int = 4000
    batch_size: int = 256
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    decay_from: float = 1.0
    d_steps: int = 1
    seed: int = 0
    snapshot_every: int = 0
    progress: bool = True
    d_lr: float | None = None

    def __post_init__(self) -> None:
        problems = [f"{name} must be a positive integer, got {getattr(self, name)!r}"
                    for name in ("steps", "batch_size", "d_steps")
                    if not is_integer(getattr(self, name)) or getattr(self, name) <= 0]
        if not is_integer(self.snapshot_every) or self.snapshot_every < 0:
            problems.append(f"snapshot_every must be an integer >= 0, got {self.snapshot_every!r}")
        if not is_integer(self.seed):
            problems.append(f"seed must be an integer, got {self.seed!r}")
        if not _is_rate(self.lr):
            problems.append(f"lr must be a positive, finite number, got {self.lr!r}")
        if self.d_lr is not None and not _is_rate(self.d_lr):
            problems.append(f"d_lr must be a positive, finite number or None, got {self.d_lr!r}")
        if (not isinstance(self.decay_from, (int, float)) or isinstance(self.decay_from, bool)
                or not 0 <= self.decay_from <= 1):
            problems.append(f"decay_from must be a fraction in [0, 1], got {self.decay_from!r}")
        if (not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2
                or not all(isinstance(b, (int, float)) and 0 <= b < 1 for b in self.betas)):
            problems.append(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass
class History:
    """What happened during training: every loss by name, one entry per step, and the
    snapshots (with the steps they were taken at) when asked for."""

    losses: dict[str, list[float]] = field(default_factory=dict)
    snapshot_steps: list[int] = field(default_factory=list)
    snapshots: list[Any] = field(default_factory=list)

    @property
    def d_loss(self) -> list[float]:
        """The discriminator's (critic's) loss at every step."""
        return self.losses.get("d", [])

    @property
    def g_loss(self) -> list[float]:
        """The generator's loss at every step."""
        return self.losses.get("g", [])

    def append(self, values: Losses) -> None:
        """Record one step's losses."""
        for name, value in values.items():
            self.losses.setdefault(name, []).append(value)


def random_index(size: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """n indices drawn uniformly from 0..size-1 with replacement: (n,) int64 on the CPU."""
    if size <= 0:
        raise ValueError("cannot draw a batch from an empty data set (0 samples)")
    return torch.randint(size, (n,), generator=generator)


def sampler(data: torch.Tensor) -> SampleFn:
    """A ``sample_real(n, generator)`` for ``train``: n rows of ``data`` (N, ...) drawn with
    replacement, returned on the CPU (``train`` moves them to G's device)."""
    rows = data.detach().cpu()
    if len(rows) == 0:
        raise ValueError("cannot train on an empty data set (0 samples)")

    def sample_real(n: int, generator: torch.Generator) -> torch.Tensor:
        return rows[random_index(len(rows), n, generator)]

    return sample_real


def settings_from_record(record: dict, ignore: tuple[str, ...] = ()) -> tuple[dict, TrainConfig]:
    """A flat record of a family's settings -> (its other fields, its ``TrainConfig``).

    The record is what ``tools/train_generative_weights.py`` stores with shipped weights:
    the config's own fields, and the TrainConfig's fields with a ``train_`` prefix (lists
    for tuples). ``train_seconds`` and the keys in ``ignore`` are measurements, not settings.
    """
    fields = {key: value for key, value in record.items()
              if not key.startswith("train_") and key not in ignore}
    training = {key[len("train_"):]: tuple(value) if isinstance(value, list) else value
                for key, value in record.items()
                if key.startswith("train_") and key != "train_seconds"}
    return fields, TrainConfig(**training)


def train_step(
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    g_loss_fn: Callable[[torch.Tensor], torch.Tensor],
) -> tuple[float, float]:
    """Lesson 01's round of the logit game; returns (discriminator loss, generator loss).

    real: (N, ...) a batch of data.  z: (N, z_dim) latent codes.
    D step:  minimise  L_D = -E[log D(x)] - E[log(1 - D(G(z)))]   (G held fixed: detach)
    G step:  minimise  g_loss_fn(D(G(z)))                         (only G's optimizer steps)
    """
    fake = G(z)
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()

    g_loss = g_loss_fn(D(fake))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def game_round(
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    pair: LossPair,
    d_steps: int = 1,
) -> tuple[float, float]:
    """One round of the game ``pair`` names; returns (last D loss, G loss) as floats.

    real: (d_steps * N, ...) and z: (d_steps * N, z_dim) are cut into d_steps chunks of N.
    D step k (k = 1..d_steps):  minimise  pair.d_loss(D, real_k, G(z_k).detach())
    G step (once):              minimise  pair.g_loss(D(G(z_last)))

    The G step reuses the last chunk's fakes G(z_last) (G does not change during the D
    steps), so G runs once per chunk, as in ``train_step``: with d_steps = 1 and a logit pair
    this is ``train_step``, to the bit, batch-norm running statistics included.
    """
    if not is_integer(d_steps) or d_steps <= 0:
        raise ValueError(f"d_steps must be a positive integer, got {d_steps!r}")
    if real.shape[0] % d_steps != 0 or z.shape[0] != real.shape[0]:
        raise ValueError(f"real ({real.shape[0]}) and z ({z.shape[0]}) must hold the same "
                         f"number of samples, a multiple of d_steps = {d_steps}")
    for real_chunk, z_chunk in zip(real.chunk(d_steps), z.chunk(d_steps), strict=True):
        fake = G(z_chunk)
        d_loss = pair.d_loss(D, real_chunk, fake.detach())
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()

    g_loss = pair.g_loss(D(fake))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def _linear_decay(total_steps: int, decay_from: float) -> Callable[[int], float]:
    """Learning-rate factor: 1 until ``decay_from * total_steps``, then linearly down to 0.05."""
    start = int(decay_from * total_steps)

    def factor(step: int) -> float:
        if step < start:
            return 1.0
        return max(0.05, 1.0 - (step - start) / max(1, total_steps - start))

    return factor


def train(
    G: nn.Module,
    D: nn.Module,
    sample_real: SampleFn,
    config: TrainConfig = TrainConfig(),
    loss: str | LossPair = "non-saturating",
    step_fn: StepFn | None = None,
    snapshot: SnapshotFn | None = None,
) -> History:
    """Train G against D with the settings in ``config``; return the History.

    sample_real(n, generator) -> (n, ...) draws real data (``sampler(data)`` makes one); it is
    moved to G's device.  loss: the game, a ``losses.LossPair`` or its name in
    ``losses.LOSS_PAIRS``.  Each step draws d_steps * batch_size real samples and codes and
    plays ``game_round``, or ``step_fn(G, D, opt_g, opt_d, real, z, pair.g_loss)`` if given
    (lesson 01 passes the learner's ``train_step``).  snapshot(G, D, step) is called every
    ``config.snapshot_every`` steps and at the end.
    """
    pair = get_loss_pair(loss) if isinstance(loss, str) else loss
    device = module_device(G)
    n = config.batch_size * config.d_steps

    def play_round(rng: torch.Generator, opt_g: torch.optim.Optimizer,
                   opt_d: torch.optim.Optimizer) -> Losses:
        real = sample_real(n, rng).to(device)
        z = torch.randn(n, G.z_dim, generator=rng).to(device)
        if step_fn is None:
            d_value, g_value = game_round(G, D, opt_g, opt_d, real, z, pair, config.d_steps)
        else:
            d_value, g_value = step_fn(G, D, opt_g, opt_d, real, z, pair.g_loss)
        return {"d": d_value, "g": g_value}

    return play_rounds(G, D, play_round, config, snapshot)


def play_rounds(
    G: nn.Module,
    D: nn.Module,
    play_round: RoundFn,
    config: TrainConfig,
    snapshot: SnapshotFn | None = None,
) -> History:
    """The loop every trainer shares: ``config.steps`` rounds with a progress bar.

    Makes Adam (lr, betas from ``config``; D's rate is ``config.d_lr`` if set) for G and D
    with the linear learning-rate decay, then each step calls
    play_round(rng, opt_g, opt_d) -> {"d": ..., "g": ..., ...}, with ``rng`` a CPU generator
    seeded by ``config.seed`` for drawing batches; records the losses, steps the schedulers
    and calls snapshot(G, D, step) every ``config.snapshot_every`` steps and at the end.
    """
    rng = torch.Generator().manual_seed(config.seed)
    opt_g = torch.optim.Adam(G.parameters(), lr=config.lr, betas=config.betas)
    d_lr = config.lr if config.d_lr is None else config.d_lr
    opt_d = torch.optim.Adam(D.parameters(), lr=d_lr, betas=config.betas)
    factor = _linear_decay(config.steps, config.decay_from)
    schedulers = [torch.optim.lr_scheduler.LambdaLR(opt, factor) for opt in (opt_g, opt_d)]

    history = History()
    bar = tqdm(range(config.steps), desc="training", disable=not config.progress,
               mininterval=PROGRESS_EVERY_S)
    for step in bar:
        values = play_round(rng, opt_g, opt_d)
        history.append(values)
        for scheduler in schedulers:
            scheduler.step()
        if snapshot is not None and config.snapshot_every and step % config.snapshot_every == 0:
            _record(history, snapshot, G, D, step)
        if step % 100 == 0:
            bar.set_postfix(d_loss=f"{values['d']:.3f}", g_loss=f"{values['g']:.3f}")
    if snapshot is not None:
        _record(history, snapshot, G, D, config.steps)
    return history


def fit(
    model: nn.Module,
    step_loss: Callable[[torch.Generator], torch.Tensor],
    config: TrainConfig,
    desc: str = "training",
) -> History:
    """The loop a one-model trainer shares (lesson 11's VAE and diffusion model): no game,
    one loss.

    Makes Adam (lr, betas from ``config``) for ``model`` with the linear learning-rate decay,
    then each of ``config.steps`` steps calls step_loss(rng) -> a scalar loss, with ``rng`` a
    CPU generator seeded by ``config.seed`` for drawing batches, and takes one step on it:

        zero the gradients, loss.backward(), optimiser step, scheduler step.

    Records {"loss": ...} per step, and the loop's wall time as ``losses["seconds"]`` (one
    entry). The progress bar is labelled ``desc``.
    """
    rng = torch.Generator().manual_seed(config.seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, betas=config.betas)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, _linear_decay(config.steps, config.decay_from))
    history = History()
    started = time.perf_counter()
    for _ in tqdm(range(config.steps), desc=desc, disable=not config.progress,
                  mininterval=PROGRESS_EVERY_S):
        loss = step_loss(rng)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        scheduler.step()
        history.append({"loss": loss.item()})
    history.losses["seconds"] = [time.perf_counter() - started]
    return history


def _record(history: History, snapshot: SnapshotFn, G: nn.Module, D: nn.Module, step: int) -> None:
    """Call the snapshot function without tracking gradients, in eval mode, and store it."""
    G.eval()
    D.eval()
    with torch.no_grad():
        history.snapshots.append(snapshot(G, D, step))
    history.snapshot_steps.append(step)
    G.train()
    D.train()
