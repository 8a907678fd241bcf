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
import torch.nn.functional as F
from torch import nn

from gan_course.augment import ShiftAugment
from gan_course.checkpoints import load_pretrained
from gan_course.dcgan import count_doublings, dcgan_init, down_block, up_block
from gan_course.device import module_device
from gan_course.images import check_images
from gan_course.losses import discriminator_loss, generator_loss_nonsaturating
from gan_course.training import History, SnapshotFn, play_rounds

WEIGHTS_NAME = "cgan_digits"


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


def _check_pairs(x: torch.Tensor, labels: torch.Tensor, n_classes: int) -> None:
    """Labels valid, and exactly one per row of ``x``."""
    check_labels(labels, n_classes)
    if len(labels) != len(x):
        raise ValueError(f"need one label per row: {len(x)} rows but {len(labels)} labels")


class ConditionalGenerator(nn.Module):
    """G: (z (N, z_dim), y (N,)) -> images (N, channels, image_size, image_size) in [-1, 1].

    input = [z, e(y)] (N, z_dim + n_classes), with e a learned embedding of size n_classes;
    the rest is the DCGAN generator (transposed convolutions, batch norm, ReLU, tanh).
    """

    def __init__(self, z_dim: int = 32, n_classes: int = 10, image_size: int = 16,
                 channels: int = 1, width: int = 64):
        super().__init__()
        self.z_dim, self.n_classes = z_dim, n_classes
        self.image_size, self.channels = image_size, channels
        doublings = count_doublings(image_size)
        ch = width * 2 ** (doublings - 1)
        self.embed = nn.Embedding(n_classes, n_classes)
        layers: list[nn.Module] = [  # project [z, e(y)] to a 4 x 4 map
            nn.ConvTranspose2d(z_dim + n_classes, ch, 4, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(),
        ]
        for _ in range(doublings - 1):
            layers.append(up_block(ch, ch // 2))
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, stride=2, padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

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
    vectors (default ``one_hot``; lesson 03 passes the learner's own).
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
        _check_pairs(x, labels, self.n_classes)
        onehot = self.one_hot_fn(labels, self.n_classes)          # (N, n_classes)
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
    device = module_device(G)
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
