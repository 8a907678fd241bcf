"""The pix2pix family (lesson 08): the skip, the pair input, the generator loss, the U-Net,
the game and the measurements, against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gan_course import pix2pix
from gan_course.domains import PairedTest, dilate
from gan_course.training import TrainConfig

SMALL = pix2pix.Pix2PixConfig(width=4, d_width=4,
                              training=TrainConfig(steps=3, batch_size=4, lr=1e-3, seed=0,
                                                   progress=False))


def test_unet_skip_concatenates_decoded_first():
    decoded, encoded = torch.ones(1, 1, 1, 2), 2 * torch.ones(1, 2, 1, 2)
    joined = pix2pix.unet_skip(decoded, encoded)
    assert joined.shape == (1, 3, 1, 2)
    assert joined[0, :, 0, 0].tolist() == [1.0, 2.0, 2.0]


def test_unet_skip_refuses_other_sizes():
    with pytest.raises(ValueError, match="same batch and size"):
        pix2pix.unet_skip(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 4, 4))


def test_pair_input_puts_the_condition_first():
    pair = pix2pix.pair_input(torch.full((2, 1, 3, 3), 0.5), torch.full((2, 1, 3, 3), -0.5))
    assert pair.shape == (2, 2, 3, 3)
    assert pair[:, 0].eq(0.5).all() and pair[:, 1].eq(-0.5).all()


def test_generator_loss_by_hand():
    # patches 2 and -1: (log(1 + e^-2) + log(1 + e^1)) / 2; pixel errors 0.5, 0.25: mean 0.375
    logits = torch.tensor([2.0, -1.0])
    fake, target = torch.tensor([[[[0.5, 0.0]]]]), torch.tensor([[[[0.0, 0.25]]]])
    adversarial = (math.log1p(math.exp(-2.0)) + math.log1p(math.exp(1.0))) / 2
    assert pix2pix.pix2pix_generator_loss(logits, fake, target, 100.0).item() == \
        pytest.approx(adversarial + 37.5, abs=1e-5)
    assert pix2pix.pix2pix_generator_loss(logits, fake, target, 0.0).item() == \
        pytest.approx(adversarial, abs=1e-6)


def test_generator_loss_default_weight_is_the_papers():
    zero = torch.zeros(1, 1, 1, 1)
    value = pix2pix.pix2pix_generator_loss(zero, zero, torch.full((1, 1, 1, 1), 0.1))
    assert pix2pix.L1_WEIGHT == 100.0
    assert value.item() == pytest.approx(math.log(2) + 10.0, abs=1e-5)


def test_always_dropout_stays_on_in_eval_mode():
    layer = pix2pix.AlwaysDropout(0.5).eval()
    torch.manual_seed(0)
    out = layer(torch.ones(1000))
    assert set(out.unique().tolist()) == {0.0, 2.0}   # kept values scaled by 1 / (1 - p)
    assert 400 < (out == 0).sum().item() < 600


def test_unet_shapes_and_range():
    G = pix2pix.UNetGenerator(SMALL)
    out = G(torch.rand(3, 1, 16, 16) * 2 - 1)
    assert out.shape == (3, 1, 16, 16)
    assert out.abs().max() <= 1


def test_unet_uses_the_skip_it_is_given():
    calls = []

    def skip(decoded, encoded):
        calls.append((tuple(decoded.shape), tuple(encoded.shape)))
        return torch.cat([decoded, encoded], dim=1)

    pix2pix.UNetGenerator(SMALL, skip=skip)(torch.zeros(2, 1, 16, 16))
    assert calls == [((2, 8, 4, 4), (2, 8, 4, 4)), ((2, 4, 8, 8), (2, 4, 8, 8))]


def test_unet_refuses_wrong_input():
    with pytest.raises(ValueError):
        pix2pix.UNetGenerator(SMALL)(torch.zeros(1, 1, 8, 8))


def test_discriminator_scores_patches_of_pairs():
    D = pix2pix.patch_discriminator(SMALL)
    assert D(torch.zeros(2, 2, 16, 16)).shape == (2, 1, 8, 8)
    with pytest.raises(ValueError):
        D(torch.zeros(2, 1, 16, 16))   # the output alone, without its input


@pytest.mark.parametrize("bad", [{"width": 0}, {"l1_weight": -1.0}, {"l1_weight": math.inf},
                                 {"dropout": 1.0}, {"training": "fast"},
                                 {"training": TrainConfig(d_steps=2)}])
def test_config_refuses_bad_settings(bad):
    with pytest.raises((ValueError, TypeError)):
        pix2pix.Pix2PixConfig(**bad)


def test_training_calls_the_given_functions_and_records_losses():
    torch.manual_seed(0)
    G, D = pix2pix.UNetGenerator(SMALL), pix2pix.patch_discriminator(SMALL)
    x = torch.rand(6, 1, 16, 16) * 2 - 1
    seen = {"loss": 0, "pair": 0}

    def loss_fn(*args):
        seen["loss"] += 1
        return pix2pix.pix2pix_generator_loss(*args)

    def pair_fn(condition, image):
        seen["pair"] += 1
        return pix2pix.pair_input(condition, image)

    history = pix2pix.train_pix2pix(G, D, x, x.flip(3), SMALL, g_loss_fn=loss_fn, pair_fn=pair_fn)
    assert seen == {"loss": 3, "pair": 9}   # per round: D on real, D on fake, G on fake
    assert len(history.losses["g"]) == 3 and len(history.losses["l1"]) == 3
    assert all(d > 0 for d in history.d_loss)


def test_l1_only_training_leaves_the_discriminator_alone():
    torch.manual_seed(0)
    config = pix2pix.Pix2PixConfig(width=4, d_width=4, adversarial=False, l1_weight=2.0,
                                   training=SMALL.training)
    G, D = pix2pix.UNetGenerator(config), pix2pix.patch_discriminator(config)
    before = [p.clone() for p in D.parameters()]
    x = torch.rand(6, 1, 16, 16) * 2 - 1
    history = pix2pix.train_pix2pix(G, D, x, x, config)
    assert all(torch.equal(a, b) for a, b in zip(before, D.parameters(), strict=True))
    assert history.d_loss == [0.0, 0.0, 0.0]
    # without D the G loss is the weighted L1: g = 2 * l1 at every step
    assert history.losses["g"] == pytest.approx([2 * v for v in history.losses["l1"]], rel=1e-6)


def test_training_refuses_unpaired_sets():
    G, D = pix2pix.UNetGenerator(SMALL), pix2pix.patch_discriminator(SMALL)
    with pytest.raises(ValueError, match="one target per input"):
        pix2pix.train_pix2pix(G, D, torch.zeros(3, 1, 16, 16), torch.zeros(2, 1, 16, 16), SMALL)


def test_translate_is_repeatable_with_the_same_seed():
    G = pix2pix.UNetGenerator(SMALL)
    x = torch.rand(4, 1, 16, 16) * 2 - 1
    assert torch.equal(pix2pix.translate(G, x, seed=3), pix2pix.translate(G, x, seed=3))
    assert not torch.equal(pix2pix.translate(G, x, seed=3), pix2pix.translate(G, x, seed=4))


def test_hide_bottom_blanks_the_bottom_rows_only():
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    hidden = pix2pix.hide_bottom(x)
    assert torch.equal(hidden[:, :, :8], x[:, :, :8])
    assert hidden[:, :, 8:].eq(-1).all()
    assert not x[:, :, 8:].eq(-1).all()   # the input is not changed


def test_keep_shown_by_hand():
    shown = torch.full((2, 1, 16, 16), 0.5)
    drawn = torch.full((2, 1, 16, 16), -0.25, requires_grad=True)
    out = pix2pix.keep_shown(shown, drawn)
    assert pix2pix.HIDDEN_ROWS == 8
    assert out[:, :, :8].eq(0.5).all() and out[:, :, 8:].eq(-0.25).all()
    out.sum().backward()   # d out.sum() / d drawn: 0 on the shown rows, 1 on the hidden ones
    assert drawn.grad[:, :, :8].eq(0).all() and drawn.grad[:, :, 8:].eq(1).all()


def test_keep_shown_refuses_mismatched_batches():
    with pytest.raises(ValueError, match="one drawn image per shown one"):
        pix2pix.keep_shown(torch.zeros(2, 1, 16, 16), torch.zeros(3, 1, 16, 16))


def test_completer_keeps_the_shown_rows_only_when_asked():
    G = pix2pix.UNetGenerator(pix2pix.Pix2PixConfig(width=4, dropout=0.0)).eval()
    x = pix2pix.hide_bottom(torch.rand(3, 1, 16, 16) * 2 - 1)
    whole = G(x)
    kept = pix2pix.Completer(G)(x)
    assert torch.equal(kept[:, :, :8], x[:, :, :8])
    assert torch.equal(kept[:, :, 8:], whole[:, :, 8:])
    assert torch.equal(pix2pix.Completer(G, keep=False)(x), whole)
    assert not torch.equal(whole[:, :, :8], x[:, :, :8])   # so the first check could fail


@pytest.mark.parametrize("keep", [1, 0, "yes", None])
def test_completer_refuses_a_keep_that_is_not_a_bool(keep):
    G = pix2pix.UNetGenerator(pix2pix.Pix2PixConfig(width=4))
    with pytest.raises(TypeError, match="keep must be True"):
        pix2pix.Completer(G, keep=keep)


class Oracle(nn.Module):
    """A 'classifier' that reads the class off the first pixel: logits 10 * one-hot."""

    def forward(self, x):
        k = ((x[:, 0, 0, 0] + 1) * 4.5).round().long().clamp(0, 9)
        return 10 * torch.nn.functional.one_hot(k, 10).float()

    def features(self, x):
        return x.flatten(1)[:, :4]


def test_grade_pairs_by_hand():
    # the identity generator on a, with truth T(a) = dilate(a): its error is mean |a - T(a)|
    a = -torch.ones(2, 1, 16, 16)
    a[:, :, 8, 8] = 1.0
    a[1, 0, 0, 0] = -1 + 2 / 9   # the oracle reads class 1 there
    test = PairedTest(a, dilate(a), torch.tensor([0, 1]))
    grade = pix2pix.grade_pairs(nn.Identity(), test, Oracle())
    assert grade.gt_err == pytest.approx((dilate(a) - a).abs().mean().item())
    # each image: 8 new ink pixels, +2 each; image 1's corner mark spreads to 3 more, +2/9 each
    assert grade.gt_err == pytest.approx((2 * 8 * 2 + 3 * 2 / 9) / 512, abs=1e-6)
    # read_b erodes: the thin 1-pixel mark of image 1 is wiped out, so only image 0 keeps
    assert grade.label_keep == 0.5


class Dilation(nn.Module):
    def forward(self, x):
        return dilate(x)


def test_grade_pairs_of_the_true_translation():
    a = -torch.ones(2, 1, 16, 16)
    a[1, 0, 0, 0] = -1 + 2 / 9
    grade = pix2pix.grade_pairs(Dilation(), PairedTest(a, dilate(a), torch.tensor([0, 1])),
                                Oracle())
    assert grade.gt_err == 0.0 and grade.label_keep == 1.0


def test_judge_completions_confidence_and_accuracy():
    g = torch.Generator().manual_seed(0)
    real = torch.rand(120, 1, 16, 16, generator=g) * 2 - 1
    completed = real.clone()
    completed[:, 0, 0, 0] = -1.0               # the oracle says class 0 for all
    labels = torch.zeros(120, dtype=torch.int64)
    labels[:30] = 3                             # a quarter are really 3s
    report = pix2pix.judge_completions(completed, labels, real, Oracle(), kid_subset=50)
    softmax_top = 1 / (1 + 9 * math.exp(-10))
    assert report.confidence == pytest.approx(softmax_top, abs=1e-6)
    assert report.accuracy == pytest.approx(0.75)
    same = pix2pix.judge_completions(real, labels, real, Oracle(), kid_subset=50)
    assert same.fid == pytest.approx(0.0, abs=1e-3)
    assert report.fid > same.fid
    assert report.grey == pix2pix.grey_share(completed)


def test_grey_share_counts_the_hidden_rows_pixels_nearer_grey_than_ink_or_background():
    images = -torch.ones(2, 1, 16, 16)
    images[:, :, :8] = 0.0                      # the shown rows are not counted
    images[0, 0, 8, :4] = 0.49                  # grey: nearer 0 than +-1
    images[0, 0, 9, :4] = -0.49
    images[1, 0, 10, :8] = 0.51                 # ink: nearer +1
    images[1, 0, 11, :8] = -0.51                # background: nearer -1
    # 8 grey pixels among the 2 * 8 * 16 hidden ones
    assert pix2pix.grey_share(images) == pytest.approx(8 / 256)
    with pytest.raises(ValueError):
        pix2pix.grey_share(torch.zeros(2, 16, 16))
