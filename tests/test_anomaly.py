import pytest
import torch

from gan_course.anomaly import (
    Encoder,
    auroc,
    average_ranks,
    discriminator_features,
    discriminator_scores,
    encoder_scores,
    frozen,
    reconstruction_loss,
    roc_curve,
    tpr_at_fpr,
    train_encoder,
)
from gan_course.augment import ShiftAugment
from gan_course.dcgan import DCGANDiscriminator, DCGANGenerator
from gan_course.training import TrainConfig


def quiet(**settings):
    """A TrainConfig without a progress bar."""
    return TrainConfig(progress=False, **settings)


def brute_force_auroc(normal, anomaly):
    """P(a > n) + 1/2 P(a = n) over all pairs, by a double loop."""
    total = 0.0
    for a in anomaly.tolist():
        for n in normal.tolist():
            total += 1.0 if a > n else 0.5 if a == n else 0.0
    return total / (len(anomaly) * len(normal))


def test_average_ranks_share_ties():
    ranks = average_ranks(torch.tensor([20.0, 10.0, 30.0, 20.0]))
    assert ranks.tolist() == [2.5, 1.0, 4.0, 2.5]
    assert average_ranks(torch.tensor([5.0, 5.0, 5.0])).tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("normal,anomaly,expected", [
    ([1.0, 2.0, 3.0], [4.0, 5.0], 1.0),      # perfect separation
    ([4.0, 5.0], [1.0, 2.0, 3.0], 0.0),      # perfectly wrong way round
    ([0.0, 1.0], [1.0, 2.0], 0.875),         # pairs: 1>0, 1=1 (1/2), 2>0, 2>1 -> 3.5 / 4
    ([7.0, 7.0], [7.0], 0.5),                # all tied: a coin toss
    ([1.0, 3.0], [2.0], 0.5),                # one pair won, one lost
])
def test_auroc_hand_computed(normal, anomaly, expected):
    assert auroc(torch.tensor(normal), torch.tensor(anomaly)) == pytest.approx(expected)


def test_auroc_matches_pairwise_definition_with_many_ties():
    rng = torch.Generator().manual_seed(0)
    normal = torch.randint(0, 6, (40,), generator=rng).float()
    anomaly = torch.randint(2, 9, (25,), generator=rng).float()
    assert auroc(normal, anomaly) == pytest.approx(brute_force_auroc(normal, anomaly))


def test_roc_curve_area_is_auroc():
    rng = torch.Generator().manual_seed(1)
    normal = torch.randint(0, 10, (30,), generator=rng).float()
    anomaly = torch.randint(3, 12, (20,), generator=rng).float()
    fpr, tpr = roc_curve(normal, anomaly)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert torch.all(fpr[1:] >= fpr[:-1]) and torch.all(tpr[1:] >= tpr[:-1])
    area = torch.trapezoid(tpr, fpr).item()
    assert area == pytest.approx(auroc(normal, anomaly))


