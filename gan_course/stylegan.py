"""The style-based generator family at small scale: StyleGAN's ideas on 16 x 16 digits
(lesson 09; the style-mixer widget and ``tools/train_stylegan_weights.py`` use it too).

One file for the family: the generator's parts, the game, the shipped weights and the
measurements.

**The parts** (Karras, Laine and Aila, 2019, "A Style-Based Generator Architecture for GANs").

* The mapping network f: z -> w. First the pixel norm of z (each vector rescaled to a root
  mean square of 1), then ``mapping_layers`` linear layers with LeakyReLU(0.2):

      pixel_norm(z) = z / sqrt(mean_j z_j^2 + eps),   w = f(pixel_norm(z))   (N, w_dim)

* A learned constant 4 x 4 input (C channels) instead of z: the picture starts from the same
  block every time, and everything that varies comes in through the styles and the noise.
* Style modulation by AdaIN (adaptive instance normalisation; we chose AdaIN over StyleGAN2's
  modulated convolution). A learned affine map A turns w into a scale y_s and a shift y_b per
  channel, and every feature map is normalised over its own pixels and restyled:

      AdaIN(x, y_s, y_b)[n, c] = y_s[n, c] (x[n, c] - mu[n, c]) / sqrt(var[n, c] + eps)
                                 + y_b[n, c],

  mu and var the mean and (biased) variance of x[n, c] over its H x W pixels. After it, the
  map's mean is y_b and its standard deviation ~ |y_s|: the style decides both, whatever the
  layer below did.
* Per-layer noise: before each AdaIN, a fresh N(0, 1) picture (N, 1, H, W) times a learned
  per-channel scale is added to the features (the scales start at 0).
* Synthesis blocks 4 -> 8 -> 16, each with its own w (``N_STYLES`` = 3 per-layer w's: block 0
  at 4 x 4, block 1 at 8 x 8, block 2 at 16 x 16). Giving different blocks different w's is
  style mixing: the coarse blocks from one w, the fine from another (``mix_styles``).
* Progressive growing's fade-in (Karras et al., 2018), as context: when the 16 x 16 block is
  new, its picture is blended in with the upsampled 8 x 8 one,
      out = (1 - alpha) up(rgb8) + alpha rgb16,
  alpha going 0 -> 1 (``fade_in``; the shipped model was grown this way).
* The truncation trick: ``truncate(w, w_avg, psi)`` = w_avg + psi (w - w_avg), with w_avg the
  running average of the w's met in training (tracked in G's buffer ``w_avg``).

**The game** (``train_stylegan``, rounds played by ``training.play_rounds``): the
non-saturating logit losses of lesson 01 (``losses``), the course's DCGAN discriminator, every
image D sees shifted by up to ``max_shift`` pixels (``augment``), style-mixing regularisation
(with probability ``mixing_prob`` a batch uses two w's with a random crossover), and the fade
from 8 x 8 to 16 x 16 over the steps ``fade`` names. Settings in ``StyleGANConfig``.
``StyleGenerator.from_pretrained()`` loads the shipped generator.

**Measurements.** ``truncation_curve`` (precision, recall and KID in the evaluation
classifier's features, per psi, and the precision split between the digits that keep their
class and those that change it), ``mixing_class_kept`` (share of mixed digits that keep the
coarse source's class), ``path_lengths`` (pixel path length along straight lines in z and in w).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gan_course.augment import random_shift
from gan_course.checkpoints import load_pretrained, read_manifest
from gan_course.dcgan import DCGANDiscriminator
from gan_course.device import module_device
from gan_course.images import check_images
from gan_course.kid import kernel_inception_distance
from gan_course.losses import discriminator_loss, generator_loss_nonsaturating
from gan_course.manifold import in_balls, knn_radii, precision_recall
from gan_course.training import (
    History,
    Losses,
    SnapshotFn,
    TrainConfig,
    is_integer,
    play_rounds,
    random_index,
)

WEIGHTS_NAME = "stylegan_digits"
N_STYLES = 3          # per-layer w's: the 4 x 4, 8 x 8 and 16 x 16 blocks
EPS = 1e-8            # pixel norm's epsilon
ADAIN_EPS = 1e-5      # AdaIN's epsilon (as in instance norm)

AdainFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
MappingFn = Callable[[torch.Tensor, Sequence[nn.Linear]], torch.Tensor]


@dataclass(frozen=True)
class StyleGANConfig:
    """The settings of a style-based GAN, passed by name: ``StyleGANConfig(w_dim=32, ...)``.
    The defaults are the shipped model's; lesson 09's live demo shortens ``training``.

    z_dim, w_dim: lengths of z and w.  mapping_layers: linear layers of the mapping network.
    mapping_lr_mul: the mapping network's learning-rate multiplier (``ScaledLinear``).
    channels: feature channels of the 4 x 4, 8 x 8 and 16 x 16 blocks.  d_width: channels of
    D's first block.  mixing_prob: share of training batches drawn with two w's (style-mixing
    regularisation).  w_avg_beta: w_avg <- beta w_avg + (1 - beta) mean(batch's w) each G step.
    fade: (start, end) as shares of the steps: before start G draws at 8 x 8 (alpha 0), then
    alpha rises linearly to 1 at end.  max_shift: pixels of random shift of D's images.
    training: steps, batch size, learning rates, seed (``training.TrainConfig``).
    """

    z_dim: int = 32
    w_dim: int = 32
    mapping_layers: int = 3
    mapping_lr_mul: float = 0.1
    channels: tuple[int, int, int] = (64, 64, 32)
    d_width: int = 32
    mixing_prob: float = 0.5
    w_avg_beta: float = 0.995
    fade: tuple[float, float] = (0.1, 0.3)
    max_shift: int = 1
    training: TrainConfig = TrainConfig(steps=3000, batch_size=64, lr=5e-4, d_lr=5e-4,
                                        betas=(0.5, 0.99), decay_from=0.6)

    def __post_init__(self) -> None:
        for name, smallest in (("z_dim", 1), ("w_dim", 1), ("mapping_layers", 1),
                               ("d_width", 1), ("max_shift", 0)):
            value = getattr(self, name)
            if not is_integer(value) or value < smallest:
                raise ValueError(f"{name} must be an integer >= {smallest}, got {value!r}")
        if len(self.channels) != N_STYLES or not all(is_integer(c) and c >= 1
                                                     for c in self.channels):
            raise ValueError(f"channels must be {N_STYLES} positive integers (4, 8, 16 x 16 "
                             f"blocks), got {self.channels!r}")
        lr_mul = self.mapping_lr_mul
        if isinstance(lr_mul, bool) or not isinstance(lr_mul, (int, float)) or \
                not 0 < lr_mul <= 1:
            raise ValueError(f"mapping_lr_mul must be a number in (0, 1], got {lr_mul!r}")
        for name in ("mixing_prob", "w_avg_beta"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
        start, end = self.fade
        if not 0 <= start <= end <= 1:
            raise ValueError(f"fade must be (start, end) with 0 <= start <= end <= 1, "
                             f"got {self.fade!r}")
        if not isinstance(self.training, TrainConfig):
            raise TypeError(f"training must be a training.TrainConfig, got "
                            f"{type(self.training).__name__}")


# --- The parts ---------------------------------------------------------------------------------

def pixel_norm(z: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """z (N, D) -> z / sqrt(mean_j z_j^2 + eps) (N, D): every row to a root mean square of 1."""
    return z / torch.sqrt(z.pow(2).mean(dim=1, keepdim=True) + eps)


def mapping_forward(z: torch.Tensor, layers: Sequence[nn.Linear]) -> torch.Tensor:
    """The mapping network f: z (N, z_dim) -> w (N, w_dim).

        h_0 = pixel_norm(z),   h_k = LeakyReLU_0.2(layers[k-1](h_{k-1})),   w = h_L.
    """
    h = pixel_norm(z)
    for layer in layers:
        h = F.leaky_relu(layer(h), 0.2)
    return h


def adain(x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor,
          eps: float = ADAIN_EPS) -> torch.Tensor:
    """AdaIN: x (N, C, H, W), scale and shift (N, C) -> (N, C, H, W),

        out[n, c] = scale[n, c] (x[n, c] - mu[n, c]) / sqrt(var[n, c] + eps) + shift[n, c],

    mu, var: mean and biased variance of x[n, c] over its H x W pixels.
    """
    mu = x.mean(dim=(2, 3), keepdim=True)
    var = x.var(dim=(2, 3), keepdim=True, unbiased=False)
    return scale[:, :, None, None] * (x - mu) / torch.sqrt(var + eps) + shift[:, :, None, None]


def truncate(w: torch.Tensor, w_avg: torch.Tensor, psi: float) -> torch.Tensor:
    """The truncation trick: w (N, w_dim), w_avg (w_dim,) -> w_avg + psi (w - w_avg) (N, w_dim).

    psi = 1 leaves w alone, psi = 0 gives w_avg for every sample, 0 < psi < 1 pulls each w
    toward the average (typical, less varied digits). Any finite psi is accepted: psi > 1
    pushes away from the average (StyleGAN's authors use it to exaggerate), psi < 0 mirrors
    w through it; the lesson uses [0, 1].
    """
    _check_psi(psi)
    if not isinstance(w_avg, torch.Tensor) or w_avg.dim() != 1:
        got = tuple(w_avg.shape) if isinstance(w_avg, torch.Tensor) else type(w_avg).__name__
        raise ValueError(f"w_avg must have shape (w_dim,), got {got}")
    _check_w(w, len(w_avg))
    return w_avg + psi * (w - w_avg)


def class_centres(ws: torch.Tensor, labels: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """The mean w of each class: ws (N, w_dim), labels (N,) in 0..n_classes-1 -> (n_classes,
    w_dim), row c = mean of the ws labelled c. Every class needs at least one w."""
    if not isinstance(ws, torch.Tensor) or ws.dim() != 2:
        got = tuple(ws.shape) if isinstance(ws, torch.Tensor) else type(ws).__name__
        raise ValueError(f"expected ws of shape (N, w_dim), got {got}")
    if not isinstance(labels, torch.Tensor) or labels.shape != (len(ws),):
        raise ValueError(f"need one label per w: {len(ws)} w's, labels of shape "
                         f"{tuple(labels.shape) if isinstance(labels, torch.Tensor) else labels!r}")
    centres = []
    for c in range(n_classes):
        members = labels == c
        if not members.any():
            raise ValueError(f"class {c} has no w: draw more w's")
        centres.append(ws[members].mean(dim=0))
    return torch.stack(centres)


def truncate_to_nearest(w: torch.Tensor, centres: torch.Tensor, psi: float,
                        truncate_fn: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]
                        = truncate) -> torch.Tensor:
    """Truncation toward several centres: w (N, w_dim), centres (K, w_dim) -> (N, w_dim).

    Each w is pulled toward its nearest centre c(w) = argmin_j ||w - centres_j||_2:
    w' = c(w) + psi (w - c(w)), computed as truncate_fn(rows of w, c, psi) for each centre.
    With one centre, the average w, this is the truncation trick; with a centre per class it
    keeps the classes apart where one average would blend them.
    """
    if not isinstance(centres, torch.Tensor) or centres.dim() != 2 or len(centres) < 1:
        got = tuple(centres.shape) if isinstance(centres, torch.Tensor) else type(centres).__name__
        raise ValueError(f"centres must have shape (K, w_dim), got {got}")
    _check_w(w, centres.shape[1])
    centres = centres.to(w.device)
    nearest = torch.cdist(w, centres).argmin(dim=1)
    out = w.clone()
    for j in range(len(centres)):
        rows = nearest == j
        if rows.any():
            out[rows] = truncate_fn(w[rows], centres[j], psi)
    return out


def fade_in(rgb8: torch.Tensor, rgb16: torch.Tensor, alpha: float) -> torch.Tensor:
    """Progressive growing's blend: rgb8 (N, C, 8, 8), rgb16 (N, C, 16, 16) -> (N, C, 16, 16),

        out = (1 - alpha) up(rgb8) + alpha rgb16,   up = nearest-neighbour doubling.
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
    if rgb8.dim() != 4 or rgb16.dim() != 4 or rgb16.shape[2:] != (2 * rgb8.shape[2],
                                                                  2 * rgb8.shape[3]) \
            or rgb8.shape[:2] != rgb16.shape[:2]:
        raise ValueError(f"rgb16 must be rgb8 at twice the side: got {tuple(rgb8.shape)} and "
                         f"{tuple(rgb16.shape)}")
    return (1 - alpha) * F.interpolate(rgb8, scale_factor=2, mode="nearest") + alpha * rgb16


def _check_psi(psi: object) -> None:
    if isinstance(psi, bool) or not isinstance(psi, (int, float)) or not math.isfinite(psi):
        raise ValueError(f"psi must be a finite number, got {psi!r}")


def _check_w(w: object, w_dim: int) -> None:
    if not isinstance(w, torch.Tensor) or w.dim() != 2 or w.shape[1] != w_dim:
        got = tuple(w.shape) if isinstance(w, torch.Tensor) else type(w).__name__
        raise ValueError(f"expected w of shape (N, {w_dim}), got {got}")


class ScaledLinear(nn.Linear):
    """A linear layer of the mapping network with a learning-rate multiplier (StyleGAN's
    equalised learning rate, Karras et al., 2018, section 4.1): x (N, in) -> (N, out),

        y = x (m W)^T + m b,   W ~ N(0, 2 / in) / m at the start, b = 0,

    so the layer starts with He-initialised weights, but Adam's steps (about lr in each
    stored parameter) move the weights used, m W, by about m lr: the mapping network learns
    m times slower than the rest (StyleGAN uses m = 0.01; a fast mapping network squeezes all
    w's together and the generator collapses).
    """

    def __init__(self, in_features: int, out_features: int, lr_mul: float):
        super().__init__(in_features, out_features)
        self.lr_mul = lr_mul
        with torch.no_grad():
            self.weight.normal_(0.0, math.sqrt(2.0 / in_features) / lr_mul)
            self.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.lr_mul, self.bias * self.lr_mul)


class StyleLayer(nn.Module):
    """One styled layer: [x2 nearest upsample] -> conv 3 x 3 -> + noise * per-channel scale ->
    LeakyReLU(0.2) -> AdaIN with (scale, shift) = (1 + A_s(w), A_b(w)).

    x (N, in, H, W), w (N, w_dim), noise (N, 1, H', W') -> (N, out, H', W'), H' = 2H if
    ``upsample`` else H.
    """

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, upsample: bool):
        super().__init__()
        self.upsample, self.out_channels = upsample, out_channels
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.noise_scale = nn.Parameter(torch.zeros(out_channels))
        self.affine = nn.Linear(w_dim, 2 * out_channels)
        with torch.no_grad():   # styles of spread ~1 for w of rms ~1, scale 1 + 0 on average
            self.affine.weight.normal_(0.0, 1.0 / math.sqrt(w_dim))
            self.affine.bias.zero_()

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor,
                adain_fn: AdainFn = adain) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.conv(x) + self.noise_scale[None, :, None, None] * noise
        x = F.leaky_relu(x, 0.2)
        style = self.affine(w)
        scale, shift = 1 + style[:, :self.out_channels], style[:, self.out_channels:]
        return adain_fn(x, scale, shift)


