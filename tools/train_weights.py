"""Make the weights that ship with the course, reproducibly, on the CPU.

    python tools/train_weights.py classifier     # the digit evaluation classifier
    python tools/train_weights.py dcgan-digits   # the DCGAN for 16 x 16 digits
    python tools/train_weights.py cgan-digits    # the conditional GAN for 16 x 16 digits
    python tools/train_weights.py cyclegan-digits  # lesson 04's CycleGAN (thin <-> bold)
    python tools/train_weights.py all

Each run is seeded, uses one CPU thread and prints the figures it reached; the weights are
written into ``gan_course/weights/`` and their sha256 recorded in its MANIFEST.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import trange

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gan_course.checkpoints import register_weights, save_checkpoint  # noqa: E402
from gan_course.classifier import (  # noqa: E402
    WEIGHTS_NAME,
    DigitClassifier,
    accuracy,
)
from gan_course.conditional import (  # noqa: E402
    TRAIN_DEFAULTS,
    ConditionalGenerator,
    ProjectionDiscriminator,
    conditional_accuracy,
    train_conditional,
)
from gan_course.dcgan import DCGAN_TRAINING, DCGANConfig, train_gan  # noqa: E402
from gan_course.device import seed_everything  # noqa: E402
from gan_course.digits import load_digits  # noqa: E402

CLASSIFIER_EPOCHS = 30
DCGAN_STEPS = 4000  # twice the lesson's default
CYCLEGAN_STEPS = 2500  # lesson 04 trains 300 steps
CGAN_STEPS = 4000  # twice the lesson's default


def shift(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Move each image by up to one pixel in x and y (background fills in): augmentation."""
    padded = F.pad(images, (1, 1, 1, 1), value=-1.0)
    out = torch.empty_like(images)
    offsets = torch.randint(0, 3, (len(images), 2), generator=generator)
    for i, (dy, dx) in enumerate(offsets.tolist()):
        out[i] = padded[i, :, dy:dy + 16, dx:dx + 16]
    return out


def train_classifier() -> None:
    rng = seed_everything(0)
    train, held = load_digits(16, "train"), load_digits(16, "heldout")
    model = DigitClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in trange(CLASSIFIER_EPOCHS, desc="classifier epochs"):
        order = torch.randperm(len(train), generator=rng)
        for start in range(0, len(order), 64):
            idx = order[start:start + 64]
            loss = F.cross_entropy(model(shift(train.images[idx], rng)), train.labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    acc = accuracy(model, held.images, held.labels)
    print(f"classifier held-out accuracy: {acc:.4f}")
    _ship(WEIGHTS_NAME, model.state_dict(), "python tools/train_weights.py classifier",
          heldout_accuracy=round(acc, 4), epochs=CLASSIFIER_EPOCHS)


def train_dcgan() -> None:
    images = load_digits(16, "train").images
    config = DCGANConfig(z_dim=32, width=64, max_shift=1,
                         training=replace(DCGAN_TRAINING, steps=DCGAN_STEPS, seed=0))
    G = train_gan(images, config=config, device="cpu").G
    _ship("dcgan_digits", G.state_dict(), "python tools/train_weights.py dcgan-digits",
          z_dim=config.z_dim, image_size=16, width=config.width, steps=DCGAN_STEPS,
          max_shift=config.max_shift)


def train_cgan() -> None:
    data = load_digits(16, "train")
    seed_everything(0)
    G, D = ConditionalGenerator(32, 10, 16, 1, 64), ProjectionDiscriminator(10, 16, 1, 64)
    config = replace(TRAIN_DEFAULTS, steps=CGAN_STEPS, seed=0)
    train_conditional(G, D, data.images, data.labels, config=config, max_shift=1)
    G.eval()
    classifier = DigitClassifier.from_pretrained()
    acc, _ = conditional_accuracy(G, classifier, 1000, torch.Generator().manual_seed(0))
    print(f"conditional GAN: classifier agrees with the requested class {acc:.3f}")
    _ship("cgan_digits", G.state_dict(), "python tools/train_weights.py cgan-digits",
          z_dim=32, n_classes=10, image_size=16, channels=1, width=64, steps=CGAN_STEPS,
          max_shift=1, discriminator="projection", conditional_accuracy=round(acc, 3))


def train_cyclegan_digits() -> None:
    """Lesson 04's CycleGAN (thin <-> bold digits): the lesson's networks, trained longer."""
    from gan_course import cyclegan
    from gan_course.domains import make_paired_test, make_unpaired_domains

    config = cyclegan.DEFAULT.with_training(steps=CYCLEGAN_STEPS)
    domains = make_unpaired_domains(seed=0)
    seed_everything(0)
    model = cyclegan.CycleGAN.from_config(config)
    cyclegan.train_cyclegan(model, domains.a, domains.b, config)
    classifier = DigitClassifier.from_pretrained()
    report = cyclegan.grade_translation(model, make_paired_test(), classifier)
    print(f"CycleGAN on held-out digits: {report.rounded()}")
    state = {"G_AB": model.G_AB.state_dict(), "G_BA": model.G_BA.state_dict()}
    _ship(cyclegan.WEIGHTS_NAME, state, "python tools/train_weights.py cyclegan-digits",
          channels=1, image_size=16, **cyclegan.config_dict(config), **report.rounded())


def _ship(name: str, state_dict: dict, made_by: str, **meta: object) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.pt"
        save_checkpoint(state_dict, path, **meta)
        register_weights(name, path, made_by=made_by, **meta)
    print(f"registered {name} in gan_course/weights/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["classifier", "dcgan-digits", "cgan-digits",
                                         "cyclegan-digits", "all"])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # one thread: the same arithmetic, so the same weights, anywhere
    if args.what in ("classifier", "all"):
        train_classifier()
    if args.what in ("dcgan-digits", "all"):
        train_dcgan()
    if args.what in ("cgan-digits", "all"):
        train_cgan()
    if args.what in ("cyclegan-digits", "all"):
        train_cyclegan_digits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
