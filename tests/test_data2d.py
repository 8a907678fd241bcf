import math

import pytest
import torch

from gan_course.data2d import get_dataset, grid_centres, mixture_density, ring_centres


def test_ring_has_eight_distinct_centres_on_the_unit_circle():
    centres = ring_centres()
    assert centres.shape == (8, 2)
    assert torch.allclose(centres.norm(dim=1), torch.ones(8), atol=1e-6)
    closest_pair = torch.cdist(centres, centres).add(torch.eye(8) * 10).min()
    assert closest_pair == pytest.approx(2 * math.sin(math.pi / 8), abs=1e-5)


def test_grid_centres_are_the_standard_5x5():
    centres = grid_centres()
    expected = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(c) for c in centres.round().int().tolist()} == expected
    assert torch.equal(centres, centres.round())


@pytest.mark.parametrize("name,sigma", [("ring", 0.01), ("grid", 0.05)])
def test_mixture_samples_sit_around_the_centres(name, sigma):
    data = get_dataset(name)
    assert data.sigma == sigma
    x = data.sample(20_000, torch.Generator().manual_seed(0))
    offsets = x - data.centres[torch.cdist(x, data.centres).argmin(1)]
    assert offsets.std().item() == pytest.approx(sigma, rel=0.05)
    counts = torch.bincount(torch.cdist(x, data.centres).argmin(1), minlength=len(data.centres))
    assert counts.min() > 0.7 * 20_000 / len(data.centres)


@pytest.mark.parametrize("name", ["spiral", "moons"])
def test_smooth_shapes_sample_inside_their_extent(name):
    data = get_dataset(name)
    x = data.sample(5000, torch.Generator().manual_seed(1))
    assert x.shape == (5000, 2)
    assert x.abs().max() < data.extent
    with pytest.raises(ValueError, match="no closed-form density"):
        data.density(x)


def test_sampling_is_reproducible_with_a_generator():
    ring = get_dataset("ring")
    a = ring.sample(10, torch.Generator().manual_seed(3))
    b = ring.sample(10, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_unknown_dataset_names_the_choices():
    with pytest.raises(ValueError, match="Valid choices: ring, grid, spiral, moons"):
        get_dataset("rings")


@pytest.mark.parametrize("n", [0, -5, 2.5])
def test_bad_sample_size(n):
    with pytest.raises(ValueError, match="positive integer"):
        get_dataset("ring").sample(n)


def test_mixture_density_integrates_to_one():
    centres = grid_centres(3, 2.0)
    xs = torch.linspace(-4, 4, 401)
    yy, xx = torch.meshgrid(xs, xs, indexing="ij")
    density = mixture_density(torch.stack([xx.flatten(), yy.flatten()], 1), centres, 0.3)
    cell = (xs[1] - xs[0]).item() ** 2
    assert density.sum().item() * cell == pytest.approx(1.0, abs=1e-3)
    peak = mixture_density(centres[:1], centres, 0.3).item()
    assert peak == pytest.approx(1 / (9 * 2 * math.pi * 0.09), rel=1e-3)
