"""The VAE family (lesson 11): the negative ELBO, the reparameterisation, training, sampling."""

from __future__ import annotations

import math

import pytest
import torch

from gan_course import vae
from gan_course.training import TrainConfig

SMALL = vae.VAEConfig(z_dim=2, hidden=8,
                      training=TrainConfig(steps=3, batch_size=4, lr=1e-3, progress=False))


def repeat_twice(z: torch.Tensor) -> torch.Tensor:
    return z.view(-1, 1, 1, 1).expand(-1, 1, 1, 2)


def test_negative_elbo_by_hand():
    # z = 0.5 + exp(log 4 / 2) * 0.25 = 1 -> (1, 1); x = (0, 3): (1 + 4) / 2;
    # KL = (0.25 + 4 - 1 - log 4) / 2
    value = vae.negative_elbo(torch.tensor([[[[0.0, 3.0]]]]), torch.tensor([[0.5]]),
                              torch.tensor([[math.log(4.0)]]), torch.tensor([[0.25]]),
                              repeat_twice, 1.0)
    assert value.item() == pytest.approx(2.5 + 0.5 * (3.25 - math.log(4.0)), abs=1e-6)


def test_negative_elbo_is_a_batch_mean():
    # image 1 rebuilt exactly, KL 0; image 2: 2 / (2 * 0.25) + 1 / 2 = 4.5; mean 2.25
    value = vae.negative_elbo(torch.tensor([[[[1.0, 1.0]]], [[[0.0, 0.0]]]]),
                              torch.tensor([[0.0], [1.0]]), torch.zeros(2, 1),
                              torch.tensor([[1.0], [0.0]]), repeat_twice, 0.5)
    assert value.item() == pytest.approx(2.25, abs=1e-6)


def test_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, log_var = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * log_var))
    p = torch.distributions.Normal(torch.zeros(5, 3), torch.ones(5, 3))
    expected = torch.distributions.kl_divergence(q, p).sum(dim=1)
    assert torch.allclose(vae.kl_to_standard_normal(mu, log_var), expected, atol=1e-5)


def test_reparameterisation_carries_gradients():
    mu = torch.tensor([[1.0]], requires_grad=True)
    log_var = torch.tensor([[math.log(9.0)]], requires_grad=True)
    z = vae.reparameterise(mu, log_var, torch.tensor([[2.0]]))
    assert z.item() == pytest.approx(1.0 + 3.0 * 2.0)
    z.sum().backward()
    # dz/dmu = 1; dz/dlog_var = 0.5 exp(log_var / 2) noise = 0.5 * 3 * 2
    assert mu.grad.item() == pytest.approx(1.0)
    assert log_var.grad.item() == pytest.approx(3.0)


def test_elbo_per_image_is_log_density_for_a_perfect_decoder():
    # a model whose KL is 0 (mu = 0, var = 1) and whose decoder returns 0 gives, for x = 0,
    # ELBO = -D/2 log(2 pi sigma^2)
    model = vae.VAE(SMALL)
    for module in (model.encoder, model.decoder):
        for p in module.parameters():
            torch.nn.init.zeros_(p)
    value = vae.elbo_per_image(model, torch.zeros(2, 1, 16, 16), 0.5)
    assert torch.allclose(value, torch.full((2,), -128 * math.log(2 * math.pi * 0.25)))


def test_train_vae_runs_and_calls_the_given_loss():
    calls = []

    def loss_fn(*args):
        calls.append(1)
        return vae.negative_elbo(*args)

    images = torch.rand(10, 1, 16, 16) * 2 - 1
    model, history = vae.train_vae(images, SMALL, loss_fn=loss_fn)
    assert len(calls) == 3 and len(history.losses["loss"]) == 3
    assert not model.training
    drawn = model.sample(5, generator=torch.Generator().manual_seed(0))
    assert drawn.shape == (5, 1, 16, 16) and drawn.abs().max() <= 1


@pytest.mark.parametrize("bad", [dict(z_dim=0), dict(hidden=1.5), dict(recon_std=0.0),
                                 dict(recon_std=float("nan")), dict(training=3)])
def test_config_refuses_bad_settings(bad):
    with pytest.raises((ValueError, TypeError)):
        vae.VAEConfig(**bad)


def test_encode_refuses_wrong_shape():
    with pytest.raises(ValueError, match="16, 16"):
        vae.VAE(SMALL).encode(torch.zeros(2, 1, 8, 8))


def test_shipped_vae_loads_with_its_recorded_settings():
    model, meta = vae.from_pretrained()
    config = vae.shipped_config()
    assert model.z_dim == config.z_dim == meta["z_dim"]
    assert config.training.steps == meta["train_steps"] and not model.training
