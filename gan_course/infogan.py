"""The InfoGAN family: a GAN that finds the factors of the digits without labels (lesson 10;
the code explorer widget and ``tools/train_infogan_weights.py`` use it too).

One file for the family: the players, the information loss, the game, the shipped weights
and the measurements.

**The idea** (Chen et al., 2016). Besides the noise z, the generator gets a code c: here one
categorical value out of 10 (given as a one-hot vector) and two continuous values in
[-1, 1]. Nothing forces a plain GAN to use c at all. InfoGAN asks that c stays readable from
the image: the mutual information I(c; G(z, c)) should be large. It cannot be computed, but
an auxiliary network Q(c | x) gives a lower bound (the variational bound of Barber and
Agakov):

    I(c; G(z, c))  >=  E_{c ~ p(c), x ~ G(z, c)} [log Q(c | x)] + H(c)  =  H(c) - L_I

with the *information loss* L_I = -E[log Q(c | x)]. H(c) is fixed by the code's
distribution (log 10 for the categorical value, log 2 for each Uniform[-1, 1] value), so
minimising L_I (over G and Q together) raises the bound. For our codes L_I splits into

    L_I = E[ -log softmax(l(x))_k ]                                    (cross-entropy)
        + sum_j E[ log s_j(x) + (c_j - m_j(x))^2 / (2 s_j(x)^2) + log(2 pi) / 2 ]

where Q's head gives the categorical logits l(x), and for each continuous value j a
Gaussian with mean m_j(x) and standard deviation s_j(x) = exp(log s_j(x)).

**The players.** ``InfoGenerator``: the DCGAN generator fed [z, one-hot(k), c_1, c_2].
``InfoDiscriminator``: the DCGAN discriminator's body phi shared by two heads: D's logit and
Q's outputs (categorical logits, continuous means and log standard deviations). Q is almost
free: one small head on features D computes anyway.

**The game** (``train_infogan``, rounds played by ``training.play_rounds``):

    D step (D and Q):  minimise  L_D + lambda L_I(Q(G(z, c).detach()), c)
    G step (G only):   minimise  L_G + lambda L_I(Q(G(z, c)), c)

with the logit losses of lesson 01 (``losses``), and every image D and Q see shifted by up to
``max_shift`` pixels (``augment``). Settings in ``InfoGANConfig``.
``InfoGenerator.from_pretrained()`` loads the shipped generator.

**Measurements.** ``code_class_accuracy``: draw digits for each categorical value, let the
evaluation classifier name them, and count the agreements after the best one-to-one
matching of values to classes (``best_assignment``, the Hungarian algorithm).
``continuous_correlations``: correlate each continuous value with image properties
(``stroke_mass``, ``slant``, ``ink_width``) over G's samples; ``continuous_sweep`` draws
one value swept from -1 to 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gan_course.augment import random_shift
from gan_course.checkpoints import load_pretrained, read_manifest
from gan_course.conditional import check_labels
from gan_course.dcgan import DCGANGenerator, count_doublings, dcgan_init, down_block
from gan_course.device import module_device
from gan_course.images import check_images
from gan_course.losses import discriminator_loss, generator_loss_nonsaturating
from gan_course.training import (
    History,
    Losses,
    SnapshotFn,
    TrainConfig,
    is_integer,
    play_rounds,
    random_index,
)

WEIGHTS_NAME = "infogan_digits"
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
# With learn_std, Q's log standard deviations are kept in this range. The continuous terms'
# gradients grow as 1 / s^2: a spread near 0 makes them drown the categorical term (and L_I
# explode on Q's first mistake); s >= e^-1 ~ 0.37 caps the factor at e^2 ~ 7.4.
LOG_STD_RANGE = (-1.0, 1.0)

InfoLossFn = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class InfoGANConfig:
    """The settings of an InfoGAN, passed by name: ``InfoGANConfig(width=32, training=...)``.
    The defaults are lesson 10's live run (the shipped weights train the same for longer):
    G's learning rate 1e-3 and D's 2e-4, as in the InfoGAN paper's MNIST setup.

    z_dim: length of the noise z.  n_categories: values of the categorical code (one-hot).
    n_continuous: continuous codes, each Uniform[-1, 1].  width: channels of G's last and D's
    first block.  info_weight: lambda, the weight of L_I in both players' losses.
    learn_std: whether Q learns the spread s_j of its Gaussians (False: s_j = 1, log s_j = 0,
    so the continuous part of L_I is the squared error / 2 plus a constant).  max_shift: pixels
    of random shift of every image D and Q see (``augment.random_shift``; 0: none). In lesson
    10's trials the shift also helped the categorical code find the classes (a likely reason:
    Q cannot read a code hidden in exact pixel positions, and a digit's class survives a
    shift).
    training: the run's steps, batch size, learning rate, seed (``training.TrainConfig``).
    """

    z_dim: int = 8
    n_categories: int = 10
    n_continuous: int = 2
    width: int = 32
    info_weight: float = 1.0
    learn_std: bool = False
    max_shift: int = 1
    training: TrainConfig = TrainConfig(steps=1500, batch_size=64, lr=1e-3, d_lr=2e-4,
                                        decay_from=0.6)

    def __post_init__(self) -> None:
        for name, smallest in (("z_dim", 1), ("n_categories", 2), ("n_continuous", 0),
                               ("width", 1), ("max_shift", 0)):
            value = getattr(self, name)
            if not is_integer(value) or value < smallest:
                raise ValueError(f"{name} must be an integer >= {smallest}, got {value!r}")
        weight = self.info_weight
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or \
                not (weight >= 0 and math.isfinite(weight)):
            raise ValueError(f"info_weight must be a finite number >= 0, got {weight!r}")
        if not isinstance(self.training, TrainConfig):
            raise TypeError(f"training must be a training.TrainConfig, got "
                            f"{type(self.training).__name__}")

    @property
    def code_dim(self) -> int:
        """Numbers the code adds to G's input: n_categories (one-hot) + n_continuous."""
        return self.n_categories + self.n_continuous