class StyleGenerator(nn.Module):
    """G: z (N, z_dim) -> images (N, 1, 16, 16) in [-1, 1], through w and three styled blocks.

        w = mapping(z);   x = const (C0, 4, 4)
        block 0 (4 x 4, w_0):   one StyleLayer         -> rgb4 unused
        block 1 (8 x 8, w_1):   two StyleLayers (up)   -> rgb8  = tanh(1x1 conv)
        block 2 (16 x 16, w_2): two StyleLayers (up)   -> rgb16 = tanh(1x1 conv)
        out = fade_in(rgb8, rgb16, alpha)     (alpha = 1: the 16 x 16 picture)

    ``synthesis(ws, ...)`` takes the per-layer w's: a list of ``N_STYLES`` tensors (N, w_dim).
    The attributes ``mapping_fn`` (``mapping_forward``) and ``adain_fn`` (``adain``) are the
    functions the forward pass calls; lesson 09 sets them to the learner's.
    """

    def __init__(self, config: StyleGANConfig = StyleGANConfig()):
        super().__init__()
        self.config, self.image_size, self.channels = config, 16, 1
        self.z_dim, self.w_dim = config.z_dim, config.w_dim
        c4, c8, c16 = config.channels
        self.mapping = nn.ModuleList(
            [ScaledLinear(config.z_dim if i == 0 else config.w_dim, config.w_dim,
                          config.mapping_lr_mul) for i in range(config.mapping_layers)])
        self.const = nn.Parameter(torch.randn(1, c4, 4, 4))
        self.blocks = nn.ModuleList([
            nn.ModuleList([StyleLayer(c4, c4, config.w_dim, upsample=False)]),
            nn.ModuleList([StyleLayer(c4, c8, config.w_dim, upsample=True),
                           StyleLayer(c8, c8, config.w_dim, upsample=False)]),
            nn.ModuleList([StyleLayer(c8, c16, config.w_dim, upsample=True),
                           StyleLayer(c16, c16, config.w_dim, upsample=False)]),
        ])
        self.to_rgb8 = nn.Conv2d(c8, 1, 1)
        self.to_rgb16 = nn.Conv2d(c16, 1, 1)
        self.register_buffer("w_avg", torch.zeros(config.w_dim))
        # The functions the forward pass uses; lesson 09 puts the learner's in their place.
        self.adain_fn: AdainFn = adain
        self.mapping_fn: MappingFn = mapping_forward

    # -- z -> w --
    def map(self, z: torch.Tensor) -> torch.Tensor:
        """w = f(z): z (N, z_dim) -> (N, w_dim), by ``self.mapping_fn(z, layers)``."""
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.z_dim:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"expected z of shape (N, {self.z_dim}), got {got}")
        return self.mapping_fn(z, list(self.mapping))

    @torch.no_grad()
    def track_w_avg(self, w: torch.Tensor, beta: float) -> None:
        """w_avg <- beta w_avg + (1 - beta) mean_n w[n]   (w: (N, w_dim))."""
        self.w_avg.copy_(beta * self.w_avg + (1 - beta) * w.detach().mean(dim=0))

    def noise_shapes(self) -> list[tuple[int, int]]:
        """(H, W) of each styled layer's noise, in order: 4, 8, 8, 16, 16."""
        return [(4, 4), (8, 8), (8, 8), (16, 16), (16, 16)]

    def draw_noise(self, n: int, generator: torch.Generator | None = None) -> list[torch.Tensor]:
        """One N(0, 1) noise picture (n, 1, H, W) per styled layer, on the CPU."""
        return [torch.randn(n, 1, h, w, generator=generator) for h, w in self.noise_shapes()]

    # -- ws -> picture --
    def synthesis(self, ws: Sequence[torch.Tensor], noise: Sequence[torch.Tensor] | None = None,
                  alpha: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Per-layer w's (``N_STYLES`` tensors (N, w_dim)) -> images (N, 1, 16, 16).

        noise: one (N, 1, H, W) per styled layer (``noise_shapes``), or None to draw it from
        ``generator``. alpha: the fade-in weight of the 16 x 16 block (``fade_in``). The styles
        are applied by ``self.adain_fn`` (``adain`` unless replaced).
        """
        if isinstance(ws, torch.Tensor) or len(ws) != N_STYLES:
            got = "a tensor" if isinstance(ws, torch.Tensor) else f"{len(ws)}"
            raise ValueError(f"synthesis needs a list of {N_STYLES} per-layer w's (4, 8, 16 x "
                             f"16 blocks), got {got}")
        for w in ws:
            _check_w(w, self.w_dim)
        n = len(ws[0])
        if any(len(w) != n for w in ws):
            raise ValueError(f"the per-layer w's must have the same batch size, got "
                             f"{[len(w) for w in ws]}")
        device = self.const.device
        if noise is None:
            noise = self.draw_noise(n, generator)
        if len(noise) != len(self.noise_shapes()):
            raise ValueError(f"need {len(self.noise_shapes())} noise pictures, got {len(noise)}")
        noise = [pic.to(device) for pic in noise]
        x = self.const.expand(n, -1, -1, -1)
        k = 0
        rgb8 = None
        for block, w in zip(self.blocks, ws):
            for layer in block:
                x = layer(x, w.to(device), noise[k], self.adain_fn)
                k += 1
            if x.shape[-1] == 8:
                rgb8 = torch.tanh(self.to_rgb8(x))
        rgb16 = torch.tanh(self.to_rgb16(x))
        if alpha == 1:
            return rgb16
        return fade_in(rgb8, rgb16, alpha)

    def forward(self, z: torch.Tensor, psi: float = 1.0,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """z (N, z_dim) -> images (N, 1, 16, 16): w = truncate(map(z), w_avg, psi), the same w
        in every block, noise drawn from ``generator``."""
        w = self.map(z)
        if psi != 1:
            w = truncate(w, self.w_avg, psi)
        return self.synthesis([w] * N_STYLES, generator=generator)

    @classmethod
    def from_pretrained(cls, map_location: str | torch.device = "cpu") -> StyleGenerator:
        """The shipped style-based generator for 16 x 16 digits (``python
        tools/train_stylegan_weights.py`` made it), sha256-checked, on ``map_location``, in
        eval mode (its ``w_avg`` included)."""
        checkpoint = load_pretrained(WEIGHTS_NAME, map_location=map_location)
        meta = checkpoint["meta"]
        config = StyleGANConfig(z_dim=meta["z_dim"], w_dim=meta["w_dim"],
                                mapping_layers=meta["mapping_layers"],
                                mapping_lr_mul=meta["mapping_lr_mul"],
                                channels=tuple(meta["channels"]))
        G = cls(config)
        G.load_state_dict(checkpoint["state_dict"])
        return G.to(map_location).eval()


def shipped_weights_info() -> dict:
    """The MANIFEST.json entry of the shipped style-based generator: file, sha256, the command
    that made it (``made_by``), its training settings and figures."""
    return dict(read_manifest()[WEIGHTS_NAME])


def mix_styles(w_coarse: torch.Tensor, w_fine: torch.Tensor, crossover: int) -> list[torch.Tensor]:
    """Per-layer w's for style mixing: blocks 0 .. crossover-1 take ``w_coarse``, blocks
    crossover .. N_STYLES-1 take ``w_fine`` (both (N, w_dim)). crossover in 0..N_STYLES
    (0: all fine, N_STYLES: all coarse)."""
    if not is_integer(crossover) or not 0 <= crossover <= N_STYLES:
        raise ValueError(f"crossover must be an integer in 0..{N_STYLES}, got {crossover!r}")
    if w_coarse.shape != w_fine.shape:
        raise ValueError(f"w_coarse and w_fine must have the same shape, got "
                         f"{tuple(w_coarse.shape)} and {tuple(w_fine.shape)}")
    return [w_coarse if k < crossover else w_fine for k in range(N_STYLES)]


def alpha_at(step: int, steps: int, fade: tuple[float, float]) -> float:
    """The fade-in weight at ``step`` of ``steps``: 0 before fade[0] * steps, 1 from
    fade[1] * steps, linear in between."""
    start, end = fade[0] * steps, fade[1] * steps
    if step >= end:
        return 1.0
    if step < start:
        return 0.0
    return (step - start) / (end - start)


def make_discriminator(config: StyleGANConfig = StyleGANConfig()) -> DCGANDiscriminator:
    """The course's DCGAN discriminator (lesson 02) for 16 x 16 grey images."""
    return DCGANDiscriminator(image_size=16, channels=1, width=config.d_width)


# --- The game ----------------------------------------------------------------------------------

def train_stylegan(G: StyleGenerator, D: nn.Module, images: torch.Tensor,
                   config: StyleGANConfig, snapshot: SnapshotFn | None = None) -> History:
    """Train G and D on ``images`` (N, 1, 16, 16) in [-1, 1] with ``config``.

    Each of ``config.training.steps`` rounds draws, from a CPU generator seeded by the
    training seed and in this order: batch_size real images (with replacement), z ~ N(0, I),
    a second z' and a crossover k ~ Uniform{1, 2} used with probability ``mixing_prob``
    (blocks >= k take f(z')), the noise, and the shifts of real and fake images; then plays

        D step:  L_D = -log sigmoid(D(x)) - log(1 - sigmoid(D(G(z))))
        G step:  L_G = -log sigmoid(D(G(z)))        (non-saturating, ``losses``)

    and updates w_avg. While alpha < 1 (``alpha_at``) real images are blended the same way
    as G's: (1 - alpha) up(down(x)) + alpha x, down = 2 x 2 average. Returns the History
    (losses "d" and "g").
    """
    settings = config.training
    if settings.d_steps != 1:
        raise ValueError(f"this game plays one D step per G step: d_steps must be 1, got "
                         f"{settings.d_steps}")
    check_images(images, 1, 16, "the training images", in_range=True)
    device = module_device(G)
    data = images.detach().float().cpu()
    n, step = settings.batch_size, 0

    def play_round(rng: torch.Generator, opt_g: torch.optim.Optimizer,
                   opt_d: torch.optim.Optimizer) -> Losses:
        nonlocal step
        alpha = alpha_at(step, settings.steps, config.fade)
        step += 1
        real = data[random_index(len(data), n, rng)]
        z = torch.randn(n, G.z_dim, generator=rng).to(device)
        z2 = torch.randn(n, G.z_dim, generator=rng).to(device)
        mixing = torch.rand((), generator=rng).item() < config.mixing_prob
        crossover = int(torch.randint(1, N_STYLES, (), generator=rng))
        noise = G.draw_noise(n, rng)
        if alpha < 1:
            low = F.interpolate(F.avg_pool2d(real, 2), scale_factor=2, mode="nearest")
            real = (1 - alpha) * low + alpha * real
        w = G.map(z)
        ws = mix_styles(w, G.map(z2), crossover) if mixing else [w] * N_STYLES
        fake = G.synthesis(ws, noise, alpha)
        real = random_shift(real.to(device), config.max_shift, rng)
        fake = random_shift(fake, config.max_shift, rng)

        d_loss = discriminator_loss(D(real), D(fake.detach()))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()

        g_loss = generator_loss_nonsaturating(D(fake))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        G.track_w_avg(w, config.w_avg_beta)
        return {"d": d_loss.item(), "g": g_loss.item()}

    return play_rounds(G, D, play_round, settings, snapshot)


# --- Drawing -----------------------------------------------------------------------------------

@torch.no_grad()
def sample_ws(G: StyleGenerator, n: int, psi: float = 1.0,
              generator: torch.Generator | None = None,
              truncate_fn: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor] = truncate,
              ) -> torch.Tensor:
    """n w's (n, w_dim) on the CPU: z ~ N(0, I) from ``generator``, w = truncate_fn(f(z), w_avg,
    psi)."""
    if not is_integer(n) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    device = module_device(G)
    z = torch.randn(n, G.z_dim, generator=generator).to(device)
    return truncate_fn(G.map(z), G.w_avg, psi).cpu()


