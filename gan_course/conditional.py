"""The class-conditional GAN family: ask the generator for a particular digit (lesson 03;
the conditional explorer widget and ``tools/train_weights.py cgan-digits`` use it too).

One file for the family: the players, the game, the shipped weights and the measurements.

**The players.** Both are told the class y of every image (Mirza and Osindero, 2014):

* the generator G(z, y) gets the label as a learned embedding e(y) concatenated to z;
* the discriminator judges the pair (x, y): is x a real image *of class y*? Two ways:

  - ``ConcatDiscriminator``: y as n_classes constant one-hot maps (``one_hot``) stacked
    onto the image channels, so the first convolution sees it;
  - ``ProjectionDiscriminator`` (Miyato and Koyama, 2018): features h = phi(x), then
    logit = w . h + b + <embed(y), h>: an unconditional score plus a class-matching term.

**The game.** The losses are the unconditional ones; only every call of D also gets labels.
``conditional_train_step`` plays one round (lesson 03's exercise re-writes it) and
``train_conditional`` repeats it with ``training.play_rounds``, the settings in a
``training.TrainConfig`` (``TRAIN_DEFAULTS``). D is wrapped in ``augment.ShiftAugment``, so
real and fake images are shifted alike.

**The weights.** ``ConditionalGenerator.from_pretrained()`` loads the shipped generator.

**Measurements.** A discriminator of pairs is also a classifier: ``label_scores`` asks it
about every label. ``class_grid`` draws one row per class; ``conditional_accuracy`` asks a
classifier whether G drew the class it was asked for.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gan_course.augment import ShiftAugment
from gan_course.checkpoints import load_pretrained
from gan_course.dcgan import DCGANGenerator, count_doublings, dcgan_init, down_block
from gan_course.device import module_device
from gan_course.images import check_images
from gan_course.losses import discriminator_loss, generator_loss_nonsaturating
from gan_course.training import (
    History,
    Losses,
    SnapshotFn,
    TrainConfig,
    play_rounds,
    random_index,
)

WEIGHTS_NAME = "cgan_digits"
# Lesson 03's training settings: 2000 rounds of 128 pairs, Adam 2e-4, decay after 60 %.
TRAIN_DEFAULTS = TrainConfig(steps=2000, batch_size=128, lr=2e-4, decay_from=0.6)


# --- The players ------------------------------------------------------------------------------

def check_labels(labels: torch.Tensor, n_classes: int) -> None:
    """Refuse anything but an int tensor (N,) with values in 0..n_classes-1, saying why."""
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"labels must be a torch.Tensor, got {type(labels).__name__}: pass "
                        "torch.tensor([...], dtype=torch.int64), e.g. torch.tensor([3, 7])")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise TypeError(f"labels must be integers, got {labels.dtype}: pass "
                        "torch.tensor([...]) of int64 (or convert with labels.long())")
    if labels.dim() != 1:
        raise ValueError(f"labels must have shape (N,), one class per image, got "
                         f"{tuple(labels.shape)} (flatten them with labels.reshape(-1))")
    bad = labels[(labels < 0) | (labels >= n_classes)]
    if len(bad) > 0:
        shown = sorted(set(bad.tolist()))[:10]
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {shown}")


def one_hot(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """(N,) class indices -> (N, n_classes) float32, a single 1 per row (in column labels[i]),
    on the labels' device. Refuses what ``check_labels`` refuses (TypeError, ValueError)."""
    check_labels(labels, n_classes)
    return F.one_hot(labels, n_classes).float()


def _check_one_per_row(x: torch.Tensor, labels: torch.Tensor) -> None:
    """Exactly one label per row of ``x``."""
    if len(labels) != len(x):
        raise ValueError(f"need one label per row: {len(x)} rows but {len(labels)} labels")


def _check_pairs(x: torch.Tensor, labels: torch.Tensor, n_classes: int) -> None:
    """Labels valid (``check_labels``), and exactly one per row of ``x``."""
    check_labels(labels, n_classes)
    _check_one_per_row(x, labels)


