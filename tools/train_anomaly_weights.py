"""Make lesson 07's ten shipped anomaly detectors, reproducibly, on the CPU.

    python tools/train_anomaly_weights.py

For each digit 0-9, one f-AnoGAN detector (DCGAN, then its encoder) trained on the other
nine digits with the lesson's own recipe (``anomaly.DETECTOR_GAN``, ``DETECTOR_ENCODER``):
the lesson trains the digit-0 detector itself and scores all ten, which would not fit its
time budget if it trained them. One CPU thread, seeded (23 minutes on the project's shared
2-core machine). The weights are stored as float16 (3.4 MB) in ``gan_course/weights/`` and
their sha256 recorded in MANIFEST.json. Prints each detector's encoder AUROC on its held-out
test (the lesson recomputes them).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gan_course import anomaly  # noqa: E402
from gan_course.checkpoints import register_weights, save_checkpoint  # noqa: E402
from gan_course.digits import load_digits  # noqa: E402

MADE_BY = "python tools/train_anomaly_weights.py"


def half(state_dict: dict) -> dict:
    """Floating-point tensors stored as float16 (half the file; ``load_state_dict`` turns
    them back into float32); integer counters kept as they are."""
    return {key: value.half() if value.is_floating_point() else value
            for key, value in state_dict.items()}


def main() -> int:
    torch.set_num_threads(1)  # one thread: the same arithmetic, so the same weights, anywhere
    train_set, heldout = load_digits(16, "train"), load_digits(16, "heldout")
    gan, encoder = anomaly.DETECTOR_GAN, anomaly.DETECTOR_ENCODER
    state = {}
    for digit in range(10):
        task = anomaly.leave_one_out(train_set, heldout, digit)
        detector = anomaly.train_detector(task.normal_train, gan, encoder)
        scores = [anomaly.encoder_scores(x, detector.G, detector.D, detector.E)
                  for x in (task.normal_test, task.anomalies)]
        print(f"digit {digit} left out: encoder AUROC {anomaly.auroc(*scores):.3f}", flush=True)
        state[str(digit)] = {"G": half(detector.G.state_dict()),
                             "D": half(detector.D.state_dict()),
                             "E": half(detector.E.state_dict())}
    meta = {"z_dim": gan.z_dim, "width": gan.width, "max_shift": gan.max_shift,
            "image_size": 16, "encoder_width": anomaly.ENCODER_WIDTH,
            "gan_steps": gan.training.steps, "gan_batch_size": gan.training.batch_size,
            "gan_lr": gan.training.lr, "gan_decay_from": gan.training.decay_from,
            "encoder_steps": encoder.steps, "encoder_batch_size": encoder.batch_size,
            "encoder_lr": encoder.lr, "seed": gan.training.seed, "dtype": "float16"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{anomaly.DETECTORS_NAME}.pt"
        save_checkpoint(state, path, **meta)
        register_weights(anomaly.DETECTORS_NAME, path, made_by=MADE_BY, **meta)
    print(f"registered {anomaly.DETECTORS_NAME} in gan_course/weights/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