@torch.no_grad()
def render(G: StyleGenerator, ws: Sequence[torch.Tensor], generator: torch.Generator | None = None,
           batch_size: int = 500) -> torch.Tensor:
    """Images (N, 1, 16, 16) on the CPU for per-layer w's (each (N, w_dim)), in batches, noise
    from ``generator``. Runs in G's current mode (call G.eval())."""
    n = len(ws[0])
    out = []
    for i in range(0, n, batch_size):
        part = [w[i:i + batch_size] for w in ws]
        out.append(G.synthesis(part, generator=generator).cpu())
    return torch.cat(out)


@torch.no_grad()
def mixing_grid(G: StyleGenerator, w_coarse: torch.Tensor, w_fine: torch.Tensor, crossover: int,
                noise_seed: int = 0) -> torch.Tensor:
    """((R + 1) * (C + 1), 1, 16, 16) for a grid: row r > 0 takes its coarse styles from
    w_coarse[r-1] (R, w_dim), column c > 0 its fine styles from w_fine[c-1] (C, w_dim); the
    top row shows the fine sources, the left column the coarse sources, the corner blank (-1).
    The same noise everywhere (``noise_seed``)."""
    rows, cols = len(w_coarse), len(w_fine)
    blank = -torch.ones(1, 1, 16, 16)
    noise = G.draw_noise(1, torch.Generator().manual_seed(noise_seed))
    device = module_device(G)

    def draw(ws: list[torch.Tensor]) -> torch.Tensor:
        batch = len(ws[0])
        return G.synthesis([w.to(device) for w in ws], [p.expand(batch, -1, -1, -1)
                                                        for p in noise]).cpu()

    tops = draw([w_fine] * N_STYLES)
    lefts = draw([w_coarse] * N_STYLES)
    coarse = w_coarse.repeat_interleave(cols, dim=0)
    fine = w_fine.repeat(rows, 1)
    mixed = draw(mix_styles(coarse, fine, crossover)).view(rows, cols, 1, 16, 16)
    pictures = [blank, tops]
    for r in range(rows):
        pictures += [lefts[r:r + 1], mixed[r]]
    return torch.cat(pictures)