# --- The codes --------------------------------------------------------------------------------

def sample_codes(n: int, config: InfoGANConfig,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw n codes from p(c): categories (n,) int64 ~ Uniform{0..K-1} and continuous
    (n, n_continuous) ~ Uniform[-1, 1], on the CPU, in that order."""
    if not is_integer(n) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    categories = torch.randint(config.n_categories, (n,), generator=generator)
    continuous = torch.rand(n, config.n_continuous, generator=generator) * 2 - 1
    return categories, continuous


def _check_codes(n: int, categories: torch.Tensor, continuous: torch.Tensor,
                 config: InfoGANConfig) -> None:
    """One category (valid) and one row of n_continuous values per sample."""
    check_labels(categories, config.n_categories)
    if len(categories) != n:
        raise ValueError(f"need one category per sample: {n} samples, {len(categories)} "
                         "categories")
    wanted = (n, config.n_continuous)
    if not isinstance(continuous, torch.Tensor) or tuple(continuous.shape) != wanted:
        got = tuple(continuous.shape) if isinstance(continuous, torch.Tensor) else continuous
        raise ValueError(f"continuous codes must have shape {wanted}, got {got}")


# --- The players ------------------------------------------------------------------------------

class InfoGenerator(nn.Module):
    """G: (z (N, z_dim), categories (N,), continuous (N, n_continuous)) -> images
    (N, 1, 16, 16) in [-1, 1].

    input = [z, one_hot(categories), continuous]  (N, z_dim + n_categories + n_continuous),
    then the DCGAN generator's network (``dcgan.DCGANGenerator``).
    """

    def __init__(self, config: InfoGANConfig = InfoGANConfig(), image_size: int = 16):
        super().__init__()
        self.config = config
        self.z_dim, self.n_categories = config.z_dim, config.n_categories
        self.n_continuous, self.image_size, self.channels = config.n_continuous, image_size, 1
        self.net = DCGANGenerator(config.z_dim + config.code_dim, image_size, 1,
                                  config.width).net

    def forward(self, z: torch.Tensor, categories: torch.Tensor,
                continuous: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"expected z of shape (N, {self.z_dim}), got {tuple(z.shape)}")
        _check_codes(len(z), categories, continuous, self.config)
        onehot = F.one_hot(categories, self.n_categories).to(z.dtype)
        inputs = torch.cat([z, onehot, continuous.to(z.dtype)], dim=1)
        return self.net(inputs[:, :, None, None])

    @classmethod
    def from_pretrained(cls, map_location: str | torch.device = "cpu") -> InfoGenerator:
        """The shipped InfoGAN generator for 16 x 16 digits (``python
        tools/train_infogan_weights.py`` made it), sha256-checked, on ``map_location``, in
        eval mode."""
        checkpoint = load_pretrained(WEIGHTS_NAME, map_location=map_location)
        meta = checkpoint["meta"]
        config = InfoGANConfig(z_dim=meta["z_dim"], n_categories=meta["n_categories"],
                               n_continuous=meta["n_continuous"], width=meta["width"])
        G = cls(config, meta["image_size"])
        G.load_state_dict(checkpoint["state_dict"])
        return G.to(map_location).eval()


def shipped_weights_info() -> dict:
    """The MANIFEST.json entry of the shipped InfoGAN: file, sha256, the command that made it
    (``made_by``) and its training settings."""
    return dict(read_manifest()[WEIGHTS_NAME])


@dataclass
class QOutput:
    """What Q says about a batch of N images: categorical ``logits`` (N, K), and for the
    continuous codes ``means`` and ``log_stds`` (N, n_continuous)."""

    logits: torch.Tensor
    means: torch.Tensor
    log_stds: torch.Tensor


class InfoDiscriminator(nn.Module):
    """D and Q on one body: x (N, 1, S, S) -> h = flatten(phi(x)) (N, 16 ch), then

        D's logit  = w . h + b                                   (N,)
        Q's output = MLP(h) -> [logits (K), means (C), log_stds (C)]

    ``forward`` returns D's logit (the discriminator every game expects); ``both`` returns
    (D's logit, ``QOutput``) from one pass through the body.
    """

    def __init__(self, config: InfoGANConfig = InfoGANConfig(), image_size: int = 16):
        super().__init__()
        self.config, self.image_size, self.channels = config, image_size, 1
        layers: list[nn.Module] = [down_block(1, config.width, batch_norm=False)]
        ch = config.width
        for _ in range(count_doublings(image_size) - 1):
            layers.append(down_block(ch, ch * 2))
            ch *= 2
        self.phi = nn.Sequential(*layers, nn.Flatten())
        self.d_head = nn.Linear(ch * 16, 1)
        self.q_head = nn.Sequential(nn.Linear(ch * 16, 128), nn.LeakyReLU(0.2),
                                    nn.Linear(128, config.n_categories + 2 * config.n_continuous))
        self.apply(dcgan_init)

    def both(self, x: torch.Tensor) -> tuple[torch.Tensor, QOutput]:
        check_images(x, 1, self.image_size, "the discriminator's input")
        h = self.phi(x)                                               # (N, 16 ch)
        out = self.q_head(h)
        k, c = self.config.n_categories, self.config.n_continuous
        log_stds = out[:, k + c:].clamp(*LOG_STD_RANGE)
        if not self.config.learn_std:
            log_stds = torch.zeros_like(log_stds)   # s = 1: a fixed spread
        return self.d_head(h).flatten(), QOutput(out[:, :k], out[:, k:k + c], log_stds)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.both(x)[0]

    def q(self, x: torch.Tensor) -> QOutput:
        """Q's reading of the code of images x (N, 1, S, S)."""
        return self.both(x)[1]


# --- The information loss ---------------------------------------------------------------------

def information_loss(logits: torch.Tensor, categories: torch.Tensor, means: torch.Tensor,
                     log_stds: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
    """L_I = -E[log Q(c | x)], a scalar: the mean over the batch of

        -log softmax(logits_i)[categories_i]
        + sum_j [ log s_ij + (continuous_ij - means_ij)^2 / (2 s_ij^2) + log(2 pi) / 2 ],

    s = exp(log_stds). logits: (N, K); categories: (N,) int64; means, log_stds, continuous:
    (N, C). H(c) - L_I is a lower bound on the mutual information I(c; x) (in nats).
    """
    log_q = F.log_softmax(logits, dim=1)                                     # (N, K)
    categorical = -log_q[torch.arange(len(categories)), categories]          # (N,)
    variances = torch.exp(2 * log_stds)
    gaussian = log_stds + (continuous - means) ** 2 / (2 * variances) + HALF_LOG_2PI
    return (categorical + gaussian.sum(dim=1)).mean()


def code_entropy(config: InfoGANConfig) -> float:
    """H(c) in nats: log K for the categorical code plus log 2 per Uniform[-1, 1] code
    (the differential entropy of a uniform on an interval of length 2)."""
    return math.log(config.n_categories) + config.n_continuous * math.log(2.0)


# --- The game ---------------------------------------------------------------------------------

def train_infogan(G: InfoGenerator, D: InfoDiscriminator, images: torch.Tensor,
                  config: InfoGANConfig, info_loss_fn: InfoLossFn = information_loss,
                  snapshot: SnapshotFn | None = None) -> History:
    """Train G and D (with Q) on ``images`` (N, 1, S, S) in [-1, 1] with ``config``.

    Each of ``config.training.steps`` rounds draws batch_size real images (with replacement),
    z ~ N(0, I) and codes (``sample_codes``), in that order, from a CPU generator seeded by
    the training seed, shifts real and fake images at random (``config.max_shift``; the
    same generator draws the shifts), and plays

        D step (D and Q):  L_D + lambda info_loss_fn(Q(G(z, c).detach()), c)
        G step (G only):   L_G + lambda info_loss_fn(Q(G(z, c)), c)

    info_loss_fn(logits, categories, means, log_stds, continuous) -> scalar (lesson 10 passes
    the learner's ``information_loss``). Returns the History: losses "d", "g" and "info"
    (the G step's L_I).
    """
    settings = config.training
    if settings.d_steps != 1:
        raise ValueError(f"the InfoGAN round plays one D step per G step: d_steps must be 1, "
                         f"got {settings.d_steps}")
    check_images(images, 1, G.image_size, "the training images", in_range=True)
    device = module_device(G)
    data = images.detach().float().cpu()
    n, weight = settings.batch_size, config.info_weight

    def play_round(rng: torch.Generator, opt_g: torch.optim.Optimizer,
                   opt_d: torch.optim.Optimizer) -> Losses:
        real = data[random_index(len(data), n, rng)].to(device)
        z = torch.randn(n, G.z_dim, generator=rng).to(device)
        categories, continuous = (t.to(device) for t in sample_codes(n, config, rng))
        fake = G(z, categories, continuous)
        if config.max_shift:
            real = random_shift(real, config.max_shift, rng)
            fake = random_shift(fake, config.max_shift, rng)

        fake_logit, q = D.both(fake.detach())
        d_info = info_loss_fn(q.logits, categories, q.means, q.log_stds, continuous)
        d_loss = discriminator_loss(D(real), fake_logit) + weight * d_info
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()

        fake_logit, q = D.both(fake)
        g_info = info_loss_fn(q.logits, categories, q.means, q.log_stds, continuous)
        g_loss = generator_loss_nonsaturating(fake_logit) + weight * g_info
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        return {"d": d_loss.item(), "g": g_loss.item(), "info": g_info.item()}

    return play_rounds(G, D, play_round, settings, snapshot)


# --- Drawing codes ----------------------------------------------------------------------------

@torch.no_grad()
def category_grid(G: InfoGenerator, n_columns: int = 8,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """(n_categories * n_columns, 1, S, S): row k uses categorical value k; column c uses the
    same z_c and continuous code in every row. Runs in G's current mode (call G.eval())."""
    z = torch.randn(n_columns, G.z_dim, generator=generator)
    continuous = torch.rand(n_columns, G.n_continuous, generator=generator) * 2 - 1
    categories = torch.arange(G.n_categories).repeat_interleave(n_columns)
    device = module_device(G)
    return G(z.repeat(G.n_categories, 1).to(device), categories.to(device),
             continuous.repeat(G.n_categories, 1).to(device)).cpu()


@torch.no_grad()
def continuous_sweep(G: InfoGenerator, code: int, values: torch.Tensor, n_rows: int = 10,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """(n_rows * len(values), 1, S, S): row r is one draw of z, category r % K and the other
    continuous codes; along the row continuous code ``code`` takes ``values`` (V,) in turn.
    Runs in G's current mode (call G.eval())."""
    if not is_integer(code) or not 0 <= code < G.n_continuous:
        raise ValueError(f"code must be an integer in 0..{G.n_continuous - 1}, got {code!r}")
    v = len(values)
    z = torch.randn(n_rows, G.z_dim, generator=generator).repeat_interleave(v, dim=0)
    rest = (torch.rand(n_rows, G.n_continuous, generator=generator) * 2 - 1)
    continuous = rest.repeat_interleave(v, dim=0)
    continuous[:, code] = values.float().repeat(n_rows)
    categories = (torch.arange(n_rows) % G.n_categories).repeat_interleave(v)
    device = module_device(G)
    return G(z.to(device), categories.to(device), continuous.to(device)).cpu()


# --- Measurements -----------------------------------------------------------------------------

def best_assignment(scores: torch.Tensor) -> list[int]:
    """The one-to-one matching of rows to columns with the largest total score.

    scores: (R, C) with R <= C. Returns ``match`` with match[r] = the column of row r, all
    different, maximising sum_r scores[r, match[r]]. The Hungarian algorithm (Kuhn 1955,
    Munkres 1957) in its O(R^2 C) form with row and column potentials u, v: rows are added
    one at a time, and each is placed by a shortest augmenting path on the reduced costs
    cost[r, c] - u[r] - v[c] >= 0 (cost = -score).
    """
    if not isinstance(scores, torch.Tensor) or scores.dim() != 2:
        raise ValueError("scores must be a 2-d tensor (rows, columns)")
    n_rows, n_cols = scores.shape
    if n_rows > n_cols:
        raise ValueError(f"need at most as many rows as columns to match every row, got "
                         f"{n_rows} rows and {n_cols} columns")
    cost = (-scores.double()).tolist()
    inf = math.inf
    u, v = [0.0] * (n_rows + 1), [0.0] * (n_cols + 1)   # potentials; index 0 is a dummy
    owner = [0] * (n_cols + 1)                          # owner[c]: row (1-based) on column c
    way = [0] * (n_cols + 1)                            # the previous column on the path
    for row in range(1, n_rows + 1):
        owner[0], col = row, 0
        shortest, used = [inf] * (n_cols + 1), [False] * (n_cols + 1)
        while owner[col] != 0:                          # grow the path until a free column
            used[col] = True
            r, delta, next_col = owner[col], inf, 0
            for c in range(1, n_cols + 1):
                if not used[c]:
                    reduced = cost[r - 1][c - 1] - u[r] - v[c]
                    if reduced < shortest[c]:
                        shortest[c], way[c] = reduced, col
                    if shortest[c] < delta:
                        delta, next_col = shortest[c], c
            for c in range(n_cols + 1):
                if used[c]:
                    u[owner[c]] += delta
                    v[c] -= delta
                else:
                    shortest[c] -= delta
            col = next_col
        while col != 0:                                 # flip the path
            previous = way[col]
            owner[col] = owner[previous]
            col = previous
    match = [0] * n_rows
    for c in range(1, n_cols + 1):
        if owner[c]:
            match[owner[c] - 1] = c - 1
    return match


def contingency(codes: torch.Tensor, classes: torch.Tensor, n_codes: int,
                n_classes: int) -> torch.Tensor:
    """(n_codes, n_classes) int64: entry [k, y] counts the samples with code k and class y.
    codes, classes: (N,) int64, one class per code, values in range (else ValueError)."""
    check_labels(codes, n_codes)
    check_labels(classes, n_classes)
    if len(codes) != len(classes):
        raise ValueError(f"need one class per code: {len(codes)} codes, {len(classes)} classes")
    table = torch.zeros(n_codes, n_classes, dtype=torch.int64)
    table.index_put_((codes.cpu(), classes.cpu()), torch.ones(len(codes), dtype=torch.int64),
                     accumulate=True)
    return table


def code_class_accuracy(codes: torch.Tensor, classes: torch.Tensor, n_codes: int = 10,
                        n_classes: int = 10) -> float:
    """Share of samples whose class is the one matched to their code, under the best
    one-to-one matching of codes to classes:

        acc = max over matchings m of  sum_k table[k, m(k)] / N,   table = contingency(...)

    codes, classes: (N,) int64 (N >= 1). One-to-one matters: two codes that both draw 1s
    cannot both be credited with the class 1. Needs n_codes <= n_classes.
    """
    if len(codes) == 0:
        raise ValueError("need at least one sample")
    table = contingency(codes, classes, n_codes, n_classes)
    match = best_assignment(table)
    matched = sum(table[k, match[k]].item() for k in range(n_codes))
    return matched / len(codes)


@torch.no_grad()
def classify_by_code(G: InfoGenerator, classifier: nn.Module, per_code: int = 100,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``per_code`` digits for every categorical value (random z and continuous codes)
    and let ``classifier`` name them. Returns (codes, classes), both (K * per_code,) int64 on
    the CPU, codes 0 0 .. 1 1 .. . Runs in G's current mode (call G.eval())."""
    n = G.n_categories * per_code
    z = torch.randn(n, G.z_dim, generator=generator)
    continuous = torch.rand(n, G.n_continuous, generator=generator) * 2 - 1
    codes = torch.arange(G.n_categories).repeat_interleave(per_code)
    g_device, c_device = module_device(G), module_device(classifier)
    images = G(z.to(g_device), codes.to(g_device), continuous.to(g_device))
    classes = classifier(images.to(c_device)).argmax(dim=1).cpu()
    return codes, classes


def stroke_mass(images: torch.Tensor) -> torch.Tensor:
    """Mean ink of each image: (N, 1, H, W) in [-1, 1] -> (N,), mean of (x + 1) / 2
    (0 for a blank image, 1 for a fully inked one)."""
    return ((images + 1) / 2).flatten(start_dim=1).mean(dim=1)


def slant(images: torch.Tensor) -> torch.Tensor:
    """Slant of each image's ink: (N, 1, H, W) -> (N,), the shear -cov(row, col) / var(row)
    of the ink-weighted pixel positions (rows counted downwards). A stroke leaning right
    (its top further right than its bottom) gives a positive slant; an upright one 0."""
    ink = ((images + 1) / 2)[:, 0]                                  # (N, H, W) weights
    h, w = ink.shape[1:]
    rows = torch.arange(h, dtype=ink.dtype)[None, :, None]
    cols = torch.arange(w, dtype=ink.dtype)[None, None, :]
    total = ink.sum(dim=(1, 2)).clamp_min(1e-8)
    mean_r = (ink * rows).sum(dim=(1, 2)) / total
    mean_c = (ink * cols).sum(dim=(1, 2)) / total
    dr = rows - mean_r[:, None, None]
    dc = cols - mean_c[:, None, None]
    cov = (ink * dr * dc).sum(dim=(1, 2)) / total
    var = (ink * dr * dr).sum(dim=(1, 2)) / total
    return -cov / var.clamp_min(1e-8)


def ink_width(images: torch.Tensor) -> torch.Tensor:
    """Horizontal spread of each image's ink: (N, 1, H, W) -> (N,), the ink-weighted standard
    deviation of the column positions, in pixels (wide digits large, a thin 1 small)."""
    ink = ((images + 1) / 2)[:, 0]
    cols = torch.arange(ink.shape[2], dtype=ink.dtype)[None, None, :]
    total = ink.sum(dim=(1, 2)).clamp_min(1e-8)
    mean_c = (ink * cols).sum(dim=(1, 2)) / total
    var = (ink * (cols - mean_c[:, None, None]) ** 2).sum(dim=(1, 2)) / total
    return var.sqrt()


PROPERTIES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "stroke mass": stroke_mass, "slant": slant, "width": ink_width}


def pearson(x: torch.Tensor, y: torch.Tensor) -> float:
    """The Pearson correlation of two (N,) tensors; 0.0 when either is constant."""
    dx, dy = x.double() - x.double().mean(), y.double() - y.double().mean()
    norm = (dx.pow(2).sum() * dy.pow(2).sum()).sqrt()
    return 0.0 if norm == 0 else (dx * dy).sum().item() / norm.item()


@torch.no_grad()
def continuous_correlations(G: InfoGenerator, n: int = 2000,
                            generator: torch.Generator | None = None,
                            batch_size: int = 500) -> dict[str, list[float]]:
    """How strongly each continuous code goes with each named image property (``PROPERTIES``)
    across G's samples.

    Draws n samples (z ~ N(0, I), category ~ Uniform{0..K-1}, continuous ~ Uniform[-1, 1]^C,
    in that order, from ``generator``), measures every property on G's images and returns
    {property: [corr(c_0, property), corr(c_1, property), ...]}, Pearson correlations over
    the n samples. z and the category vary too, so a correlation near +-1 means the code
    alone sets that property; near 0, that the code does not touch it (or not monotonically).
    Runs in G's current mode (call G.eval() first).
    """
    if not is_integer(n) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    z = torch.randn(n, G.z_dim, generator=generator)
    categories = torch.randint(G.n_categories, (n,), generator=generator)
    continuous = torch.rand(n, G.n_continuous, generator=generator) * 2 - 1
    device = module_device(G)
    images = torch.cat([G(z[i:i + batch_size].to(device), categories[i:i + batch_size].to(device),
                          continuous[i:i + batch_size].to(device)).cpu()
                        for i in range(0, n, batch_size)])
    out: dict[str, list[float]] = {}
    for name, measure in PROPERTIES.items():
        values = measure(images)
        out[name] = [pearson(continuous[:, j], values) for j in range(G.n_continuous)]
    return out
