import pytest
import torch

from gan_course.fid import (
    classifier_fid,
    extract_features,
    feature_moments,
    feature_statistics,
    fid_terms,
    frechet_distance,
)


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


def test_statistics_of_four_hand_made_points():
    # The corners of a 2 x 2 square: mean (1, 1); every coordinate is 1 away from its mean,
    # so the unbiased variances are 4 * 1 / (4 - 1) = 4/3, and the products of deviations
    # (+1 -1 -1 +1) cancel: covariance 0.
    corners = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    mu, cov = feature_statistics(corners)
    assert mu.dtype == torch.float64 and mu.tolist() == [1.0, 1.0]
    assert torch.allclose(cov, torch.tensor([[4 / 3, 0.0], [0.0, 4 / 3]], dtype=torch.float64))


def test_two_known_non_diagonal_gaussians_closed_form():
    # For 2 x 2 covariances, S1 S2 has eigenvalues l1, l2 >= 0 and
    # tr sqrt(S1 S2) = sqrt(l1) + sqrt(l2) = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)),
    # a formula that needs no matrix square root at all.
    f64 = torch.float64
    s1 = torch.tensor([[2.0, 0.6], [0.6, 1.0]], dtype=f64)
    s2 = torch.tensor([[1.0, -0.3], [-0.3, 3.0]], dtype=f64)
    mu1, mu2 = torch.tensor([0.5, -1.0], dtype=f64), torch.tensor([2.0, 1.0], dtype=f64)
    det1 = 2.0 * 1.0 - 0.6**2
    det2 = 1.0 * 3.0 - 0.3**2
    tr_s1s2 = 2.0 * 1.0 + 0.6 * -0.3 + 0.6 * -0.3 + 1.0 * 3.0
    tr_sqrt = (tr_s1s2 + 2 * (det1 * det2) ** 0.5) ** 0.5
    expected = (1.5**2 + 2.0**2) + 3.0 + 4.0 - 2 * tr_sqrt
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)


def test_commuting_non_diagonal_gaussians_closed_form():
    # S1 = Q diag(a) Q^T and S2 = Q diag(b) Q^T share eigenvectors: the distance is
    # |mu1 - mu2|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2, whatever the rotation Q.
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(0)).double())
    a = torch.tensor([0.5, 1.0, 2.0, 3.0, 4.0, 9.0], dtype=torch.float64)
    b = torch.tensor([2.0, 1.0, 0.1, 3.0, 1.0, 16.0], dtype=torch.float64)
    mu1, mu2 = torch.zeros(6, dtype=torch.float64), torch.ones(6, dtype=torch.float64)
    expected = 6.0 + float((a.sqrt() - b.sqrt()).pow(2).sum())
    got = frechet_distance(mu1, q @ torch.diag(a) @ q.T, mu2, q @ torch.diag(b) @ q.T)
    assert got == pytest.approx(expected, rel=1e-9)


def test_singular_covariances_are_handled():
    # Rank-1 covariances (a dead feature makes real covariances singular too).
    s1 = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    s2 = torch.tensor([[0.0, 0.0], [0.0, 4.0]])
    zero = torch.zeros(2)
    # The supports are orthogonal lines: tr sqrt(S1 S2) = 0, so d^2 = 1 + 4.
    assert frechet_distance(zero, s1, zero, s2) == pytest.approx(5.0)


def test_fid_terms_add_up():
    mu1, mu2 = torch.tensor([0.0, 1.0]), torch.tensor([3.0, 1.0])
    c1, c2 = torch.diag(torch.tensor([1.0, 4.0])), torch.diag(torch.tensor([4.0, 4.0]))
    terms = fid_terms(mu1, c1, mu2, c2)
    assert terms["mean_term"] == pytest.approx(9.0)
    assert terms["covariance_term"] == pytest.approx(1.0)
    assert terms["fid"] == pytest.approx(10.0)


class _Flatten(torch.nn.Module):
    """A stand-in classifier whose features are the pixels."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def features(self, x):
        return x.flatten(1)


def test_classifier_fid_from_images():
    model = _Flatten()
    g = torch.Generator().manual_seed(0)
    real = torch.randn(300, 1, 2, 2, generator=g)
    # The stand-in's features are the pixels, so batching must give back exactly the pixels.
    assert torch.equal(extract_features(model, real, batch_size=7), real.flatten(1))
    assert classifier_fid(real, real, model) == pytest.approx(0.0, abs=1e-8)
    shifted = real + 2.0
    assert classifier_fid(real, shifted, model) == pytest.approx(4 * 4.0, rel=1e-6)
    with pytest.raises(TypeError, match="features"):
        extract_features(torch.nn.Linear(2, 2), real)


def test_extract_features_of_a_model_without_weights_runs_on_the_cpu():
    class NoWeights(torch.nn.Module):
        def features(self, x):
            return 2 * x.flatten(1)

    images = torch.arange(8.0).view(2, 1, 2, 2)
    assert torch.equal(extract_features(NoWeights(), images),
                       torch.tensor([[0.0, 2, 4, 6], [8, 10, 12, 14]]))


def test_feature_moments_of_a_hand_made_sample():
    # x = 0, 0, 0, 4: mean 1, variance (1 + 1 + 1 + 9) / 4 = 3, z = (-1, -1, -1, 3) / sqrt(3),
    # skewness (-3 + 27) / 4 / 3^(3/2) = 2 / sqrt(3), kurtosis (3 + 81) / 4 / 9 - 3 = -2/3.
    x = torch.tensor([[0.0, 5.0], [0.0, 5.0], [0.0, 5.0], [4.0, 5.0]])
    moments = feature_moments(x)
    assert moments["mean"].tolist() == [1.0, 5.0]
    assert moments["variance"].tolist() == pytest.approx([3.0, 0.0])
    assert moments["skewness"].tolist() == pytest.approx([2 / 3**0.5, 0.0])
    assert moments["kurtosis"].tolist() == pytest.approx([-2 / 3, 0.0])


def test_feature_moments_match_known_distributions():
    g = torch.Generator().manual_seed(0)
    n = 200_000
    gaussian = torch.randn(n, generator=g).double() * 2 + 1
    exponential = -torch.rand(n, generator=g).double().log()   # skewness 2, excess kurtosis 6
    constant = torch.full((n,), 3.0, dtype=torch.float64)
    moments = feature_moments(torch.stack([gaussian, exponential, constant], dim=1))
    expected = {"mean": [1, 1, 3], "variance": [4, 1, 0], "skewness": [0, 2, 0],
                "kurtosis": [0, 6, 0]}
    tolerance = {"mean": 0.02, "variance": 0.05, "skewness": 0.1, "kurtosis": 0.6}
    for name, values in expected.items():
        got = moments[name]
        assert got.shape == (3,)
        assert torch.allclose(got, torch.tensor(values, dtype=torch.float64),
                              atol=tolerance[name]), (name, got)