# --- Measurements ------------------------------------------------------------------------------

@torch.no_grad()
def classifier_features(classifier: nn.Module, images: torch.Tensor,
                        batch_size: int = 500) -> torch.Tensor:
    """The evaluation classifier's features (N, 64) of images (N, 1, 16, 16), on the CPU."""
    device = module_device(classifier)
    return torch.cat([classifier.features(images[i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(images), batch_size)])


@dataclass(frozen=True)
class TruncationPoint:
    """One psi of the truncation curve: precision, recall (k = 3) and KID (mean, std), and
    where the precision comes from. class_kept: share of the digits that the classifier names
    as it names the same z's digit at psi = 1. precision_kept, precision_changed: precision
    among the digits that kept their class and among those that changed it (nan where a group
    is empty), so precision = class_kept * precision_kept + (1 - class_kept) *
    precision_changed.
    """

    psi: float
    precision: float
    recall: float
    kid: float
    kid_std: float
    class_kept: float
    precision_kept: float
    precision_changed: float


def _share(flags: torch.Tensor) -> float:
    """Mean of a boolean vector (nan if it is empty)."""
    return flags.double().mean().item() if len(flags) else math.nan


@torch.no_grad()
def truncation_curve(G: StyleGenerator, classifier: nn.Module, real_features: torch.Tensor,
                     psis: Sequence[float], n: int = 1000, seed: int = 0,
                     truncate_fn: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]
                     = truncate, centres: torch.Tensor | None = None) -> list[TruncationPoint]:
    """For each psi: n digits drawn with w = truncate_fn(f(z), w_avg, psi) (the same z's and
    noise for every psi, from ``seed``), their precision and recall against
    ``real_features`` (M, 64) (``manifold.precision_recall``, k = 3) and their KID
    (``kid.kernel_inception_distance``, 10 subsets of 200), all in the classifier's features.
    With ``centres`` (K, w_dim), each w is pulled toward its nearest centre instead
    (``truncate_to_nearest``, still through truncate_fn).

    The split of the precision: a digit is inside when its features lie in some real digit's
    k-NN ball (k = 3), and it kept its class when the classifier's argmax equals the one for
    the same z and noise at psi = 1.
    """
    pull = truncate_fn
    if centres is not None:
        def pull(w: torch.Tensor, w_avg: torch.Tensor, psi: float) -> torch.Tensor:
            return truncate_to_nearest(w, centres, psi, truncate_fn)

    def draw(psi: float) -> torch.Tensor:
        ws = sample_ws(G, n, psi, torch.Generator().manual_seed(seed), pull)
        return render(G, [ws] * N_STYLES, torch.Generator().manual_seed(seed + 1))

    def classes(images: torch.Tensor) -> torch.Tensor:
        return classifier(images.to(module_device(classifier))).argmax(dim=1).cpu()

    start_images = draw(1.0)        # psi = 1 is drawn once, for the start classes and its point
    start_classes = classes(start_images)
    radii = knn_radii(real_features, 3)
    points = []
    for psi in psis:
        images = start_images if psi == 1.0 else draw(psi)
        feats = classifier_features(classifier, images)
        precision, recall = precision_recall(real_features, feats, k=3)
        kid = kernel_inception_distance(real_features, feats, n_subsets=10, subset_size=200,
                                        generator=torch.Generator().manual_seed(seed + 2))
        inside = in_balls(feats, real_features, radii).any(dim=1)
        kept = classes(images) == start_classes
        points.append(TruncationPoint(float(psi), precision, recall, kid.mean, kid.std,
                                      _share(kept), _share(inside[kept]),
                                      _share(inside[~kept])))
    return points


