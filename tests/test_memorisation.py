import pytest
import torch

from gan_course.memorisation import memorisation_report, nearest_neighbours


def test_nearest_neighbours_on_a_line():
    reference = torch.tensor([[0.0], [1.0], [3.0], [10.0]])
    queries = torch.tensor([[0.9], [2.5], [-4.0]])
    dist, index = nearest_neighbours(queries, reference, k=2)
    assert index.dtype == torch.int64
    assert index.tolist() == [[1, 0], [2, 1], [0, 1]]
    assert torch.allclose(dist, torch.tensor([[0.1, 0.9], [0.5, 1.5], [4.0, 5.0]],
                                             dtype=torch.float64))


def test_nearest_neighbours_flattens_images_and_matches_brute_force():
    torch.manual_seed(0)
    queries, reference = torch.randn(37, 1, 4, 4), torch.randn(53, 1, 4, 4)
    dist, index = nearest_neighbours(queries, reference, k=3, batch_size=10)
    brute = ((queries.reshape(37, 1, 16) - reference.reshape(1, 53, 16)) ** 2).sum(-1).sqrt()
    expected_dist, expected_index = brute.sort(dim=1)
    assert dist.shape == index.shape == (37, 3)
    assert torch.allclose(dist.float(), expected_dist[:, :3], atol=1e-5)
    assert torch.equal(index, expected_index[:, :3])


def test_nearest_neighbours_of_exact_copies_are_at_distance_zero():
    torch.manual_seed(1)
    reference = torch.rand(100, 1, 16, 16) * 2 - 1
    dist, index = nearest_neighbours(reference[[5, 17, 99]], reference)
    assert dist.max().item() < 1e-6
    assert index[:, 0].tolist() == [5, 17, 99]


def test_nearest_neighbours_refuses_bad_input():
    with pytest.raises(ValueError, match="same size"):
        nearest_neighbours(torch.zeros(2, 3), torch.zeros(4, 5))
    with pytest.raises(ValueError, match="k must be"):
        nearest_neighbours(torch.zeros(2, 3), torch.zeros(4, 3), k=5)
    with pytest.raises(TypeError):
        nearest_neighbours([[0.0]], torch.zeros(4, 1))


def _real_world(seed: int = 0):
    """Train, held-out and fresh samples from the same distribution (64-d Gaussian)."""
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(500, 64, generator=g), torch.randn(200, 64, generator=g),
            torch.randn(200, 64, generator=g))


def test_a_generator_that_copies_the_training_set_is_flagged():
    train, heldout, _ = _real_world()
    copies = train[torch.randint(len(train), (200,), generator=torch.Generator().manual_seed(3))]
    report = memorisation_report(copies, train, heldout)
    assert report.copy_fraction == 1.0
    assert report.flagged
    assert report.median_ratio < 1e-6
    assert "COPYING" in str(report)


def test_slightly_perturbed_copies_are_still_flagged():
    train, heldout, _ = _real_world()
    copies = train[:200] + 0.05 * torch.randn(200, 64, generator=torch.Generator().manual_seed(4))
    assert memorisation_report(copies, train, heldout).flagged


def test_fresh_samples_from_the_same_distribution_are_not_flagged():
    train, heldout, fresh = _real_world()
    report = memorisation_report(fresh, train, heldout)
    assert report.copy_fraction < 0.05
    assert not report.flagged
    assert report.nn_dist_samples.shape == (200,)
    assert report.nn_dist_heldout.shape == (200,)
    assert report.threshold == pytest.approx(float(torch.quantile(report.nn_dist_heldout, 0.01)))


def test_a_partial_copier_crosses_the_flag_level():
    train, heldout, fresh = _real_world()
    mixed = torch.cat([fresh[:180], train[:20]])   # 10 % copies
    report = memorisation_report(mixed, train, heldout)
    assert 0.09 <= report.copy_fraction <= 0.15
    assert report.flagged
    assert torch.equal(report.nn_index_samples[180:], torch.arange(20))


def test_memorisation_report_checks_its_settings():
    train, heldout, fresh = _real_world()
    with pytest.raises(ValueError, match="quantile"):
        memorisation_report(fresh, train, heldout, quantile=1.5)
    with pytest.raises(ValueError, match="flag_at"):
        memorisation_report(fresh, train, heldout, flag_at=-0.1)
