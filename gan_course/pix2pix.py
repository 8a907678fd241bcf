"""The pix2pix family: image-to-image translation learned from *paired* examples (lesson 08;
the pair explorer widget uses it too).

One file for the family: the players, the losses, the game, its settings, the tasks of
lesson 08 and their measurements.

**The recipe** (Isola et al., 2017, "Image-to-Image Translation with Conditional Adversarial
Networks"). Given pairs (x, y), train a generator G(x) -> y with

    L_G = L_adv + lambda * L_1,
    L_adv = E_x[ BCE(D(x, G(x)), 1) ]          (over every patch score; non-saturating)
    L_1   = E_{x,y}[ mean |G(x) - y| ]         (over every pixel)

and a *conditional* PatchGAN discriminator that sees the pair stacked on channels,
D([x, y]) -> one logit per overlapping patch, minimising
BCE(D([x, y]), 1) + BCE(D([x, G(x)]), 0).

**Why lambda = 100** (the paper's value). On images in [-1, 1] a decent translation has an
L1 error of a few hundredths to a few tenths, while the adversarial loss sits near log 2
~ 0.7. Weighted by 100, L1 dominates the generator's loss: it pins down everything the input
determines (where the strokes are), and the adversarial term is left to decide only what
L1 cannot, the fine detail where several answers are possible. L1 alone answers such a
question with the per-pixel median of the possible answers, a blur; D refuses blurs, so
the adversarial term pushes towards one sharp, plausible answer. With lambda too small the
output drifts from the input (D is satisfied by any realistic image); with lambda = inf it
is the L1 regression.

**Why the input is shown to D.** A D that saw only G(x) would accept any realistic image,
whatever x was: G could ignore its input. Seeing the pair, D rejects outputs that do not
fit their input.

**The players.** ``UNetGenerator``: an encoder (16 -> 8 -> 4 -> 2 pixels) and a decoder
whose every stage is joined with the encoder's feature of the same size by *concatenation*
on channels (the U-Net skip; ``unet_skip``), so detail the bottleneck cannot hold is passed
around it. Dropout in the decoder, on at training *and* test time, is the only noise
(pix2pix uses no z: the paper found that G learned to ignore one). ``patch_discriminator``:
lesson 04's PatchDiscriminator on 2 channels, 8 x 8 logits each seeing a 12 x 12 window.

**The game** (``train_pix2pix``, rounds played by ``training.play_rounds``): D steps on the
pair losses above, then G on L_G, with ``Pix2PixConfig``'s settings. ``adversarial=False``
trains the L1-only baseline (no D step; L_G = lambda * L_1).

**The tasks.** (a) thin -> bold digits with the pairs ``domains`` keeps hidden from lesson
04; graded like lesson 04's CycleGAN (``grade_pairs``). (b) complete a digit whose bottom
half is hidden (``hide_bottom``), an ill-posed task; judged with the evaluation classifier,
the classifier-feature FID and KID (``judge_completions``). A completion model draws only
the hidden rows and keeps the shown ones as given (``Completer``, ``keep_shown``), as
inpainting models do: the shown rows are not a prediction, so neither loss should be spent
on them, and D (which sees the pair) cannot tell a fake by comparing the two top halves.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gan_course.classifier import DigitClassifier, accuracy
from gan_course.cyclegan import PatchDiscriminator, normal_init
from gan_course.device import module_device
from gan_course.domains import PairedTest, read_b
from gan_course.fid import classifier_fid, extract_features
from gan_course.images import check_images
from gan_course.kid import kernel_inception_distance
from gan_course.losses import discriminator_loss
from gan_course.training import History, Losses, TrainConfig, is_integer, play_rounds, random_index

IMAGE_SIZE = 16
HIDDEN_ROWS = IMAGE_SIZE // 2   # task (b) hides the bottom 8 of the 16 rows
L1_WEIGHT = 100.0   # lambda in the paper (Isola et al., 2017, section 4)

SkipFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
PairFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
GeneratorLossFn = Callable[..., torch.Tensor]


# --- The three pieces lesson 08's exercises re-write -----------------------------------------

def unet_skip(decoded: torch.Tensor, encoded: torch.Tensor) -> torch.Tensor:
    """The U-Net skip: decoded (N, C_d, H, W) and the encoder's feature of the same size
    encoded (N, C_e, H, W) -> (N, C_d + C_e, H, W), their concatenation on channels
    (decoded first). Nothing is added: the next layer gets both, side by side."""
    if decoded.shape[0] != encoded.shape[0] or decoded.shape[2:] != encoded.shape[2:]:
        raise ValueError(f"the skip joins features of the same batch and size, got "
                         f"{tuple(decoded.shape)} and {tuple(encoded.shape)}")
    return torch.cat([decoded, encoded], dim=1)


def pair_input(condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    """The conditional discriminator's input: condition x (N, C_x, H, W) and an output y
    (real or G(x)) (N, C_y, H, W) -> [x, y] (N, C_x + C_y, H, W), stacked on channels."""
    if condition.shape[0] != image.shape[0] or condition.shape[2:] != image.shape[2:]:
        raise ValueError(f"the pair must hold images of the same batch and size, got "
                         f"{tuple(condition.shape)} and {tuple(image.shape)}")
    return torch.cat([condition, image], dim=1)


def pix2pix_generator_loss(fake_logits: torch.Tensor, fake: torch.Tensor,
                           target: torch.Tensor, l1_weight: float = L1_WEIGHT) -> torch.Tensor:
    """L_G = mean_patches BCE(fake_logits, 1) + l1_weight * mean_pixels |fake - target|.

    fake_logits: D's patch logits on (x, G(x)), any shape; fake, target: (N, C, H, W).
    BCE(l, 1) = -log sigmoid(l) = softplus(-l) (the non-saturating generator loss).
    Returns a scalar."""
    adversarial = F.softplus(-fake_logits).mean()
    return adversarial + l1_weight * (fake - target).abs().mean()


# --- The players ------------------------------------------------------------------------------

class AlwaysDropout(nn.Module):
    """Dropout that stays on in eval mode too (pix2pix's noise at test time): each value is
    zeroed with probability p and the rest scaled by 1 / (1 - p)."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.dropout(x, self.p, training=True)


def _down(c_in: int, c_out: int, norm: bool) -> nn.Sequential:
    """conv 4 x 4 stride 2 (halves the size) [-> BatchNorm] -> LeakyReLU(0.2)."""
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 4, stride=2, padding=1)]
    if norm:
        layers.append(nn.BatchNorm2d(c_out))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2))