def test_auroc_rejects_bad_scores():
    with pytest.raises(ValueError, match="1-d"):
        auroc(torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(ValueError, match="non-empty"):
        auroc(torch.zeros(3), torch.zeros(0))
    with pytest.raises(ValueError, match="NaN"):
        auroc(torch.tensor([0.0, float("nan")]), torch.zeros(2))


def small_models():
    torch.manual_seed(0)
    G = DCGANGenerator(z_dim=4, image_size=8, width=8)
    D = ShiftAugment(DCGANDiscriminator(image_size=8, width=8), max_shift=1)
    return G, D


def test_encoder_and_features_shapes():
    G, D = small_models()
    x = torch.rand(5, 1, 8, 8) * 2 - 1
    assert Encoder(z_dim=4, image_size=8, width=8)(x).shape == (5, 4)
    assert discriminator_features(D, x).shape == (5, 8 * 4 * 4)  # unwraps ShiftAugment
    with pytest.raises(TypeError, match="DCGANDiscriminator"):
        discriminator_features(torch.nn.Linear(3, 1), x)


def test_reconstruction_loss_is_the_izif_formula():
    G, D = small_models()
    E = Encoder(z_dim=4, image_size=8, width=8)
    for module in (G, D, E):
        module.eval()
    x = torch.rand(3, 1, 8, 8) * 2 - 1
    rebuilt = G(E(x))
    body = D.discriminator.net[:-1]
    f_x, f_r = body(x).flatten(1), body(rebuilt).flatten(1)
    expected = ((x - rebuilt) ** 2).mean((1, 2, 3)) + 0.5 * ((f_x - f_r) ** 2).mean(1)
    torch.testing.assert_close(reconstruction_loss(x, G, D, E, kappa=0.5), expected)
    torch.testing.assert_close(encoder_scores(x, G, D, E, kappa=0.5, batch_size=2),
                               expected.detach())


def test_frozen_restores_modes_and_flags():
    G, D = small_models()
    D.discriminator.net[0][0].weight.requires_grad_(False)
    with frozen(G, D):
        assert not G.training and not any(p.requires_grad for p in G.parameters())
    assert G.training and D.training
    assert not D.discriminator.net[0][0].weight.requires_grad
    assert D.discriminator.net[1].weight.requires_grad


def test_train_encoder_lowers_loss_and_leaves_gan_alone():
    G, D = small_models()
    images = G.eval()(torch.randn(64, 4)).detach()   # images G can draw exactly
    G.train()
    before = [p.clone() for p in list(G.parameters()) + list(D.parameters())]
    E, losses = train_encoder(G, D, images, config=quiet(steps=60, batch_size=32, lr=3e-3),
                              width=8)
    assert len(losses) == 60 and not E.training
    assert sum(losses[-10:]) / 10 < 0.7 * sum(losses[:10]) / 10
    after = list(G.parameters()) + list(D.parameters())
    assert all(torch.equal(b, a) for b, a in zip(before, after))
    assert G.training and D.training


def test_train_encoder_is_seeded():
    G, D = small_models()
    images = torch.rand(32, 1, 8, 8) * 2 - 1
    _, first = train_encoder(G, D, images, config=quiet(steps=5, batch_size=8), width=8)
    _, second = train_encoder(G, D, images, config=quiet(steps=5, batch_size=8), width=8)
    assert first == second


def test_train_encoder_steps_match_a_loop_written_out():
    # The same training, written out with torch.randint and the loss by hand: the same
    # batches and the same Adam steps give the same losses, step for step.
    G, D = small_models()
    images = torch.rand(20, 1, 8, 8) * 2 - 1
    E, losses = train_encoder(G, D, images, config=quiet(steps=3, batch_size=5, lr=1e-2, seed=4),
                              kappa=0.5, width=8)
    torch.manual_seed(4)
    E2 = Encoder(4, 8, 1, 8)
    opt = torch.optim.Adam(E2.parameters(), lr=1e-2, betas=(0.5, 0.999))
    rng = torch.Generator().manual_seed(4)
    G.eval().requires_grad_(False)
    D.eval().requires_grad_(False)
    expected = []
    for _ in range(3):
        x = images[torch.randint(20, (5,), generator=rng)]
        rebuilt = G(E2(x))
        pixel = ((x - rebuilt) ** 2).mean(dim=(1, 2, 3))
        features = D.discriminator.net[:-1]
        feature = ((features(x) - features(rebuilt)) ** 2).flatten(1).mean(1)
        loss = (pixel + 0.5 * feature).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        expected.append(loss.item())
    assert losses == pytest.approx(expected, rel=1e-5)
    E2.eval()
    torch.testing.assert_close(E(images), E2(images))


def test_train_encoder_refuses_zero_steps():
    with pytest.raises(ValueError, match="steps"):
        TrainConfig(steps=0)


def test_discriminator_scores_are_negated_logits():
    _, D = small_models()
    x = torch.rand(4, 1, 8, 8) * 2 - 1
    D.eval()
    expected = -D(x).detach()
    D.train()
    torch.testing.assert_close(discriminator_scores(D, x, batch_size=3), expected)
    assert D.training


def test_scores_and_training_use_the_given_loss_fn():
    G, D = small_models()
    images = torch.rand(16, 1, 8, 8) * 2 - 1
    calls = []

    def pixel_only(x, G, D, E, kappa):
        calls.append(kappa)
        return (x - G(E(x))).pow(2).flatten(1).mean(1)

    E, _ = train_encoder(G, D, images, config=quiet(steps=2, batch_size=4), width=8, kappa=0.3,
                         loss_fn=pixel_only)
    assert calls == [0.3, 0.3]
    scores = encoder_scores(images, G, D, E, loss_fn=pixel_only)
    E.eval()
    G.eval()
    torch.testing.assert_close(scores, (images - G(E(images))).pow(2).flatten(1).mean(1).detach())


def brute_force_tpr_at_fpr(normal, anomaly, fpr):
    """Best TPR over every threshold t (every score, and below all) with FPR(t) <= fpr."""
    best = 0.0
    for t in [float("-inf")] + torch.cat([normal, anomaly]).tolist():
        if (normal > t).double().mean().item() <= fpr + 1e-12:
            best = max(best, (anomaly > t).double().mean().item())
    return best


@pytest.mark.parametrize("fpr", [0.0, 0.01, 0.05, 0.29, 0.5])
def test_tpr_at_fpr_matches_a_search_over_all_thresholds(fpr):
    g = torch.Generator().manual_seed(3)
    normal = (torch.randn(100, generator=g) * 4).round() / 4      # many ties
    anomaly = (torch.randn(40, generator=g) * 4 + 5).round() / 4
    assert tpr_at_fpr(normal, anomaly, fpr) == pytest.approx(
        brute_force_tpr_at_fpr(normal, anomaly, fpr))


def test_tpr_at_fpr_hand_computed_and_bad_input():
    normal = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert tpr_at_fpr(normal, torch.tensor([3.0, 4.0, 5.0]), 0.25) == pytest.approx(2 / 3)
    assert tpr_at_fpr(normal, torch.tensor([4.0, 5.0]), 0.0) == 0.5
    with pytest.raises(ValueError):
        tpr_at_fpr(normal, torch.tensor([5.0]), 1.0)
