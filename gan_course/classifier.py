"""The course's evaluation classifier for 16 x 16 digits, and what it measures on a generator
(lessons 02 to 07 judge their generators with it; lesson 03's synthetic-data experiment trains
fresh copies of it).

A small CNN trained on the digits' training split (``python -m tools.train_weights
classifier`` makes the shipped weights). Lessons use it as a judge:

* the class histogram of generated samples, and its KL divergence to uniform
  (0 when every digit is drawn equally often; log 10 ~ 2.30 when only one is);
* the mean confidence (largest softmax probability): low for blurry or ambiguous digits;
* a Frechet distance between its 64-d penultimate features of real and generated digits.
  This is the FID recipe on *this* classifier's features: useful to compare runs of this
  course, not comparable with published FIDs, which use Inception-v3 features of photos.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gan_course.checkpoints import load_pretrained
from gan_course.device import module_device
from gan_course.fid import feature_statistics, frechet_distance
from gan_course.modes import kl_to_uniform

FEATURES = 64
WEIGHTS_NAME = "digit_classifier"


class DigitClassifier(nn.Module):
    """(N, 1, 16, 16) in [-1, 1] -> class logits (N, 10); ``features`` gives (N, 64)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # -> (32, 8, 8)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # -> (64, 4, 4)
        )
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(64 * 4 * 4, FEATURES), nn.ReLU())
        self.head = nn.Linear(FEATURES, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate layer: (N, 1, 16, 16) -> (N, 64), what the Frechet distance compares."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 16, 16):
            raise ValueError(f"the classifier takes (N, 1, 16, 16) images, got {tuple(x.shape)}")
        return self.embed(self.conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    @classmethod
    def from_pretrained(cls, map_location: str | torch.device = "cpu") -> DigitClassifier:
        """The shipped classifier (``python tools/train_weights.py classifier`` made it),
        sha256-checked, on ``map_location``, in eval mode."""
        model = cls()
        checkpoint = load_pretrained(WEIGHTS_NAME, map_location=map_location)
        model.load_state_dict(checkpoint["state_dict"])
        return model.to(map_location).eval()


@dataclass(frozen=True)
class SampleReport:
    """What the classifier says about a set of images."""

    class_counts: list[int]
    class_kl: float
    mean_confidence: float
    fid: float | None


@torch.no_grad()
def judge(classifier: DigitClassifier, images: torch.Tensor,
          real_images: torch.Tensor | None = None, batch_size: int = 500) -> SampleReport:
    """Class histogram, KL(histogram || uniform), mean max-probability and, when real images
    are given, the Frechet distance between real and given images' features.

    images, real_images: (N, 1, 16, 16), (M, 1, 16, 16).  With p_i the softmax of image i:
    class_counts[k] = #{i : argmax p_i = k};  mean_confidence = mean_i max_k p_ik;
    fid = |mu_r - mu_g|^2 + tr(S_r + S_g - 2 (S_r S_g)^(1/2)) on the 64-d features.
    """
    device = module_device(classifier)
    probs, feats = [], []
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size].to(device)
        f = classifier.features(batch)
        feats.append(f.cpu())
        probs.append(F.softmax(classifier.head(f), dim=1).cpu())
    p = torch.cat(probs)
    counts = torch.bincount(p.argmax(1), minlength=10)
    fid = None
    if real_images is not None:
        real_feats = [classifier.features(real_images[i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(real_images), batch_size)]
        real_stats = feature_statistics(torch.cat(real_feats))
        fid = frechet_distance(*real_stats, *feature_statistics(torch.cat(feats)))
    return SampleReport(counts.tolist(), kl_to_uniform(counts), p.max(1).values.mean().item(), fid)


@torch.no_grad()
def accuracy(classifier: DigitClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``images`` (N, 1, 16, 16) whose predicted class equals ``labels`` (N,)."""
    device = module_device(classifier)
    predicted = classifier(images.to(device)).argmax(1).cpu()
    return (predicted == labels).float().mean().item()
