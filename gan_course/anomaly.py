"""Anomaly detection with a GAN trained on normal data only, and the AUROC that judges it
(lesson 07, part 1; the lesson's exercises re-write ``auroc``, ``tpr_at_fpr`` and
``reconstruction_loss``).

A GAN trained on normal images knows nothing else. Two ways to turn that into a score,
where a higher score means "more anomalous":

* **discriminator score**: s(x) = -D(x), the negated logit. The discriminator was trained
  to call training-like images real, but never shown anomalies, so this is a weak signal.
* **encoder score** (f-AnoGAN, Schlegl et al., 2019, the "izi_f" variant): train an
  encoder E so that G(E(x)) reconstructs x, with G and D frozen. A normal image can be
  rebuilt; an anomaly cannot, because G never learned to draw it:

      s(x) = |x - G(E(x))|^2 / n_pixels + kappa * |f(x) - f(G(E(x)))|^2 / n_features

  where f(x) are the discriminator's features (its last layer's input). Training E
  minimises the mean of the same quantity over normal training images.

``auroc`` measures how well a score separates two sets: the probability that a random
anomaly scores higher than a random normal image (ties count one half). 1 is perfect
separation, 0.5 is a coin toss. ``tpr_at_fpr`` answers the practical question the AUROC
hides: with false alarms capped at a small share of normal images, how many anomalies
are caught?

One left-out digit is one kind of anomaly. The lesson's headline is the mean over all ten
(``leave_one_out`` makes each split); training ten detectors does not fit the lesson's
time, so ``train_detector`` makes them once with the lesson's recipe (``DETECTOR_GAN``,
``DETECTOR_ENCODER``; ``python tools/train_anomaly_weights.py`` ships them) and
``load_detectors`` loads them back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from gan_course.augment import ShiftAugment
from gan_course.checkpoints import load_pretrained
from gan_course.dcgan import (
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    count_doublings,
    dcgan_init,
    down_block,
    train_gan,
)
from gan_course.device import module_device
from gan_course.digits import ImageData
from gan_course.training import PROGRESS_EVERY_S, TrainConfig, random_index

LossFn = Callable[..., torch.Tensor]


def _check_scores(scores: torch.Tensor, name: str) -> torch.Tensor:
    scores = torch.as_tensor(scores)
    if scores.dim() != 1 or len(scores) == 0:
        raise ValueError(f"{name} must be a non-empty 1-d tensor of scores, got shape "
                         f"{tuple(scores.shape)} (flatten it, or pass one score per image)")
    if not torch.isfinite(scores.double()).all():
        raise ValueError(f"{name} contains NaN or infinite scores")
    return scores.detach().double().cpu()


def average_ranks(values: torch.Tensor) -> torch.Tensor:
    """Ranks 1..N of ``values`` (N,); tied values share the mean of their ranks.

    Example: [10, 20, 20, 30] -> [1, 2.5, 2.5, 4].
    """
    order = torch.argsort(values, stable=True)
    sorted_values = values[order]
    ranks = torch.empty(len(values), dtype=torch.float64)
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2 + 1  # mean of ranks start+1 .. end+1
        start = end + 1
    return ranks


def auroc(normal_scores: torch.Tensor, anomaly_scores: torch.Tensor) -> float:
    """Area under the ROC curve, with anomalies as the positive class; scores (n_0,), (n_1,).

    AUROC = P(s_anomaly > s_normal) + 1/2 P(s_anomaly = s_normal), computed from ranks
    (the Mann-Whitney U statistic): rank all n_0 + n_1 scores together (ties get their
    average rank), sum the anomalies' ranks R_1, then

        AUROC = (R_1 - n_1 (n_1 + 1) / 2) / (n_0 n_1).
    """
    normal = _check_scores(normal_scores, "normal_scores")
    anomaly = _check_scores(anomaly_scores, "anomaly_scores")
    ranks = average_ranks(torch.cat([normal, anomaly]))
    n0, n1 = len(normal), len(anomaly)
    rank_sum = ranks[n0:].sum().item()
    return (rank_sum - n1 * (n1 + 1) / 2) / (n0 * n1)


def roc_curve(normal_scores: torch.Tensor,
              anomaly_scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """False- and true-positive rates (each (T + 1,), from (0, 0) to (1, 1)) of the rule
    "anomaly if score >= t", for every distinct score t from the highest down."""
    normal = _check_scores(normal_scores, "normal_scores")
    anomaly = _check_scores(anomaly_scores, "anomaly_scores")
    thresholds = torch.unique(torch.cat([normal, anomaly])).flip(0)
    fpr = [0.0] + [(normal >= t).double().mean().item() for t in thresholds]
    tpr = [0.0] + [(anomaly >= t).double().mean().item() for t in thresholds]
    return torch.tensor(fpr), torch.tensor(tpr)


def tpr_at_fpr(normal_scores: torch.Tensor, anomaly_scores: torch.Tensor,
               fpr: float = 0.01) -> float:
    """The largest share of anomalies that the rule "anomaly if score > t" flags while it
    flags at most a share ``fpr`` of the normal images; scores (n_0,), (n_1,).

    At most A = floor(fpr * n_0) normal scores may lie above t. Any t below the (A + 1)-th
    highest normal score flags A + 1 of them, and a higher t flags fewer anomalies, so the
    best threshold is exactly that score:  TPR = share of anomaly scores > s_(A+1).
    """
    if not 0.0 <= fpr < 1.0:
        raise ValueError(f"fpr must be in [0, 1), got {fpr}")
    normal = _check_scores(normal_scores, "normal_scores")
    anomaly = _check_scores(anomaly_scores, "anomaly_scores")
    allowed = math.floor(fpr * len(normal) + 1e-9)   # + 1e-9: 0.29 * 100 is 28.999...
    threshold = normal.sort(descending=True).values[allowed]
    return float((anomaly > threshold).double().mean())


class Encoder(nn.Module):
    """E: images (N, channels, size, size) -> codes (N, z_dim): the discriminator's body
    (down-blocks) with a last 4 x 4 convolution to ``z_dim`` channels instead of one."""

    def __init__(self, z_dim: int = 32, image_size: int = 16, channels: int = 1, width: int = 32):
        super().__init__()
        self.z_dim = z_dim
        layers: list[nn.Module] = [down_block(channels, width, batch_norm=False)]
        ch = width
        for _ in range(count_doublings(image_size) - 1):
            layers.append(down_block(ch, ch * 2))
            ch *= 2
        layers.append(nn.Conv2d(ch, z_dim, 4, stride=1, padding=0))  # 4 x 4 -> 1 x 1
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)


def _body(D: nn.Module) -> DCGANDiscriminator:
    """The DCGAN discriminator inside ``D`` (unwrapping a ShiftAugment)."""
    inner = getattr(D, "discriminator", D)
    if not isinstance(inner, DCGANDiscriminator):
        raise TypeError(f"expected a DCGANDiscriminator (or one wrapped in ShiftAugment), "
                        f"got {type(inner).__name__}")
    return inner


def discriminator_features(D: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """f(x): the input of D's last layer, flattened: (N, C, H, W) -> (N, features)."""
    return _body(D).net[:-1](x).flatten(1)