class ConditionalGenerator(nn.Module):
    """G: (z (N, z_dim), y (N,)) -> images (N, channels, image_size, image_size) in [-1, 1].

    input = [z, e(y)] (N, z_dim + n_classes), with e a learned embedding of size n_classes;
    the rest is the DCGAN generator's network (``dcgan.DCGANGenerator``: transposed
    convolutions, batch norm, ReLU, tanh).
    """

    def __init__(self, z_dim: int = 32, n_classes: int = 10, image_size: int = 16,
                 channels: int = 1, width: int = 64):
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        self.image_size, self.channels = image_size, channels
        self.embed = nn.Embedding(n_classes, n_classes)
        # The DCGAN generator's layers for codes of size z_dim + n_classes, initialised
        # (dcgan_init) by DCGANGenerator; the embedding keeps PyTorch's N(0, 1) start.
        self.net = DCGANGenerator(z_dim + n_classes, image_size, channels, width).net

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"expected z of shape (N, {self.z_dim}), got {tuple(z.shape)}")
        _check_pairs(z, labels, self.n_classes)
        inputs = torch.cat([z, self.embed(labels)], dim=1)  # (N, z_dim + n_classes)
        return self.net(inputs[:, :, None, None])

    def sample(self, labels: torch.Tensor,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw z ~ N(0, I) on the CPU (reproducible) and return G(z, labels) on G's device."""
        check_labels(labels, self.n_classes)
        device = module_device(self)
        z = torch.randn(len(labels), self.z_dim, generator=generator)
        return self(z.to(device), labels.to(device))

    @classmethod
    def from_pretrained(cls, map_location: str | torch.device = "cpu") -> ConditionalGenerator:
        """The shipped conditional GAN for 16 x 16 digits (``python tools/train_weights.py
        cgan-digits`` made it), sha256-checked, on ``map_location``, in eval mode."""
        checkpoint = load_pretrained(WEIGHTS_NAME, map_location=map_location)
        meta = checkpoint["meta"]
        G = cls(meta["z_dim"], meta["n_classes"], meta["image_size"], meta.get("channels", 1),
                meta["width"])
        G.load_state_dict(checkpoint["state_dict"])
        return G.to(map_location).eval()


def _features(image_size: int, channels: int, width: int) -> tuple[nn.Sequential, int]:
    """phi: DCGAN down-blocks (N, channels, S, S) -> (N, ch, 4, 4); returns (phi, ch)."""
    layers: list[nn.Module] = [down_block(channels, width, batch_norm=False)]
    ch = width
    for _ in range(count_doublings(image_size) - 1):
        layers.append(down_block(ch, ch * 2))
        ch *= 2
    return nn.Sequential(*layers), ch


class ProjectionDiscriminator(nn.Module):
    """D: (x (N, C, S, S), y (N,)) -> logits (N,), with a projection of the label.

    h = flatten(phi(x))  (N, 16 ch);  logit = w . h + b + <embed(y), h>.
    With embed = 0 this is exactly the DCGAN discriminator (its last 4 x 4 convolution is
    the linear map w . h + b).
    """

    def __init__(self, n_classes: int = 10, image_size: int = 16, channels: int = 1,
                 width: int = 64):
        super().__init__()
        self.n_classes, self.image_size, self.channels = n_classes, image_size, channels
        self.phi, ch = _features(image_size, channels, width)
        self.linear = nn.Linear(ch * 16, 1)
        self.embed = nn.Embedding(n_classes, ch * 16)
        self.apply(dcgan_init)
        nn.init.normal_(self.linear.weight, 0.0, 0.02)
        nn.init.zeros_(self.linear.bias)
        nn.init.normal_(self.embed.weight, 0.0, 0.02)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        check_images(x, self.channels, self.image_size, "the discriminator's input")
        _check_pairs(x, labels, self.n_classes)
        h = self.phi(x).flatten(start_dim=1)                  # (N, 16 ch)
        projection = (self.embed(labels) * h).sum(dim=1)      # <embed(y), h>  (N,)
        return self.linear(h).flatten() + projection


class ConcatDiscriminator(nn.Module):
    """D: (x (N, C, S, S), y (N,)) -> logits (N,), label as one-hot maps.

    input = [x, onehot(y) broadcast to S x S]  (N, C + n_classes, S, S), then the DCGAN
    discriminator. ``one_hot_fn(labels, n_classes) -> (N, n_classes)`` makes the one-hot
    vectors (default ``one_hot``; lesson 03 passes the learner's own). It is also the guard
    on the labels' values: like ``one_hot``, it must refuse labels outside 0..n_classes-1
    (lesson 03's check makes sure the learner's does), so this class checks only that there
    is one label per image and that the codes have the right shape.
    """

    def __init__(self, n_classes: int = 10, image_size: int = 16, channels: int = 1,
                 width: int = 64,
                 one_hot_fn: Callable[[torch.Tensor, int], torch.Tensor] = one_hot):
        super().__init__()
        self.n_classes, self.image_size, self.channels = n_classes, image_size, channels
        self.one_hot_fn = one_hot_fn
        self.phi, ch = _features(image_size, channels + n_classes, width)
        self.head = nn.Conv2d(ch, 1, 4, stride=1, padding=0)  # 4 x 4 -> 1 x 1 logit
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        check_images(x, self.channels, self.image_size, "the discriminator's input")
        onehot = self.one_hot_fn(labels, self.n_classes)  # (N, n_classes); refuses bad labels
        _check_one_per_row(x, labels)
        if tuple(onehot.shape) != (len(labels), self.n_classes):
            raise ValueError(f"one_hot_fn must return shape ({len(labels)}, {self.n_classes}), "
                             f"got {tuple(onehot.shape)}")
        onehot = onehot.to(device=x.device, dtype=x.dtype)
        maps = onehot[:, :, None, None].expand(-1, -1, self.image_size, self.image_size)
        return self.head(self.phi(torch.cat([x, maps], dim=1))).flatten()


# --- The game -----------------------------------------------------------------------------------


def conditional_train_step(
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    labels: torch.Tensor,
    z: torch.Tensor,
    fake_labels: torch.Tensor,
) -> tuple[float, float]:
    """One round of the conditional game; returns (discriminator loss, generator loss).

    real: (N, C, S, S) with labels (N,).  z: (M, z_dim) with fake_labels (M,).
    D step:  minimise  L_D = -E[log D(x, y)] - E[log(1 - D(G(z, y'), y'))]   (fake detached)
    G step:  minimise  L_G = -E[log D(G(z, y'), y')]          (the non-saturating loss)
    No augmentation here: wrap D in ``augment.ShiftAugment`` for that.
    """
    fake = G(z, fake_labels)
    d_loss = discriminator_loss(D(real, labels), D(fake.detach(), fake_labels))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()

    g_loss = generator_loss_nonsaturating(D(fake, fake_labels))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def train_conditional(
    G: ConditionalGenerator,
    D: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    config: TrainConfig = TRAIN_DEFAULTS,
    max_shift: int = 1,
    step_fn: Callable[..., tuple[float, float]] = conditional_train_step,
    snapshot: SnapshotFn | None = None,
) -> History:
    """Train G(z, y) against D(x, y) on labelled ``images`` with the settings in ``config``.

    images: (N, C, S, S) in [-1, 1]; labels: (N,) int64. Each of ``config.steps`` rounds draws
    batch_size real pairs with replacement (``training.random_index``), z ~ N(0, I) and fake
    labels ~ Uniform{0..n_classes-1}, in that order, with a CPU generator seeded by
    ``config.seed``, moves them to G's device and calls
    step_fn(G, ShiftAugment(D, max_shift), opt_g, opt_d, real, labels, z, fake_labels):
    one D step and one G step, so ``config.d_steps`` must
    be 1. max_shift 0: no augmentation. Adam, learning-rate decay and snapshots as in
    ``training.play_rounds``. Returns the History (losses "d" and "g").
    """
    if config.d_steps != 1:
        raise ValueError(f"the conditional round plays one D step per G step: d_steps must "
                         f"be 1, got {config.d_steps}")
    _check_pairs(images, labels, G.n_classes)
    device = module_device(G)
    augmented = ShiftAugment(D, max_shift)
    data, targets = images.detach().cpu(), labels.cpu()
    n = config.batch_size

    def play_round(rng: torch.Generator, opt_g: torch.optim.Optimizer,
                   opt_d: torch.optim.Optimizer) -> Losses:
        index = random_index(len(data), n, rng)
        real, real_labels = data[index].to(device), targets[index].to(device)
        z = torch.randn(n, G.z_dim, generator=rng).to(device)
        fake_labels = torch.randint(G.n_classes, (n,), generator=rng).to(device)
        d_value, g_value = step_fn(G, augmented, opt_g, opt_d, real, real_labels, z,
                                   fake_labels)
        return {"d": d_value, "g": g_value}

    return play_rounds(G, D, play_round, config, snapshot)


# --- Measurements -----------------------------------------------------------------------------

@torch.no_grad()
def label_scores(D: nn.Module, images: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """D's logit for every pairing of an image with a label: (N, n_classes), entry [i, k] =
    D(images[i], k). Its argmax over k is the label D finds most plausible for the image.
    Runs in D's current mode (call D.eval() first: batch norm in train mode would mix the
    images of a batch)."""
    n = len(images)
    labels = torch.arange(n_classes, device=images.device).repeat(n)   # 0..K-1, 0..K-1, ...
    repeated = images.repeat_interleave(n_classes, dim=0)              # x0 K times, x1 ...
    return D(repeated, labels).reshape(n, n_classes)


@torch.no_grad()
def class_grid(G: ConditionalGenerator, n_columns: int = 8,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """(n_classes * n_columns, C, S, S): row k is class k; column c uses the same z_c in
    every row, so along a column the style stays and the class changes.

    image[k * n_columns + c] = G(z_c, k). Runs in G's current mode: call G.eval() first.
    """
    z = torch.randn(n_columns, G.z_dim, generator=generator)         # (n_columns, z_dim)
    z_all = z.repeat(G.n_classes, 1)                                 # row after row
    labels = torch.arange(G.n_classes).repeat_interleave(n_columns)  # 0 0 .. 1 1 ..
    device = module_device(G)
    return G(z_all.to(device), labels.to(device)).cpu()


@torch.no_grad()
def conditional_accuracy(G: ConditionalGenerator, classifier: nn.Module, n: int = 1000,
                         generator: torch.Generator | None = None,
                         batch_size: int = 500) -> tuple[float, list[float]]:
    """Share of G's samples that ``classifier`` puts in the requested class.

    Labels cycle 0, 1, ..., n_classes-1, 0, ... (n / n_classes each); returns
    (overall share, [share for class k, k = 0..n_classes-1]). Runs in G's current mode:
    call G.eval() first.
    """
    if n < G.n_classes:
        raise ValueError(f"n must be at least n_classes = {G.n_classes}, got {n}")
    labels = torch.arange(n) % G.n_classes
    g_device, c_device = module_device(G), module_device(classifier)
    hits = []
    for start in range(0, n, batch_size):
        wanted = labels[start:start + batch_size]
        images = G.sample(wanted.to(g_device), generator=generator)
        predicted = classifier(images.to(c_device)).argmax(dim=1).cpu()
        hits.append(predicted == wanted)
    correct = torch.cat(hits).float()
    per_class = [correct[labels == k].mean().item() for k in range(G.n_classes)]
    return correct.mean().item(), per_class
