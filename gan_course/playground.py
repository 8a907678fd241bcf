"""A 2-D GAN you can train a few steps at a time and look at after every few steps (lesson 01's
playground, its "Play with it" section; lesson 05's bridges between modes and its games,
WGAN-GP and more D steps per G step, can be tried in it too).

``Playground`` holds everything one run needs: the data set (a named one, or points the
learner drew: ``set_points``), the two networks, their optimizers, the settings (a
``PlaygroundSettings``) and what has happened so far (a ``training.History`` of the losses,
the number of modes captured and the Jensen-Shannon divergence between the data and the
generator). ``step(n)`` plays ``n`` rounds of the game, ``step_d(n)`` and ``step_g(n)`` move
one player alone, ``state()`` gives what there is to see as plain arrays (a
``PlaygroundState``), ``reset()`` starts again from step 0. There is no drawing here:
``gan_course.playground_view`` draws a state, and ``gan_course.widgets.playground_widget``
puts buttons on top of both; tests and scripts drive the engine directly.

One round is ``training.game_round``: ``d_steps`` updates of the discriminator, each on its
own batch, then one update of the generator, with the loss pair chosen by name
(``losses.get_loss_pair``). What a state shows:

1. the discriminator's output over the plane, the real data and generated points;
2. the generator's warp: the image G(z) of a regular grid of lines in latent space;
3. where the generator loss pushes each generated point: -dL_G/dx;
4. the losses and the number of modes captured (mixtures only) against the step;
5. how far apart the two distributions are: ``js_divergence`` of their densities on a grid
   (``grid_density``), after every call of a step method.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from gan_course.data2d import DATASETS, Toy2D, get_dataset
from gan_course.losses import LOSS_PAIRS, LossPair, get_loss_pair
from gan_course.mlp import MLPDiscriminator, MLPGenerator
from gan_course.modes import mode_stats
from gan_course.snapshots import grid_points
from gan_course.training import History, game_round, is_integer, random_index

MAX_LEARNING_RATE = 1.0
SHOWN_FAKES = 400  # generated points drawn over D's map
SHOWN_REALS = 500  # real points drawn in every panel
ARROWS = 80  # generated points that get a gradient arrow
MODE_SAMPLES = 2500  # generated points the modes are counted on, as in the mode-collapse papers
DRAWN = "drawn"  # the dataset name of points the learner drew (``Playground.set_points``)
DATASET_CHOICES = (*DATASETS, DRAWN)
DRAWN_JITTER = 0.03  # standard deviation of the noise added to a drawn point each time it is drawn
DENSITY_RESOLUTION = 48  # the divergence's grid: R x R points over the data's square
DENSITY_BANDWIDTH = 0.05  # the kernel's width as a share of the extent (ring: 0.075)


@dataclass(frozen=True)
class PlaygroundSettings:
    """What the learner can choose. ``steps_per_frame`` is how many rounds a frame of play
    trains before the picture is drawn again; it trades smoothness for training speed."""

    dataset: str = "ring"
    loss: str = "non-saturating"
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    d_steps: int = 1
    steps_per_frame: int = 10
    batch_size: int = 256
    seed: int = 0


@dataclass(frozen=True)
class PlaygroundState:
    """What there is to see of a run at one step, as plain arrays (no networks, no tensors).

    real (500, 2) and fake (400, 2): data and generated points.  d_map (R, R): D's output on
    a grid over [-extent, extent]^2 mapped to [0, 1], described by d_map_label.  warp
    (2 * lines, points, 2): G's image of latent grid lines.  push_from (A, 2) and push (A, 2):
    generated points and -dl_G/dx at each.  losses: "d" and "g" per round.  mode_steps and
    modes: the modes captured after each call of ``step`` (empty unless the data set is a
    mixture, which has n_modes modes); mode_text says the last count ("modes 7/8").
    """

    dataset: str
    loss: str
    step: int
    extent: float
    n_modes: int | None
    real: np.ndarray
    fake: np.ndarray
    d_map: np.ndarray
    d_map_label: str
    warp: np.ndarray
    push_from: np.ndarray
    push: np.ndarray
    losses: dict[str, list[float]] = field(default_factory=dict)
    mode_steps: list[int] = field(default_factory=list)
    modes: list[int] = field(default_factory=list)
    mode_text: str = "modes n/a"
    divergence_steps: list[int] = field(default_factory=list)
    divergences: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class DrawnData:
    """Points the learner placed, as a data set: ``sample`` picks rows with replacement and
    adds a little Gaussian noise, x = p_i + jitter * eps, so a handful of points still gives
    the discriminator a smooth target. No separate modes are counted (``centres`` is None).

    points (N, 2), N >= 2 (``validate_points`` checks them); extent: the half-width of the
    square the pictures show, [-extent, extent]^2.
    """

    points: torch.Tensor
    extent: float
    jitter: float = DRAWN_JITTER
    name: str = DRAWN
    centres: None = None
    sigma: None = None

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n points (n, 2): random rows of ``points`` plus N(0, jitter^2 I) noise."""
        generator = generator or torch.default_generator
        rows = self.points[random_index(len(self.points), n, generator)]
        return rows + self.jitter * torch.randn(n, 2, generator=generator)


