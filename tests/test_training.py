"""The training core: TrainConfig, History, game_round, train, play_rounds and the batch
helpers, each against a hand computation or an independent second computation."""

import dataclasses
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from gan_course import losses, snapshots, training
from gan_course.data2d import get_dataset
from gan_course.mlp import MLPDiscriminator, MLPGenerator
from gan_course.training import History, TrainConfig


def small_pair(seed=0):
    torch.manual_seed(seed)
    return MLPGenerator(hidden=32, depth=2), MLPDiscriminator(hidden=32, depth=2)


def weights(module: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


QUIET = TrainConfig(progress=False)


# --- TrainConfig ---------------------------------------------------------------------------


@pytest.mark.parametrize("field,value", [
    ("steps", 0), ("steps", -3), ("steps", 2.0), ("steps", True),
    ("batch_size", 0), ("batch_size", 1.5),
    ("d_steps", 0), ("d_steps", False),
    ("lr", 0.0), ("lr", -1e-3), ("lr", True), ("lr", "1e-3"), ("lr", float("inf")),
    ("lr", float("nan")), ("batch_size", -1), ("d_lr", float("inf")),
    ("decay_from", 1.5), ("decay_from", -0.1), ("decay_from", True),
    ("betas", (0.5,)), ("betas", (0.5, 1.0)), ("betas", (-0.1, 0.9)), ("betas", 0.9),
    ("snapshot_every", -1), ("seed", 1.0), ("d_lr", 0.0), ("d_lr", "1e-4"), ("d_lr", True),
])
def test_train_config_refuses_bad_values_naming_them(field, value):
    with pytest.raises(ValueError, match=rf"^{field} must be"):
        TrainConfig(**{field: value})


def test_train_config_names_every_problem_at_once():
    with pytest.raises(ValueError, match="steps must.*; lr must"):
        TrainConfig(steps=0, lr=0.0)


def test_train_config_accepts_numpy_integers_and_is_frozen():
    config = TrainConfig(steps=np.int64(5), batch_size=np.int32(8), d_steps=np.int16(2),
                         seed=np.int64(3), snapshot_every=np.int64(0))
    assert config.steps == 5 and config.batch_size == 8
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.steps = 6
    assert dataclasses.replace(config, lr=0.5).lr == 0.5


# --- History -------------------------------------------------------------------------------


def test_history_records_every_loss_by_name():
    history = History()
    assert history.d_loss == [] and history.g_loss == []
    history.append({"d": 1.0, "g": 2.0, "cycle": 3.0})
    history.append({"d": 4.0, "g": 5.0, "cycle": 6.0})
    assert history.d_loss == [1.0, 4.0]
    assert history.g_loss == [2.0, 5.0]
    assert history.losses == {"d": [1.0, 4.0], "g": [2.0, 5.0], "cycle": [3.0, 6.0]}


# --- batches -------------------------------------------------------------------------------


def test_sampler_and_random_index_draw_what_randint_draws():
    data = torch.arange(30.0).reshape(10, 3)
    expected = data[torch.randint(len(data), (7,), generator=torch.Generator().manual_seed(4))]
    drawn = training.sampler(data)(7, torch.Generator().manual_seed(4))
    assert torch.equal(drawn, expected)
    index = training.random_index(10, 7, torch.Generator().manual_seed(4))
    assert torch.equal(data[index], expected)
    assert index.dtype == torch.int64 and index.shape == (7,)


def test_batch_helpers_refuse_empty_data():
    with pytest.raises(ValueError, match="empty"):
        training.sampler(torch.zeros(0, 2))
    with pytest.raises(ValueError, match="empty"):
        training.random_index(0, 3, torch.Generator())


# --- train_step (lesson 01's round) --------------------------------------------------------


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


# --- game_round ----------------------------------------------------------------------------


def test_game_round_lowers_the_discriminator_loss_on_a_fixed_batch():
    G, D = small_pair()
    opt_d = torch.optim.SGD(D.parameters(), lr=0.1)
    frozen_g = torch.optim.SGD(G.parameters(), lr=0.0)
    real, z = get_dataset("ring").sample(64), torch.randn(64, 2)
    pair = losses.get_loss_pair("non-saturating")
    with torch.no_grad():
        before = pair.d_loss(D, real, G(z)).item()
    d_loss, _ = training.game_round(G, D, frozen_g, opt_d, real, z, pair)
    assert d_loss == pytest.approx(before)  # the loss of the step, before the update
    with torch.no_grad():
        assert pair.d_loss(D, real, G(z)).item() < before


def test_game_round_with_one_d_step_is_train_step_to_the_bit():
    results = []
    for play in ("train_step", "game_round"):
        G, D = small_pair(seed=2)
        opt_g = torch.optim.Adam(G.parameters(), lr=1e-2)
        opt_d = torch.optim.Adam(D.parameters(), lr=1e-2)
        real = get_dataset("ring").sample(32, torch.Generator().manual_seed(0))
        z = torch.randn(32, 2, generator=torch.Generator().manual_seed(1))
        for _ in range(3):
            if play == "train_step":
                values = training.train_step(G, D, opt_g, opt_d, real, z,
                                             losses.generator_loss_nonsaturating)
            else:
                values = training.game_round(G, D, opt_g, opt_d, real, z,
                                             losses.get_loss_pair("non-saturating"))
        results.append((values, weights(G), weights(D)))
    assert results[0][0] == results[1][0]
    assert torch.equal(results[0][1], results[1][1])
    assert torch.equal(results[0][2], results[1][2])


def test_game_round_with_two_d_steps_equals_two_explicit_updates():
    """Oracle: d_steps=2 is D on chunk 1, D on chunk 2, then G on chunk 2's codes."""
    pair = losses.get_loss_pair("least-squares")
    real = get_dataset("ring").sample(16, torch.Generator().manual_seed(0))
    z = torch.randn(16, 2, generator=torch.Generator().manual_seed(1))
    G, D = small_pair(seed=4)
    opt_g, opt_d = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
    d_value, g_value = training.game_round(G, D, opt_g, opt_d, real, z, pair, d_steps=2)

    G2, D2 = small_pair(seed=4)
    opt_g2 = torch.optim.SGD(G2.parameters(), lr=0.1)
    opt_d2 = torch.optim.SGD(D2.parameters(), lr=0.1)
    for rows in (slice(0, 8), slice(8, 16)):
        d_loss = losses.discriminator_loss_least_squares(D2(real[rows]), D2(G2(z[rows]).detach()))
        opt_d2.zero_grad()
        d_loss.backward()
        opt_d2.step()
    g_loss = losses.generator_loss_least_squares(D2(G2(z[8:])))
    opt_g2.zero_grad()
    g_loss.backward()
    opt_g2.step()
    assert d_value == pytest.approx(d_loss.item(), abs=1e-6)
    assert g_value == pytest.approx(g_loss.item(), abs=1e-6)
    assert torch.allclose(weights(D), weights(D2), atol=1e-6)
    assert torch.allclose(weights(G), weights(G2), atol=1e-6)


def test_game_round_steps_d_d_steps_times_and_g_once():
    G, D = small_pair()
    opt_g, opt_d = torch.optim.SGD(G.parameters(), lr=0.0), torch.optim.SGD(D.parameters(), lr=0.0)
    counts = {"g": 0, "d": 0}
    opt_g.register_step_post_hook(lambda *_: counts.__setitem__("g", counts["g"] + 1))
    opt_d.register_step_post_hook(lambda *_: counts.__setitem__("d", counts["d"] + 1))
    real, z = torch.randn(12, 2), torch.randn(12, 2)
    training.game_round(G, D, opt_g, opt_d, real, z, losses.get_loss_pair("wgan-gp"), d_steps=3)
    assert counts == {"g": 1, "d": 3}


def test_game_round_refuses_batches_it_cannot_cut():
    G, D = small_pair()
    opt = torch.optim.SGD(D.parameters(), lr=0.0)
    pair = losses.get_loss_pair("non-saturating")
    with pytest.raises(ValueError, match="multiple of d_steps = 3"):
        training.game_round(G, D, opt, opt, torch.randn(8, 2), torch.randn(8, 2), pair, 3)
    with pytest.raises(ValueError, match="same number"):
        training.game_round(G, D, opt, opt, torch.randn(8, 2), torch.randn(6, 2), pair)
    with pytest.raises(ValueError, match="d_steps must be a positive integer"):
        training.game_round(G, D, opt, opt, torch.randn(8, 2), torch.randn(8, 2), pair, 0)


# --- train ---------------------------------------------------------------------------------


def test_train_is_reproducible_and_records_history():
    ring = get_dataset("ring")
    runs = []
    for _ in range(2):
        G, D = small_pair(seed=3)
        snap = snapshots.capture_2d(torch.randn(20, 2, generator=torch.Generator()), 1.5, 8)
        config = TrainConfig(steps=30, batch_size=32, snapshot_every=10, seed=5, progress=False)
        runs.append(training.train(G, D, ring.sample, config, snapshot=snap))
    assert runs[0].d_loss == runs[1].d_loss
    assert len(runs[0].g_loss) == 30
    assert runs[0].snapshot_steps == [0, 10, 20, 30]
    assert runs[0].snapshots[-1].heatmap.shape == (8, 8)


def test_train_with_a_name_or_its_pair_is_the_same_run():
    ring = get_dataset("ring")
    config = TrainConfig(steps=5, batch_size=16, progress=False)
    runs = []
    for loss in ("least-squares", losses.get_loss_pair("least-squares")):
        G, D = small_pair(seed=6)
        history = training.train(G, D, ring.sample, config, loss=loss)
        runs.append((history.d_loss, weights(G)))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])