@contextmanager
def frozen(*modules: nn.Module) -> Iterator[None]:
    """Eval mode and no weight gradients for ``modules`` inside the block (gradients still
    flow *through* them to their inputs); restores both afterwards."""
    saved = [(m.training, [p.requires_grad for p in m.parameters()]) for m in modules]
    for module in modules:
        module.eval().requires_grad_(False)
    try:
        yield
    finally:
        for module, (training, flags) in zip(modules, saved):
            module.train(training)
            for p, flag in zip(module.parameters(), flags):
                p.requires_grad_(flag)


def reconstruction_loss(x: torch.Tensor, G: nn.Module, D: nn.Module, E: nn.Module,
                        kappa: float = 1.0) -> torch.Tensor:
    """Per-image izi_f loss (N,): |x - G(E(x))|^2 / n_pixels + kappa |f(x) - f(G(E(x)))|^2 / n_f."""
    rebuilt = G(E(x))
    pixel = (x - rebuilt).pow(2).flatten(1).mean(1)
    feature = (discriminator_features(D, x) - discriminator_features(D, rebuilt)).pow(2).mean(1)
    return pixel + kappa * feature


# The encoder's training settings: Adam at 1e-3 (betas 0.5, 0.999), batches of 64, 1,000 steps;
# its first block's channels.
ENCODER_TRAINING = TrainConfig(steps=1000, batch_size=64, lr=1e-3)
ENCODER_WIDTH = 32


def train_encoder(G: nn.Module, D: nn.Module, images: torch.Tensor,
                  config: TrainConfig = ENCODER_TRAINING, kappa: float = 1.0,
                  width: int = ENCODER_WIDTH,
                  loss_fn: LossFn = reconstruction_loss) -> tuple[Encoder, list[float]]:
    """Train E to invert the frozen G on ``images`` (N, C, H, W) (normal data only).

    Each of ``config.steps`` steps draws ``config.batch_size`` images with replacement and
    takes one Adam step (``config.lr``, ``config.betas``) on

        L_E = mean over the batch of loss_fn(x, G, D, E, kappa)   ((N,), ``reconstruction_loss``
                                                                   by default)

    with G and D frozen. E (``width`` channels in its first block) starts from
    ``config.seed``; the batches are drawn with a CPU generator seeded by it too.
    ``config.decay_from``, ``d_steps`` and ``snapshot_every`` are not used.
    Returns (E in eval mode, loss per step).
    """
    device = module_device(G)
    rng = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    E = Encoder(G.z_dim, images.shape[2], images.shape[1], width).to(device)
    opt = torch.optim.Adam(E.parameters(), lr=config.lr, betas=config.betas)
    losses = []
    with frozen(G, D):
        for _ in tqdm(range(config.steps), desc="encoder", disable=not config.progress,
                      mininterval=PROGRESS_EVERY_S):
            batch = images[random_index(len(images), config.batch_size, rng)].to(device)
            loss = loss_fn(batch, G, D, E, kappa).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return E.eval(), losses


