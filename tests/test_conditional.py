import pytest
import torch
from torch import nn

from gan_course import conditional
from gan_course.conditional import (
    TRAIN_DEFAULTS,
    ConcatDiscriminator,
    ConditionalGenerator,
    ProjectionDiscriminator,
    check_labels,
    class_grid,
    conditional_accuracy,
    conditional_train_step,
    label_scores,
    one_hot,
    train_conditional,
)
from gan_course.losses import discriminator_loss
from gan_course.training import TrainConfig


def small_generator() -> ConditionalGenerator:
    torch.manual_seed(0)
    return ConditionalGenerator(z_dim=4, n_classes=10, image_size=16, channels=1, width=8)


def test_shapes():
    G = small_generator()
    labels = torch.tensor([0, 3, 9])
    images = G(torch.randn(3, 4), labels)
    assert images.shape == (3, 1, 16, 16)
    assert G.sample(labels, torch.Generator().manual_seed(0)).shape == (3, 1, 16, 16)
    for D in (ProjectionDiscriminator(width=8), ConcatDiscriminator(width=8)):
        assert D(images, labels).shape == (3,)
    rgb = ConditionalGenerator(z_dim=4, n_classes=3, image_size=8, channels=3, width=8)
    assert rgb(torch.randn(2, 4), torch.tensor([0, 2])).shape == (2, 3, 8, 8)


@pytest.mark.parametrize("labels,error,message", [
    (torch.tensor([0, 10]), ValueError, r"0\.\.9.*\[10\]"),
    (torch.tensor([-1, 2]), ValueError, r"\[-1\]"),
    (torch.tensor([1.0, 2.0]), TypeError, "int64"),
    (torch.tensor([[1, 2]]), ValueError, r"\(N,\)"),
    ([1, 2], TypeError, r"torch\.tensor"),
])
def test_check_labels_refuses_clearly(labels, error, message):
    with pytest.raises(error, match=message):
        check_labels(labels, 10)


def test_sample_checks_labels():
    with pytest.raises(ValueError, match="0..9"):
        small_generator().sample(torch.tensor([12]))


def test_train_step_lowers_discriminator_loss_with_generator_frozen():
    G, D = small_generator(), ProjectionDiscriminator(width=8)
    opt_g = torch.optim.Adam(G.parameters(), lr=0.0)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3)
    real = torch.rand(16, 1, 16, 16) * 2 - 1
    labels, fake_labels = torch.arange(16) % 10, torch.arange(16).flip(0) % 10
    z = torch.randn(16, 4)

    def d_loss() -> float:
        with torch.no_grad():
            return discriminator_loss(D(real, labels), D(G(z, fake_labels), fake_labels)).item()

    before = d_loss()
    g_before = [p.clone() for p in G.parameters()]
    conditional_train_step(G, D, opt_g, opt_d, real, labels, z, fake_labels)
    assert d_loss() < before
    assert all(torch.equal(a, b) for a, b in zip(g_before, G.parameters()))


def test_same_z_and_label_give_the_same_image_in_eval_mode():
    G = small_generator().eval()
    z = torch.randn(1, 4).repeat(2, 1)
    images = G(z, torch.tensor([5, 5]))
    assert torch.equal(images[0], images[1])


def test_class_grid_rows_are_classes_and_columns_share_z():
    G = small_generator().eval()
    grid = class_grid(G, n_columns=3, generator=torch.Generator().manual_seed(7))
    assert grid.shape == (30, 1, 16, 16)
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        for k in (0, 4, 9):
            expected = G(z, torch.full((3,), k))
            assert torch.allclose(grid[3 * k:3 * k + 3], expected, atol=1e-6)


