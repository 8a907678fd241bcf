from fractions import Fraction

import pytest
import torch

from gan_course.kid import KID, kernel_inception_distance, mmd2_unbiased, polynomial_kernel


def _kernel_by_hand(a, b):
    """(a . b / d + 1)^3 with exact fractions, one coordinate at a time."""
    dot = Fraction(0)
    for u, v in zip(a, b):
        dot += Fraction(u) * Fraction(v)
    return (dot / len(a) + 1) ** 3


def _mmd2_by_loops(x, y):
    """The unbiased MMD^2 written out pair by pair, in exact arithmetic."""
    m, n = len(x), len(y)
    within_x = Fraction(0)
    for i in range(m):
        for j in range(m):
            if i != j:
                within_x += _kernel_by_hand(x[i], x[j])
    within_y = Fraction(0)
    for i in range(n):
        for j in range(n):
            if i != j:
                within_y += _kernel_by_hand(y[i], y[j])
    between = Fraction(0)
    for i in range(m):
        for j in range(n):
            between += _kernel_by_hand(x[i], y[j])
    return within_x / (m * (m - 1)) + within_y / (n * (n - 1)) - 2 * between / (m * n)


def test_kernel_of_two_points():
    # d = 2: (1*3 + 2*4) / 2 + 1 = 6.5, and 6.5^3 = 274.625
    got = polynomial_kernel(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    assert got.dtype == torch.float64 and got.shape == (1, 2)
    assert got.tolist() == [[274.625, 1.0]]


def test_three_plus_three_points_by_hand():
    # X = (0,0), (2,0), (0,2); Y = (2,2), (0,0), (2,0); d = 2, so k = (x.y / 2 + 1)^3.
    # Within X every pair is orthogonal or holds (0,0): k = 1 for all 6 ordered pairs -> 1.
    # Within Y: (2,2).(2,0) = 4 -> 3^3 = 27, the other pairs give 1: (1 + 27 + 1) * 2 / 6 = 29/3.
    # Between: (0,0) row 1+1+1; (2,0) row 27+1+27; (0,2) row 27+1+1: 87 in all, 2 * 87 / 9.
    # MMD^2_u = 1 + 29/3 - 58/3 = -26/3 (negative: Y's points are spread wider along X's).
    x = [[0, 0], [2, 0], [0, 2]]
    y = [[2, 2], [0, 0], [2, 0]]
    assert _mmd2_by_loops(x, y) == Fraction(-26, 3)
    got = mmd2_unbiased(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32))
    assert got == pytest.approx(-26 / 3, rel=1e-12)


def test_unequal_sizes_against_the_loops():
    x = [[1, -2, 0], [0, 3, 1], [2, 2, -1], [-1, 0, 4]]
    y = [[0, 1, 1], [3, -1, 2], [1, 1, 1]]
    expected = float(_mmd2_by_loops(x, y))
    x_t, y_t = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    assert mmd2_unbiased(x_t, y_t) == pytest.approx(expected, rel=1e-12)
    assert mmd2_unbiased(y_t, x_t) == pytest.approx(expected, rel=1e-12)   # symmetric


def test_symmetry_on_random_sets():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(30, 5, generator=g), torch.randn(20, 5, generator=g) + 0.5
    assert mmd2_unbiased(x, y) == pytest.approx(mmd2_unbiased(y, x), rel=1e-12)


def test_zero_expectation_for_one_distribution():
    # Many independent pairs of small sets from one Gaussian: the unbiased estimate averages
    # to 0 within sampling error, and single estimates are often negative. The biased
    # estimate (pairs of a point with itself kept) sits far above 0 on the same draws, so
    # an estimator that forgot to leave them out would fail this test.
    g = torch.Generator().manual_seed(1)
    unbiased, biased = [], []
    for _ in range(400):
        x, y = torch.randn(10, 3, generator=g), torch.randn(10, 3, generator=g)
        unbiased.append(mmd2_unbiased(x, y))
        k_xx, k_yy = polynomial_kernel(x, x), polynomial_kernel(y, y)
        biased.append(float(k_xx.mean() + k_yy.mean() - 2 * polynomial_kernel(x, y).mean()))
    unbiased, biased = torch.tensor(unbiased), torch.tensor(biased)
    standard_error = unbiased.std() / len(unbiased) ** 0.5
    assert abs(unbiased.mean()) < 3 * standard_error
    assert (unbiased < 0).float().mean() > 0.3
    assert biased.mean() > 10 * standard_error