@torch.no_grad()
def encoder_scores(x: torch.Tensor, G: nn.Module, D: nn.Module, E: nn.Module,
                   kappa: float = 1.0, batch_size: int = 500,
                   loss_fn: LossFn = reconstruction_loss) -> torch.Tensor:
    """Anomaly scores (N,) on the CPU: loss_fn(x, G, D, E, kappa) per image (by default
    ``reconstruction_loss``), models in eval mode."""
    device = module_device(G)
    with frozen(G, D, E):
        parts = [loss_fn(x[i:i + batch_size].to(device), G, D, E, kappa).cpu()
                 for i in range(0, len(x), batch_size)]
    return torch.cat(parts)


@torch.no_grad()
def discriminator_scores(D: nn.Module, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Anomaly scores (N,) on the CPU: s(x) = -D(x), the negated logit, D in eval mode."""
    device = module_device(D)
    with frozen(D):
        parts = [-D(x[i:i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(parts)


# ---- ten left-out digits: the lesson's recipe, run once per digit and shipped ----

# Lesson 07's detector recipe: its small DCGAN (half of lesson 02's width, 1,500 steps) and
# its encoder (500 steps). The shipped detectors were made with exactly these.
DETECTOR_GAN = DCGANConfig(
    z_dim=32, width=32, max_shift=1,
    training=TrainConfig(steps=1500, batch_size=64, lr=2e-4, decay_from=0.6, seed=0))
DETECTOR_ENCODER = TrainConfig(steps=500, batch_size=64, lr=1e-3)
DETECTORS_NAME = "anomaly_detectors"


@dataclass(frozen=True)
class LeaveOneOut:
    """One anomaly task. normal_train: the training images of the nine other digits.
    normal_test: the held-out images of those nine. anomalies: every image (training and
    held-out) of the left-out ``digit``, which no model of this task has seen."""

    digit: int
    normal_train: torch.Tensor
    normal_test: torch.Tensor
    anomalies: torch.Tensor


def leave_one_out(train_set: ImageData, heldout: ImageData, digit: int) -> LeaveOneOut:
    """The task "digit ``digit`` is the anomaly": images (N, C, H, W) split by label."""
    if not bool((train_set.labels == digit).any()):
        raise ValueError(f"digit {digit} does not occur in the training labels")
    return LeaveOneOut(digit, train_set.images[train_set.labels != digit],
                       heldout.images[heldout.labels != digit],
                       torch.cat([train_set.images[train_set.labels == digit],
                                  heldout.images[heldout.labels == digit]]))


@dataclass
class Detector:
    """A trained f-AnoGAN detector: G, D (in its ShiftAugment) and E, all in eval mode."""

    G: DCGANGenerator
    D: nn.Module
    E: Encoder


def train_detector(images: torch.Tensor, gan: DCGANConfig = DETECTOR_GAN,
                   encoder: TrainConfig = DETECTOR_ENCODER) -> Detector:
    """Train a DCGAN on normal ``images`` (N, C, H, W) with ``gan`` (``dcgan.train_gan``),
    then an encoder for it with ``encoder`` (``train_encoder``, the izi_f loss, kappa = 1)."""
    trained = train_gan(images, config=gan)
    E, _ = train_encoder(trained.G, trained.D, images, config=encoder)
    return Detector(trained.G, trained.D, E)


def load_detectors(map_location: str | torch.device = "cpu") -> tuple[dict[int, Detector], dict]:
    """The ten shipped detectors, {left-out digit: Detector}, sha256-checked, in eval mode,
    and the settings that made them (the checkpoint's meta)."""
    checkpoint = load_pretrained(DETECTORS_NAME, map_location=map_location)
    meta = checkpoint["meta"]
    detectors = {}
    for digit, state in checkpoint["state_dict"].items():
        G = DCGANGenerator(meta["z_dim"], meta["image_size"], 1, meta["width"])
        D = ShiftAugment(DCGANDiscriminator(meta["image_size"], 1, meta["width"]),
                         meta["max_shift"])
        E = Encoder(meta["z_dim"], meta["image_size"], 1, meta["encoder_width"])
        for model, name in ((G, "G"), (D, "D"), (E, "E")):
            model.load_state_dict(state[name])
            model.to(map_location).eval()
        detectors[int(digit)] = Detector(G, D, E)
    return detectors, meta
