"""The image version of minibatch standard deviation and the class-histogram tracker."""

from __future__ import annotations

import pytest
import torch

from gan_course.classifier import DigitClassifier
from gan_course.cures import batch_spread
from gan_course.dcgan import DCGANDiscriminator
from gan_course.digit_collapse import (
    CURES,
    DigitsCollapseSettings,
    MinibatchStdDCGANDiscriminator,
    minibatch_std_map,
    train_digits_with_histogram,
)
from gan_course.training import TrainConfig


def test_minibatch_std_map_appends_the_hand_computed_spread():
    # two samples, one channel, 1 x 2 maps: per-position values (0, 2) and (1, 1)
    h = torch.tensor([[[[0.0, 1.0]]], [[[2.0, 1.0]]]])
    out = minibatch_std_map(h)
    assert out.shape == (2, 2, 1, 2)
    assert torch.equal(out[:, :1], h)
    expected = (torch.sqrt(torch.tensor(1.0 + 1e-8)) + torch.sqrt(torch.tensor(1e-8))) / 2
    assert torch.allclose(out[:, 1], expected.expand(2, 1, 2))
    # the spread is the one the 2-D cure computes (cures.batch_spread), to the bit
    h = torch.randn(6, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(minibatch_std_map(h)[0, 3, 0, 0], batch_spread(h))


def test_minibatch_std_map_is_tiny_for_a_collapsed_batch_and_rejects_bad_shapes():
    same = torch.randn(1, 3, 4, 4).expand(8, 3, 4, 4)
    assert minibatch_std_map(same)[:, 3].max() < 1e-3
    with pytest.raises(ValueError, match="N >= 2"):
        minibatch_std_map(torch.randn(1, 3, 4, 4))
    with pytest.raises(ValueError, match="N >= 2"):
        minibatch_std_map(torch.randn(4, 3))


def test_minibatch_std_discriminator_matches_dcgan_shapes_and_checks_input():
    torch.manual_seed(0)
    D = MinibatchStdDCGANDiscriminator(16, 1, width=8)
    assert D(torch.randn(5, 1, 16, 16)).shape == (5,)
    plain = DCGANDiscriminator(16, 1, width=8)
    assert D.head.in_channels == plain.net[-1].in_channels + 1
    with pytest.raises(ValueError, match=r"\(N, 1, 16, 16\)"):
        D(torch.randn(5, 3, 16, 16))


def test_histogram_tracker_counts_every_tracked_sample_at_every_snapshot():
    torch.manual_seed(0)
    images = torch.rand(64, 1, 16, 16) * 2 - 1
    classifier = DigitClassifier().eval()
    settings = DigitsCollapseSettings(
        config=TrainConfig(steps=4, batch_size=8, snapshot_every=2, progress=False),
        width=8, z_dim=4, n_track=20)
    steps, counts = train_digits_with_histogram(images, classifier, cure="minibatch-std",
                                                settings=settings)
    assert steps == [0, 2, 4]
    assert counts.shape == (3, 10)
    assert (counts.sum(dim=1) == 20).all()


def test_the_cure_is_chosen_by_name_and_unknown_names_are_refused():
    assert CURES["none"] is DCGANDiscriminator
    assert CURES["minibatch-std"] is MinibatchStdDCGANDiscriminator
    with pytest.raises(ValueError, match="none, minibatch-std"):
        train_digits_with_histogram(torch.zeros(4, 1, 16, 16), DigitClassifier(), cure="pacgan")


def test_lessons_setting_has_one_latent_number_and_one_source():
    settings = DigitsCollapseSettings()
    assert settings.z_dim == 1
    assert (settings.config.steps, settings.config.batch_size, settings.config.lr) == (
        1000, 32, 1e-3)
    assert settings.config.snapshot_every == 50 and settings.n_track == 500