# the custom rounds here step no optimizer, so the scheduler warns
@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
def test_train_plays_a_custom_step_with_the_pairs_generator_loss():
    """step_fn gets each step's batch and codes (what the seeded generator draws) and the
    pair's g_loss; its (d, g) are recorded."""
    data = torch.arange(20.0).reshape(10, 2)
    config = TrainConfig(steps=2, batch_size=4, seed=7, progress=False)
    seen = []

    def step_fn(G, D, opt_g, opt_d, real, z, g_loss_fn):
        seen.append((real, z, g_loss_fn))
        return float(len(seen)), -float(len(seen))

    G, D = small_pair()
    pair = losses.logit_pair(g_loss_fn=losses.generator_loss_minimax, name="minimax")
    history = training.train(G, D, training.sampler(data), config, loss=pair, step_fn=step_fn)
    assert history.d_loss == [1.0, 2.0] and history.g_loss == [-1.0, -2.0]
    rng = torch.Generator().manual_seed(7)
    for real, z, g_loss_fn in seen:
        assert torch.equal(real, data[torch.randint(10, (4,), generator=rng)])
        assert torch.equal(z, torch.randn(4, 2, generator=rng))
        assert g_loss_fn is losses.generator_loss_minimax


# the custom rounds here step no optimizer, so the scheduler warns
@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
def test_train_draws_d_steps_times_the_batch():
    seen = []

    def step_fn(G, D, opt_g, opt_d, real, z, g_loss_fn):
        seen.append((real.shape[0], z.shape[0]))
        return 0.0, 0.0

    G, D = small_pair()
    config = TrainConfig(steps=1, batch_size=4, d_steps=3, progress=False)
    training.train(G, D, get_dataset("ring").sample, config, step_fn=step_fn)
    assert seen == [(12, 12)]


