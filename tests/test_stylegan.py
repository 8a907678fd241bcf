"""Lesson 09's style-based generator: hand-computed oracles for its parts, and the game."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from torch import nn

from gan_course import stylegan
from gan_course.losses import generator_loss_nonsaturating
from gan_course.manifold import precision_recall
from gan_course.training import TrainConfig

SMALL = stylegan.StyleGANConfig(z_dim=4, w_dim=4, mapping_layers=2, channels=(4, 4, 4),
                                d_width=4,
                                training=TrainConfig(steps=3, batch_size=4, progress=False))


def make_G(seed: int = 0) -> stylegan.StyleGenerator:
    torch.manual_seed(seed)
    return stylegan.StyleGenerator(SMALL)


def test_pixel_norm_by_hand():
    z = torch.tensor([[3.0, 4.0], [1.0, 1.0]])
    # row 0: mean square (9 + 16) / 2 = 12.5; row 1: 1
    expected = torch.tensor([[3 / math.sqrt(12.5), 4 / math.sqrt(12.5)], [1.0, 1.0]])
    assert torch.allclose(stylegan.pixel_norm(z, eps=0.0), expected)
    assert torch.allclose(stylegan.pixel_norm(torch.zeros(1, 3)), torch.zeros(1, 3))


def test_adain_by_hand():
    # one sample, two channels of 2 x 2: channel 0 = [1, 3, 1, 3] (mean 2, var 1),
    # channel 1 = [0, 0, 4, 4] (mean 2, var 4)
    x = torch.tensor([[[[1.0, 3.0], [1.0, 3.0]], [[0.0, 0.0], [4.0, 4.0]]]])
    scale, shift = torch.tensor([[2.0, 0.5]]), torch.tensor([[10.0, -1.0]])
    out = stylegan.adain(x, scale, shift, eps=0.0)
    expected = torch.tensor([[[[8.0, 12.0], [8.0, 12.0]], [[-1.5, -1.5], [-0.5, -0.5]]]])
    assert torch.allclose(out, expected)
    # with eps: channel 0 divides by sqrt(1 + 3) = 2
    out = stylegan.adain(x, scale, shift, eps=3.0)
    assert torch.allclose(out[0, 0, 0], torch.tensor([10 - 1.0, 10 + 1.0]))


def test_adain_sets_each_maps_statistics():
    x = torch.randn(3, 5, 4, 4) * 7 + 2
    scale, shift = torch.rand(3, 5) + 0.5, torch.randn(3, 5)
    out = stylegan.adain(x, scale, shift)
    assert torch.allclose(out.mean(dim=(2, 3)), shift, atol=1e-5)
    assert torch.allclose(out.std(dim=(2, 3), unbiased=False), scale, atol=1e-4)


def test_mapping_forward_by_hand():
    first, second = nn.Linear(2, 2), nn.Linear(2, 1)
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -1.0]]))
        first.bias.zero_()
        second.weight.copy_(torch.tensor([[1.0, 1.0]]))
        second.bias.fill_(0.5)
    z = torch.tensor([[6.0, 8.0]])   # rms sqrt(50): normed [0.6, 0.8] * sqrt(2)
    a, b = 0.6 * math.sqrt(2), 0.8 * math.sqrt(2)
    hidden = [a, -0.2 * b]           # LeakyReLU(0.2) of [a, -b]
    expected = hidden[0] + hidden[1] + 0.5
    out = stylegan.mapping_forward(z, [first, second])
    assert out.shape == (1, 1) and out.item() == pytest.approx(expected, abs=1e-5)


def test_truncation_ends_and_middle():
    w, w_avg = torch.tensor([[2.0, -4.0]]), torch.tensor([1.0, 1.0])
    assert torch.equal(stylegan.truncate(w, w_avg, 1.0), w)
    assert torch.equal(stylegan.truncate(w, w_avg, 0.0), w_avg[None])
    assert torch.allclose(stylegan.truncate(w, w_avg, 0.5), torch.tensor([[1.5, -1.5]]))
    with pytest.raises(ValueError, match="psi must be a finite number"):
        stylegan.truncate(w, w_avg, float("nan"))
    with pytest.raises(ValueError, match="expected w of shape"):
        stylegan.truncate(w, torch.zeros(3), 0.5)
    with pytest.raises(ValueError, match="w_avg must have shape"):
        stylegan.truncate(w, torch.zeros(1, 2), 0.5)


def test_class_centres_are_the_means_per_label():
    ws = torch.tensor([[0.0, 2.0], [2.0, 4.0], [10.0, 10.0], [-1.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 2])
    centres = stylegan.class_centres(ws, labels, n_classes=3)
    assert torch.equal(centres, torch.tensor([[1.0, 3.0], [10.0, 10.0], [-1.0, 0.0]]))
    with pytest.raises(ValueError, match="class 3 has no w"):
        stylegan.class_centres(ws, labels, n_classes=4)
    with pytest.raises(ValueError, match="one label per w"):
        stylegan.class_centres(ws, labels[:3], n_classes=3)


def test_truncate_to_nearest_pulls_each_w_to_its_own_centre():
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    w = torch.tensor([[2.0, 2.0], [9.0, -4.0], [4.0, 0.0]])  # nearest: 0, 1, 0
    # w' = c + psi (w - c), by hand, at psi 0.5
    expected = torch.tensor([[1.0, 1.0], [9.5, -2.0], [2.0, 0.0]])
    assert torch.allclose(stylegan.truncate_to_nearest(w, centres, 0.5), expected)
    assert torch.equal(stylegan.truncate_to_nearest(w, centres, 1.0), w)
    assert torch.equal(stylegan.truncate_to_nearest(w, centres, 0.0),
                       torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 0.0]]))
    # one centre, the average: the plain truncation trick
    avg = torch.tensor([1.0, -1.0])
    assert torch.allclose(stylegan.truncate_to_nearest(w, avg[None], 0.3),
                          stylegan.truncate(w, avg, 0.3))
    with pytest.raises(ValueError, match="centres must have shape"):
        stylegan.truncate_to_nearest(w, avg, 0.5)
    with pytest.raises(ValueError, match="expected w of shape"):
        stylegan.truncate_to_nearest(w[:, :1], centres, 0.5)


def test_fade_in_at_its_ends():
    rgb8 = torch.arange(4.0).view(1, 1, 2, 2)
    rgb16 = torch.full((1, 1, 4, 4), 9.0)
    up = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0],
                       [2.0, 2.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0]])
    assert torch.equal(stylegan.fade_in(rgb8, rgb16, 0.0)[0, 0], up)
    assert torch.equal(stylegan.fade_in(rgb8, rgb16, 1.0), rgb16)
    assert torch.allclose(stylegan.fade_in(rgb8, rgb16, 0.25)[0, 0], 0.75 * up + 2.25)
    with pytest.raises(ValueError, match="alpha"):
        stylegan.fade_in(rgb8, rgb16, 1.5)
    with pytest.raises(ValueError, match="twice the side"):
        stylegan.fade_in(rgb8, torch.zeros(1, 1, 3, 3), 0.5)


def test_mix_styles_assigns_blocks():
    a, b = torch.zeros(2, 4), torch.ones(2, 4)
    ws = stylegan.mix_styles(a, b, 2)
    assert [w is a for w in ws] == [True, True, False]
    assert all(w is b for w in stylegan.mix_styles(a, b, 0))
    with pytest.raises(ValueError, match="crossover"):
        stylegan.mix_styles(a, b, 4)


def test_each_block_uses_its_own_w():
    """Independent check: record the w each styled layer receives."""
    G = make_G().eval()
    seen = []
    for block_index, block in enumerate(G.blocks):
        for layer in block:
            layer.affine.register_forward_hook(
                lambda module, args, out, k=block_index: seen.append((k, args[0].clone())))
    w_a, w_b = torch.randn(2, 4), torch.randn(2, 4)
    G.synthesis(stylegan.mix_styles(w_a, w_b, 1), generator=torch.Generator().manual_seed(0))
    assert [k for k, _ in seen] == [0, 1, 1, 2, 2]
    for k, w in seen:
        assert torch.equal(w, w_a if k == 0 else w_b)


def test_mixing_with_one_w_is_the_plain_picture():
    G = make_G().eval()
    w = torch.randn(3, 4)
    noise = G.draw_noise(3, torch.Generator().manual_seed(1))
    plain = G.synthesis([w] * 3, noise)
    assert torch.equal(G.synthesis(stylegan.mix_styles(w, w.clone(), 2), noise), plain)
    other = G.synthesis(stylegan.mix_styles(w, torch.randn(3, 4), 2), noise)
    assert not torch.allclose(other, plain)


def test_synthesis_refuses_bad_input():
    G = make_G()
    w = torch.randn(2, 4)
    with pytest.raises(ValueError, match="list of 3 per-layer w's"):
        G.synthesis([w, w])
    with pytest.raises(ValueError, match="list of 3 per-layer w's"):
        G.synthesis(w)
    with pytest.raises(ValueError, match="expected w of shape"):
        G.synthesis([w, w, torch.randn(2, 5)])
    with pytest.raises(ValueError, match="same batch size"):
        G.synthesis([w, w, torch.randn(3, 4)])
    with pytest.raises(ValueError, match="noise pictures"):
        G.synthesis([w] * 3, noise=G.draw_noise(2)[:4])
    with pytest.raises(ValueError, match="expected z of shape"):
        G(torch.randn(2, 5))
    with pytest.raises(ValueError, match="channels must be 3"):
        stylegan.StyleGANConfig(channels=(4, 4))


def test_noise_scales_start_at_zero_and_act_per_channel():
    G = make_G().eval()
    w = [torch.randn(1, 4)] * 3
    first = G.synthesis(w, generator=torch.Generator().manual_seed(0))
    second = G.synthesis(w, generator=torch.Generator().manual_seed(1))
    assert torch.equal(first, second)      # scales 0: noise does nothing yet
    with torch.no_grad():
        G.blocks[2][1].noise_scale[0] = 1.0
    third = G.synthesis(w, generator=torch.Generator().manual_seed(1))
    assert not torch.equal(first, third)


def test_output_shape_range_and_seeded_reproducibility():
    images = make_G(3)(torch.randn(5, 4), generator=torch.Generator().manual_seed(0))
    again = make_G(3)(torch.randn(5, 4), generator=torch.Generator().manual_seed(0))
    assert images.shape == (5, 1, 16, 16)
    assert images.abs().max() <= 1
    torch.manual_seed(9)
    z = torch.randn(5, 4)
    assert torch.equal(make_G(3)(z, generator=torch.Generator().manual_seed(0)),
                       make_G(3)(z, generator=torch.Generator().manual_seed(0)))
    assert again.shape == images.shape


def test_w_avg_tracking():
    G = make_G()
    G.track_w_avg(torch.tensor([[2.0, 0.0, 0.0, 0.0], [4.0, 0.0, 0.0, 2.0]]), beta=0.75)
    assert torch.allclose(G.w_avg, torch.tensor([0.75, 0.0, 0.0, 0.25]))


def test_alpha_schedule():
    assert stylegan.alpha_at(0, 100, (0.1, 0.3)) == 0.0
    assert stylegan.alpha_at(20, 100, (0.1, 0.3)) == pytest.approx(0.5)
    assert stylegan.alpha_at(30, 100, (0.1, 0.3)) == 1.0


def test_one_step_lowers_the_loss_and_training_is_reproducible():
    images = torch.rand(16, 1, 16, 16) * 2 - 1
    torch.manual_seed(0)
    G, D = stylegan.StyleGenerator(SMALL), stylegan.make_discriminator(SMALL)
    # one G step on the non-saturating loss with a fixed D lowers that loss
    z = torch.randn(8, 4)
    noise = G.draw_noise(8, torch.Generator().manual_seed(0))
    opt = torch.optim.SGD(G.parameters(), lr=0.05)
    D.eval()
    before = generator_loss_nonsaturating(D(G.synthesis([G.map(z)] * 3, noise)))
    opt.zero_grad()
    before.backward()
    opt.step()
    after = generator_loss_nonsaturating(D(G.synthesis([G.map(z)] * 3, noise)))
    assert after.item() < before.item()

    def run() -> list[float]:
        torch.manual_seed(1)
        G, D = stylegan.StyleGenerator(SMALL), stylegan.make_discriminator(SMALL)
        history = stylegan.train_stylegan(G, D, images, SMALL)
        return history.d_loss + history.g_loss + G.w_avg.tolist()

    first = run()
    assert first == run() and len(first) == 3 + 3 + 4
    with pytest.raises(ValueError, match="d_steps must be 1"):
        stylegan.train_stylegan(G, D, images, replace(SMALL, training=TrainConfig(d_steps=2)))


def test_mixing_class_kept_counts_pairs():
    G = make_G().eval()
    with torch.no_grad():
        median = G(torch.randn(400, 4)).mean(dim=(1, 2, 3)).median()

    class ByMean(nn.Module):
        """A fake classifier: class 1 for an image brighter than G's median, else 0."""

        def forward(self, x):
            bright = (x.mean(dim=(1, 2, 3)) > median).float()
            return torch.stack([1 - bright, bright], dim=1)

    share, count = stylegan.mixing_class_kept(G, ByMean(), n_pairs=40, crossover=3)
    assert share == 1.0 and 0 < count <= 40     # crossover 3: every block from A
    share, _ = stylegan.mixing_class_kept(G, ByMean(), n_pairs=40, crossover=0)
    assert share == 0.0                         # crossover 0: the mix is B