@torch.no_grad()
def mixing_class_kept(G: StyleGenerator, classifier: nn.Module, n_pairs: int = 500,
                      crossover: int = 2, seed: int = 0) -> tuple[float, int]:
    """Share of mixed digits (blocks < crossover from w_A, the rest from w_B) that the
    classifier calls A's class, over pairs whose pure digits A and B it calls different
    classes. Draws 2 * n_pairs w's from ``seed`` (psi 1) and the same noise for A, B and the
    mix. Returns (share, number of pairs with different classes)."""
    rng = torch.Generator().manual_seed(seed)
    w_a, w_b = sample_ws(G, n_pairs, 1.0, rng), sample_ws(G, n_pairs, 1.0, rng)
    noise = G.draw_noise(n_pairs, rng)
    device, c_device = module_device(G), module_device(classifier)

    def classes(ws: list[torch.Tensor]) -> torch.Tensor:
        images = G.synthesis([w.to(device) for w in ws], noise)
        return classifier(images.to(c_device)).argmax(dim=1).cpu()

    class_a = classes([w_a] * N_STYLES)
    class_b = classes([w_b] * N_STYLES)
    class_mix = classes(mix_styles(w_a, w_b, crossover))
    differ = class_a != class_b
    count = int(differ.sum())
    if count == 0:
        raise ValueError("no pair has two different classes: draw more pairs")
    return (class_mix[differ] == class_a[differ]).double().mean().item(), count


