import pytest
import torch

from gan_course import degradations


def _images(n=20, seed=0):
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_gaussian_kernel_sums_to_one_and_is_symmetric():
    w = degradations.gaussian_kernel(1.0)
    assert len(w) == 7
    assert w.sum().item() == pytest.approx(1.0)
    assert torch.allclose(w, w.flip(0))
    assert w[3] / w[4] == pytest.approx(torch.exp(torch.tensor(0.5)).item())


def test_blur_keeps_constant_images_and_shape():
    flat = torch.full((3, 1, 8, 8), 0.25)
    assert torch.allclose(degradations.blur(flat, 1.5), flat)
    x = _images()
    blurred = degradations.blur(x, 1.0)
    assert blurred.shape == x.shape
    # Blurring averages neighbours, so pixel-to-pixel differences shrink.
    assert blurred.diff(dim=-1).abs().mean() < 0.5 * x.diff(dim=-1).abs().mean()


def test_blur_keeps_a_ramp_away_from_the_edges():
    # A symmetric kernel that sums to 1 maps a linear ramp to itself: sum_t w_t (a + b t) = a.
    # Within 3 pixels (the kernel's radius for sigma = 1) of an edge, the border is repeated.
    ramp = (torch.arange(16.0) / 8 - 1).view(1, 1, 1, 16).repeat(2, 1, 16, 1)
    blurred = degradations.blur(ramp, 1.0)
    assert torch.allclose(blurred[..., 3:13], ramp[..., 3:13], atol=1e-6)
    assert blurred[0, 0, 0, 0] > ramp[0, 0, 0, 0]     # the repeated border pulls the ends in


def test_blur_of_a_single_dot_is_the_outer_product_of_the_kernel():
    dot = torch.zeros(1, 1, 16, 16)
    dot[0, 0, 7, 7] = 1.0
    w = degradations.gaussian_kernel(1.0)
    expected = torch.zeros(16, 16)
    expected[4:11, 4:11] = torch.outer(w, w)
    assert torch.allclose(degradations.blur(dot, 1.0)[0, 0], expected, atol=1e-7)


def test_noise_is_seeded_and_clipped():
    x = _images()
    a = degradations.add_noise(x, 0.5, torch.Generator().manual_seed(1))
    b = degradations.add_noise(x, 0.5, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    assert a.min() >= -1 and a.max() <= 1
    assert torch.equal(degradations.add_noise(x, 0.0), x)
    # Second computation: the same seed's standard normals e, then clip(x + 0.5 e, -1, 1).
    e = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(a, (x + 0.5 * e).clamp(-1, 1))
    unclipped = (x + 0.5 * e).abs() < 1
    assert unclipped.float().mean() > 0.4 and torch.allclose(a[unclipped] - x[unclipped],
                                                               0.5 * e[unclipped], atol=1e-6)


def test_drop_class():
    x, labels = _images(), torch.arange(20) % 4
    kept = degradations.drop_class(x, labels, 2)
    assert torch.equal(kept, x[labels != 2])
    some = degradations.drop_class(x, labels, 2, n=10, generator=torch.Generator().manual_seed(0))
    assert len(some) == 10
    # Find each drawn image in x: ten different images, none of them labelled 2.
    where = [(x.flatten(1) == row.flatten()).all(1).nonzero().item() for row in some]
    assert len(set(where)) == 10 and all(labels[i] != 2 for i in where)
    with pytest.raises(ValueError, match="only 15"):
        degradations.drop_class(x, labels, 2, n=16)


def test_memorised_copies_are_distinct_training_images_outside_exclude():
    train = _images(30)
    copies = degradations.memorised_copies(train, 20, torch.Generator().manual_seed(0),
                                           exclude=torch.arange(10))
    matches = [(train.flatten(1) == c.flatten()).all(1).nonzero().flatten().tolist()
               for c in copies]
    found = [m[0] for m in matches]
    assert sorted(found) == list(range(10, 30))


def test_collapse_repeats_few_images():
    x = _images()
    out = degradations.collapse(x, 12, n_distinct=3, generator=torch.Generator().manual_seed(0))
    assert out.shape == (12, 1, 8, 8)
    assert len(torch.unique(out.flatten(1), dim=0)) == 3
    # out_i = chosen_(i mod 3), each chosen image one of x's.
    for i in range(12):
        assert torch.equal(out[i], out[i % 3])
    assert all((x.flatten(1) == out[i].flatten()).all(1).sum() == 1 for i in range(3))
    with pytest.raises(ValueError):
        degradations.collapse(x, 2, n_distinct=3)
    with pytest.raises(ValueError, match="images must have shape"):
        degradations.blur(torch.zeros(8, 8))


def test_balanced_subset_and_balanced_copies():
    labels = torch.arange(40) % 4
    index = degradations.balanced_subset(labels, 12, torch.Generator().manual_seed(0),
                                         exclude=torch.arange(8))
    assert len(torch.unique(index)) == 12
    assert torch.bincount(labels[index]).tolist() == [3, 3, 3, 3]
    assert (index >= 8).all()
    with pytest.raises(ValueError, match="multiple"):
        degradations.balanced_subset(labels, 10)
    train = (torch.arange(40.0) / 40).view(40, 1, 1, 1).repeat(1, 1, 8, 8)   # image i holds i/40
    copies = degradations.memorised_copies(train, 8, labels=labels)
    index = (copies[:, 0, 0, 0] * 40).round().long()
    assert len(set(index.tolist())) == 8 and torch.equal(copies, train[index])
    assert torch.bincount(index % 4).tolist() == [2, 2, 2, 2]
