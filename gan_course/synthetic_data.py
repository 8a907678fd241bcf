"""Does GAN-made data help a classifier that has only a few real examples? (Lesson 03 runs
the experiment; lesson 07 recalls its result.)

The experiment, run the same way with and without synthetic images:

1. pick ``per_class`` real training digits of each class (a seeded choice);
2. train a fresh classifier (the course's ``DigitClassifier`` architecture) on them alone,
   or on them plus ``synthetic_per_class`` images of each class from a conditional generator;
3. measure its accuracy on the held-out real digits.

Repeating it over several seeds gives a mean and a spread, so that a difference can be told
apart from luck. Whatever comes out is the answer: synthetic data can help, do nothing, or
hurt (when the generator's mistakes teach the classifier wrong things).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from gan_course.classifier import DigitClassifier, accuracy
from gan_course.digits import ImageData
from gan_course.training import random_index


@dataclass(frozen=True)
class ExperimentResult:
    """Held-out accuracies per seed, without (real) and with (mixed) synthetic images."""

    seeds: list[int]
    acc_real: list[float]
    acc_mixed: list[float]

    def gains(self) -> list[float]:
        """Per seed, the paired difference: accuracy with synthetic data minus without."""
        return [mixed - real for real, mixed in zip(self.acc_real, self.acc_mixed)]

    def summary(self) -> dict[str, float]:
        """Mean and *sample* standard deviation (n - 1 in the denominator; over seeds) of both
        accuracies and of the per-seed gain. Needs at least two seeds."""
        if len(self.seeds) < 2:
            raise ValueError(f"a standard deviation needs at least two seeds, got {self.seeds}")
        gains = self.gains()
        return {
            "aug_acc_real": statistics.mean(self.acc_real),
            "aug_acc_real_std": statistics.stdev(self.acc_real),
            "aug_acc_mixed": statistics.mean(self.acc_mixed),
            "aug_acc_mixed_std": statistics.stdev(self.acc_mixed),
            "aug_gain": statistics.mean(gains),
            "aug_gain_std": statistics.stdev(gains),
        }


def few_per_class(data: ImageData, per_class: int, seed: int) -> ImageData:
    """A seeded choice of ``per_class`` examples of every class from ``data``: images
    (10 per_class, C, H, W) and labels (10 per_class,), class by class."""
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    rng = torch.Generator().manual_seed(seed)
    chosen = []
    for digit in range(10):
        members = torch.nonzero(data.labels == digit).flatten()
        if len(members) < per_class:
            raise ValueError(f"class {digit} has only {len(members)} examples")
        chosen.append(members[torch.randperm(len(members), generator=rng)[:per_class]])
    keep = torch.cat(chosen)
    return ImageData(data.images[keep], data.labels[keep])


def train_classifier(data: ImageData, steps: int = 300, batch_size: int = 64,
                     seed: int = 0) -> DigitClassifier:
    """A fresh DigitClassifier trained with Adam (lr 2e-3) on batches drawn from ``data``.

    data: images (N, 1, 16, 16) and labels (N,). Each of ``steps`` steps draws
    ``batch_size`` examples with replacement and minimises the cross-entropy
    L = -mean_i log softmax(f(x_i))[y_i]. The model starts from ``seed`` and the batches are
    drawn with a CPU generator seeded by it too.
    """
    torch.manual_seed(seed)
    model = DigitClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    rng = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = random_index(len(data), batch_size, rng)
        loss = F.cross_entropy(model(data.images[idx]), data.labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@torch.no_grad()
def synthetic_digits(sample: Callable[[torch.Tensor, torch.Generator], torch.Tensor],
                     per_class: int, seed: int) -> ImageData:
    """``per_class`` images of each digit from ``sample(labels, generator) -> images``:
    labels (10 per_class,) = 0, ..., 0, 1, ..., 9 and the images made for them, on the CPU."""
    labels = torch.arange(10).repeat_interleave(per_class)
    images = sample(labels, torch.Generator().manual_seed(10_000 + seed)).cpu()
    return ImageData(images, labels)


def augmentation_experiment(
    sample: Callable[[torch.Tensor, torch.Generator], torch.Tensor],
    train_data: ImageData,
    test_data: ImageData,
    per_class: int = 10,
    synthetic_per_class: int = 100,
    seeds: tuple[int, ...] = (0, 1, 2),
    steps: int = 300,
) -> ExperimentResult:
    """Held-out accuracy of classifiers trained on few real digits, alone and with synthetic
    ones from ``sample(labels, generator)`` (e.g. a conditional generator's ``sample``)."""
    acc_real, acc_mixed = [], []
    for seed in tqdm(seeds, desc="seeds"):
        real = few_per_class(train_data, per_class, seed)
        fake = synthetic_digits(sample, synthetic_per_class, seed)
        mixed = ImageData(torch.cat([real.images, fake.images]),
                          torch.cat([real.labels, fake.labels]))
        for data, scores in ((real, acc_real), (mixed, acc_mixed)):
            model = train_classifier(data, steps=steps, seed=seed)
            scores.append(accuracy(model, test_data.images, test_data.labels))
    return ExperimentResult(list(seeds), acc_real, acc_mixed)