@torch.no_grad()
def path_lengths(G: StyleGenerator, n_pairs: int = 200, n_frames: int = 16,
                 seed: int = 0) -> dict[str, float]:
    """Mean pixel path length of straight-line interpolations, in z and in w.

    For each of n_pairs pairs (z_a, z_b) ~ N(0, I) and one noise draw (all from ``seed``):
    the z path is G at w = f(lerp(z_a, z_b, t)), the w path G at w = lerp(f(z_a), f(z_b), t),
    t = 0, 1/(T-1), ..., 1 (T = n_frames). Its length is sum_t ||x_{t+1} - x_t||_2 over the
    16 x 16 pixels (in [-1, 1]). Both paths share their end frames, so the length of the
    straight line between them, ``"direct"`` = ||x_1 - x_0||, is the shortest possible.
    Returns {"z": mean length, "w": mean length, "direct": mean end-to-end distance}.
    """
    if not is_integer(n_frames) or n_frames < 2:
        raise ValueError(f"n_frames must be an integer >= 2, got {n_frames!r}")
    rng = torch.Generator().manual_seed(seed)
    device = module_device(G)
    z_a = torch.randn(n_pairs, G.z_dim, generator=rng).to(device)
    z_b = torch.randn(n_pairs, G.z_dim, generator=rng).to(device)
    noise = G.draw_noise(n_pairs, rng)
    w_a, w_b = G.map(z_a), G.map(z_b)
    frames: dict[str, list[torch.Tensor]] = {"z": [], "w": []}
    for i in range(n_frames):
        t = i / (n_frames - 1)
        for space, w in (("z", G.map(torch.lerp(z_a, z_b, t))), ("w", torch.lerp(w_a, w_b, t))):
            frames[space].append(G.synthesis([w] * N_STYLES, noise).flatten(1).cpu())
    out = {}
    for space, pictures in frames.items():
        steps = [(pictures[i + 1] - pictures[i]).norm(dim=1) for i in range(n_frames - 1)]
        out[space] = torch.stack(steps).sum(dim=0).mean().item()
    out["direct"] = (frames["w"][-1] - frames["w"][0]).norm(dim=1).mean().item()
    return out
