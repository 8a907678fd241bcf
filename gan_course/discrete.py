"""GANs on discrete data: why sampling a token blocks the gradient, and one answer, the
Gumbel-softmax (lesson 11's last section).

**The problem.** A text generator ends by *choosing* a token: k = argmax or a draw from
softmax(logits). The choice is a step function of the logits: moving a logit a little
either changes nothing or jumps to another token, so d(output)/d(logits) is 0 almost
everywhere, and the discriminator's gradient cannot reach the generator.

**The Gumbel-softmax** (Jang et al., 2017; Maddison et al., 2017). A draw from
Categorical(softmax(l)) can be written as argmax_k (l_k + g_k) with g_k ~ Gumbel(0, 1)
(g = -log(-log u), u ~ Uniform(0, 1)). Replace the argmax by a softmax at temperature tau:

    y = softmax((l + g) / tau)

a point of the simplex that tends to the one-hot draw as tau -> 0 and has a gradient.
The *straight-through* version (``hard=True``) sends the one-hot draw forward and the
gradient of y backward: y_hard = one_hot(argmax y) + y - y.detach().

**The demo.** Sequences of ``length`` letters over an alphabet of ``n_letters``; the rule:
each letter is the one before it or the next one in the alphabet (cyclically, so 3 -> 0).
A perceptron G turns noise into one-hot letters through ``gumbel_softmax``; a perceptron D
reads the flattened one-hot sequence. ``distinct_valid`` counts how many different valid
sequences G draws: the gradient gets through, but the game can still collapse (lesson 05).
``follows_rule`` measures the share of G's sequences that obey the rule, against ``chance``
for uniformly random letters.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gan_course.device import seed_everything
from gan_course.losses import generator_loss_nonsaturating
from gan_course.training import (
    History,
    TrainConfig,
    is_integer,
    play_rounds,
    sampler,
    train_step,
)


@dataclass(frozen=True)
class SequenceConfig:
    """The settings of the discrete demo, passed by name.

    length: letters per sequence.  n_letters: the alphabet's size.  z_dim: G's noise.
    hidden: units of G's and D's hidden layers.  tau: the Gumbel-softmax temperature.
    training: steps, batch size, learning rate, seed (``training.TrainConfig``).
    """

    length: int = 8
    n_letters: int = 4
    z_dim: int = 16
    hidden: int = 128
    tau: float = 1.0
    training: TrainConfig = TrainConfig(steps=1500, batch_size=128, lr=1e-3, decay_from=0.6,
                                        progress=False)

    def __post_init__(self) -> None:
        for name, smallest in (("length", 2), ("n_letters", 2), ("z_dim", 1), ("hidden", 1)):
            value = getattr(self, name)
            if not is_integer(value) or value < smallest:
                raise ValueError(f"{name} must be an integer >= {smallest}, got {value!r}")
        if not self.tau > 0:
            raise ValueError(f"tau must be > 0, got {self.tau!r}")


def gumbel_softmax(logits: torch.Tensor, tau: float, hard: bool,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """logits (..., K) -> y (..., K): softmax((logits + g) / tau), g = -log(-log u),
    u ~ Uniform(0, 1) drawn on the CPU; with hard, one_hot(argmax y) + y - y.detach()
    (one-hot forward, the soft y's gradient backward)."""
    u = torch.rand(logits.shape, generator=generator).to(logits.device)
    minus_log_u = (-torch.log(u.clamp(1e-10, 1.0))).clamp_min(1e-10)
    gumbel = -torch.log(minus_log_u)
    y = F.softmax((logits + gumbel) / tau, dim=-1)
    if not hard:
        return y
    one_hot = F.one_hot(y.argmax(dim=-1), logits.shape[-1]).to(y.dtype)
    return one_hot + y - y.detach()


def follows_rule(sequences: torch.Tensor, n_letters: int) -> torch.Tensor:
    """sequences (N, L) int64 -> (N,) bool: every step is +0 or +1 modulo n_letters."""
    steps = (sequences[:, 1:] - sequences[:, :-1]) % n_letters
    return ((steps == 0) | (steps == 1)).all(dim=1)


def distinct_valid(sequences: torch.Tensor, n_letters: int) -> int:
    """How many different sequences among the rows of ``sequences`` (N, L) follow the rule."""
    valid = sequences[follows_rule(sequences, n_letters)]
    return len({tuple(row) for row in valid.tolist()})


def chance(length: int, n_letters: int) -> float:
    """The share of uniformly random sequences that follow the rule: (2 / K)^(L - 1)
    (the first letter is free, each later one has 2 allowed values out of K)."""
    return (2 / n_letters) ** (length - 1)


def rule_sequences(n: int, config: SequenceConfig, generator: torch.Generator) -> torch.Tensor:
    """n sequences (n, L) int64 that follow the rule: a random first letter, then each step
    +0 or +1 (mod K) with probability 1/2 each (the 'real data')."""
    first = torch.randint(config.n_letters, (n, 1), generator=generator)
    steps = torch.randint(2, (n, config.length - 1), generator=generator)
    return (first + torch.cat([torch.zeros(n, 1, dtype=torch.long), steps.cumsum(1)], 1)) \
        % config.n_letters


class SequenceGenerator(nn.Module):
    """z (N, z_dim) -> letters (N, L, K): one-hot (straight-through Gumbel-softmax) in
    training, and logits via ``logits``."""

    def __init__(self, config: SequenceConfig):
        super().__init__()
        self.z_dim, self.config = config.z_dim, config
        self.net = nn.Sequential(nn.Linear(config.z_dim, config.hidden), nn.ReLU(),
                                 nn.Linear(config.hidden, config.length * config.n_letters))

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, self.config.length, self.config.n_letters)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return gumbel_softmax(self.logits(z), self.config.tau, hard=True)


