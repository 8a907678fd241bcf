import pytest
import torch

from gan_course import checkpoints
from gan_course.anomaly import (
    DETECTOR_ENCODER,
    DETECTOR_GAN,
    DETECTORS_NAME,
    ENCODER_WIDTH,
    Encoder,
    auroc,
    average_ranks,
    discriminator_features,
    discriminator_scores,
    encoder_scores,
    frozen,
    leave_one_out,
    load_detectors,
    reconstruction_loss,
    roc_curve,
    tpr_at_fpr,
    train_detector,
    train_encoder,
)
from gan_course.augment import ShiftAugment
from gan_course.checkpoints import register_weights, save_checkpoint
from gan_course.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator, train_gan
from gan_course.digits import ImageData
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


def test_tpr_at_fpr_with_ties_at_the_threshold():
    # Two normal scores tie at the top: any t below 4 flags both (40 % > 20 %), so t = 4
    # and only anomalies strictly above 4 count: 1 of 3.
    tied_top = torch.tensor([4.0, 4.0, 1.0, 2.0, 3.0])
    assert tpr_at_fpr(tied_top, torch.tensor([3.5, 4.0, 4.5]), 0.2) == pytest.approx(1 / 3)
    # With a budget of 2 in 5 both 4s may be flagged: t = 3, the next normal score.
    assert tpr_at_fpr(tied_top, torch.tensor([3.5, 4.0, 4.5]), 0.4) == 1.0
    # Ties below the top: normal [1, 2, 3, 3, 5], 1 false alarm allowed -> t = 3; the
    # anomaly at exactly 3 is not flagged, the one at 3.1 is.
    tied_mid = torch.tensor([1.0, 2.0, 3.0, 3.0, 5.0])
    assert tpr_at_fpr(tied_mid, torch.tensor([3.0, 3.1]), 0.2) == 0.5
    # Anomalies tied with each other count one by one: 2 of 4 above t = 3.
    assert tpr_at_fpr(tied_mid, torch.tensor([3.0, 3.0, 6.0, 6.0]), 0.2) == 0.5


def toy_digits():
    labels = torch.tensor([0, 1, 2, 1, 0, 2])
    return ImageData(torch.arange(6.0).reshape(6, 1, 1, 1), labels)


def test_leave_one_out_splits_by_label():
    held = ImageData(torch.arange(10.0, 14.0).reshape(4, 1, 1, 1), torch.tensor([1, 0, 2, 1]))
    task = leave_one_out(toy_digits(), held, 1)
    assert task.digit == 1
    assert task.normal_train.flatten().tolist() == [0.0, 2.0, 4.0, 5.0]
    assert task.normal_test.flatten().tolist() == [11.0, 12.0]
    assert task.anomalies.flatten().tolist() == [1.0, 3.0, 10.0, 13.0]   # training, then held-out
    with pytest.raises(ValueError, match="does not occur"):
        leave_one_out(toy_digits(), held, 7)


def test_load_detectors_round_trip(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "weights_dir", lambda: tmp_path)
    torch.manual_seed(0)
    G = DCGANGenerator(z_dim=4, image_size=8, width=8).eval()
    D = ShiftAugment(DCGANDiscriminator(image_size=8, width=8), max_shift=1).eval()
    E = Encoder(z_dim=4, image_size=8, width=8).eval()
    meta = {"z_dim": 4, "width": 8, "image_size": 8, "max_shift": 1, "encoder_width": 8}
    path = tmp_path / "detectors.pt"
    save_checkpoint({"3": {"G": G.state_dict(), "D": D.state_dict(), "E": E.state_dict()}},
                    path, **meta)
    register_weights(DETECTORS_NAME, path, made_by="test", **meta)
    detectors, loaded_meta = load_detectors()
    assert list(detectors) == [3] and loaded_meta == meta
    x = torch.rand(5, 1, 8, 8) * 2 - 1
    loaded = detectors[3]
    assert not loaded.D.training and loaded.D.max_shift == 1
    torch.testing.assert_close(encoder_scores(x, loaded.G, loaded.D, loaded.E),
                               encoder_scores(x, G, D, E))
    torch.testing.assert_close(discriminator_scores(loaded.D, x), discriminator_scores(D, x))


def test_shipped_detectors_were_made_with_the_lessons_recipe():
    meta = checkpoints.read_manifest()[DETECTORS_NAME]
    gan = DETECTOR_GAN
    assert (meta["z_dim"], meta["width"], meta["max_shift"]) == (gan.z_dim, gan.width,
                                                                  gan.max_shift)
    assert (meta["gan_steps"], meta["gan_batch_size"], meta["gan_lr"], meta["gan_decay_from"],
            meta["seed"]) == (gan.training.steps, gan.training.batch_size, gan.training.lr,
                              gan.training.decay_from, gan.training.seed)
    assert (meta["encoder_steps"], meta["encoder_batch_size"], meta["encoder_lr"],
            meta["encoder_width"]) == (DETECTOR_ENCODER.steps, DETECTOR_ENCODER.batch_size,
                                       DETECTOR_ENCODER.lr, ENCODER_WIDTH)


def test_train_detector_is_train_gan_then_train_encoder():
    images = torch.rand(16, 1, 8, 8) * 2 - 1
    gan = DCGANConfig(z_dim=4, width=8, max_shift=1, training=quiet(steps=2, batch_size=4))
    encoder = quiet(steps=2, batch_size=4, lr=1e-3)
    detector = train_detector(images, gan, encoder)
    trained = train_gan(images, config=gan)
    E, _ = train_encoder(trained.G, trained.D, images, config=encoder)
    for mine, theirs in ((detector.G, trained.G), (detector.D, trained.D), (detector.E, E)):
        assert not mine.training
        for a, b in zip(mine.state_dict().values(), theirs.state_dict().values()):
            torch.testing.assert_close(a, b)
