"""Class-conditional GANs: ask the generator for a particular digit.

Both players are told the class y of every image (Mirza and Osindero, 2014):

* the generator G(z, y) gets the label as a learned embedding e(y) concatenated to z;
* the discriminator judges the pair (x, y): is x a real image *of class y*? Two ways:

  - ``ConcatDiscriminator``: y as n_classes constant one-hot maps (``one_hot``) stacked
    onto the image channels, so the first convolution sees it;
  - ``ProjectionDiscriminator`` (Miyato and Koyama, 2018): features h = phi(x), then
    logit = w . h + b + <embed(y), h>: an unconditional score plus a class-matching term.

The game and its losses are the unconditional ones; only every call of D also gets labels.
A discriminator of pairs is also a classifier: ``label_scores`` asks it about every label.
Shift augmentation (``augment.random_shift``) is applied by ``augment.ShiftAugment``,
which ``train_conditional`` wraps around D, to real and fake images alike.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from gan_course.augment import ShiftAugment
from gan_course.checkpoints import load_pretrained
from gan_course.conditional_models import (  # noqa: F401  (re-exported for the lessons)
    ConcatDiscriminator,
    ConditionalGenerator,
    ProjectionDiscriminator,
    _check_pairs,
    check_labels,
    one_hot,
)
from gan_course.latent import module_device
from gan_course.losses import discriminator_loss, generator_loss_nonsaturating
from gan_course.training import History, SnapshotFn, play_rounds

CONDITIONAL_WEIGHTS = "cgan_digits"


def conditional_train_step(
    G: nn.Module,
    D: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    labels: torch.Tensor,
    z: torch.Tensor,
    fake_labels: torch.Tensor,
    g_loss_fn: Callable[[torch.Tensor], torch.Tensor],
) -> tuple[float, float]:
    """One round of the conditional game; returns (discriminator loss, generator loss).

    real: (N, C, S, S) with labels (N,).  z: (M, z_dim) with fake_labels (M,).
    D step:  minimise  L_D = -E[log D(x, y)] - E[log(1 - D(G(z, y'), y'))]   (fake detached)
    G step:  minimise  g_loss_fn(D(G(z, y'), y'))
    No augmentation here: wrap D in ``augment.ShiftAugment`` for that.
    """
    fake = G(z, fake_labels)
    d_loss = discriminator_loss(D(real, labels), D(fake.detach(), fake_labels))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()

    g_loss = g_loss_fn(D(fake, fake_labels))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def train_conditional(
    G: ConditionalGenerator,
    D: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    steps: int = 2000,
    batch_size: int = 128,
    lr: float = 2e-4,
    max_shift: int = 1,
    decay_from: float = 0.6,
    snapshot_every: int = 0,
    snapshot: SnapshotFn | None = None,
    seed: int = 0,
    progress: bool = True,
    step_fn: Callable[..., tuple[float, float]] = conditional_train_step,
) -> History:
    """Train G(z, y) against D(x, y) on labelled ``images`` and return the History.

    images: (N, C, S, S) in [-1, 1]; labels: (N,) int64. Each step draws a batch of real
    pairs with replacement, z ~ N(0, I) and fake labels ~ Uniform{0..n_classes-1} with a
    CPU generator seeded by ``seed``, moves them to G's device and calls ``step_fn``.
    D is wrapped in ``ShiftAugment(D, max_shift)`` (0: no augmentation), so real
    and fake images are shifted alike. Adam (betas 0.5, 0.999); both learning rates fall
    linearly to 5 % after ``decay_from * steps``. snapshot(G, D, step) is called every
    ``snapshot_every`` steps and at the end, in eval mode without gradients.
    """
    _check_pairs(images, labels, G.n_classes)
    device = next(G.parameters()).device
    augmented = ShiftAugment(D, max_shift)
    data, targets = images.detach().cpu(), labels.cpu()

    def play_round(rng: torch.Generator, opt_g: torch.optim.Optimizer,
                   opt_d: torch.optim.Optimizer) -> tuple[float, float]:
        index = torch.randint(len(data), (batch_size,), generator=rng)
        real, real_labels = data[index].to(device), targets[index].to(device)
        z = torch.randn(batch_size, G.z_dim, generator=rng).to(device)
        fake_labels = torch.randint(G.n_classes, (batch_size,), generator=rng).to(device)
        return step_fn(G, augmented, opt_g, opt_d, real, real_labels, z, fake_labels,
                       generator_loss_nonsaturating)

    return play_rounds(G, D, play_round, steps, lr, decay_from, snapshot_every, snapshot,
                       seed, progress)


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


def pretrained_conditional_generator(
    map_location: str | torch.device | None = None,
) -> ConditionalGenerator:
    """The shipped conditional GAN for 16 x 16 digits (``python tools/train_weights.py
    cgan-digits`` made it), sha256-checked, on ``map_location`` (default: the CPU), in eval
    mode."""
    checkpoint = load_pretrained(CONDITIONAL_WEIGHTS, map_location=map_location or "cpu")
    meta = checkpoint["meta"]
    G = ConditionalGenerator(meta["z_dim"], meta["n_classes"], meta["image_size"],
                             meta.get("channels", 1), meta["width"])
    G.load_state_dict(checkpoint["state_dict"])
    return G.to(map_location or "cpu").eval()
