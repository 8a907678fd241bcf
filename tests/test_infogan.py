"""The InfoGAN family (lesson 10): information loss, matching codes to classes, measurements."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from gan_course import infogan
from gan_course.training import TrainConfig

SMALL = infogan.InfoGANConfig(z_dim=4, width=8,
                              training=TrainConfig(steps=3, batch_size=8, lr=1e-3, seed=0,
                                                   progress=False))
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


# --- the information loss ------------------------------------------------------------------

def test_information_loss_by_hand_one_sample():
    # CE of uniform logits over 3 values = log 3; Gaussian with s = 1: (0.5 - (-0.5))^2 / 2
    value = infogan.information_loss(torch.zeros(1, 3), torch.tensor([1]), torch.tensor([[0.5]]),
                                     torch.tensor([[0.0]]), torch.tensor([[-0.5]]))
    assert value.item() == pytest.approx(math.log(3) + 0.5 + HALF_LOG_2PI, abs=1e-6)


def test_information_loss_by_hand_two_samples_with_spread():
    logits = torch.tensor([[math.log(3.0), 0.0], [0.0, 0.0]])   # softmax [3/4, 1/4], [1/2, 1/2]
    categories = torch.tensor([1, 0])
    means = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    log_stds = torch.tensor([[math.log(2.0), 0.0], [0.0, 0.0]])
    continuous = torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    sample_0 = -math.log(0.25) + (math.log(2.0) + 1 / 8 + HALF_LOG_2PI) + HALF_LOG_2PI
    sample_1 = -math.log(0.5) + 2 * HALF_LOG_2PI
    value = infogan.information_loss(logits, categories, means, log_stds, continuous)
    assert value.item() == pytest.approx((sample_0 + sample_1) / 2, abs=1e-6)


def test_information_loss_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    logits, means = torch.randn(6, 10, generator=g), torch.randn(6, 2, generator=g)
    log_stds = torch.randn(6, 2, generator=g) * 0.3
    categories, continuous = torch.randint(10, (6,), generator=g), torch.rand(6, 2, generator=g)
    expected = -(torch.distributions.Categorical(logits=logits).log_prob(categories)
                 + torch.distributions.Normal(means, log_stds.exp()).log_prob(continuous).sum(1))
    got = infogan.information_loss(logits, categories, means, log_stds, continuous)
    assert got.item() == pytest.approx(expected.mean().item(), abs=1e-5)


def test_code_entropy():
    assert infogan.code_entropy(infogan.InfoGANConfig()) == pytest.approx(
        math.log(10) + 2 * math.log(2))


# --- matching codes to classes -------------------------------------------------------------

def brute_force(scores: torch.Tensor) -> float:
    rows, cols = scores.shape
    return max(sum(scores[r, p[r]].item() for r in range(rows))
               for p in itertools.permutations(range(cols), rows))


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (4, 4), (5, 5), (3, 6), (6, 6)])
def test_best_assignment_equals_brute_force(shape):
    g = torch.Generator().manual_seed(sum(shape))
    for trial in range(5):
        scores = torch.randint(0, 6, shape, generator=g).float()   # ties on purpose
        if trial % 2:
            scores = torch.randn(shape, generator=g)
        match = infogan.best_assignment(scores)
        assert len(set(match)) == shape[0] and all(0 <= c < shape[1] for c in match)
        assert sum(scores[r, c].item() for r, c in enumerate(match)) == pytest.approx(
            brute_force(scores))


def test_best_assignment_refuses_more_rows_than_columns():
    with pytest.raises(ValueError, match="at most as many rows"):
        infogan.best_assignment(torch.zeros(3, 2))
    with pytest.raises(ValueError, match="2-d"):
        infogan.best_assignment(torch.zeros(3))


def test_code_class_accuracy_is_one_to_one():
    # both codes mostly draw class 5: a many-to-one count would say 5/6, one-to-one 4/6
    codes = torch.tensor([0, 0, 0, 1, 1, 1])
    classes = torch.tensor([5, 5, 5, 5, 5, 2])
    assert infogan.code_class_accuracy(codes, classes) == pytest.approx(4 / 6)
    assert infogan.contingency(codes, classes, 2, 10)[1].tolist() == [0, 0, 1, 0, 0, 2, 0, 0, 0, 0]


def test_code_class_accuracy_of_a_relabelling_is_one():
    g = torch.Generator().manual_seed(1)
    classes = torch.randint(10, (200,), generator=g)
    relabel = torch.randperm(10, generator=g)
    assert infogan.code_class_accuracy(relabel[classes], classes) == 1.0


def test_code_class_accuracy_errors():
    with pytest.raises(ValueError, match="one class per code"):
        infogan.code_class_accuracy(torch.tensor([0, 1]), torch.tensor([0]))
    with pytest.raises(ValueError, match="0..9"):
        infogan.code_class_accuracy(torch.tensor([0, 10]), torch.tensor([0, 1]))
    with pytest.raises(TypeError):
        infogan.code_class_accuracy(torch.tensor([0.0, 1.0]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="at least one"):
        infogan.code_class_accuracy(torch.tensor([], dtype=torch.int64),
                                    torch.tensor([], dtype=torch.int64))


# --- image properties ----------------------------------------------------------------------

def test_stroke_mass_by_hand():
    images = -torch.ones(2, 1, 16, 16)
    images[1, 0, :4, :] = 1.0          # a quarter of the pixels fully inked
    assert infogan.stroke_mass(images).tolist() == pytest.approx([0.0, 0.25])


def test_slant_of_a_leaning_and_an_upright_stroke():
    upright, leaning = -torch.ones(1, 1, 16, 16), -torch.ones(1, 1, 16, 16)
    upright[0, 0, 2:14, 8] = 1.0
    for r in range(2, 14):                 # top further right: one column per two rows
        leaning[0, 0, r, 8 + (14 - r) // 2] = 1.0
    assert infogan.slant(upright).item() == pytest.approx(0.0, abs=1e-6)
    assert infogan.slant(leaning).item() == pytest.approx(0.5, abs=0.05)
    assert infogan.slant(leaning.flip(-1)).item() == pytest.approx(-0.5, abs=0.05)


def test_ink_width_by_hand():
    images = -torch.ones(1, 1, 16, 16)
    images[0, 0, 5, 3] = images[0, 0, 9, 7] = 1.0      # ink at columns 3 and 7: std 2
    assert infogan.ink_width(images).item() == pytest.approx(2.0)


class InkByCode(torch.nn.Module):
    """A stand-in generator: the top rows are inked in proportion to (c_0 + 1) / 2, so the
    stroke mass is exactly (c_0 + 1) / 8 and c_1, z and the category do nothing."""

    z_dim, n_categories, n_continuous = 1, 10, 2

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, z, categories, continuous):
        level = 0.25 * (continuous[:, 0] + 1) / 2                      # (N,) in [0, 0.25]
        rows = torch.arange(16.0)[None, :]
        full = (level * 16).floor()[:, None]
        ink = (rows < full).float() + (level * 16 - full[:, 0])[:, None] * (rows == full).float()
        return ink[:, None, :, None].expand(-1, 1, 16, 16) * 2 - 1


def test_continuous_correlations_find_the_code_that_sets_a_property():
    G = InkByCode()
    images = G(None, None, torch.tensor([[-1.0, 0.0], [1.0, 0.0]]))
    assert infogan.stroke_mass(images).tolist() == pytest.approx([0.0, 0.25])
    corr = infogan.continuous_correlations(G, n=1000, generator=torch.Generator().manual_seed(0))
    assert corr["stroke mass"][0] == pytest.approx(1.0, abs=1e-6)
    assert abs(corr["stroke mass"][1]) < 0.1          # independent draws: about 1/sqrt(1000)
    with pytest.raises(ValueError, match="n must be"):
        infogan.continuous_correlations(G, n=1)


def test_pearson():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert infogan.pearson(x, 2 * x + 1) == pytest.approx(1.0)
    assert infogan.pearson(x, -x) == pytest.approx(-1.0)
    assert infogan.pearson(x, torch.ones(4)) == 0.0
    assert infogan.pearson(x, torch.tensor([1.0, -1.0, -1.0, 1.0])) == pytest.approx(0.0)


# --- the players and the game ----------------------------------------------------------------

def test_shapes_and_q_output():
    torch.manual_seed(0)
    G, D = infogan.InfoGenerator(SMALL), infogan.InfoDiscriminator(SMALL)
    categories, continuous = infogan.sample_codes(5, SMALL, torch.Generator().manual_seed(0))
    assert categories.dtype == torch.int64 and continuous.abs().max() <= 1
    images = G(torch.randn(5, 4), categories, continuous)
    assert images.shape == (5, 1, 16, 16)
    logit, q = D.both(images)
    assert logit.shape == (5,) and q.logits.shape == (5, 10)
    assert q.means.shape == (5, 2) and torch.equal(q.log_stds, torch.zeros(5, 2))
    learned = infogan.InfoDiscriminator(infogan.InfoGANConfig(z_dim=4, width=8, learn_std=True))
    lo, hi = infogan.LOG_STD_RANGE
    assert learned.q(images).log_stds.min() >= lo and learned.q(images).log_stds.max() <= hi


def test_generator_refuses_bad_codes():
    G = infogan.InfoGenerator(SMALL)
    z = torch.randn(2, 4)
    with pytest.raises(ValueError, match="0..9"):
        G(z, torch.tensor([0, 10]), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="continuous codes must have shape"):
        G(z, torch.tensor([0, 1]), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="one category per sample"):
        G(z, torch.tensor([0]), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="expected z"):
        G(torch.randn(2, 5), torch.tensor([0, 1]), torch.zeros(2, 2))


def test_config_errors():
    with pytest.raises(ValueError, match="n_categories"):
        infogan.InfoGANConfig(n_categories=1)
    with pytest.raises(ValueError, match="info_weight"):
        infogan.InfoGANConfig(info_weight=-1.0)
    with pytest.raises(TypeError, match="TrainConfig"):
        infogan.InfoGANConfig(training={"steps": 3})


def _run(config=SMALL):
    torch.manual_seed(0)
    G, D = infogan.InfoGenerator(config), infogan.InfoDiscriminator(config)
    images = torch.rand(32, 1, 16, 16) * 2 - 1
    history = infogan.train_infogan(G, D, images, config)
    return G, D, history


def test_training_is_seeded_and_records_the_losses():
    G1, _, h1 = _run()
    G2, _, h2 = _run()
    assert h1.losses == h2.losses and set(h1.losses) == {"d", "g", "info"}
    assert len(h1.losses["info"]) == 3
    for a, b in zip(G1.parameters(), G2.parameters()):
        assert torch.equal(a, b)


def test_one_q_step_lowers_the_information_loss():
    torch.manual_seed(0)
    G, D = infogan.InfoGenerator(SMALL), infogan.InfoDiscriminator(SMALL)
    G.eval()
    D.eval()   # fixed batch-norm statistics: the same function before and after the step
    categories, continuous = infogan.sample_codes(16, SMALL, torch.Generator().manual_seed(1))
    with torch.no_grad():
        fake = G(torch.randn(16, 4), categories, continuous)

    def loss():
        q = D.q(fake)
        return infogan.information_loss(q.logits, categories, q.means, q.log_stds, continuous)

    before = loss()
    optimizer = torch.optim.SGD(D.parameters(), lr=0.05)
    before.backward()
    optimizer.step()
    assert loss().item() < before.item()


def test_training_refuses_bad_images_and_d_steps():
    G, D = infogan.InfoGenerator(SMALL), infogan.InfoDiscriminator(SMALL)
    with pytest.raises(ValueError, match="values in"):
        infogan.train_infogan(G, D, torch.full((4, 1, 16, 16), 3.0), SMALL)
    two = infogan.InfoGANConfig(z_dim=4, width=8, training=TrainConfig(steps=1, d_steps=2))
    with pytest.raises(ValueError, match="d_steps"):
        infogan.train_infogan(G, D, torch.zeros(4, 1, 16, 16), two)


def test_learner_loss_function_is_what_trains():
    calls = []

    def counting(*args):
        calls.append(1)
        return infogan.information_loss(*args)

    torch.manual_seed(0)
    G, D = infogan.InfoGenerator(SMALL), infogan.InfoDiscriminator(SMALL)
    infogan.train_infogan(G, D, torch.zeros(8, 1, 16, 16), SMALL, info_loss_fn=counting)
    assert len(calls) == 2 * SMALL.training.steps


def test_grids_and_measurements_shapes():
    torch.manual_seed(0)
    G = infogan.InfoGenerator(SMALL).eval()
    grid = infogan.category_grid(G, n_columns=3, generator=torch.Generator().manual_seed(0))
    assert grid.shape == (30, 1, 16, 16)
    # same z and continuous code down a column: with a one-category G every row would be equal
    sweep = infogan.continuous_sweep(G, 1, torch.linspace(-1, 1, 4), n_rows=2,
                                     generator=torch.Generator().manual_seed(0))
    assert sweep.shape == (8, 1, 16, 16)
    with pytest.raises(ValueError, match="code must be"):
        infogan.continuous_sweep(G, 2, torch.zeros(3))
    corr = infogan.continuous_correlations(G, n=12, generator=torch.Generator().manual_seed(0),
                                           batch_size=5)
    assert set(corr) == {"stroke mass", "slant", "width"}
    assert all(len(v) == 2 for v in corr.values())
    assert all(-1 <= c <= 1 for v in corr.values() for c in v)


def test_classify_by_code_with_a_stand_in_classifier():
    torch.manual_seed(0)
    G = infogan.InfoGenerator(SMALL).eval()

    class Ink(torch.nn.Module):       # "class" = the ink decile: a deterministic judge
        def forward(self, x):
            mass = infogan.stroke_mass(x)
            return torch.nn.functional.one_hot((mass * 9.99).long(), 10).float()

    codes, classes = infogan.classify_by_code(G, Ink(), per_code=4,
                                              generator=torch.Generator().manual_seed(0))
    assert codes.tolist() == [k for k in range(10) for _ in range(4)]
    assert classes.shape == (40,)


def test_shipped_generator_loads_with_its_settings():
    G = infogan.InfoGenerator.from_pretrained()
    info = infogan.shipped_weights_info()
    assert not G.training and info["made_by"].startswith("python tools/train_infogan_weights.py")
    assert (G.z_dim, G.n_categories, G.n_continuous) == (info["z_dim"], 10, 2)
    categories, continuous = infogan.sample_codes(3, G.config, torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = G(torch.randn(3, G.z_dim), categories, continuous)
    assert out.shape == (3, 1, 16, 16) and out.abs().max() <= 1
