"""Oracle tests for the mode-collapse cures: hand-made inputs with hand-computed answers."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from torch import nn

from gan_course.cures import (
    METHODS,
    N_EVAL,
    PACGAN_HIDDEN,
    SETTINGS,
    TRAIN_CONFIGS,
    VEEGAN_CONFIG,
    WGAN_GP_BETAS,
    WGAN_GP_ROUND_SHARES,
    WGAN_GP_WEIGHT,
    MinibatchStd,
    MinibatchStdDiscriminator,
    PackedDiscriminator,
    Parts,
    batch_spread,
    build,
    evaluation_samples,
    method_config,
    minibatch_std_feature,
    pack,
    spectral_norm_discriminator,
)
from gan_course.losses import critic_loss_wasserstein, gradient_penalty, wgan_gp_pair
from gan_course.mlp import MLPGenerator
from gan_course.training import TrainConfig, game_round, train


def test_pack_glues_consecutive_samples_side_by_side():
    x = torch.arange(12.0).reshape(6, 2)
    expected = torch.tensor([[0.0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
    assert torch.equal(pack(x, 2), expected)
    assert torch.equal(pack(x, 3), torch.tensor([[0.0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]))


def test_packed_discriminator_feeds_the_packed_batch_to_its_inner_mlp():
    torch.manual_seed(0)
    D = PackedDiscriminator(in_dim=2, m=2, hidden=8, depth=2)
    x = torch.randn(6, 2)
    by_hand = torch.cat([x[0::2], x[1::2]], dim=1)  # row j = [x_2j, x_2j+1]
    assert D(x).shape == (3,)
    assert torch.allclose(D(x), D.inner(by_hand))


def test_packing_rejects_bad_batches_and_degrees():
    with pytest.raises(ValueError, match="multiple of the packing degree"):
        pack(torch.zeros(5, 2), 2)
    with pytest.raises(ValueError, match="m must be an integer >= 2"):
        PackedDiscriminator(m=1)
    with pytest.raises(ValueError, match="expected x of shape"):
        PackedDiscriminator(in_dim=2, m=2)(torch.zeros(4, 3))


def test_minibatch_std_feature_matches_hand_computation():
    x = torch.tensor([[0.0, 0.0], [2.0, 4.0]])
    # per-feature population std: feature 0 -> 1, feature 1 -> 2; mean -> 1.5
    assert minibatch_std_feature(x).item() == pytest.approx(1.5, abs=1e-6)
    out = MinibatchStd()(x)
    assert out.shape == (2, 3)
    assert torch.equal(out[:, :2], x)
    assert torch.allclose(out[:, 2], torch.full((2,), 1.5))


def test_batch_spread_of_feature_maps_by_hand_and_the_same_for_vectors():
    # 2 samples of (1, 1, 2) maps: positions hold (0, 2) and (1, 1): stds 1 and 0
    h = torch.tensor([[[[0.0, 1.0]]], [[[2.0, 1.0]]]])
    by_hand = (math.sqrt(1 + 1e-8) + math.sqrt(1e-8)) / 2
    assert batch_spread(h).item() == pytest.approx(by_hand, abs=1e-7)
    # a vector batch is the same computation: the flattened maps give the same spread
    assert torch.equal(batch_spread(h.flatten(1)), minibatch_std_feature(h.flatten(1)))
    assert batch_spread(h.flatten(1)).item() == pytest.approx(by_hand, abs=1e-7)
    with pytest.raises(ValueError, match="N >= 2"):
        batch_spread(torch.ones(1, 3, 2, 2))
    with pytest.raises(ValueError, match="N >= 2"):
        batch_spread(torch.ones(5))
    with pytest.raises(ValueError, match=r"\(N >= 2, d\)"):
        minibatch_std_feature(torch.ones(4, 2, 2))


def test_minibatch_std_is_near_zero_for_a_collapsed_batch():
    collapsed = torch.ones(16, 2)
    assert minibatch_std_feature(collapsed).item() == pytest.approx(math.sqrt(1e-8))
    D = MinibatchStdDiscriminator(in_dim=2, hidden=8, depth=2)
    assert D(collapsed).shape == (16,)
    with pytest.raises(ValueError, match="N >= 2"):
        minibatch_std_feature(torch.ones(1, 2))


def test_spectral_norm_layers_have_top_singular_value_one():
    torch.manual_seed(0)
    D = spectral_norm_discriminator(in_dim=2, hidden=32, depth=2)
    D.train()
    for _ in range(30):  # each training forward pass runs one power iteration per layer
        D(torch.randn(4, 2))
    D.eval()
    linears = [layer for layer in D.net if isinstance(layer, nn.Linear)]
    assert len(linears) == 3
    for layer in linears:
        top = torch.linalg.svdvals(layer.weight.detach())[0].item()
        assert top == pytest.approx(1.0, abs=0.02)


def _fixed_pair() -> tuple[nn.Module, nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    G = nn.Linear(2, 2)
    G.z_dim = 2
    D = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Flatten(0))
    real = torch.randn(32, 2) + torch.tensor([3.0, 0.0])
    z = torch.randn(32, 2)
    return G, D, real, z


def test_wgan_gp_game_lowers_the_critic_loss_on_a_fixed_batch():
    G, D, real, z = _fixed_pair()
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-2)
    opt_g = torch.optim.SGD(G.parameters(), lr=0.0)  # G stays put: only the critic learns

    def critic_loss() -> float:
        with torch.no_grad():
            return critic_loss_wasserstein(D(real), D(G(z))).item()

    before = critic_loss()
    for _ in range(30):
        d_loss, g_loss = game_round(G, D, opt_g, opt_d, real, z, wgan_gp_pair(), d_steps=2)
        assert math.isfinite(d_loss) and math.isfinite(g_loss)
    assert critic_loss() < before - 0.5


def test_registry_builds_every_method_and_runs_one_round():
    for method in METHODS:
        run = build(method, "ring", seed=0)
        real = run.sample_real(8, torch.Generator().manual_seed(0))
        z = torch.randn(8, run.G.z_dim)
        opt_g = torch.optim.Adam(run.G.parameters(), lr=1e-3)
        opt_d = torch.optim.Adam(run.D.parameters(), lr=1e-3)
        d_loss, g_loss = game_round(run.G, run.D, opt_g, opt_d, real, z, run.loss)
        assert math.isfinite(d_loss) and math.isfinite(g_loss), method
        assert run.config.seed == 0
        assert run.config.batch_size % 2 == 0  # packing needs even batches
    assert build("wgan-gp", "ring").loss.name == "wgan-gp"
    assert build("wgan-gp-matched", "ring").loss.name == "wgan-gp"
    assert build("pacgan2", "ring").loss.name == "non-saturating"


def test_registry_rejects_unknown_names_and_lists_valid_ones():
    with pytest.raises(ValueError, match="vanilla, pacgan2"):
        build("no-such-cure", "ring")
    with pytest.raises(ValueError, match="ring, grid"):
        build("vanilla", "moons")


def test_method_settings_change_only_their_method():
    wgan = build("wgan-gp", "ring", seed=4).config
    # the paper's 5 critic steps and betas, the others' rate without decay, 0.8 of 2,500 rounds
    assert wgan == TrainConfig(steps=2000, batch_size=128, lr=1e-3, decay_from=1.0,
                               betas=WGAN_GP_BETAS, d_steps=5, seed=4, progress=False)
    # the matched budget: the same but 0.2 of the rounds (about a plain run's seconds)
    assert build("wgan-gp-matched", "ring", seed=4).config == replace(wgan, steps=500)
    assert build("wgan-gp-matched", "grid").config.steps == 1600 and set(
        WGAN_GP_ROUND_SHARES) == {"wgan-gp", "wgan-gp-matched"}
    vanilla = build("vanilla", "grid").config
    assert vanilla.betas == TrainConfig().betas
    assert vanilla == build("minibatch-std", "grid").config == TRAIN_CONFIGS["grid"]
    assert build("r1", "grid").config == TRAIN_CONFIGS["grid"]
    assert method_config("spectral-norm", "ring", 2) == build("spectral-norm", "ring", 2).config
    # packing reads two samples at once, so its discriminator is twice as wide
    assert build("pacgan2", "ring").D.inner.net[0].out_features == PACGAN_HIDDEN == 2 * 128


def test_the_veegan_recipe_builds_its_own_networks_and_settings():
    run = build("vanilla", "ring", seed=1, setting="veegan")
    assert run.G.z_dim == 256 and SETTINGS["veegan"].networks.depth == 2
    linears = [m for m in run.D.modules() if isinstance(m, nn.Linear)]
    assert [m.out_features for m in linears] == [128, 128, 1]  # two hidden layers of 128
    assert run.config == replace(VEEGAN_CONFIG, seed=1)
    assert (run.config.lr, run.config.d_lr, run.config.batch_size) == (1e-3, 1e-4, 512)
    with pytest.raises(ValueError, match="course, veegan"):
        build("vanilla", "ring", setting="no-such-recipe")


def test_evaluation_samples_are_the_seeded_codes_through_g():
    torch.manual_seed(0)
    G = MLPGenerator(hidden=8, depth=1)
    samples = evaluation_samples(G, seed=3)
    z = torch.randn(N_EVAL, 2, generator=torch.Generator().manual_seed(10_003))
    with torch.no_grad():
        assert torch.equal(samples, G(z))
    assert samples.shape == (N_EVAL, 2) and not samples.requires_grad and not G.training


def test_spectral_norm_lipschitz_bound_scales_the_logit():
    x = torch.randn(6, 2)
    torch.manual_seed(0)
    D1 = spectral_norm_discriminator(in_dim=2, hidden=16, depth=2).eval()
    torch.manual_seed(0)
    D10 = spectral_norm_discriminator(in_dim=2, hidden=16, depth=2, lipschitz=10.0).eval()
    assert torch.allclose(D10(x), 10 * D1(x), atol=1e-6)
    # the logit of the bound-1 network moves no more than the input does
    y = x + 0.01 * torch.randn(6, 2)
    assert ((D1(x) - D1(y)).abs() <= (x - y).norm(dim=1) + 1e-6).all()


class _Counting:
    """A stand-in for a learner's function: calls ``function`` and counts the calls."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


