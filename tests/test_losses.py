import math

import pytest
import torch

from gan_course import losses


def test_discriminator_loss_hand_values():
    assert losses.discriminator_loss(torch.zeros(3), torch.zeros(5)).item() == pytest.approx(
        2 * math.log(2)
    )
    # D(real) = 3/4, D(fake) = 1/4  ->  -log(3/4) - log(3/4)
    value = losses.discriminator_loss(torch.tensor([math.log(3)]), torch.tensor([-math.log(3)]))
    assert value.item() == pytest.approx(2 * math.log(4 / 3))


def test_discriminator_loss_is_stable_for_huge_logits():
    value = losses.discriminator_loss(torch.tensor([-1000.0]), torch.tensor([1000.0]))
    assert value.item() == pytest.approx(2000.0)


def test_generator_losses_hand_values():
    quarter = torch.tensor([-math.log(3)])  # D = 1/4
    assert losses.generator_loss_minimax(quarter).item() == pytest.approx(math.log(3 / 4))
    assert losses.generator_loss_nonsaturating(quarter).item() == pytest.approx(math.log(4))


def test_minimax_gradient_vanishes_where_nonsaturating_does_not():
    logit = torch.tensor([-10.0], requires_grad=True)  # D(G(z)) ~ 4.5e-5
    (g_minimax,) = torch.autograd.grad(losses.generator_loss_minimax(logit), logit)
    (g_ns,) = torch.autograd.grad(losses.generator_loss_nonsaturating(logit), logit)
    assert g_minimax.item() == pytest.approx(-torch.sigmoid(logit).item())
    assert g_ns.item() == pytest.approx(-(1 - torch.sigmoid(logit)).item())
    assert abs(g_ns.item()) > 1000 * abs(g_minimax.item())


def test_loss_lookup():
    assert losses.get_generator_loss("minimax") is losses.generator_loss_minimax
    with pytest.raises(ValueError, match="Valid choices: minimax, non-saturating"):
        losses.get_generator_loss("nonsaturating")


def test_generator_logit_gradients_match_the_hand_derivation():
    logits = torch.tensor([-20.0, -math.log(3), 0.0, 2.5, 20.0])
    d = torch.sigmoid(logits)
    grads = losses.generator_logit_gradients(logits)
    assert list(grads) == ["minimax", "non-saturating"]
    assert torch.allclose(grads["minimax"], -d, atol=1e-6)
    assert torch.allclose(grads["non-saturating"], -(1 - d), atol=1e-6)
    # one sample's derivative does not depend on the batch it is in
    alone = losses.generator_logit_gradients(logits[1:2])
    assert alone["minimax"].item() == pytest.approx(-0.25)
    assert not grads["minimax"].requires_grad
