import math

import pytest
import torch

from gan_course.data2d import ring_centres
from gan_course.metrics import kl_to_uniform, mode_stats

CENTRES = ring_centres()
SIGMA = 0.01


def test_perfect_samples_capture_every_mode_evenly():
    samples = CENTRES.repeat(10, 1)
    stats = mode_stats(samples, CENTRES, SIGMA)
    assert stats.modes == 8 and stats.hq_pct == 100.0 and stats.kl == pytest.approx(0.0)
    assert stats.counts == [10] * 8


def test_collapsed_generator_captures_one_mode():
    samples = CENTRES[3] + 0.001 * torch.randn(100, 2)
    stats = mode_stats(samples, CENTRES, SIGMA)
    assert stats.modes == 1
    assert stats.kl == pytest.approx(math.log(8))


def test_three_sigma_threshold_and_nearest_centre():
    near = CENTRES[0] + torch.tensor([[2.9 * SIGMA, 0.0]])
    far = CENTRES[0] + torch.tensor([[3.1 * SIGMA, 0.0]])
    between = (CENTRES[0:1] + CENTRES[1:2]) / 2
    stats = mode_stats(torch.cat([near, far, between]), CENTRES, SIGMA)
    assert stats.counts[0] == 1 and sum(stats.counts) == 1
    assert stats.hq_pct == pytest.approx(100 / 3)


def test_kl_to_uniform_hand_value():
    # p = (1/2, 1/2, 0, 0) over 4 modes: KL = log 2
    assert kl_to_uniform(torch.tensor([5, 5, 0, 0])) == pytest.approx(math.log(2))
    assert kl_to_uniform(torch.zeros(4, dtype=torch.long)) == math.inf


def test_wrong_sample_shape():
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        mode_stats(torch.zeros(5, 3), CENTRES, SIGMA)
