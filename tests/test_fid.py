import pytest
import torch

from gan_course.fid import feature_statistics, frechet_distance


def test_identical_statistics_give_zero():
    torch.manual_seed(0)
    a = torch.randn(5, 5)
    cov = a @ a.T + 0.1 * torch.eye(5)
    mu = torch.randn(5)
    assert frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-8)


def test_diagonal_gaussians_closed_form():
    # d^2 = |mu1 - mu2|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    a, b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 9.0])
    expected = 1 + 0 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0
    assert frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b)) == pytest.approx(expected)


def test_non_commuting_covariances_against_a_rotation():
    # Rotating both Gaussians by the same angle changes nothing.
    theta = torch.tensor(0.7)
    rot = torch.tensor([[theta.cos(), -theta.sin()], [theta.sin(), theta.cos()]])
    c1, c2 = torch.diag(torch.tensor([4.0, 1.0])), torch.tensor([[2.0, 0.5], [0.5, 1.0]])
    mu1, mu2 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])
    plain = frechet_distance(mu1, c1, mu2, c2)
    rotated = frechet_distance(rot @ mu1, rot @ c1 @ rot.T, rot @ mu2, rot @ c2 @ rot.T)
    assert plain == pytest.approx(rotated, rel=1e-6)
    assert frechet_distance(mu2, c2, mu1, c1) == pytest.approx(plain, rel=1e-6)


def test_statistics_of_samples():
    torch.manual_seed(1)
    x = torch.randn(20_000, 3) * torch.tensor([1.0, 2.0, 3.0]) + 5
    mu, cov = feature_statistics(x)
    assert torch.allclose(mu, torch.full((3,), 5.0, dtype=torch.float64), atol=0.05)
    assert torch.allclose(cov.diagonal(), torch.tensor([1.0, 4.0, 9.0], dtype=torch.float64),
                          rtol=0.05)
    with pytest.raises(ValueError):
        feature_statistics(torch.zeros(1, 3))