def train_sequence_gan(config: SequenceConfig = SequenceConfig(),
                       ) -> tuple[SequenceGenerator, History]:
    """Train the demo GAN on 4,096 rule-following sequences; return (G in eval mode, History
    with "d", "g" per step and "seconds"). The logit game of lesson 01:
    D step: minimise -E[log D(x)] - E[log(1 - D(G(z)))];  G step: minimise -E[log D(G(z))],
    the gradient reaching G through the straight-through Gumbel-softmax."""
    seed_everything(config.training.seed)
    G = SequenceGenerator(config)
    D = nn.Sequential(nn.Flatten(), nn.Linear(config.length * config.n_letters, config.hidden),
                      nn.LeakyReLU(0.2), nn.Linear(config.hidden, 1), nn.Flatten(0))
    data = F.one_hot(rule_sequences(4096, config, torch.Generator().manual_seed(1)),
                     config.n_letters).float()
    sample_real = sampler(data)
    n = config.training.batch_size

    def play_round(rng: torch.Generator, opt_g: torch.optim.Optimizer,
                   opt_d: torch.optim.Optimizer) -> dict[str, float]:
        real = sample_real(n, rng)
        z = torch.randn(n, config.z_dim, generator=rng)
        d_loss, g_loss = train_step(G, D, opt_g, opt_d, real, z, generator_loss_nonsaturating)
        return {"d": d_loss, "g": g_loss}

    started = time.perf_counter()
    history = play_rounds(G, D, play_round, config.training)
    history.losses["seconds"] = [time.perf_counter() - started]
    return G.eval(), history


@torch.no_grad()
def generate(G: SequenceGenerator, n: int,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """n sequences (n, L) int64: the letter drawn by the Gumbel-softmax at each position."""
    z = torch.randn(n, G.z_dim, generator=generator)
    return gumbel_softmax(G.logits(z), G.config.tau, hard=True, generator=generator).argmax(-1)
