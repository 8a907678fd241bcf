import pytest
import torch

from gan_course import losses, snapshots, training
from gan_course.data2d import get_dataset
from gan_course.mlp import MLPDiscriminator, MLPGenerator


def small_pair(seed=0):
    torch.manual_seed(seed)
    return MLPGenerator(hidden=32, depth=2), MLPDiscriminator(hidden=32, depth=2)


def test_step_returns_the_losses_it_minimised():
    G, D = small_pair()
    opt_g = torch.optim.SGD(G.parameters(), lr=0.05)
    opt_d = torch.optim.SGD(D.parameters(), lr=0.05)
    real, z = get_dataset("ring").sample(64), torch.randn(64, 2)
    with torch.no_grad():
        d_before = losses.discriminator_loss(D(real), D(G(z))).item()
    d_loss, g_loss = training.train_step(
        G, D, opt_g, opt_d, real, z, losses.generator_loss_nonsaturating
    )
    assert d_loss == pytest.approx(d_before)
    assert g_loss > 0


def test_discriminator_step_alone_lowers_its_loss():
    G, D = small_pair()
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)
    real, z = get_dataset("ring").sample(64), torch.randn(64, 2)
    frozen_g = torch.optim.SGD(G.parameters(), lr=0.0)
    before = losses.discriminator_loss(D(real), D(G(z))).item()
    training.train_step(G, D, frozen_g, opt_d, real, z, losses.generator_loss_nonsaturating)
    after = losses.discriminator_loss(D(real), D(G(z))).item()
    assert after < before


def test_generator_step_raises_d_of_fakes():
    G, D = small_pair()
    opt_g = torch.optim.SGD(G.parameters(), lr=0.1)
    frozen_d = torch.optim.SGD(D.parameters(), lr=0.0)
    real, z = get_dataset("ring").sample(64), torch.randn(64, 2)
    before = D(G(z)).mean().item()
    training.train_step(G, D, opt_g, frozen_d, real, z, losses.generator_loss_nonsaturating)
    assert D(G(z)).mean().item() > before


def test_train_is_reproducible_and_records_history():
    ring = get_dataset("ring")
    runs = []
    for _ in range(2):
        G, D = small_pair(seed=3)
        snap = snapshots.capture_2d(torch.randn(20, 2, generator=torch.Generator()), 1.5, 8)
        history = training.train(G, D, ring.sample, steps=30, batch_size=32, snapshot_every=10,
                                 snapshot=snap, seed=5, progress=False)
        runs.append(history)
    assert runs[0].d_loss == runs[1].d_loss
    assert len(runs[0].g_loss) == 30
    assert runs[0].snapshot_steps == [0, 10, 20, 30]
    assert runs[0].snapshots[-1].heatmap.shape == (8, 8)


def test_training_moves_samples_onto_the_ring():
    ring = get_dataset("ring")
    G, D = small_pair(seed=1)
    z = torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    radius_before = G(z).norm(dim=1).mean().item()
    training.train(G, D, ring.sample, steps=400, batch_size=128, lr=2e-3, seed=0, progress=False)
    radius_after = G(z).norm(dim=1).mean().item()
    assert abs(radius_after - 1.0) < 0.5 * abs(radius_before - 1.0)


def test_learning_rate_decay():
    factor = training._linear_decay(100, 0.6)
    assert factor(0) == 1.0 and factor(59) == 1.0
    assert factor(80) == pytest.approx(0.5)
    assert factor(100) == pytest.approx(0.05)


@pytest.mark.parametrize("kwargs,message", [
    ({"steps": 0}, "steps must be a positive integer"),
    ({"lr": -1e-3}, "lr must be positive"),
    ({"g_loss": "wasserstein"}, "Valid choices"),
])
def test_bad_training_arguments(kwargs, message):
    G, D = small_pair()
    with pytest.raises(ValueError, match=message):
        training.train(G, D, get_dataset("ring").sample, progress=False, **kwargs)


def test_play_rounds_gives_adam_the_requested_betas():
    G, D = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    seen = []

    def play_round(rng, opt_g, opt_d):
        seen.append((opt_g.param_groups[0]["betas"], opt_d.param_groups[0]["betas"]))
        return 0.0, 0.0

    training.play_rounds(G, D, play_round, steps=1, lr=1e-3, decay_from=1.0, snapshot_every=0,
                         snapshot=None, seed=0, progress=False, betas=(0.5, 0.9))
    assert seen == [((0.5, 0.9), (0.5, 0.9))]
