import math

import pytest
import torch

from gan_course.manifold import (
    density_coverage,
    in_balls,
    knn_radii,
    manifold_scores,
    precision_recall,
)


def brute_force_scores(real, fake, k):
    """The four metrics the slow, obvious way, with Python lists and math.dist: a second
    computation that shares nothing with the module (no matrices, no top-k)."""
    real, fake = real.tolist(), fake.tolist()

    def radius(points, i):   # distance to the k-th nearest other point (index 0 is itself)
        return sorted(math.dist(points[i], q) for q in points)[k]

    real_radii = [radius(real, i) for i in range(len(real))]
    fake_radii = [radius(fake, j) for j in range(len(fake))]
    real_balls = list(zip(real, real_radii))
    precision = sum(any(math.dist(y, x) <= r for x, r in real_balls) for y in fake) / len(fake)
    recall = sum(any(math.dist(x, y) <= r for y, r in zip(fake, fake_radii))
                 for x in real) / len(real)
    density = sum(math.dist(y, x) <= r for y in fake for x, r in real_balls) / (k * len(fake))
    coverage = sum(any(math.dist(y, x) <= r for y in fake) for x, r in real_balls) / len(real)
    return precision, recall, density, coverage


def test_knn_radii_on_a_line():
    points = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    assert knn_radii(points, 1).tolist() == [1.0, 1.0, 2.0, 4.0]
    assert knn_radii(points, 2).tolist() == [3.0, 2.0, 3.0, 6.0]
    with pytest.raises(ValueError, match="k must be"):
        knn_radii(points, 4)


def test_in_balls_includes_the_boundary():
    inside = in_balls(torch.tensor([[0.5], [2.0]]), torch.tensor([[0.0], [3.0]]),
                      torch.tensor([0.5, 0.5]))
    assert inside.tolist() == [[True, False], [False, False]]


def test_hand_computed_example():
    # real 0, 1, 2, 3 with k = 1: every real ball has radius 1.
    real = torch.tensor([[0.0], [1.0], [2.0], [3.0]])
    fake = torch.tensor([[0.5], [10.0]])
    # 0.5 lies in the balls of 0 and 1; 10 lies in none: precision 1/2.
    # The fake balls (k = 1) have radius 9.5 and the one around 0.5 swallows every real:
    # recall 1, an outlier inflating recall.
    assert precision_recall(real, fake, k=1) == (0.5, 1.0)
    # density = (2 + 0) / (1 * 2) = 1; coverage: balls of 0 and 1 hold a fake, 2 of 4.
    assert density_coverage(real, fake, k=1) == (1.0, 0.5)


def test_a_set_against_itself():
    torch.manual_seed(0)
    x = torch.randn(200, 8)
    precision, recall = precision_recall(x, x, k=3)
    assert precision == 1.0 and recall == 1.0
    # With no ties, each ball of radius NND_k holds its centre and exactly k others,
    # so density = N (k + 1) / (k N) = (k + 1) / k.
    density, coverage = density_coverage(x, x, k=5)
    assert density == pytest.approx(6 / 5)
    assert coverage == 1.0


def test_collapse_to_one_real_point():
    torch.manual_seed(1)
    real = torch.randn(100, 4)
    fake = real[7:8].repeat(50, 1)
    scores = manifold_scores(real, fake)
    assert scores.precision == 1.0
    # Every fake ball has radius 0 and holds only real[7]: recall = 1 / 100.
    assert scores.recall == pytest.approx(0.01)
    # Coverage: the share of real balls (k = 5) that hold real[7]; density: that count / 5.
    _, _, density, coverage = brute_force_scores(real, fake, k=5)
    assert scores.coverage < 0.2
    assert (scores.density, scores.coverage) == (pytest.approx(density), pytest.approx(coverage))


def test_far_away_fakes_score_zero():
    torch.manual_seed(2)
    real, fake = torch.randn(60, 3), torch.randn(60, 3) + 100
    assert manifold_scores(real, fake) == manifold_scores(real, fake)
    scores = manifold_scores(real, fake)
    assert (scores.precision, scores.recall, scores.density, scores.coverage) == (0, 0, 0, 0)


def test_same_distribution_scores_near_one():
    g = torch.Generator().manual_seed(3)
    real, fake = torch.randn(500, 4, generator=g), torch.randn(500, 4, generator=g)
    scores = manifold_scores(real, fake)
    assert scores.precision > 0.85 and scores.recall > 0.85
    assert 0.8 < scores.density < 1.2 and scores.coverage > 0.9


@pytest.mark.parametrize("k", [1, 3, 5])
def test_scores_match_a_brute_force_count(k):
    g = torch.Generator().manual_seed(4)
    real, fake = torch.randn(40, 3, generator=g), torch.randn(30, 3, generator=g) * 1.5 + 0.5
    precision, recall, density, coverage = brute_force_scores(real, fake, k)
    assert precision_recall(real, fake, k) == (pytest.approx(precision), pytest.approx(recall))
    assert density_coverage(real, fake, k) == (pytest.approx(density), pytest.approx(coverage))


def test_a_hand_made_square():
    # Real: the corners of the unit square; with k = 1 every real ball has radius 1.
    # Fakes: the centre (0.71 from every corner: in all 4 balls), (3, 0) (2 from the nearest
    # corner: in none), (1, 1.5) (0.5 from (1, 1), 1.12 from (0, 1): in 1 ball).
    real = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    fake = torch.tensor([[0.5, 0.5], [3.0, 0.0], [1.0, 1.5]])
    # precision 2/3; density (4 + 0 + 1) / (1 * 3) = 5/3; the centre covers every corner.
    # Fake balls (k = 1): radius 1.12 around the centre holds all four corners: recall 1.
    assert precision_recall(real, fake, k=1) == (pytest.approx(2 / 3), 1.0)
    assert density_coverage(real, fake, k=1) == (pytest.approx(5 / 3), 1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="more than k"):
        precision_recall(torch.zeros(3, 2), torch.zeros(10, 2), k=3)
    with pytest.raises(ValueError, match="one radius per centre"):
        in_balls(torch.zeros(2, 1), torch.zeros(3, 1), torch.zeros(2))


def test_manifold_scores_uses_the_given_functions():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(30, 3, generator=g), torch.randn(25, 3, generator=g)
    calls = []

    def fake_pr(r, f, k):
        calls.append(("pr", r.shape, f.shape, k))
        return 0.25, 0.75

    def fake_dc(r, f, k):
        calls.append(("dc", r.shape, f.shape, k))
        return 1.5, 0.5

    scores = manifold_scores(real, fake, k_pr=4, k_dc=6, precision_recall_fn=fake_pr)
    assert calls == [("pr", (30, 3), (25, 3), 4)]
    assert (scores.precision, scores.recall) == (0.25, 0.75)
    assert (scores.density, scores.coverage) == density_coverage(real, fake, 6)
    scores = manifold_scores(real, fake, density_coverage_fn=fake_dc)
    assert calls[-1] == ("dc", (30, 3), (25, 3), 5)
    assert (scores.density, scores.coverage) == (1.5, 0.5)
    default = manifold_scores(real, fake)
    assert (default.precision, default.recall) == precision_recall(real, fake, 3)


def test_points_far_from_the_origin_keep_their_small_distances():
    # float64 throughout: a common offset of 1000 must not change any ball membership.
    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(40, 3, generator=g), torch.randn(35, 3, generator=g) * 1.3
    assert precision_recall(real + 1000, fake + 1000) == precision_recall(real, fake)
    assert density_coverage(real + 1000, fake + 1000) == density_coverage(real, fake)
