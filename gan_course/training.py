"""The GAN training loop, written out step by step.

One training step plays one round of the game:

1. the discriminator takes a gradient step to tell real from fake better;
2. the generator takes a gradient step to fool the updated discriminator.

``train`` repeats that with a progress bar, optionally records snapshots (for pictures and
animations), and returns a ``History`` of the losses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from gan_course.device import module_device
from gan_course.losses import discriminator_loss, get_generator_loss

# Seconds between progress-bar redraws. In Jupyter every redraw sends a few widget messages;
# tqdm's default (0.1 s) over a minute-long loop sends thousands, which a client that reads
# them only after the cell ends (nbval does) can lose, the cell's closing message with them.
PROGRESS_EVERY_S = 1.0

StepFn = Callable[..., tuple[float, float]]
SnapshotFn = Callable[[nn.Module, nn.Module, int], Any]
RoundFn = Callable[[torch.Generator, torch.optim.Optimizer, torch.optim.Optimizer],
                   tuple[float, float]]


@dataclass
class History:
    """What happened during training: one entry per step, snapshots when asked for."""

    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    snapshot_steps: list[int] = field(default_factory=list)
    snapshots: list[Any] = field(default_factory=list)


def train_step(
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    g_loss_fn: Callable[[torch.Tensor], torch.Tensor],
) -> tuple[float, float]:
    """One round of the game; returns (discriminator loss, generator loss) as floats.

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
    sample_real: Callable[[int, torch.Generator], torch.Tensor],
    steps: int = 4000,
    batch_size: int = 256,
    lr: float = 1e-3,
    g_loss: str | Callable[[torch.Tensor], torch.Tensor] = "non-saturating",
    step_fn: StepFn = train_step,
    decay_from: float = 1.0,
    snapshot_every: int = 0,
    snapshot: SnapshotFn | None = None,
    seed: int = 0,
    progress: bool = True,
    betas: tuple[float, float] = (0.5, 0.999),
) -> History:
    """Train G against D with Adam (betas 0.5, 0.999, as in DCGAN) and return the History.

    sample_real(n, generator) -> (n, ...) draws real data; it is moved to G's device.
    g_loss: ``"minimax"``, ``"non-saturating"`` or a function of the fake logits.
    step_fn: the function that plays one round (the learner can pass their own).
    decay_from: fraction of the run after which both learning rates fall linearly to 5 %.
    snapshot(G, D, step) is called every ``snapshot_every`` steps (and at the end).
    betas: Adam's (beta1, beta2); WGAN-GP, for one, is usually trained with (0.5, 0.9).
    """
    g_loss_fn = get_generator_loss(g_loss) if isinstance(g_loss, str) else g_loss
    device = module_device(G)

    def play_round(rng: torch.Generator, opt_g: torch.optim.Optimizer,
                   opt_d: torch.optim.Optimizer) -> tuple[float, float]:
        real = sample_real(batch_size, rng).to(device)
        z = torch.randn(batch_size, G.z_dim, generator=rng).to(device)
        return step_fn(G, D, opt_g, opt_d, real, z, g_loss_fn)

    return play_rounds(G, D, play_round, steps, lr, decay_from, snapshot_every, snapshot,
                       seed, progress, betas)


def play_rounds(
    G: nn.Module,
    D: nn.Module,
    play_round: RoundFn,
    steps: int,
    lr: float,
    decay_from: float,
    snapshot_every: int,
    snapshot: SnapshotFn | None,
    seed: int,
    progress: bool,
    betas: tuple[float, float] = (0.5, 0.999),
) -> History:
    """The loop every training function shares: ``steps`` rounds with a progress bar.

    Makes Adam (``betas``, by default 0.5 and 0.999) for G and D with the linear
    learning-rate decay, then each step calls play_round(rng, opt_g, opt_d) -> (d_loss,
    g_loss), with ``rng`` a CPU generator seeded by ``seed`` for drawing batches; records the
    losses, steps the schedulers and calls snapshot(G, D, step) every ``snapshot_every``
    steps and at the end.
    """
    if not isinstance(steps, int) or steps <= 0:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if lr <= 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    rng = torch.Generator().manual_seed(seed)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    factor = _linear_decay(steps, decay_from)
    schedulers = [torch.optim.lr_scheduler.LambdaLR(opt, factor) for opt in (opt_g, opt_d)]

    history = History()
    bar = tqdm(range(steps), desc="training", disable=not progress, mininterval=PROGRESS_EVERY_S)
    for step in bar:
        d_value, g_value = play_round(rng, opt_g, opt_d)
        history.d_loss.append(d_value)
        history.g_loss.append(g_value)
        for scheduler in schedulers:
            scheduler.step()
        if snapshot is not None and snapshot_every and step % snapshot_every == 0:
            _record(history, snapshot, G, D, step)
        if step % 100 == 0:
            bar.set_postfix(d_loss=f"{d_value:.3f}", g_loss=f"{g_value:.3f}")
    if snapshot is not None:
        _record(history, snapshot, G, D, steps)
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
