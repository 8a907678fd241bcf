"""A 2-D GAN you can train a few steps at a time and look at after every few steps.

``Playground`` holds everything one run needs: the data set, the two networks, their
optimizers, the settings and what has happened so far. ``step(n)`` plays ``n`` rounds of the
game, ``render()`` draws the current state as a PNG (bytes), ``reset()`` starts again from
step 0. There is no widget code here: ``gan_course.widgets.playground_widget`` puts buttons on top,
and tests or scripts can drive the same object directly.

One round is ``d_steps`` updates of the discriminator followed by one update of the generator,
each on a fresh batch, with the loss pair chosen by name (``losses.get_loss_pair``).

The picture has four panels:

1. the discriminator's output over the plane, the real data (blue) and generated points (red);
2. the generator's warp: the image G(z) of a regular grid of lines in latent space;
3. where the generator loss pushes each generated point: arrows along -dL_G/dx;
4. the losses and the number of modes captured (mixtures only) against the step.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from gan_course.data2d import DATASETS, Toy2D, get_dataset
from gan_course.losses import LOSS_PAIRS, LossPair, get_loss_pair
from gan_course.mlp import MLPDiscriminator, MLPGenerator
from gan_course.modes import mode_stats
from gan_course.playground_view import ARROWS, PlaygroundView
from gan_course.snapshots import grid_points

MAX_LEARNING_RATE = 1.0


@dataclass(frozen=True)
class Settings:
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


def validate_settings(settings: Settings) -> None:
    """Raise ValueError with one readable sentence per problem if any setting is invalid."""
    problems = []
    if settings.dataset not in DATASETS:
        problems.append(f"dataset must be one of {', '.join(DATASETS)}, got {settings.dataset!r}")
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
        if not _is_int(value) or value <= 0:
            problems.append(f"{label} must be a positive whole number, got {value!r}")
    if not _is_int(settings.seed):
        problems.append(f"seed must be a whole number, got {settings.seed!r}")
    if problems:
        raise ValueError("Invalid settings: " + "; ".join(problems) + ".")


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    is_number = isinstance(value, (int, float, np.integer, np.floating))
    return is_number and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class PlaygroundHistory:
    """One entry per round in ``d_loss``/``g_loss`` (D's loss averaged over its d_steps);
    one entry per ``step`` call in ``mode_steps``/``modes`` (mixtures only)."""

    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    mode_steps: list[int] = field(default_factory=list)
    modes: list[int] = field(default_factory=list)


class Playground:
    """A 2-D GAN, its optimizers, settings and history; trained and drawn a bit at a time.

    Models: ``MLPGenerator(z_dim=2, hidden, depth)`` and ``MLPDiscriminator(2, hidden, depth)``
    on the CPU, both trained with Adam (betas 0.5, 0.999). Everything random (initial
    weights, batches, the fixed latent codes that are drawn) follows ``settings.seed``.

    ``threads``: torch threads while it trains and draws (None: leave torch's setting).
    Networks this small gain nothing from more than one, and on a busy laptop extra threads
    wait for each other: one thread keeps play smooth.
    """

    MODE_SAMPLES = 2500  # as in the mode-collapse papers

    def __init__(self, settings: Settings | None = None, hidden: int = 128, depth: int = 3,
                 threads: int | None = 1, **changes: object) -> None:
        settings = replace(settings or Settings(), **changes)
        validate_settings(settings)
        self.settings = settings
        self.hidden = hidden
        self.depth = depth
        self.threads = threads
        self._view: PlaygroundView | None = None
        self.reset()

    @property
    def data(self) -> Toy2D:
        return get_dataset(self.settings.dataset)

    @property
    def loss_pair(self) -> LossPair:
        return get_loss_pair(self.settings.loss)

    def reset(self) -> None:
        """Fresh networks and optimizers from the seed, empty history, step 0."""
        seed = self.settings.seed
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.G = MLPGenerator(z_dim=2, hidden=self.hidden, depth=self.depth)
            self.D = MLPDiscriminator(in_dim=2, hidden=self.hidden, depth=self.depth)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=self.settings.lr_g,
                                      betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=self.settings.lr_d,
                                      betas=(0.5, 0.999))
        self._rng = torch.Generator().manual_seed(seed)
        fixed = torch.Generator().manual_seed(seed + 1)
        self.z_shown = torch.randn(400, 2, generator=fixed)
        self.z_arrows = torch.randn(ARROWS, 2, generator=fixed)
        self.z_modes = torch.randn(self.MODE_SAMPLES, 2, generator=fixed)
        self.real_shown = self.data.sample(500, fixed)
        self.step_count = 0
        self.history = PlaygroundHistory()
        self._record_modes()

    def update(self, **changes: object) -> None:
        """Change settings (names as in ``Settings``); raise ValueError and change nothing if
        the result is invalid. A new dataset or seed restarts the run; learning rates, the
        loss and the step counts apply from the next step, so a run can switch game midway."""
        new = replace(self.settings, **changes)
        validate_settings(new)
        restart = (new.dataset, new.seed) != (self.settings.dataset, self.settings.seed)
        self.settings = new
        if restart:
            self.reset()
            return
        for optimizer, lr in ((self.opt_g, new.lr_g), (self.opt_d, new.lr_d)):
            for group in optimizer.param_groups:
                group["lr"] = lr

    def step(self, n: int = 1) -> tuple[float, float]:
        """Play ``n`` rounds; return the last (D loss, G loss). Raises FloatingPointError if a
        loss stops being finite (the run has diverged: lower a learning rate and reset)."""
        if not _is_int(n) or n <= 0:
            raise ValueError(f"the number of steps must be a positive whole number, got {n!r}")
        with torch_threads(self.threads):
            for _ in range(n):
                d_value, g_value = self._round()
                self.history.d_loss.append(d_value)
                self.history.g_loss.append(g_value)
                self.step_count += 1
                if not (math.isfinite(d_value) and math.isfinite(g_value)):
                    raise FloatingPointError(
                        f"training diverged at step {self.step_count} (D loss {d_value}, "
                        f"G loss {g_value}); lower the learning rates and reset"
                    )
            self._record_modes()
        return d_value, g_value

    def frame(self) -> bytes:
        """What play does once per frame: ``steps_per_frame`` rounds, then ``render()``."""
        self.step(self.settings.steps_per_frame)
        return self.render()

    def _round(self) -> tuple[float, float]:
        """d_steps discriminator updates (fakes detached), then one generator update.

        D: minimise pair.d_loss(D, x, G(z))   G: minimise pair.g_loss(D(G(z)))
        """
        pair, size = self.loss_pair, self.settings.batch_size
        d_total = 0.0
        for _ in range(self.settings.d_steps):
            real = self.data.sample(size, self._rng)
            with torch.no_grad():
                fake = self.G(torch.randn(size, 2, generator=self._rng))
            d_loss = pair.d_loss(self.D, real, fake, self._rng)
            self.opt_d.zero_grad()
            d_loss.backward()
            self.opt_d.step()
            d_total += d_loss.item()
        self.D.requires_grad_(False)  # the G step needs gradients through D, not into it
        try:
            g_loss = pair.g_loss(self.D(self.G(torch.randn(size, 2, generator=self._rng))))
            self.opt_g.zero_grad()
            g_loss.backward()
            self.opt_g.step()
        finally:
            self.D.requires_grad_(True)
        return d_total / self.settings.d_steps, g_loss.item()

    def _record_modes(self) -> None:
        data = self.data
        if data.centres is None:
            return
        with torch.no_grad():
            stats = mode_stats(self.G(self.z_modes), data.centres, data.sigma)
        self.history.mode_steps.append(self.step_count)
        self.history.modes.append(stats.modes)

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
        if centres is None or not self.history.modes:
            return "modes n/a"
        return f"modes {self.history.modes[-1]}/{len(centres)}"

    def render(self) -> bytes:
        """The current state as a PNG image (bytes); the figure is built once and reused."""
        if self._view is None:
            self._view = PlaygroundView()
        with torch_threads(self.threads):
            return self._view.draw(self)


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