def _counting_parts() -> tuple[Parts, dict[str, _Counting]]:
    spies = {"pack": _Counting(pack), "minibatch_std_feature": _Counting(minibatch_std_feature),
             "gradient_penalty": _Counting(gradient_penalty)}
    return Parts(**spies), spies


def test_build_runs_the_parts_it_is_given():
    uses = {"pacgan2": "pack", "pacgan2-plain-width": "pack",
            "minibatch-std": "minibatch_std_feature", "wgan-gp": "gradient_penalty",
            "wgan-gp-matched": "gradient_penalty"}
    for method in METHODS:
        parts, spies = _counting_parts()
        run = build(method, "ring", seed=0, parts=parts)
        train(run.G, run.D, run.sample_real, replace(run.config, steps=2, batch_size=8),
              loss=run.loss)
        for name, spy in spies.items():
            assert (spy.calls > 0) == (uses.get(method) == name), (method, name, spy.calls)


def test_a_different_part_changes_what_the_networks_compute():
    x = torch.randn(4, 2)
    D = PackedDiscriminator(in_dim=2, m=2, hidden=8, depth=2,
                            pack_fn=lambda x, m: pack(x.flip(0), m))
    assert torch.allclose(D(x), D.inner(pack(x.flip(0), 2)))
    out = MinibatchStd(feature_fn=lambda x: torch.tensor(7.0))(x)
    assert torch.equal(out[:, 2], torch.full((4,), 7.0))
    G, D, real, z = _fixed_pair()
    opt = torch.optim.SGD(D.parameters(), lr=0.0)
    no_penalty = wgan_gp_pair(penalty_fn=lambda critic, real, fake: torch.tensor(0.0))
    d_loss, _ = game_round(G, D, opt, opt, real, z, no_penalty)
    with torch.no_grad():
        assert d_loss == pytest.approx(critic_loss_wasserstein(D(real), D(G(z))).item(), abs=1e-5)