def _up(c_in: int, c_out: int, dropout: float) -> nn.Sequential:
    """transposed conv 4 x 4 stride 2 (doubles the size) -> BatchNorm -> dropout -> ReLU."""
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1),
                         nn.BatchNorm2d(c_out), AlwaysDropout(dropout), nn.ReLU())


@dataclass(frozen=True)
class Pix2PixConfig:
    """The settings of a pix2pix run, passed by name: ``Pix2PixConfig(l1_weight=100, ...)``.

    width: channels of the first encoder stage (then 2 width, 4 width).  d_width: the
    discriminator's first channels.  l1_weight: lambda.  adversarial: False trains the
    L1-only baseline (no discriminator).  dropout: the decoder's dropout rate (the noise).
    training: the run's steps, batch size, learning rate, seed (``training.TrainConfig``);
    Adam (2e-4, betas 0.5, 0.999) as in the paper.
    """

    width: int = 32
    d_width: int = 32
    l1_weight: float = L1_WEIGHT
    adversarial: bool = True
    dropout: float = 0.5
    training: TrainConfig = TrainConfig(steps=600, batch_size=32, lr=2e-4, decay_from=0.5)

    def __post_init__(self) -> None:
        for name in ("width", "d_width"):
            value = getattr(self, name)
            if not is_integer(value) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        weight = self.l1_weight
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or \
                not (weight >= 0 and math.isfinite(weight)):
            raise ValueError(f"l1_weight must be a finite number >= 0, got {weight!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not isinstance(self.training, TrainConfig):
            raise TypeError(f"training must be a training.TrainConfig, got "
                            f"{type(self.training).__name__}")
        if self.training.d_steps != 1:
            raise ValueError(f"a pix2pix round plays one D step per G step: d_steps must be "
                             f"1, got {self.training.d_steps}")


class UNetGenerator(nn.Module):
    """G: x (N, 1, 16, 16) in [-1, 1] -> y (N, 1, 16, 16) in [-1, 1] (tanh).

        e1 = down(x)       (N, w, 8, 8)        d2 = up(e3)                (N, 2w, 4, 4)
        e2 = down(e1)      (N, 2w, 4, 4)       d1 = up(skip(d2, e2))      (N, w, 8, 8)
        e3 = down(e2)      (N, 4w, 2, 2)       y  = tanh(up(skip(d1, e1)))

    skip = ``unet_skip`` (or the function passed as ``skip``, e.g. a learner's). The decoder's
    two inner stages apply dropout (``config.dropout``) in train and eval mode alike.
    """

    def __init__(self, config: Pix2PixConfig = Pix2PixConfig(), skip: SkipFn = unet_skip):
        super().__init__()
        w = config.width
        self.config, self.skip, self.image_size, self.channels = config, skip, IMAGE_SIZE, 1
        self.down1, self.down2 = _down(1, w, norm=False), _down(w, 2 * w, norm=True)
        self.down3 = nn.Sequential(nn.Conv2d(2 * w, 4 * w, 4, stride=2, padding=1), nn.ReLU())
        self.up3 = _up(4 * w, 2 * w, config.dropout)
        self.up2 = _up(4 * w, w, config.dropout)
        self.up1 = nn.Sequential(nn.ConvTranspose2d(2 * w, 1, 4, stride=2, padding=1), nn.Tanh())
        self.apply(normal_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, 1, IMAGE_SIZE, "the generator's input")
        e1 = self.down1(x)
        e2 = self.down2(e1)
        d2 = self.up3(self.down3(e2))
        d1 = self.up2(self.skip(d2, e2))
        return self.up1(self.skip(d1, e1))


def patch_discriminator(config: Pix2PixConfig = Pix2PixConfig()) -> PatchDiscriminator:
    """D: [x, y] (N, 2, 16, 16) -> patch logits (N, 1, 8, 8): lesson 04's
    ``cyclegan.PatchDiscriminator`` on two channels (input and output stacked)."""
    return PatchDiscriminator(channels=2, image_size=IMAGE_SIZE, width=config.d_width)


# --- The game ---------------------------------------------------------------------------------

def l1_loss(fake: torch.Tensor, target: torch.Tensor, l1_weight: float) -> torch.Tensor:
    """The L1-only baseline's loss: l1_weight * mean |fake - target| (a scalar)."""
    return l1_weight * (fake - target).abs().mean()


def train_pix2pix(G: nn.Module, D: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                  config: Pix2PixConfig, g_loss_fn: GeneratorLossFn = pix2pix_generator_loss,
                  pair_fn: PairFn = pair_input) -> History:
    """Train G (and D, unless ``config.adversarial`` is False) on pairs inputs[i] -> targets[i],
    both (N, 1, 16, 16) in [-1, 1], with ``config``.

    Each of ``config.training.steps`` rounds draws batch_size pair indices (with replacement,
    from a CPU generator seeded by the training seed) and plays

        D step:  minimise  BCE(D(pair_fn(x, y)), 1) + BCE(D(pair_fn(x, G(x).detach())), 0)
        G step:  minimise  g_loss_fn(D(pair_fn(x, G(x))), G(x), y, config.l1_weight)

    (adversarial=False: no D step, and the G step minimises ``l1_loss``). g_loss_fn and
    pair_fn default to the course's; lesson 08 passes the learner's. Returns the History:
    losses "d" (0 without D), "g" and "l1" (the G step's mean |G(x) - y|).
    """
    check_images(inputs, 1, IMAGE_SIZE, "the inputs", in_range=True)
    check_images(targets, 1, IMAGE_SIZE, "the targets", in_range=True)
    if len(inputs) != len(targets):
        raise ValueError(f"need one target per input: {len(inputs)} inputs, "
                         f"{len(targets)} targets")
    device = module_device(G)
    n, weight = config.training.batch_size, config.l1_weight

    def play_round(rng: torch.Generator, opt_g: torch.optim.Optimizer,
                   opt_d: torch.optim.Optimizer) -> Losses:
        rows = random_index(len(inputs), n, rng)
        x, y = inputs[rows].to(device), targets[rows].to(device)
        fake = G(x)
        d_value = 0.0
        if config.adversarial:
            d_loss = discriminator_loss(D(pair_fn(x, y)).flatten(),
                                        D(pair_fn(x, fake.detach())).flatten())
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            d_value = d_loss.item()
            g_loss = g_loss_fn(D(pair_fn(x, fake)), fake, y, weight)
        else:
            g_loss = l1_loss(fake, y, weight)
            opt_d.step()   # D has no gradients: a no-op, so its scheduler steps in order
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        return {"d": d_value, "g": g_loss.item(), "l1": (fake - y).abs().mean().item()}

    return play_rounds(G, D, play_round, config.training)


@torch.no_grad()
def translate(G: nn.Module, images: torch.Tensor, seed: int = 0,
              batch_size: int = 500) -> torch.Tensor:
    """G(images) in batches on G's device, returned on the CPU, in eval mode. Dropout stays
    on (the noise), so the global torch RNG is seeded with ``seed`` first: the same seed
    gives the same outputs."""
    G.eval()
    torch.manual_seed(seed)
    device = module_device(G)
    return torch.cat([G(images[i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(images), batch_size)])


# --- Task (a): paired thin -> bold ------------------------------------------------------------

@dataclass(frozen=True)
class PairGrade:
    """How a translator G: A -> B does on held-out pairs (a, T(a)), graded as lesson 04's
    CycleGAN: label_keep = share of G(a), read back with ``domains.read_b``, that the
    classifier labels as a's digit; gt_err = mean |G(a) - T(a)| (pixels in [-1, 1])."""

    label_keep: float
    gt_err: float


@torch.no_grad()
def grade_pairs(G: nn.Module, test: PairedTest, classifier: DigitClassifier,
                seed: int = 0) -> PairGrade:
    """Grade G on ``test`` (held-out a (N, 1, 16, 16), b = T(a), labels (N,)) in eval mode,
    with the same two figures as ``cyclegan.grade_translation`` gives G_AB."""
    fake_b = translate(G, test.a, seed)
    return PairGrade(label_keep=accuracy(classifier, read_b(fake_b.clamp(-1, 1)), test.labels),
                     gt_err=(fake_b - test.b).abs().mean().item())


# --- Task (b): completing a digit -------------------------------------------------------------

def hide_bottom(images: torch.Tensor) -> torch.Tensor:
    """The completion task's input: images (N, 1, 16, 16) with the bottom ``HIDDEN_ROWS``
    rows set to background (-1). A new tensor; the top half is unchanged."""
    check_images(images, 1, IMAGE_SIZE, "the images")
    return keep_shown(images, torch.full_like(images, -1.0))


def keep_shown(shown: torch.Tensor, drawn: torch.Tensor) -> torch.Tensor:
    """A completion: the shown rows from ``shown``, the hidden rows from ``drawn``, both
    (N, 1, 16, 16) -> (N, 1, 16, 16):

        out = m * shown + (1 - m) * drawn,   m = 1 on the top 16 - HIDDEN_ROWS rows, 0 below.

    Gradients reach ``drawn`` through the hidden rows only.
    """
    check_images(shown, 1, IMAGE_SIZE, "the shown digits")
    check_images(drawn, 1, IMAGE_SIZE, "the drawn digits")
    if len(shown) != len(drawn):
        raise ValueError(f"need one drawn image per shown one: {len(shown)} shown, "
                         f"{len(drawn)} drawn")
    top = IMAGE_SIZE - HIDDEN_ROWS
    return torch.cat([shown[:, :, :top, :], drawn[:, :, top:, :]], dim=2)


class Completer(nn.Module):
    """Completion model: x (N, 1, 16, 16), bottom rows hidden -> keep_shown(x, G(x)).

    G (a ``UNetGenerator``) draws a whole digit; only its hidden rows are kept. Trained with
    ``train_pix2pix`` like any generator: its L1 term is still the mean over all 256 pixels,
    but the shown rows now add no error, and D judges pairs whose top halves agree exactly,
    as the real pairs' do. ``Completer(G, keep=False)`` returns G(x) whole (lesson 08 trains
    one to show what keeping the shown rows is worth).
    """

    def __init__(self, G: nn.Module, keep: bool = True):
        super().__init__()
        if not isinstance(keep, bool):
            raise TypeError(f"keep must be True (keep the shown rows) or False (G's whole "
                            f"output), got {keep!r}")
        self.G, self.keep = G, keep

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        drawn = self.G(x)
        return keep_shown(x, drawn) if self.keep else drawn


@dataclass(frozen=True)
class CompletionReport:
    """What the evaluation classifier says about completed digits (N of them).

    confidence: mean over images of the classifier's top softmax probability.
    accuracy: share whose predicted class is the true digit (the one whose top was shown).
    fid: Frechet distance between the classifier features of the real held-out digits and
    of the completions (lower: closer).  kid: KID (mean MMD^2 over random subsets) on the
    same features, with its standard deviation kid_std over the subsets.  grey: the share
    of the hidden rows' pixels that are grey rather than ink or background (``grey_share``;
    a blur raises it).
    """

    confidence: float
    accuracy: float
    fid: float
    kid: float
    kid_std: float
    grey: float


def grey_share(images: torch.Tensor) -> float:
    """Share of the pixels in the bottom ``HIDDEN_ROWS`` rows of images (N, 1, 16, 16) in
    [-1, 1] that lie nearer mid-grey (0) than both the background (-1) and the ink (+1):

        grey = mean over those pixels of [ |x| < 1/2 ].

    Real digits have some (their edges are soft); a washed-out stroke adds more."""
    check_images(images, 1, IMAGE_SIZE, "the images")
    hidden = images[:, :, IMAGE_SIZE - HIDDEN_ROWS:]
    return (hidden.abs() < 0.5).double().mean().item()


@torch.no_grad()
def judge_completions(completed: torch.Tensor, labels: torch.Tensor, real: torch.Tensor,
                      classifier: DigitClassifier, kid_subset: int = 100,
                      seed: int = 0) -> CompletionReport:
    """Judge completed digits (N, 1, 16, 16) whose true classes are ``labels`` (N,) against
    ``real`` digits (M, 1, 16, 16); see ``CompletionReport``. KID draws 10 pairs of subsets
    of ``kid_subset`` images from a generator seeded by ``seed``."""
    check_images(completed, 1, IMAGE_SIZE, "the completed digits")
    if len(labels) != len(completed):
        raise ValueError(f"need one label per image: {len(completed)} images, "
                         f"{len(labels)} labels")
    device = module_device(classifier)
    probs = F.softmax(classifier(completed.to(device)), dim=1).cpu()
    confidence = probs.max(dim=1).values.mean().item()
    accuracy = (probs.argmax(dim=1) == labels.cpu()).float().mean().item()
    fid = classifier_fid(real, completed, classifier)
    kid = kernel_inception_distance(extract_features(classifier, real),
                                    extract_features(classifier, completed),
                                    subset_size=kid_subset,
                                    generator=torch.Generator().manual_seed(seed))
    return CompletionReport(confidence, accuracy, fid, kid.mean, kid.std,
                            grey_share(completed.cpu()))
