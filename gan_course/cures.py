"""Cures for mode collapse, each written as one small, explicit change to a plain GAN
(lesson 05; ``benchmarks/mode_collapse.py`` races them over three seeds, and the digits run
of ``digit_collapse`` takes its batch spread from here).

* **packing** (PacGAN, Lin et al. 2018): the discriminator judges m samples at once, so a
  generator that repeats itself is easy to spot;
* **minibatch standard deviation** (progressive GANs, Karras et al. 2018): the discriminator
  also sees how spread out its whole batch is;
* **spectral normalisation** (Miyato et al. 2018): every layer of the discriminator has
  largest singular value 1, so it cannot become arbitrarily steep;
* **WGAN-GP** (Gulrajani et al. 2017): a critic and a Wasserstein loss with a gradient penalty;
* **R1** (Mescheder et al. 2018): the plain game plus a penalty on D's gradient at real data.

``METHODS`` maps a method name to the discriminator and game (a ``losses.LossPair``) it uses;
``build(name, dataset, seed, setting=...)`` returns a ``Run`` whose settings are a
``training.TrainConfig`` (``SETTINGS[setting]``: the networks' sizes and one config per data
set; "course" is the lesson's recipe, "veegan" the VEEGAN paper's, where the plain GAN
collapses; WGAN-GP's optimiser and rounds changed by ``method_config``), so every method
trains with the same call,
``training.train(run.G, run.D, run.sample_real, run.config, loss=run.loss)``.
The cures are made of three small functions (``pack``, ``minibatch_std_feature`` and
``losses.gradient_penalty``); ``build(..., parts=Parts(...))`` swaps in other versions of them,
which is how lesson 05 races the cures on the learner's own code. ``evaluation_samples``
draws the 2,500 samples the lesson and the benchmark count modes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gan_course import losses
from gan_course.data2d import get_dataset
from gan_course.losses import LossPair
from gan_course.mlp import MLPDiscriminator, MLPGenerator, mlp
from gan_course.training import SampleFn, TrainConfig

# --- Packing (PacGAN) --------------------------------------------------------------------------


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """Glue every m consecutive samples into one: (N, d) -> (N/m, m*d).

    Row j of the result is [x_{jm}, x_{jm+1}, ..., x_{jm+m-1}] laid side by side.
    """
    if x.dim() != 2:
        raise ValueError(f"expected x of shape (N, d), got {tuple(x.shape)}")
    if x.shape[0] % m != 0:
        raise ValueError(f"batch size {x.shape[0]} is not a multiple of the packing degree {m}")
    return x.reshape(x.shape[0] // m, m * x.shape[1])


class PackedDiscriminator(nn.Module):
    """D_pack(x_1, ..., x_m): one logit for a pack of m samples.   (N, d) -> (N/m,).

    A pack of real samples is m independent draws from p_data; a pack of fakes is m draws
    from p_g. If G puts all its mass on a few modes, a pack of fakes often holds two points
    of one mode, which real packs rarely do, and the discriminator learns to punish that.
    Every batch given to it (real and fake) must have a size divisible by m.

    ``pack_fn`` does the packing (``pack`` by default; lesson 05 passes the learner's).
    """

    def __init__(self, in_dim: int = 2, m: int = 2, hidden: int = 128, depth: int = 3,
                 pack_fn: Callable[[torch.Tensor, int], torch.Tensor] = pack):
        super().__init__()
        if not isinstance(m, int) or m < 2:
            raise ValueError(f"packing degree m must be an integer >= 2, got {m!r}")
        self.m = m
        self.in_dim = in_dim
        self.pack_fn = pack_fn
        self.inner = MLPDiscriminator(in_dim=m * in_dim, hidden=hidden, depth=depth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"expected x of shape (N, {self.in_dim}), got {tuple(x.shape)}")
        return self.inner(self.pack_fn(x, self.m))


# --- Minibatch standard deviation --------------------------------------------------------------


def batch_spread(x: torch.Tensor) -> torch.Tensor:
    """The batch's average spread, for any batch x of shape (N, ...) -> a scalar.

    s = mean over every position p of sqrt( (1/N) sum_i (x_ip - mean_i x_ip)^2 + 1e-8 )

    A position p is a feature j of a vector batch (N, d) (``minibatch_std_feature``) or a
    (channel, row, column) of a batch of feature maps (N, C, H, W)
    (``digit_collapse.minibatch_std_map``). The 1e-8 inside the root keeps the gradient
    finite (0, not NaN) on a collapsed batch.
    """
    if x.dim() < 2 or x.shape[0] < 2:
        raise ValueError(f"expected a batch of shape (N >= 2, ...), got {tuple(x.shape)}")
    centred = x - x.mean(dim=0, keepdim=True)
    per_position_std = torch.sqrt(centred.pow(2).mean(dim=0) + 1e-8)
    return per_position_std.mean()


def minibatch_std_feature(x: torch.Tensor) -> torch.Tensor:
    """The one number progressive GANs append: the average spread of the batch.   (N, d) -> ().

    s = (1/d) sum_j sqrt( (1/N) sum_i (x_ij - mean_i x_ij)^2 + 1e-8 )   (``batch_spread``)
    """
    if x.dim() != 2 or x.shape[0] < 2:
        raise ValueError(f"expected a batch of shape (N >= 2, d), got {tuple(x.shape)}")
    return batch_spread(x)


class MinibatchStd(nn.Module):
    """Append the batch's spread s (``minibatch_std_feature``) to every row.   (N, d) -> (N, d+1).

    A collapsed generator makes batches with a small s; since real batches never do, the
    discriminator can reject the whole fake batch on that one feature. ``feature_fn`` computes
    s (``minibatch_std_feature`` by default; lesson 05 passes the learner's).
    """

    def __init__(self, feature_fn: Callable[[torch.Tensor], torch.Tensor] = minibatch_std_feature):
        super().__init__()
        self.feature_fn = feature_fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.feature_fn(x)
        return torch.cat([x, s.expand(x.shape[0], 1)], dim=1)


class MinibatchStdDiscriminator(nn.Module):
    """An MLP discriminator whose input is [x, s(batch)].   (N, in_dim) -> (N,).

    Pass real and fake batches separately (as ``training.game_round`` does), or s would mix both.
    ``feature_fn`` computes s (see ``MinibatchStd``).
    """

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3,
                 feature_fn: Callable[[torch.Tensor], torch.Tensor] = minibatch_std_feature):
        super().__init__()
        self.in_dim = in_dim
        self.std = MinibatchStd(feature_fn)
        self.net = mlp(in_dim + 1, hidden, 1, depth, lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"expected x of shape (N, {self.in_dim}), got {tuple(x.shape)}")
        return self.net(self.std(x)).squeeze(1)


# --- Spectral normalisation --------------------------------------------------------------------


class Scale(nn.Module):
    """Multiply by a fixed number: x -> k x (no parameters)."""

    def __init__(self, k: float):
        super().__init__()
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.k * x


def spectral_norm_discriminator(
    in_dim: int = 2, hidden: int = 128, depth: int = 3, lipschitz: float = 1.0
) -> MLPDiscriminator:
    """An ``MLPDiscriminator`` whose every Linear layer uses W / sigma_max(W), times ``lipschitz``.

    sigma_max(W) is estimated by power iteration (one step per forward pass in training):
    v <- W^T u / |W^T u|,  u <- W v / |W v|,  sigma_max ~ u^T W v.
    With LeakyReLU (slope <= 1) the normalised network is at most 1-Lipschitz; the final
    ``Scale(lipschitz)`` makes it at most ``lipschitz``-Lipschitz. A bound of 1 suits data
    whose interesting distances are about 1 or more (images); the 2-D mixtures have modes
    0.01 to 0.05 wide, across which a 1-Lipschitz logit can change by only 0.03 to 0.15.
    """
    D = MLPDiscriminator(in_dim=in_dim, hidden=hidden, depth=depth)
    for index, layer in enumerate(D.net):
        if isinstance(layer, nn.Linear):
            D.net[index] = spectral_norm(layer)
    D.net.append(Scale(lipschitz))
    return D


# --- The registry ------------------------------------------------------------------------------

# Shared by every method, so only the cure differs. One CPU thread: a ring run takes ~5 s, a
# grid run ~15 s (benchmarks/mode_collapse.py measures them). The grid needs the longer run
# and the lower learning rate: with 4,000 steps at 1e-3 every method dropped modes there.
TRAIN_CONFIGS: dict[str, TrainConfig] = {
    "ring": TrainConfig(steps=2500, batch_size=128, lr=1e-3, decay_from=0.5, progress=False),
    "grid": TrainConfig(steps=8000, batch_size=128, lr=5e-4, decay_from=0.5, progress=False),
}
# Spectral norm's Lipschitz bound for the 2-D mixtures (see spectral_norm_discriminator): with
# a bound of 1 it captured 1 ring mode (0.6 % high quality); with 10, all 8.
SN_LIPSCHITZ = 10.0
# WGAN-GP as its authors train it on 2-D data: Adam betas (0.5, 0.9), no decay, 5 critic steps
# per generator step (with 1 critic step it collapsed to one mode, off the data, on both
# mixtures), and a penalty weight far below the paper's lambda = 10: the authors' toy script
# (gan_toy.py in their repository) uses 0.1, since on clusters this narrow a critic held near
# gradient norm 1 can barely tell a mode from its surroundings. On the ring, seed 0, 2,000
# rounds at lr 1e-3, lambda 0.1 / 1 / 10 gave 8 / 8 / 4 modes at 43.5 / 62.9 / 0.8 % high
# quality, so lambda = 1. It learns at the setting's rate, like every other method.
WGAN_GP_BETAS = (0.5, 0.9)
WGAN_GP_CRITIC_STEPS = 5
WGAN_GP_WEIGHT = 1.0
# Two budgets, as shares of the other methods' rounds. A WGAN-GP round costs about five plain
# ones, so "wgan-gp-matched" (0.2) takes about the seconds of a plain run and "wgan-gp" (0.8)
# about four times as long; lesson 05 prints every run's seconds and the critic updates.
WGAN_GP_ROUND_SHARES = {"wgan-gp": 0.8, "wgan-gp-matched": 0.2}
# PacGAN's discriminator is twice as wide as the others (PACGAN_HIDDEN, below, in the course's
# recipe): it sees two samples at once, and the paper's is larger still (three maxout layers of
# 200 units with 5 pieces each). With the plain width its samples spread far off the modes.
PACGAN_WIDTH_FACTOR = 2
# The R1 penalty's weight gamma (the loss adds gamma / 2 * E|grad D(x)|^2 at real points): on
# the ring, seed 0, gamma 0.01 / 0.1 / 1 / 3 / 10 gave 82.5 / 81.5 / 85.1 / 80.7 / 65.1 % high
# quality, all 8 modes.
R1_GAMMA = 1.0
# Samples drawn to count modes (the papers' protocol), from codes seeded by EVAL_SEED + seed.
N_EVAL = 2500
EVAL_SEED = 10_000


@dataclass(frozen=True)
class Networks:
    """The sizes of both players' MLPs: latent size, hidden width, hidden layers."""

    z_dim: int = 2
    hidden: int = 128
    depth: int = 3


@dataclass(frozen=True)
class Setting:
    """A whole recipe: the networks' sizes and the training settings per data set."""

    networks: Networks
    configs: dict[str, TrainConfig]


# "course": this lesson's recipe. "veegan": the plain-GAN setting of the VEEGAN paper's 2-D
# experiments (latent 256, two hidden layers of 128, batch 512, Adam with learning rates 1e-3
# for G and 1e-4 for D), where the plain GAN collapses. 2,000 steps: in 5,000-step runs
# (seeds 0, 1, 2, modes counted every 500 steps) it never held more than 1 mode after step 500,
# so the longer run showed nothing more.
VEEGAN_CONFIG = TrainConfig(steps=2000, batch_size=512, lr=1e-3, d_lr=1e-4, progress=False)
SETTINGS: dict[str, Setting] = {
    "course": Setting(Networks(), TRAIN_CONFIGS),
    "veegan": Setting(Networks(z_dim=256, hidden=128, depth=2),
                      {"ring": VEEGAN_CONFIG, "grid": VEEGAN_CONFIG}),
}
# The course setting's sizes, by name (lesson 05 draws codes of Z_DIM numbers).
HIDDEN, DEPTH, Z_DIM = Networks().hidden, Networks().depth, Networks().z_dim
PACGAN_HIDDEN = PACGAN_WIDTH_FACTOR * HIDDEN


@dataclass
class Run:
    """Everything one run needs:
    ``training.train(run.G, run.D, run.sample_real, run.config, loss=run.loss)``."""

    G: nn.Module
    D: nn.Module
    sample_real: SampleFn
    config: TrainConfig
    loss: LossPair


@dataclass(frozen=True)
class Parts:
    """The three functions the cures are made of; ``build`` hands them to the networks.

    The defaults are the library's own. Lesson 05 passes the learner's versions, so the race
    runs on the learner's code.
    """

    pack: Callable[[torch.Tensor, int], torch.Tensor] = pack
    minibatch_std_feature: Callable[[torch.Tensor], torch.Tensor] = minibatch_std_feature
    gradient_penalty: Callable[..., torch.Tensor] = losses.gradient_penalty


def _vanilla(net: Networks, parts: Parts) -> tuple[nn.Module, LossPair]:
    return MLPDiscriminator(2, net.hidden, net.depth), losses.get_loss_pair("non-saturating")


def _packed(net: Networks, parts: Parts, hidden: int) -> tuple[nn.Module, LossPair]:
    D = PackedDiscriminator(2, m=2, hidden=hidden, depth=net.depth, pack_fn=parts.pack)
    return D, losses.get_loss_pair("non-saturating")


def _pacgan2(net: Networks, parts: Parts) -> tuple[nn.Module, LossPair]:
    return _packed(net, parts, PACGAN_WIDTH_FACTOR * net.hidden)


def _pacgan2_plain_width(net: Networks, parts: Parts) -> tuple[nn.Module, LossPair]:
    return _packed(net, parts, net.hidden)


def _minibatch_std(net: Networks, parts: Parts) -> tuple[nn.Module, LossPair]:
    D = MinibatchStdDiscriminator(2, net.hidden, net.depth,
                                  feature_fn=parts.minibatch_std_feature)
    return D, losses.get_loss_pair("non-saturating")


def _spectral_norm(net: Networks, parts: Parts) -> tuple[nn.Module, LossPair]:
    D = spectral_norm_discriminator(2, net.hidden, net.depth, SN_LIPSCHITZ)
    return D, losses.get_loss_pair("non-saturating")


def _wgan_gp(net: Networks, parts: Parts) -> tuple[nn.Module, LossPair]:
    return MLPDiscriminator(2, net.hidden, net.depth), losses.wgan_gp_pair(
        parts.gradient_penalty, gp_weight=WGAN_GP_WEIGHT)


def _r1(net: Networks, parts: Parts) -> tuple[nn.Module, LossPair]:
    return MLPDiscriminator(2, net.hidden, net.depth), losses.r1_pair(R1_GAMMA)


# name -> factory(networks, parts) -> (discriminator, game)
METHODS: dict[str, Callable[[Networks, Parts], tuple[nn.Module, LossPair]]] = {
    "vanilla": _vanilla,
    "pacgan2": _pacgan2,
    "pacgan2-plain-width": _pacgan2_plain_width,  # the control: packing at the others' width
    "minibatch-std": _minibatch_std,
    "spectral-norm": _spectral_norm,
    "wgan-gp": _wgan_gp,  # about 4 times the others' compute
    "wgan-gp-matched": _wgan_gp,  # about the seconds of a plain run
    "r1": _r1,
}


def method_config(method: str, dataset: str, seed: int = 0, setting: str = "course") -> TrainConfig:
    """The settings of ``method`` on ``dataset``: the setting's config with ``seed``; both
    WGAN-GP budgets also get their optimiser (``WGAN_GP_BETAS``, no decay),
    ``WGAN_GP_CRITIC_STEPS`` critic steps and their share of the rounds
    (``WGAN_GP_ROUND_SHARES``)."""
    if setting not in SETTINGS:
        raise ValueError(f"Unknown setting {setting!r}. Valid choices: {', '.join(SETTINGS)}")
    configs = SETTINGS[setting].configs
    if dataset not in configs:
        raise ValueError(f"Unknown dataset {dataset!r}. Valid choices: {', '.join(configs)}")
    config = replace(configs[dataset], seed=seed)
    if method in WGAN_GP_ROUND_SHARES:
        config = replace(config, betas=WGAN_GP_BETAS, d_steps=WGAN_GP_CRITIC_STEPS,
                         decay_from=1.0,
                         steps=max(1, round(config.steps * WGAN_GP_ROUND_SHARES[method])))
    return config


def build(method: str, dataset: str, seed: int = 0, parts: Parts | None = None,
          setting: str = "course") -> Run:
    """Fresh networks, game and training settings of ``method`` on ``dataset``.

    Every method uses the same generator, widths and settings (``SETTINGS[setting]``); only
    the discriminator and game, returned by ``METHODS[method](networks, parts)``, and
    WGAN-GP's optimiser and rounds (``method_config``) differ.
    ``seed`` fixes the initial weights and the training batches. ``parts`` (default
    ``Parts()``, the library's functions) are the packing, minibatch-std and gradient-penalty
    functions the cures use; other versions that compute the same values draw the same random
    numbers, so the run is the same.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}. Valid choices: {', '.join(METHODS)}")
    config = method_config(method, dataset, seed, setting)
    networks = SETTINGS[setting].networks
    data = get_dataset(dataset)
    torch.manual_seed(seed)
    G = MLPGenerator(z_dim=networks.z_dim, hidden=networks.hidden, depth=networks.depth)
    D, loss = METHODS[method](networks, parts if parts is not None else Parts())
    return Run(G=G, D=D, sample_real=data.sample, config=config, loss=loss)


def evaluation_samples(G: nn.Module, seed: int = 0) -> torch.Tensor:
    """The N_EVAL samples whose modes are counted: G(z) in eval mode, no gradients, on the CPU,
    for codes z drawn from a CPU generator seeded with EVAL_SEED + seed.   -> (N_EVAL, 2)."""
    G.eval()
    with torch.no_grad():
        return G.sample(N_EVAL, torch.Generator().manual_seed(EVAL_SEED + seed)).cpu()