def _learners_penalty(critic, real, fake, eps=None):
    """GP written the way lesson 05's solution writes it (eps drawn with torch.rand(N))."""
    if eps is None:
        eps = torch.rand(real.shape[0]).to(real.device)
    weights = eps[:, None]
    x_hat = (weights * real + (1 - weights) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (grad.norm(dim=1) - 1).pow(2).mean()


@pytest.mark.parametrize("method", ["pacgan2", "minibatch-std", "wgan-gp"])
def test_parts_with_the_same_values_give_the_same_run(method):
    """The lesson's race reproduces the benchmark when the learner's parts are right."""
    own = Parts(pack=lambda x, m: x.reshape(x.shape[0] // m, m * x.shape[1]),
                minibatch_std_feature=lambda x: torch.sqrt(x.var(dim=0, unbiased=False)
                                                           + 1e-8).mean(),
                gradient_penalty=_learners_penalty)
    weights = []
    for parts in (None, own):
        run = build(method, "ring", seed=3, parts=parts)
        train(run.G, run.D, run.sample_real, replace(run.config, steps=20), loss=run.loss)
        weights.append(torch.cat([p.detach().flatten() for p in run.G.parameters()]))
    assert torch.allclose(weights[0], weights[1], atol=1e-6, rtol=0)


def test_wgan_gp_weighs_its_penalty_by_the_2d_weight():
    """The critic's loss is the Wasserstein estimate plus WGAN_GP_WEIGHT x the penalty: a
    penalty of exactly 1 per call adds WGAN_GP_WEIGHT to the loss (not the paper's 10)."""
    unit = Parts(gradient_penalty=lambda critic, real, fake: torch.tensor(1.0))
    zero = Parts(gradient_penalty=lambda critic, real, fake: torch.tensor(0.0))
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    losses_ = []
    for parts in (unit, zero):
        torch.manual_seed(0)
        run = build("wgan-gp", "ring", parts=parts)
        losses_.append(run.loss.d_loss(run.D, real, fake).item())
    assert losses_[0] - losses_[1] == pytest.approx(WGAN_GP_WEIGHT) and WGAN_GP_WEIGHT == 1.0