def test_training_moves_samples_onto_the_ring():
    ring = get_dataset("ring")
    G, D = small_pair(seed=1)
    z = torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    radius_before = G(z).norm(dim=1).mean().item()
    config = TrainConfig(steps=400, batch_size=128, lr=2e-3, seed=0, progress=False)
    training.train(G, D, ring.sample, config)
    radius_after = G(z).norm(dim=1).mean().item()
    assert abs(radius_after - 1.0) < 0.5 * abs(radius_before - 1.0)


def test_learning_rate_decay():
    factor = training._linear_decay(100, 0.6)
    assert factor(0) == 1.0 and factor(59) == 1.0
    assert factor(80) == pytest.approx(0.5)
    assert factor(100) == pytest.approx(0.05)


class Scalar(nn.Module):
    """One parameter p, starting at 0."""

    def __init__(self):
        super().__init__()
        self.p = nn.Parameter(torch.zeros(()))


def test_fit_takes_adam_steps_on_the_loss_with_its_seeded_generator():
    model, drawn = Scalar(), []

    def step_loss(rng):
        drawn.append(torch.randn(2, generator=rng))
        return (model.p - 3.0) ** 2

    config = TrainConfig(steps=1, lr=0.1, seed=5, progress=False)
    history = training.fit(model, step_loss, config)
    # Adam's first step is lr * sign(gradient) (bias-corrected m / sqrt(v) = g / |g|); the
    # gradient 2 (p - 3) = -6 is negative, so p goes up by lr
    assert model.p.item() == pytest.approx(0.1, abs=1e-6)
    assert history.losses["loss"] == [9.0]            # the loss before the step
    assert len(history.losses["seconds"]) == 1
    assert torch.equal(drawn[0], torch.randn(2, generator=torch.Generator().manual_seed(5)))
    # with more steps the loss falls, and a missing zero_grad would have overshot: p ends near 3
    model = Scalar()
    history = training.fit(model, step_loss, replace(config, steps=300))
    assert history.losses["loss"][-1] < 1e-2 * history.losses["loss"][0]
    assert len(history.losses["loss"]) == 300


