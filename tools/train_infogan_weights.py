"""Make lesson 10's shipped InfoGAN, reproducibly, on the CPU.

    python tools/train_infogan_weights.py            # the shipped settings
    python tools/train_infogan_weights.py --steps 500 --no-ship   # a quick look, nothing written

The lesson's settings (``infogan.InfoGANConfig()``: z of 8 numbers, width 32, batches of 64,
G at 1e-3 and D at 2e-4, lambda 1) trained for ``SHIP_STEPS`` rounds with seed ``SHIP_SEED``,
one CPU thread. Prints the code-class accuracy and the continuous-code correlations (the
lesson's measurements, with the lesson's seeds), writes ``gan_course/weights/infogan_digits.pt``
and records its sha256 and these figures in MANIFEST.json.

Why 2500 steps: a 4000-step run of the same settings and seed (measured every 250 steps on
1,000 digits) reached a code-class accuracy of 0.89 at step 2000 and ended at 0.80, as two
categorical values came to share the digits 3 and 9. So the length was chosen after seeing
that one run; the 2500-step run (its learning rates decaying over steps 1500-2500) is what
ships, with its figures in the manifest. Seed 0 is the only seed tried at these settings.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gan_course import infogan  # noqa: E402
from gan_course.checkpoints import register_weights, save_checkpoint  # noqa: E402
from gan_course.classifier import DigitClassifier  # noqa: E402
from gan_course.device import seed_everything  # noqa: E402
from gan_course.digits import load_digits  # noqa: E402

SHIP_STEPS = 2500
SHIP_SEED = 0
MADE_BY = "python tools/train_infogan_weights.py"


def measure(G: infogan.InfoGenerator, classifier: DigitClassifier) -> dict[str, float]:
    """The lesson's two figures for G (in eval mode), with the lesson's seeds."""
    codes, classes = infogan.classify_by_code(G, classifier, per_code=200,
                                              generator=torch.Generator().manual_seed(7))
    correlations = infogan.continuous_correlations(G, n=2000,
                                                   generator=torch.Generator().manual_seed(5))
    strongest = max(abs(c) for row in correlations.values() for c in row)
    return {"code_class_accuracy": round(infogan.code_class_accuracy(codes, classes), 4),
            "largest_abs_correlation": round(strongest, 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=SHIP_STEPS)
    parser.add_argument("--seed", type=int, default=SHIP_SEED)
    parser.add_argument("--no-ship", action="store_true", help="measure only, write nothing")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # one thread: the same arithmetic, so the same weights, anywhere
    base = infogan.InfoGANConfig()
    config = replace(base, training=replace(base.training, steps=args.steps, seed=args.seed))
    images = load_digits(16, "train").images
    seed_everything(args.seed)
    G, D = infogan.InfoGenerator(config), infogan.InfoDiscriminator(config)
    infogan.train_infogan(G, D, images, config)
    G.eval()
    figures = measure(G, DigitClassifier.from_pretrained())
    print(f"InfoGAN after {args.steps} steps (seed {args.seed}): {figures}")
    if args.no_ship:
        return 0
    meta = {"z_dim": config.z_dim, "n_categories": config.n_categories,
            "n_continuous": config.n_continuous, "width": config.width, "image_size": 16,
            "info_weight": config.info_weight, "learn_std": config.learn_std,
            "steps": args.steps, "seed": args.seed, "batch_size": config.training.batch_size,
            "lr": config.training.lr, "d_lr": config.training.d_lr,
            "decay_from": config.training.decay_from, **figures}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{infogan.WEIGHTS_NAME}.pt"
        save_checkpoint(G.state_dict(), path, **meta)
        register_weights(infogan.WEIGHTS_NAME, path, made_by=MADE_BY, **meta)
    print(f"registered {infogan.WEIGHTS_NAME} in gan_course/weights/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