class Pooled(nn.Module):
    """A fake evaluation classifier: features are the 4 x 4 average-pooled pixels (16), the
    class is 1 for an image brighter than ``threshold``, else 0."""

    def __init__(self, threshold: float):
        super().__init__()
        self.threshold = threshold

    def features(self, x):
        return nn.functional.avg_pool2d(x, 4).flatten(1)

    def forward(self, x):
        bright = (x.mean(dim=(1, 2, 3)) > self.threshold).float()
        return torch.stack([1 - bright, bright], dim=1)


def test_truncation_curve_splits_its_precision_by_class():
    G = make_G().eval()
    with torch.no_grad():
        real_images = G(torch.randn(240, 4), generator=torch.Generator().manual_seed(5))
        threshold = real_images.mean(dim=(1, 2, 3)).median().item()
    classifier = Pooled(threshold)
    real = classifier.features(real_images)
    points = stylegan.truncation_curve(G, classifier, real, (1.0, 0.5, 0.0), n=240, seed=3)
    # psi = 1: every digit is its own start, so all kept and none changed
    assert points[0].class_kept == 1.0 and math.isnan(points[0].precision_changed)
    assert points[0].precision_kept == points[0].precision
    # an independent second computation at psi = 0.5: the same z's and noise, drawn here
    ws = [stylegan.sample_ws(G, 240, p, torch.Generator().manual_seed(3)) for p in (1.0, 0.5)]
    pictures = [stylegan.render(G, [w] * stylegan.N_STYLES, torch.Generator().manual_seed(4))
                for w in ws]
    kept = classifier(pictures[1]).argmax(1) == classifier(pictures[0]).argmax(1)
    precision, _ = precision_recall(real, classifier.features(pictures[1]), k=3)
    half = points[1]
    assert half.precision == pytest.approx(precision)
    assert half.class_kept == pytest.approx(kept.double().mean().item())
    assert 0 < half.class_kept < 1          # both groups exist, so the split is tested
    assert half.class_kept * half.precision_kept + (1 - half.class_kept) \
        * half.precision_changed == pytest.approx(half.precision)
    # psi = 0: every w is w_avg (and the noise scales are still 0), so one picture for all:
    # the kept share is the share of starts in the average digit's class
    average = stylegan.render(G, [G.w_avg[None]] * stylegan.N_STYLES)
    starts = classifier(pictures[0]).argmax(1)
    expected = (starts == classifier(average).argmax(1)).double().mean().item()
    assert points[2].class_kept == pytest.approx(expected)