def test_train_refuses_an_unknown_loss_listing_the_valid_ones():
    G, D = small_pair()
    with pytest.raises(ValueError, match="Valid choices"):
        training.train(G, D, get_dataset("ring").sample, QUIET, loss="wasserstein")


# the custom rounds here step no optimizer, so the scheduler warns
@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
def test_play_rounds_gives_adam_the_configs_settings_and_decays_its_rate():
    G, D = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    seen = []

    def play_round(rng, opt_g, opt_d):
        seen.append((opt_g.param_groups[0]["betas"], opt_d.param_groups[0]["betas"],
                     opt_g.param_groups[0]["lr"], opt_d.param_groups[0]["lr"]))
        return {"d": 0.0, "g": 1.0, "extra": 2.0}

    config = TrainConfig(steps=4, lr=0.1, betas=(0.5, 0.9), decay_from=0.5, progress=False)
    history = training.play_rounds(G, D, play_round, config)
    assert [s[:2] for s in seen] == [((0.5, 0.9), (0.5, 0.9))] * 4
    # decay from step 2 of 4: factors 1, 1, 1 - 0/2, 1 - 1/2
    assert [s[2] for s in seen] == pytest.approx([0.1, 0.1, 0.1, 0.05])
    assert [s[3] for s in seen] == pytest.approx([0.1, 0.1, 0.1, 0.05])
    assert history.losses["extra"] == [2.0] * 4
    # a discriminator rate of its own (VEEGAN's recipe), decayed in step with G's
    seen.clear()
    training.play_rounds(G, D, play_round, replace(config, d_lr=0.01))
    assert [s[2] for s in seen] == pytest.approx([0.1, 0.1, 0.1, 0.05])
    assert [s[3] for s in seen] == pytest.approx([0.01, 0.01, 0.01, 0.005])


def test_settings_from_record_inverts_the_weights_tool_record():
    """The flat record tools/train_generative_weights.py stores, read back: the same settings."""
    import sys
    from dataclasses import replace as replace_fields
    from pathlib import Path

    from gan_course.training import settings_from_record
    from gan_course.vae import VAEConfig

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    from train_generative_weights import settings_of

    config = VAEConfig()
    config = replace_fields(config, training=replace_fields(config.training, steps=123, seed=4))
    record = {**settings_of(config), "fid": 88.0, "train_seconds": 12.5}
    fields, training = settings_from_record(record, ignore=("fid",))
    assert VAEConfig(**fields, training=training) == config
    assert isinstance(training.betas, tuple)  # lists in the record become tuples again
