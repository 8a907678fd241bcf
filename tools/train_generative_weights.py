"""Make lesson 11's shipped VAE and diffusion model, reproducibly, on the CPU.

    python tools/train_generative_weights.py              # both, the shipped settings
    python tools/train_generative_weights.py vae          # one of them
    python tools/train_generative_weights.py --steps 500 --no-ship   # a quick look

The lesson's live settings (``vae.VAEConfig()`` and ``diffusion.DiffusionConfig()``, seed 0,
one CPU thread) trained for ``SHIP_STEPS`` steps instead of the lesson's live 3,000 and 1,800,
the learning rates decaying over the last 40 %. Prints each model's training seconds and the
Frechet distance of 1,000 samples to the held-out digits (the lesson's judge and seed),
writes ``gan_course/weights/vae_digits.pt`` and ``diffusion_digits.pt`` and records their
sha256, settings and figures in MANIFEST.json. The length was not tuned: 8,000 steps is
the one length tried, chosen to take a few minutes per model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gan_course import diffusion, vae  # noqa: E402
from gan_course.checkpoints import register_weights, save_checkpoint  # noqa: E402
from gan_course.classifier import DigitClassifier  # noqa: E402
from gan_course.digits import load_digits  # noqa: E402
from gan_course.fid import classifier_fid  # noqa: E402

SHIP_STEPS = 8000
MADE_BY = "python tools/train_generative_weights.py"


def settings_of(config: object) -> dict:
    """The config's fields as plain values (the TrainConfig flattened with a ``train_`` prefix)."""
    fields = asdict(config)
    training = fields.pop("training")
    fields.update({f"train_{key}": list(value) if isinstance(value, tuple) else value
                   for key, value in training.items()})
    return fields


def judge_fid(fake: torch.Tensor) -> float:
    classifier = DigitClassifier.from_pretrained()
    return round(classifier_fid(load_digits(16, "heldout").images, fake, classifier), 2)


def make(which: str, steps: int, ship: bool) -> None:
    images = load_digits(16, "train").images
    generator = torch.Generator().manual_seed(10)
    started = time.perf_counter()
    if which == "vae":
        config = vae.VAEConfig()
        config = replace(config, training=replace(config.training, steps=steps, progress=False))
        model, _ = vae.train_vae(images, config)
        seconds = time.perf_counter() - started
        fake = model.sample(1000, generator=generator)
        name = vae.WEIGHTS_NAME
    else:
        config = diffusion.DiffusionConfig()
        config = replace(config, training=replace(config.training, steps=steps, progress=False))
        model, _ = diffusion.train_diffusion(images, config)
        seconds = time.perf_counter() - started
        fake = diffusion.sample(model, 1000, config, generator=generator, progress=False)
        name = diffusion.WEIGHTS_NAME
    fid = judge_fid(fake)
    print(f"{which}: {steps} steps in {seconds:.0f} s; FID of 1,000 samples {fid}")
    if not ship:
        return
    meta = dict(settings_of(config), train_seconds=round(seconds, 1), fid=fid)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.pt"
        save_checkpoint(model.state_dict(), path, **meta)
        register_weights(name, path, made_by=MADE_BY, **meta)
    print(f"wrote gan_course/weights/{name}.pt and its MANIFEST.json entry")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="vae, diffusion or both (the default)")
    parser.add_argument("--steps", type=int, default=SHIP_STEPS)
    parser.add_argument("--no-ship", action="store_true")
    args = parser.parse_args()
    unknown = sorted(set(args.models) - {"vae", "diffusion"})
    if unknown:
        parser.error(f"unknown models {unknown}; choose from vae, diffusion")
    torch.set_num_threads(1)
    for which in args.models or ["vae", "diffusion"]:
        make(which, args.steps, not args.no_ship)


if __name__ == "__main__":
    main()
