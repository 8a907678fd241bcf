import math

import pytest
import torch

from gan_course.data2d import ring_centres
from gan_course.modes import kl_to_uniform, mode_stats, well_covered_modes

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


def test_count_fn_gives_the_headline_figures_and_sees_clean_samples():
    seen = {}

    def my_count(samples, centres, sigma):
        seen.update(dtype=samples.dtype, grad=samples.requires_grad, sigma=sigma)
        return 5, 12.5

    samples = (CENTRES.repeat(3, 1) + 0.001).double().requires_grad_(True)
    stats = mode_stats(samples, CENTRES, SIGMA, count_fn=my_count)
    assert (stats.modes, stats.hq_pct) == (5, 12.5)  # whatever the function says
    assert stats.counts == [3] * 8 and stats.kl == pytest.approx(0.0)  # computed here
    assert seen == {"dtype": torch.float32, "grad": False, "sigma": SIGMA}


def test_count_fn_equal_to_the_protocol_changes_nothing():
    samples = CENTRES[torch.arange(200) % 5] + 0.02 * torch.randn(200, 2,
                                                                  generator=torch.Generator()
                                                                  .manual_seed(0))
    plain = mode_stats(samples, CENTRES, SIGMA)

    def protocol(s, c, sigma):
        stats = mode_stats(s, c, sigma)
        return stats.modes, stats.hq_pct

    assert mode_stats(samples, CENTRES, SIGMA, count_fn=protocol) == plain


def test_well_covered_modes_asks_for_a_share_of_an_even_spread():
    # 4 modes, 400 samples: an even spread is 100 each; a quarter of it is 25 (inclusive)
    assert well_covered_modes([25, 24, 200, 0], 400, 0.25) == 2
    assert well_covered_modes([25, 24, 200, 0], 800, 0.25) == 1  # now 50 are needed
    # the grid's 25 modes and 2,500 samples: the default share 0.2 asks for 20
    assert well_covered_modes([20] * 5 + [19] * 20, 2500) == 5
    # a captured mode (one sample) is not necessarily well covered
    stats = mode_stats(torch.cat([CENTRES[:1].repeat(99, 1), CENTRES[1:2]]), CENTRES, SIGMA)
    assert stats.modes == 2 and well_covered_modes(stats.counts, 100) == 1
    with pytest.raises(ValueError, match="n_samples > 0"):
        well_covered_modes([], 100)
