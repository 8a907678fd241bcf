"""The diffusion family (lesson 11): schedule, noising step, loss, denoiser, sampling."""

from __future__ import annotations

import math

import pytest
import torch

from gan_course import diffusion
from gan_course.training import TrainConfig

SMALL = diffusion.DiffusionConfig(steps=5, hidden=8, embed_dim=4,
                                  training=TrainConfig(steps=3, batch_size=4, progress=False))


def test_schedule_by_hand():
    config = diffusion.DiffusionConfig(steps=3, beta_start=0.1, beta_end=0.3)
    schedule = diffusion.linear_schedule(config)
    assert torch.allclose(schedule["beta"], torch.tensor([0.1, 0.2, 0.3]))
    assert torch.allclose(schedule["alpha_bar"], torch.tensor([0.9, 0.72, 0.504]))


def test_noisy_by_hand():
    x = diffusion.noisy(torch.tensor([1.0, 2.0]).view(2, 1, 1, 1), torch.tensor([0, 2]),
                        torch.ones(2, 1, 1, 1), torch.tensor([0.64, 0.36, 0.04]))
    assert torch.allclose(x.flatten(), torch.tensor([1.4, 0.4 + math.sqrt(0.96)]))


def test_noisy_matches_stepwise_forward_process_in_distribution():
    # T steps of x_t = sqrt(1 - beta) x_{t-1} + sqrt(beta) eps from x0 = 1 give mean
    # sqrt(alpha_bar) and variance 1 - alpha_bar: compare with the closed form by simulation
    config = diffusion.DiffusionConfig(steps=10, beta_start=0.05, beta_end=0.2)
    schedule = diffusion.linear_schedule(config)
    g = torch.Generator().manual_seed(0)
    x = torch.ones(20000)
    for beta in schedule["beta"]:
        x = torch.sqrt(1 - beta) * x + torch.sqrt(beta) * torch.randn(20000, generator=g)
    a = schedule["alpha_bar"][-1]
    assert x.mean().item() == pytest.approx(math.sqrt(a), abs=0.02)
    assert x.var().item() == pytest.approx(1 - a.item(), abs=0.02)


def test_denoising_loss_by_hand():
    def model(x, t):
        return 2 * x + t.view(-1, 1, 1, 1).float()

    value = diffusion.denoising_loss(model, torch.zeros(2, 1, 1, 2), torch.tensor([0, 1]),
                                     torch.ones(2, 1, 1, 2), torch.tensor([0.5, 0.25]))
    expected = ((2 * math.sqrt(0.5) - 1) ** 2 + (2 * math.sqrt(0.75)) ** 2) / 2
    assert value.item() == pytest.approx(expected, abs=1e-6)


def test_perfect_denoiser_has_zero_loss():
    noise = torch.randn(3, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    value = diffusion.denoising_loss(lambda x, t: noise, torch.zeros(3, 1, 16, 16),
                                     torch.tensor([0, 1, 2]), noise, torch.tensor([0.9, 0.5, 0.1]))
    assert value.item() == 0.0


def test_time_embedding_by_hand():
    e = diffusion.time_embedding(torch.tensor([0, 2]), 4)
    # frequencies 1 and 1000^(-1/2)
    w = 1000 ** -0.5
    expected = torch.tensor([[0.0, 0.0, 1.0, 1.0],
                             [math.sin(2.0), math.sin(2 * w), math.cos(2.0), math.cos(2 * w)]])
    assert torch.allclose(e, expected, atol=1e-6)


def test_sampling_with_an_oracle_denoiser_recovers_a_point():
    # data = a single image x0 (all pixels 0.5): the exact noise is (x_t - sqrt(ab) x0) /
    # sqrt(1 - ab); ancestral sampling with it must end at x0
    config = diffusion.DiffusionConfig(steps=50, beta_start=1e-3, beta_end=0.2)
    alpha_bar = diffusion.linear_schedule(config)["alpha_bar"]

    class Oracle(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.dummy = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x, t):
            a = alpha_bar[t].view(-1, 1, 1, 1)
            return (x - torch.sqrt(a) * 0.5) / torch.sqrt(1 - a)

    drawn = diffusion.sample(Oracle(), 4, config, generator=torch.Generator().manual_seed(0),
                             progress=False)
    assert torch.allclose(drawn, torch.full_like(drawn, 0.5), atol=1e-3)


def test_train_diffusion_runs_and_calls_the_given_loss():
    calls = []

    def loss_fn(*args):
        calls.append(1)
        return diffusion.denoising_loss(*args)

    model, history = diffusion.train_diffusion(torch.rand(10, 1, 16, 16) * 2 - 1, SMALL,
                                               loss_fn=loss_fn)
    assert len(calls) == 3 and len(history.losses["loss"]) == 3 and not model.training
    drawn = diffusion.sample(model, 2, SMALL, progress=False)
    assert drawn.shape == (2, 1, 16, 16) and drawn.abs().max() <= 1


@pytest.mark.parametrize("bad", [dict(steps=0), dict(embed_dim=3), dict(beta_start=0.0),
                                 dict(beta_start=0.5, beta_end=0.1), dict(training=None)])
def test_config_refuses_bad_settings(bad):
    with pytest.raises((ValueError, TypeError)):
        diffusion.DiffusionConfig(**bad)


def test_unclipped_step_equals_ho_et_al_update():
    # when x0_hat stays inside [-1, 1], c0 x0_hat + c1 x_t equals
    # (x_t - beta / sqrt(1 - alpha_bar) eps) / sqrt(alpha); check with one level of a
    # 2-level schedule and an oracle that returns a fixed eps
    config = diffusion.DiffusionConfig(steps=2, beta_start=0.1, beta_end=0.2)
    s = diffusion.linear_schedule(config)
    eps = torch.full((1, 1, 16, 16), 0.3)
    x_t = torch.full((1, 1, 16, 16), 0.2)

    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.dummy = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x, t):
            return eps.expand_as(x)

    # run only the last level (t = 0) by hand: alpha_bar_{-1} = 1 gives c0 = 1, c1 = 0
    ab, beta, alpha = s["alpha_bar"][0], s["beta"][0], s["alpha"][0]
    expected = (x_t - beta / torch.sqrt(1 - ab) * eps) / torch.sqrt(alpha)
    x0_hat = (x_t - torch.sqrt(1 - ab) * eps) / torch.sqrt(ab)
    assert torch.allclose(x0_hat, expected)          # at t = 0 both give x0_hat
    one = diffusion.DiffusionConfig(steps=1, beta_start=0.1, beta_end=0.1)
    drawn = diffusion.sample(Fixed(), 1, one, generator=torch.Generator().manual_seed(0),
                             progress=False)
    start = torch.randn(1, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    by_hand = ((start - torch.sqrt(torch.tensor(0.1)) * eps) / torch.sqrt(torch.tensor(0.9)))
    assert torch.allclose(drawn, by_hand.clamp(-1, 1), atol=1e-6)


def test_shipped_denoiser_loads_with_its_recorded_settings():
    model, meta = diffusion.from_pretrained()
    config = diffusion.shipped_config()
    assert config.steps == meta["steps"] and config.training.steps == meta["train_steps"]
    assert model.layer1.out_features == meta["hidden"] and not model.training
