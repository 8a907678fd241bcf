import math

import numpy as np
import pytest
import torch

from gan_course.data2d import Toy2D, get_dataset, grid_centres, mixture_density, ring_centres


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


@pytest.mark.parametrize("n", [0, -5, 2.5, True, np.int64(0)])
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


@pytest.mark.parametrize("make,message", [
    (lambda: ring_centres(0), "n_modes must be an integer >= 1, got 0"),
    (lambda: ring_centres(2.5), "n_modes must be an integer >= 1, got 2.5"),
    (lambda: ring_centres(True), "n_modes must be an integer >= 1, got True"),
    (lambda: ring_centres(8, radius=0), "radius must be a positive number, got 0"),
    (lambda: grid_centres(0), "n_per_side must be an integer >= 1, got 0"),
    (lambda: grid_centres(3, spacing=float("nan")), "spacing must be a positive number"),
    (lambda: Toy2D("ring", ring_centres(), sigma=0), "sigma must be a positive number, got 0"),
    (lambda: Toy2D("ring", ring_centres(), sigma=None), "sigma must be a positive number"),
    (lambda: mixture_density(torch.zeros(1, 2), ring_centres(), 0.0),
     "sigma must be a positive number, got 0.0"),
])
def test_bad_mixture_settings_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_numpy_integers_count():
    assert torch.equal(ring_centres(np.int64(4)), ring_centres(4))
    assert torch.equal(grid_centres(np.int32(2)), torch.tensor([[-1.0, -1], [-1, 1], [1, -1],
                                                                 [1, 1]]))
    assert get_dataset("moons").sample(np.int64(3)).shape == (3, 2)
    assert ring_centres(1).tolist() == [[1.0, 0.0]]   # one mode, at angle 0