def validate_points(points: object) -> torch.Tensor:
    """Drawn points as a float32 tensor (N, 2); ValueError with the reason if they are not
    N >= 2 finite (x, y) pairs."""
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"points must be (x, y) pairs of numbers, got {points!r}") from None
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"points must be an array of shape (N, 2), got shape {array.shape}")
    if len(array) < 2:
        raise ValueError(f"draw at least 2 points to train on, got {len(array)}")
    bad = np.flatnonzero(~np.isfinite(array).all(axis=1))
    if len(bad):
        raise ValueError(f"points must be finite numbers: {len(bad)} row(s) are not, the "
                         f"first is row {bad[0]}: {array[bad[0]].tolist()}")
    return torch.as_tensor(array, dtype=torch.float32)


def drawn_extent(points: torch.Tensor) -> float:
    """A square that holds every drawn point with a margin: 1.25 * max |coordinate|, rounded
    up to a multiple of 0.5, at least 1."""
    largest = float(points.abs().max())
    return max(1.0, math.ceil(1.25 * largest / 0.5) * 0.5)


def grid_density(points: torch.Tensor, extent: float, resolution: int = DENSITY_RESOLUTION,
                 bandwidth: float | None = None) -> np.ndarray:
    """A Gaussian kernel density estimate of ``points`` (N, 2) on the R x R grid of
    ``snapshots.grid_points`` (rows of constant y), normalised to sum to 1: (R, R).

    p[r, c] proportional to sum_i exp(-((x_c - a_i)^2 + (y_r - b_i)^2) / (2 h^2)),
    h = bandwidth (default DENSITY_BANDWIDTH * extent). Points outside the square are moved
    to its edge first, so a generator that wanders off still has a density on the grid.
    The kernel factorises, exp(-dx^2/2h^2) * exp(-dy^2/2h^2), so the sum is one matrix
    product: Ky^T Kx with Kx[i, c] = exp(-(x_c - a_i)^2 / 2h^2), Ky alike.
    """
    h = DENSITY_BANDWIDTH * extent if bandwidth is None else bandwidth
    if not h > 0:
        raise ValueError(f"bandwidth must be positive, got {h!r}")
    ticks = torch.linspace(-extent, extent, resolution, dtype=torch.float64)
    clipped = points.detach().to(torch.float64).clamp(-extent, extent)
    kx = torch.exp(-(ticks[None, :] - clipped[:, :1]) ** 2 / (2 * h**2))  # (N, R)
    ky = torch.exp(-(ticks[None, :] - clipped[:, 1:]) ** 2 / (2 * h**2))  # (N, R)
    density = ky.T @ kx  # (R, R): row r is y_r, column c is x_c
    return (density / density.sum()).numpy()


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence (natural log) between two densities on the same grid.

    Both are normalised to sum 1 first; m = (p + q) / 2 and
        JS(p, q) = 1/2 sum p log(p / m) + 1/2 sum q log(q / m),
    with 0 log 0 = 0. It is 0 for identical densities and log 2 (its largest value) for
    densities with disjoint supports.
    """
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"the densities must have the same shape, got {p.shape} and {q.shape}")
    for name, value in (("p", p), ("q", q)):
        if not np.isfinite(value).all() or (value < 0).any() or not value.sum() > 0:
            raise ValueError(f"{name} must be finite, non-negative and not all zero")
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    total = 0.0
    for side in (p, q):
        inside = side > 0
        total += 0.5 * float(np.sum(side[inside] * np.log(side[inside] / m[inside])))
    return total


def adam(module: torch.nn.Module, lr: float) -> torch.optim.Adam:
    """The playground's optimizer: Adam with betas (0.5, 0.999) over ``module``'s weights.

    Where this torch has a fused Adam for the CPU (2.4 and later) the playground uses it: the
    same update, m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, w -= lr m_hat / (sqrt(v_hat)
    + eps), in one call for all the tensors instead of several per tensor, which takes
    about 8% off a frame's training (``benchmarks.playground``). Its weights agree with the
    plain loop's to float rounding.
    """
    try:
        return torch.optim.Adam(module.parameters(), lr=lr, betas=(0.5, 0.999), fused=True)
    except (RuntimeError, TypeError, ValueError):  # an older torch: no fused CPU kernel
        return torch.optim.Adam(module.parameters(), lr=lr, betas=(0.5, 0.999))


def validate_settings(settings: PlaygroundSettings) -> None:
    """Raise ValueError with one readable sentence per problem if any setting is invalid."""
    problems = []
    if settings.dataset not in DATASET_CHOICES:
        problems.append(f"dataset must be one of {', '.join(DATASET_CHOICES)}, "
                        f"got {settings.dataset!r}")
    if settings.loss not in LOSS_PAIRS:
        problems.append(f"loss must be one of {', '.join(LOSS_PAIRS)}, got {settings.loss!r}")
    for name, label in (("lr_g", "generator"), ("lr_d", "discriminator")):
        value = getattr(settings, name)
        if not _is_real(value) or not 0 < value <= MAX_LEARNING_RATE:
            problems.append(f"the {label} learning rate must be a number in "
                            f"(0, {MAX_LEARNING_RATE:g}], got {value!r}")
    for name, label in (("d_steps", "D steps per G step"), ("steps_per_frame", "steps per frame"),
                        ("batch_size", "batch size")):
        value = getattr(settings, name)
        if not is_integer(value) or value <= 0:
            problems.append(f"{label} must be a positive whole number, got {value!r}")
    if not is_integer(settings.seed):
        problems.append(f"seed must be a whole number, got {settings.seed!r}")
    if problems:
        raise ValueError("Invalid settings: " + "; ".join(problems) + ".")


def _is_real(value: object) -> bool:
    is_number = isinstance(value, (int, float, np.integer, np.floating))
    return is_number and not isinstance(value, bool) and math.isfinite(value)


class Playground:
    """A 2-D GAN, its optimizers, settings and history; trained a bit at a time.

    Models: ``MLPGenerator(z_dim=2, hidden, depth)`` and ``MLPDiscriminator(2, hidden, depth)``
    on the CPU, both trained with Adam (betas 0.5, 0.999; ``adam``). Everything random (initial
    weights, batches, WGAN-GP's mixing weights, the fixed latent codes that are drawn)
    follows ``settings.seed``, and the learner's own random numbers are left as they were.

    ``history``: the losses of every step ("d", "g"; see ``step``, ``step_d``, ``step_g``).
    ``mode_steps``/``modes``: the modes captured after every call of a step method
    (mixtures only); ``divergence_steps``/``divergences``: the Jensen-Shannon divergence
    between the data's and the generator's densities then (``js_divergence``).

    ``points``: train on these (N, 2) points instead of a named data set (``set_points``).
    ``threads``: torch threads while it trains and draws (None: leave torch's setting).
    Networks this small gain nothing from more than one, and on a busy laptop extra threads
    wait for each other: one thread keeps play smooth.
    """

    def __init__(self, settings: PlaygroundSettings | None = None, hidden: int = 128,
                 depth: int = 3, threads: int | None = 1, points: object = None,
                 **changes: object) -> None:
        settings = replace(settings or PlaygroundSettings(), **changes)
        validate_settings(settings)
        self.hidden = hidden
        self.depth = depth
        self.threads = threads
        self.drawn: DrawnData | None = None
        if points is not None:
            tensor = validate_points(points)
            self.drawn = DrawnData(tensor, drawn_extent(tensor))
            settings = replace(settings, dataset=DRAWN)
        elif settings.dataset == DRAWN:
            raise ValueError("the dataset 'drawn' needs points: Playground(points=...)")
        self.settings = settings
        self.reset()

    @property
    def data(self) -> Toy2D | DrawnData:
        """The data set the settings name (``data2d.get_dataset``), or the drawn points."""
        if self.settings.dataset == DRAWN:
            return self.drawn
        return get_dataset(self.settings.dataset)

    @property
    def loss_pair(self) -> LossPair:
        """The game the settings name (``losses.get_loss_pair``)."""
        return get_loss_pair(self.settings.loss)

    def set_points(self, points: object, extent: float | None = None) -> None:
        """Train on ``points`` (N, 2) from now on: the run restarts (step 0) on them.

        ``extent``: the half-width of the square to show (default ``drawn_extent``); the
        widget passes the square the learner drew on, so the picture does not jump.
        Raises ValueError, changing nothing, unless N >= 2 and every point is finite.
        """
        tensor = validate_points(points)
        if extent is None:
            extent = drawn_extent(tensor)
        if not _is_real(extent) or extent <= 0:
            raise ValueError(f"extent must be a positive number, got {extent!r}")
        self.drawn = DrawnData(tensor, float(extent))
        self.settings = replace(self.settings, dataset=DRAWN)
        self.reset()

    def reset(self) -> None:
        """Fresh networks and optimizers from the seed, empty history, step 0."""
        seed = self.settings.seed
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.G = MLPGenerator(z_dim=2, hidden=self.hidden, depth=self.depth)
            self.D = MLPDiscriminator(in_dim=2, hidden=self.hidden, depth=self.depth)
            # what torch's global generator holds while the engine plays (a loss pair may
            # draw from it: WGAN-GP's mixing weights); kept between calls of ``step``
            self._torch_rng_state = torch.get_rng_state()
        self.opt_g = adam(self.G, self.settings.lr_g)
        self.opt_d = adam(self.D, self.settings.lr_d)
        self._rng = torch.Generator().manual_seed(seed)
        fixed = torch.Generator().manual_seed(seed + 1)
        self.z_shown = torch.randn(SHOWN_FAKES, 2, generator=fixed)
        self.z_arrows = torch.randn(ARROWS, 2, generator=fixed)
        self.z_modes = torch.randn(MODE_SAMPLES, 2, generator=fixed)
        data = self.data
        self.real_shown = data.sample(SHOWN_REALS, fixed)
        self.data_density = grid_density(data.sample(MODE_SAMPLES, fixed), data.extent)
        self.step_count = 0
        self.history = History()
        self.mode_steps: list[int] = []
        self.modes: list[int] = []
        self.divergence_steps: list[int] = []
        self.divergences: list[float] = []
        self._record()

    def update(self, **changes: object) -> None:
        """Change settings (names as in ``PlaygroundSettings``); raise ValueError and change
        nothing if the result is invalid. A new dataset or seed restarts the run; learning
        rates, the loss and the step counts apply from the next step, so a run can switch
        game midway."""
        new = replace(self.settings, **changes)
        validate_settings(new)
        if new.dataset == DRAWN and self.drawn is None:
            raise ValueError("no points drawn yet: click on the plane (or call set_points)")
        restart = (new.dataset, new.seed) != (self.settings.dataset, self.settings.seed)
        self.settings = new
        if restart:
            self.reset()
            return
        for optimizer, lr in ((self.opt_g, new.lr_g), (self.opt_d, new.lr_d)):
            for group in optimizer.param_groups:
                group["lr"] = lr

    def step(self, n: int = 1) -> tuple[float, float]:
        """Play ``n`` rounds (``_round``); return the last (D loss, G loss). Raises
        FloatingPointError if a loss stops being finite (the run has diverged: lower a
        learning rate and reset)."""
        return self._play(n, self._round)

    def step_d(self, n: int = 1) -> tuple[float, float]:
        """``n`` updates of the discriminator alone (``_d_step``); G does not move."""
        return self._play(n, self._d_step)

    def step_g(self, n: int = 1) -> tuple[float, float]:
        """``n`` updates of the generator alone (``_g_step``); D does not move."""
        return self._play(n, self._g_step)

    def _play(self, n: int, action: Callable[[], tuple[float, float]]) -> tuple[float, float]:
        """Call ``action`` n times, recording each (D loss, G loss); one step each."""
        if not is_integer(n) or n <= 0:
            raise ValueError(f"the number of steps must be a positive whole number, got {n!r}")
        with torch_threads(self.threads), torch.random.fork_rng(devices=[]):
            torch.set_rng_state(self._torch_rng_state)
            try:
                for _ in range(n):
                    d_value, g_value = action()
                    self.history.append({"d": d_value, "g": g_value})
                    self.step_count += 1
                    if not (math.isfinite(d_value) and math.isfinite(g_value)):
                        raise FloatingPointError(
                            f"training diverged at step {self.step_count} (D loss {d_value}, "
                            f"G loss {g_value}); lower the learning rates and reset"
                        )
            finally:
                self._torch_rng_state = torch.get_rng_state()
            self._record()
        return d_value, g_value

    def _round(self) -> tuple[float, float]:
        """One round of ``training.game_round`` on d_steps * batch_size fresh samples and codes.

        D step k = 1..d_steps:  minimise pair.d_loss(D, x_k, G(z_k))   (batch k of the draw)
        G step:                 minimise pair.g_loss(D(G(z_last)))
        """
        settings = self.settings
        n = int(settings.batch_size * settings.d_steps)
        real = self.data.sample(n, self._rng)
        z = torch.randn(n, 2, generator=self._rng)
        return game_round(self.G, self.D, self.opt_g, self.opt_d, real, z, self.loss_pair,
                          int(settings.d_steps))

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """batch_size real points and as many latent codes, drawn as ``_round`` draws them."""
        n = int(self.settings.batch_size)
        real = self.data.sample(n, self._rng)
        return real, torch.randn(n, 2, generator=self._rng)

    def _d_step(self) -> tuple[float, float]:
        """One discriminator update: minimise pair.d_loss(D, x, G(z)) over D's weights.

        Returns D's loss before its update (as a round records it) and the generator's loss
        pair.g_loss(D(G(z))) on the same fakes after it (what a round's G step would see).
        """
        pair = self.loss_pair
        real, z = self._batch()
        with torch.no_grad():
            fake = self.G(z)
        d_loss = pair.d_loss(self.D, real, fake)
        self.opt_d.zero_grad()
        d_loss.backward()
        self.opt_d.step()
        with torch.no_grad():
            g_value = pair.g_loss(self.D(fake)).item()
        return d_loss.item(), g_value

    def _g_step(self) -> tuple[float, float]:
        """One generator update: minimise pair.g_loss(D(G(z))) over G's weights.

        Returns D's loss pair.d_loss(D, x, G(z)) on this batch (D is not updated) and G's
        loss before its update (as a round records it).
        """
        pair = self.loss_pair
        real, z = self._batch()
        fake = self.G(z)
        d_value = pair.d_loss(self.D, real, fake.detach()).item()
        g_loss = pair.g_loss(self.D(fake))
        self.opt_g.zero_grad()
        g_loss.backward()
        self.opt_g.step()
        return d_value, g_loss.item()

    def _record(self) -> None:
        """Append the modes captured (mixtures only) and the divergence at this step."""
        data = self.data
        with torch.inference_mode():  # the samples are only counted: no autograd at all
            samples = self.G(self.z_modes)
        if data.centres is not None:
            self.mode_steps.append(self.step_count)
            self.modes.append(mode_stats(samples, data.centres, data.sigma).modes)
        self.divergence_steps.append(self.step_count)
        self.divergences.append(self.divergence(samples))

    def divergence(self, samples: torch.Tensor | None = None) -> float:
        """JS(p_data, p_G) on the grid: ``js_divergence`` of the ``grid_density`` of 2,500
        data points (drawn once per run) and of ``samples`` (default: G(z) for the 2,500
        fixed codes ``z_modes``), both with the same kernel width."""
        if samples is None:
            with torch.no_grad():
                samples = self.G(self.z_modes)
        return js_divergence(self.data_density, grid_density(samples, self.data.extent))

    def generator_push(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Generated points x = G(z) (N, 2) and -dl_G/dx (N, 2), where l_G is the generator
        loss of each point on its own (N times the batch loss's gradient)."""
        with torch.no_grad():
            x = self.G(z)
        x.requires_grad_(True)
        loss = self.loss_pair.g_loss(self.D(x)) * len(z)
        (grad,) = torch.autograd.grad(loss, x)
        return x.detach(), -grad

    def latent_grid_image(self, lines: int = 9, points: int = 40, span: float = 2.5
                          ) -> np.ndarray:
        """G applied to a regular grid of lines in latent space.

        Lines z_1 = a and z_2 = a for a in linspace(-span, span, lines), each drawn through
        ``points`` points. Returns an array (2 * lines, points, 2) of image polylines.
        """
        values = torch.linspace(-span, span, lines)
        t = torch.linspace(-span, span, points)
        segments = []
        for a in values:
            segments.append(torch.stack([torch.full_like(t, a.item()), t], dim=1))
            segments.append(torch.stack([t, torch.full_like(t, a.item())], dim=1))
        z = torch.cat(segments)
        with torch.no_grad():
            image = self.G(z)
        return image.reshape(2 * lines, points, 2).numpy()

    def discriminator_map(self, resolution: int = 48) -> tuple[np.ndarray, str]:
        """D's output on a grid over the data's square, mapped to [0, 1] for drawing.

        logit -> sigmoid(l) = D(x);  least-squares score -> clipped to [0, 1];
        critic -> (f - min f) / (max f - min f) over the grid. Returns (R, R) and a label.
        """
        extent = self.data.extent
        with torch.no_grad():
            out = self.D(grid_points(extent, resolution)).reshape(resolution, resolution)
        kind = self.loss_pair.output
        if kind == "logit":
            return torch.sigmoid(out).numpy(), "D(x)"
        if kind == "score":
            return out.clamp(0, 1).numpy(), "score s(x), 0..1"
        low, high = out.min(), out.max()
        return ((out - low) / (high - low).clamp_min(1e-12)).numpy(), "critic f(x), rescaled"

    def mode_text(self) -> str:
        """'modes 7/8' for mixtures, 'modes n/a' for shapes without separate modes."""
        centres = self.data.centres
        if centres is None or not self.modes:
            return "modes n/a"
        return f"modes {self.modes[-1]}/{len(centres)}"

    def state(self) -> PlaygroundState:
        """What there is to see now (for ``playground_view.PlaygroundView.draw``)."""
        data = self.data
        with torch_threads(self.threads):
            d_map, label = self.discriminator_map()
            with torch.no_grad():
                fake = self.G(self.z_shown).numpy()
            push_from, push = self.generator_push(self.z_arrows)
            warp = self.latent_grid_image()
        return PlaygroundState(
            dataset=data.name, loss=self.settings.loss, step=self.step_count,
            extent=data.extent, n_modes=None if data.centres is None else len(data.centres),
            real=self.real_shown.numpy(), fake=fake, d_map=d_map, d_map_label=label,
            warp=warp, push_from=push_from.numpy(), push=push.numpy(),
            losses={name: list(values) for name, values in self.history.losses.items()},
            mode_steps=list(self.mode_steps), modes=list(self.modes), mode_text=self.mode_text(),
            divergence_steps=list(self.divergence_steps), divergences=list(self.divergences),
        )


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch threads, then restore the previous number."""
    before = torch.get_num_threads()
    if n is None or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