def test_kid_grows_with_the_shift():
    g = torch.Generator().manual_seed(2)
    real = torch.randn(400, 4, generator=g)
    same = torch.randn(400, 4, generator=g)
    kids = [kernel_inception_distance(real, same + shift, n_subsets=20, subset_size=100,
                                      generator=torch.Generator().manual_seed(3))
            for shift in (0.0, 0.5, 1.0)]
    assert abs(kids[0].mean) < 2 * kids[0].std
    assert kids[0].mean < kids[1].mean < kids[2].mean
    assert kids[1].mean > 3 * kids[0].std
    # The population value at shift mu = (0.5, 0.5, 0.5, 0.5), |mu| = 1, d = 4: the kernel
    # (u + 1)^3 = u^3 + 3 u^2 + 3 u + 1 compares the first three moments,
    # MMD^2 = 3 |mu|^2 / d + 3 |mu|^4 / d^2 + (|mu|^6 + 6 |mu|^4 + 3 d |mu|^2 + 6 |mu|^2) / d^3
    #       = 0.75 + 0.1875 + 25 / 64 = 1.328; 400 points per set pin it down to a few tenths.
    assert kids[1].mean == pytest.approx(1.328, rel=0.35)


def test_subsets_of_the_whole_set_give_the_full_estimate():
    # With subset_size equal to both set sizes, every subset is the whole set (rows drawn
    # without replacement), so every value is mmd2_unbiased of the full sets and std is 0.
    g = torch.Generator().manual_seed(4)
    x, y = torch.randn(12, 3, generator=g), torch.randn(12, 3, generator=g) * 2
    result = kernel_inception_distance(x, y, n_subsets=3, subset_size=12, generator=g)
    assert isinstance(result, KID) and result.values.shape == (3,)
    assert result.values.tolist() == pytest.approx([mmd2_unbiased(x, y)] * 3, rel=1e-12)
    assert result.mean == pytest.approx(mmd2_unbiased(x, y), rel=1e-12)
    assert result.std == pytest.approx(0.0, abs=1e-9)


def test_mean_and_std_are_over_the_subsets():
    g = torch.Generator().manual_seed(5)
    x, y = torch.randn(50, 2, generator=g), torch.randn(60, 2, generator=g) + 1
    result = kernel_inception_distance(x, y, n_subsets=4, subset_size=10,
                                       generator=torch.Generator().manual_seed(6))
    values = result.values.tolist()
    mean = sum(values) / 4
    std = (sum((v - mean) ** 2 for v in values) / 3) ** 0.5
    assert result.mean == pytest.approx(mean) and result.std == pytest.approx(std)
    assert len(set(values)) == 4                       # a fresh pair of subsets each time
    again = kernel_inception_distance(x, y, n_subsets=4, subset_size=10,
                                      generator=torch.Generator().manual_seed(6))
    assert again.values.tolist() == values
    assert "4 subsets of 10" in str(result)


def test_bad_inputs_are_refused():
    x, y = torch.zeros(10, 3), torch.zeros(10, 3)
    with pytest.raises(ValueError, match="feature sizes"):
        mmd2_unbiased(x, torch.zeros(10, 4))
    with pytest.raises(ValueError, match="feature matrices"):
        polynomial_kernel(torch.zeros(10), y)
    with pytest.raises(ValueError, match="at least 2"):
        mmd2_unbiased(torch.zeros(1, 3), y)
    with pytest.raises(ValueError, match="larger than a set"):
        kernel_inception_distance(x, torch.zeros(5, 3), subset_size=6)
    with pytest.raises(ValueError, match="n_subsets"):
        kernel_inception_distance(x, y, n_subsets=1, subset_size=5)
    with pytest.raises(ValueError, match="subset_size"):
        kernel_inception_distance(x, y, subset_size=1)
    with pytest.raises(ValueError, match="feature sizes"):
        kernel_inception_distance(x, torch.zeros(10, 4), subset_size=5)
