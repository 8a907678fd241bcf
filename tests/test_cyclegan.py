from dataclasses import replace

import pytest
import torch
from torch import nn

from gan_course import cyclegan
from gan_course.classifier import DigitClassifier, accuracy
from gan_course.cyclegan import (
    DEFAULT,
    CycleGAN,
    CycleGANConfig,
    ImagePool,
    PatchDiscriminator,
    ResnetBlock,
    ResnetGenerator,
    ablation_configs,
    config_dict,
    cycle_loss,
    cyclegan_train_step,
    grade_translation,
    identity_loss,
    train_cyclegan,
)
from gan_course.domains import dilate, erode, make_paired_test
from gan_course.training import TrainConfig

TINY = CycleGANConfig(width=4, n_blocks=1, d_width=4,
                      train=TrainConfig(steps=3, batch_size=4, lr=2e-4, progress=False))


def images(n: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 16, 16, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_shapes_and_ranges():
    G, D = ResnetGenerator(width=8, n_blocks=2), PatchDiscriminator(width=8)
    out = G(images(3))
    assert out.shape == (3, 1, 16, 16) and out.abs().max() <= 1
    assert D(images(3)).shape == (3, 1, 8, 8)
    assert ResnetGenerator(channels=1, out_channels=3, width=4)(images(2)).shape == (2, 3, 16, 16)


def test_wrong_domain_shape_or_channels_is_refused():
    G, D = ResnetGenerator(width=4, n_blocks=1), PatchDiscriminator(width=4)
    with pytest.raises(ValueError, match="3 channels where 1"):
        G(torch.zeros(2, 3, 16, 16))
    with pytest.raises(ValueError, match=r"\(N, 1, 16, 16\)"):
        D(torch.zeros(2, 1, 28, 28))
    with pytest.raises(TypeError, match="floating point"):
        G(torch.zeros(2, 1, 16, 16, dtype=torch.int64))
    with pytest.raises(ValueError, match="even"):
        ResnetGenerator(image_size=15)


def test_resnet_block_is_identity_when_its_last_scale_is_zero():
    block = ResnetBlock(4)
    nn.init.zeros_(block.body[-1].weight)
    x = torch.randn(2, 4, 8, 8)
    assert torch.equal(block(x), x)


def test_cycle_and_identity_losses_by_hand():
    a, b = torch.zeros(2, 1, 16, 16), torch.ones(2, 1, 16, 16)
    # reconstructions off by 0.5 everywhere in A and by 0.25 in B
    assert cycle_loss(a, a + 0.5, b, b - 0.25).item() == pytest.approx(0.75)
    assert cycle_loss(a, a, b, b).item() == 0.0
    same = nn.Identity()
    assert identity_loss(same, same, a, b).item() == 0.0

    class Zero(nn.Module):
        def forward(self, x):
            return torch.zeros_like(x)

    # |0 - b| = 1 and |0 - a| = 0
    assert identity_loss(Zero(), Zero(), a, b).item() == pytest.approx(1.0)


def test_image_pool():
    off = ImagePool(0)
    x = torch.randn(3, 1, 2, 2, requires_grad=True)
    assert torch.equal(off.query(x), x) and not off.query(x).requires_grad
    pool = ImagePool(4, seed=0)
    first = torch.arange(4.0).reshape(4, 1, 1, 1)
    assert torch.equal(pool.query(first), first)          # room left: returned as they are
    later = torch.full((200, 1, 1, 1), 9.0)
    out = pool.query(later)
    assert out.shape == later.shape and len(pool.images) == 4
    from_history = (out != 9.0).sum().item()
    assert 0 < from_history <= 4                          # only the 4 old images can come back
    assert set(out[out != 9.0].tolist()) <= {0.0, 1.0, 2.0, 3.0}
    with pytest.raises(ValueError):
        ImagePool(-1)


def test_train_step_lowers_the_cycle_loss():
    torch.manual_seed(0)
    model = CycleGAN.from_config(TINY)
    opt_g = torch.optim.Adam(list(model.G_AB.parameters()) + list(model.G_BA.parameters()), 2e-3)
    opt_d = torch.optim.Adam(list(model.D_A.parameters()) + list(model.D_B.parameters()), 2e-3)
    a, b = images(8, 1), dilate(images(8, 2))
    pools = ImagePool(0), ImagePool(0)
    d_before = [p.clone() for p in model.D_A.parameters()]
    weights = replace(DEFAULT, lambda_identity=5.0)
    values = [cyclegan_train_step(model, opt_g, opt_d, a, b, *pools, weights)
              for _ in range(15)]
    assert set(values[0]) == {"g", "adv", "cycle", "identity", "d"}
    assert values[-1]["cycle"] < values[0]["cycle"]
    assert values[0]["g"] == pytest.approx(values[0]["adv"] + 10 * values[0]["cycle"]
                                           + 5 * values[0]["identity"], rel=1e-5)
    assert any(not torch.equal(p, q) for p, q in zip(d_before, model.D_A.parameters()))
    no_identity = cyclegan_train_step(model, opt_g, opt_d, a, b, *pools,
                                      replace(DEFAULT, lambda_identity=0.0))
    assert no_identity["identity"] == 0.0


def test_training_is_seeded():
    a, b = images(16, 3), dilate(images(16, 4))
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = CycleGAN.from_config(TINY)
        runs.append(train_cyclegan(model, a, b, TINY).losses)
    assert runs[0] == runs[1] and len(runs[0]["cycle"]) == TINY.train.steps
    assert list(runs[0]) == ["g", "adv", "cycle", "identity", "d"]
    with pytest.raises(ValueError, match="3 channels"):
        train_cyclegan(CycleGAN.from_config(TINY), torch.zeros(4, 3, 16, 16), b, TINY)


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
def test_training_draws_a_then_b_and_hands_over_the_settings():
    """Each round's batches drawn a second time by hand (A first, then B, one CPU generator
    seeded by config.train.seed); the step gets the config's loss weights, the History gets
    the step's losses and the snapshots come every snapshot_every steps and at the end."""
    a, b = images(10, 5), dilate(images(7, 6))
    config = replace(TINY, lambda_cycle=3.0, lambda_identity=2.0).with_training(
        steps=4, batch_size=3, seed=9, snapshot_every=2)
    seen = []

    def recording_step(model, opt_g, opt_d, real_a, real_b, pool_a, pool_b, settings):
        seen.append((real_a, real_b, settings.lambda_cycle, settings.lambda_identity,
                     pool_a.pool_size))
        return {"g": float(len(seen)), "d": -1.0}

    history = train_cyclegan(CycleGAN.from_config(config), a, b, config,
                             step_fn=recording_step, snapshot=lambda g, d, step: step)
    assert history.g_loss == [1.0, 2.0, 3.0, 4.0] and history.d_loss == [-1.0] * 4
    assert history.snapshot_steps == [0, 2, 4] and history.snapshots == [0, 2, 4]
    rng = torch.Generator().manual_seed(9)
    for real_a, real_b, lam_c, lam_i, pool_size in seen:
        assert torch.equal(real_a, a[torch.randint(10, (3,), generator=rng)])
        assert torch.equal(real_b, b[torch.randint(7, (3,), generator=rng)])
        assert (lam_c, lam_i, pool_size) == (3.0, 2.0, 50)


def test_config_holds_one_train_config():
    assert DEFAULT.train == TrainConfig(steps=300, batch_size=32, lr=2e-4, decay_from=0.5)
    assert DEFAULT.train.betas == (0.5, 0.999)
    longer = DEFAULT.with_training(steps=2500)
    assert longer.train.steps == 2500 and longer.train.lr == DEFAULT.train.lr
    assert replace(longer, train=DEFAULT.train) == DEFAULT
    with pytest.raises(ValueError, match="d_steps must be 1"):
        DEFAULT.with_training(d_steps=2)
    with pytest.raises(TypeError, match="TrainConfig"):
        CycleGANConfig(train={"steps": 3})
    # the checkpoint meta keeps its flat keys (those of the shipped MANIFEST entry)
    assert config_dict(longer) == {
        "width": 16, "n_blocks": 2, "d_width": 16, "lambda_cycle": 10.0,
        "lambda_identity": 5.0, "pool_size": 50, "steps": 2500, "batch_size": 32,
        "lr": 2e-4, "decay_from": 0.5, "seed": 0}


def test_default_config_and_ablation():
    assert DEFAULT.lambda_cycle == 10.0 and DEFAULT.lambda_identity == 0.5 * DEFAULT.lambda_cycle
    ablation = DEFAULT.without_cycle()
    assert ablation.lambda_cycle == 0.0 and ablation.lambda_identity == 0.0
    assert ablation.train == DEFAULT.train


def test_ablation_configs_switch_off_one_content_loss_at_a_time():
    base = replace(DEFAULT, lambda_cycle=7.0, lambda_identity=3.0).with_training(steps=11)
    runs = ablation_configs(base)
    assert list(runs) == ["full", "cycle only", "identity only", "GAN alone"]
    lambdas = {name: (c.lambda_cycle, c.lambda_identity) for name, c in runs.items()}
    assert lambdas == {"full": (7.0, 3.0), "cycle only": (7.0, 0.0),
                       "identity only": (0.0, 3.0), "GAN alone": (0.0, 0.0)}
    assert all(replace(c, lambda_cycle=0.0, lambda_identity=0.0) == base.without_cycle()
               for c in runs.values())


def test_grading_against_the_hidden_truth(known_translator):
    test, classifier = make_paired_test(), DigitClassifier.from_pretrained()
    report = grade_translation(known_translator, test, classifier)
    closing = erode(dilate(test.a))
    assert report.gt_err_ab == 0.0
    assert report.gt_err_ba == pytest.approx((closing - test.a).abs().mean().item(), rel=1e-5)
    assert report.label_keep_ab == pytest.approx(accuracy(classifier, closing, test.labels))
    assert report.label_keep_ba == report.label_keep_ab      # G_BA(T(a)) is the closing too
    assert report.label_keep_ab > 0.95
    assert set(report.rounded()) == {"label_keep_ab", "label_keep_ba", "gt_err_ab",
                                     "gt_err_ba", "cycle_err"}


def test_pretrained_cyclegan_translates():
    model = cyclegan.CycleGAN.from_pretrained()
    assert not model.G_AB.training
    test = make_paired_test()
    report = grade_translation(model, test, DigitClassifier.from_pretrained())
    assert report.label_keep_ab > 0.9 and report.label_keep_ba > 0.9
    assert report.gt_err_ab < 0.2