def test_scaled_linear_uses_m_times_its_parameters():
    layer = stylegan.ScaledLinear(2, 1, lr_mul=0.1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[10.0, -20.0]]))
        layer.bias.fill_(5.0)
    # y = x (0.1 W)^T + 0.1 b = 1 * 1 + 3 * (-2) + 0.5
    assert layer(torch.tensor([[1.0, 3.0]])).item() == pytest.approx(-4.5)
    torch.manual_seed(0)
    big = stylegan.ScaledLinear(400, 300, lr_mul=0.1)
    # the weights used, m W, start He-initialised: std sqrt(2 / 400)
    assert (big.weight * 0.1).std().item() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    with pytest.raises(ValueError, match="mapping_lr_mul"):
        stylegan.StyleGANConfig(mapping_lr_mul=0.0)


def test_the_learners_functions_are_what_draws():
    """Lesson 09 plugs the learner's mapping_forward, adain and truncate in: each is called."""
    G = make_G().eval()
    calls = {"adain": 0, "mapping": 0, "truncate": 0}

    def my_adain(x, scale, shift):
        calls["adain"] += 1
        return stylegan.adain(x, scale, shift) * 0      # a visible change: all-zero features

    def my_mapping(z, layers):
        calls["mapping"] += 1
        return stylegan.mapping_forward(z, layers)

    def my_truncate(w, w_avg, psi):
        calls["truncate"] += 1
        return stylegan.truncate(w, w_avg, psi)

    G.adain_fn, G.mapping_fn = my_adain, my_mapping
    images = G(torch.randn(2, 4), generator=torch.Generator().manual_seed(0))
    assert calls == {"adain": 5, "mapping": 1, "truncate": 0}    # 5 styled layers
    bias = torch.tanh(G.to_rgb16.bias).item()                    # zero features -> tanh(bias)
    assert torch.allclose(images, torch.full_like(images, bias))
    stylegan.sample_ws(G, 3, 0.5, truncate_fn=my_truncate)
    assert calls["truncate"] == 1 and calls["mapping"] == 2


def test_shipped_generator_loads_with_its_w_avg():
    G = stylegan.StyleGenerator.from_pretrained()
    info = stylegan.shipped_weights_info()
    assert info["made_by"] == "python tools/train_stylegan_weights.py"
    assert not G.training and G.config.mapping_lr_mul == info["mapping_lr_mul"]
    assert G.w_avg.abs().sum() > 0            # the running average was saved with the weights
    with torch.no_grad():
        images = G(torch.randn(4, G.z_dim), psi=0.7, generator=torch.Generator().manual_seed(0))
    assert images.shape == (4, 1, 16, 16)