class TrueClass(nn.Module):
    """A stub 'classifier' that reads the class the stub generator wrote into pixel (0, 0)."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(images[:, 0, 0, 0].round().long(), 10).float()


class LabelPainter(nn.Module):
    """A stub generator whose image is filled with its label."""

    z_dim, n_classes = 2, 10

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def sample(self, labels, generator=None):
        return labels.float()[:, None, None, None].expand(-1, 1, 16, 16)


def test_conditional_accuracy_with_a_perfect_classifier_is_one():
    overall, per_class = conditional_accuracy(LabelPainter(), TrueClass(), n=100)
    assert overall == 1.0 and per_class == [1.0] * 10


def test_projection_logit_depends_on_the_label():
    D = ProjectionDiscriminator(width=8).eval()
    x = torch.rand(1, 1, 16, 16).repeat(2, 1, 1, 1)
    logits = D(x, torch.tensor([1, 2]))
    assert not torch.allclose(logits[0], logits[1])


def test_projection_logit_follows_its_equation():
    """logit = w . h + b + <embed(y), h>, with h = flatten(phi(x)), from the weights by hand."""
    torch.manual_seed(0)
    D = ProjectionDiscriminator(width=8).eval()
    x = torch.rand(3, 1, 16, 16) * 2 - 1
    labels = torch.tensor([0, 4, 9])
    with torch.no_grad():
        h = D.phi(x).flatten(start_dim=1)
        w, b = D.linear.weight[0], D.linear.bias[0]
        by_hand = [h[i] @ w + b + D.embed.weight[labels[i]] @ h[i] for i in range(3)]
        assert torch.allclose(D(x, labels), torch.stack(by_hand), atol=1e-5)


def test_train_conditional_is_reproducible():
    images = torch.rand(40, 1, 16, 16) * 2 - 1
    labels = torch.arange(40) % 10
    config = TrainConfig(steps=3, batch_size=8, lr=2e-4, seed=1, progress=False)

    def run() -> list[float]:
        G = small_generator()
        D = ProjectionDiscriminator(width=8)
        history = train_conditional(G, D, images, labels, config=config)
        assert set(history.losses) == {"d", "g"}
        return history.d_loss + history.g_loss

    first = run()
    assert len(first) == 6 and first == run()


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
def test_train_conditional_draws_batch_codes_and_fake_labels_in_that_order():
    """The random stream of a round, drawn a second time by hand: batch indices, then z,
    then fake labels, from one CPU generator seeded by config.seed."""
    images = torch.rand(30, 1, 16, 16) * 2 - 1
    labels = torch.arange(30) % 10
    seen = []

    def recording_step(G, D, opt_g, opt_d, real, real_labels, z, fake_labels):
        seen.append((real, real_labels, z, fake_labels))
        return 0.5, 1.5

    config = TrainConfig(steps=2, batch_size=5, seed=7, progress=False)
    history = train_conditional(small_generator(), ProjectionDiscriminator(width=8), images,
                                labels, config=config, max_shift=0, step_fn=recording_step)
    assert history.d_loss == [0.5, 0.5] and history.g_loss == [1.5, 1.5]
    rng = torch.Generator().manual_seed(7)
    for real, real_labels, z, fake_labels in seen:
        index = torch.randint(30, (5,), generator=rng)
        assert torch.equal(real, images[index]) and torch.equal(real_labels, labels[index])
        assert torch.equal(z, torch.randn(5, 4, generator=rng))
        assert torch.equal(fake_labels, torch.randint(10, (5,), generator=rng))


def test_train_conditional_settings():
    assert (TRAIN_DEFAULTS.steps, TRAIN_DEFAULTS.batch_size, TRAIN_DEFAULTS.lr,
            TRAIN_DEFAULTS.decay_from) == (2000, 128, 2e-4, 0.6)
    images, labels = torch.zeros(4, 1, 16, 16), torch.arange(4)
    with pytest.raises(ValueError, match="d_steps must be 1"):
        train_conditional(small_generator(), ProjectionDiscriminator(width=8), images, labels,
                          config=TrainConfig(steps=1, d_steps=2, progress=False))
    with pytest.raises(ValueError, match="one label per row"):
        train_conditional(small_generator(), ProjectionDiscriminator(width=8), images,
                          labels[:3], config=TrainConfig(steps=1, progress=False))


def test_pretrained_generator_loads_and_samples():
    G = ConditionalGenerator.from_pretrained()
    images = G.sample(torch.tensor([0, 7]), torch.Generator().manual_seed(0))
    assert images.shape == (2, 1, 16, 16) and not G.training
    assert images.min() >= -1 and images.max() <= 1


def test_one_hot_is_float_with_one_one_per_row_and_refuses_bad_labels():
    out = one_hot(torch.tensor([2, 0, 2]), 3)
    assert out.dtype == torch.float32
    assert torch.equal(out, torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
    with pytest.raises(ValueError, match="0..2"):
        one_hot(torch.tensor([3]), 3)
    with pytest.raises(TypeError):
        one_hot(torch.tensor([1.0]), 3)


def test_concat_discriminator_uses_the_one_hot_function_it_is_given():
    calls = []

    def counting_one_hot(labels, n_classes):
        calls.append(len(labels))
        return torch.zeros(len(labels), n_classes, dtype=torch.int64)  # wrong dtype on purpose

    torch.manual_seed(0)
    D = ConcatDiscriminator(width=8, one_hot_fn=counting_one_hot).eval()
    x = torch.rand(3, 1, 16, 16) * 2 - 1
    blind = D(x, torch.tensor([0, 1, 2]))
    assert calls == [3] and blind.dtype == torch.float32
    # every label gets the same (all-zero) code, so the label no longer matters
    assert torch.equal(blind, D(x, torch.tensor([5, 5, 5])))
    torch.manual_seed(0)
    default = ConcatDiscriminator(width=8).eval()
    assert not torch.equal(default(x, torch.tensor([0, 1, 2])), default(x, torch.tensor([5, 5, 5])))

    def wrong_shape(labels, n_classes):
        return torch.zeros(len(labels), n_classes + 1)

    with pytest.raises(ValueError, match="one_hot_fn must return shape"):
        ConcatDiscriminator(width=8, one_hot_fn=wrong_shape)(x, torch.tensor([0, 1, 2]))


def test_concat_discriminator_checks_the_labels_once_through_its_one_hot(monkeypatch):
    """The label guard lives in one_hot: one look at the labels per call, bad labels refused,
    and the discriminator itself adds only the one-label-per-image check."""
    looks = []
    check = conditional.check_labels

    def counting_check(labels, n_classes):
        looks.append(len(labels))
        check(labels, n_classes)

    monkeypatch.setattr(conditional, "check_labels", counting_check)
    D = ConcatDiscriminator(width=8).eval()
    x = torch.rand(3, 1, 16, 16) * 2 - 1
    D(x, torch.tensor([0, 1, 2]))
    assert looks == [3]
    with pytest.raises(ValueError, match=r"0\.\.9"):
        D(x, torch.tensor([0, 1, 10]))
    with pytest.raises(ValueError, match="3 rows but 2 labels"):
        D(x, torch.tensor([0, 1]))


def test_label_scores_pair_every_image_with_every_label():
    torch.manual_seed(0)
    D = ProjectionDiscriminator(width=8).eval()
    x = torch.rand(4, 1, 16, 16) * 2 - 1
    scores = label_scores(D, x, 10)
    assert scores.shape == (4, 10)
    for i in range(4):
        for k in (0, 7):
            assert scores[i, k].item() == pytest.approx(D(x[i:i + 1], torch.tensor([k])).item(),
                                                        abs=1e-5)
