import math

import pytest
import torch
from torch import nn

from gan_course import losses
from gan_course.losses import (
    LOSS_PAIRS,
    critic_loss_wasserstein,
    discriminator_loss_least_squares,
    generator_loss_least_squares,
    generator_loss_minimax,
    generator_loss_nonsaturating,
    generator_loss_wasserstein,
    get_loss_pair,
    gradient_penalty,
)


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


# --- least squares, Wasserstein and the gradient penalty ---------------------------------------


def test_least_squares_losses_by_hand():
    real, fake = torch.tensor([1.0, 0.0]), torch.tensor([0.5, -1.0])
    # L_D = 1/2 mean((r - 1)^2) + 1/2 mean(f^2) = 1/2 * (0 + 1)/2 + 1/2 * (0.25 + 1)/2
    assert discriminator_loss_least_squares(real, fake).item() == pytest.approx(0.25 + 0.3125)
    # L_G = 1/2 mean((f - 1)^2) = 1/2 * (0.25 + 4)/2
    assert generator_loss_least_squares(fake).item() == pytest.approx(1.0625)


def test_wasserstein_losses_by_hand():
    real, fake = torch.tensor([2.0, 4.0]), torch.tensor([-1.0, 0.0])
    assert critic_loss_wasserstein(real, fake).item() == pytest.approx(-0.5 - 3.0)
    assert generator_loss_wasserstein(fake).item() == pytest.approx(0.5)


@pytest.mark.parametrize("w", [(3.0, 4.0), (0.6, 0.8), (0.1, 0.0)])
def test_gradient_penalty_of_linear_critic_is_closed_form(w):
    critic = nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([w]))
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    penalty = gradient_penalty(lambda x: critic(x).squeeze(1), real, fake)
    norm = math.hypot(*w)
    assert penalty.item() == pytest.approx((norm - 1) ** 2, rel=1e-5, abs=1e-7)
    # and it trains the critic: d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w|
    penalty.backward()
    expected = [2 * (norm - 1) * wi / norm for wi in w]
    assert critic.weight.grad[0].tolist() == pytest.approx(expected, rel=1e-5, abs=1e-7)


def test_gradient_penalty_uses_given_mixing_weights():
    critic = lambda x: (x**2).sum(dim=1)  # noqa: E731 - grad f = 2x, so |grad| = 2|x|
    real, fake = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 0.0]])
    penalty = gradient_penalty(critic, real, fake, eps=torch.tensor([0.25]))
    assert penalty.item() == pytest.approx((2 * 0.25 - 1) ** 2)


def test_loss_pairs_by_name():
    assert LOSS_PAIRS["minimax"].g_loss is generator_loss_minimax
    assert LOSS_PAIRS["non-saturating"].g_loss is generator_loss_nonsaturating
    with pytest.raises(ValueError, match="least-squares.*wgan-gp"):
        get_loss_pair("hinge")


# --- games: LossPair, logit_pair, wgan_gp_pair ----------------------------------------------


def _scores(x: torch.Tensor) -> torch.Tensor:
    """A fixed 'discriminator': D(x) = x_0 - 2 x_1, so every score is known by hand."""
    return x[:, 0] - 2 * x[:, 1]


REAL = torch.tensor([[1.0, 0.0], [0.0, -1.0]])  # D: 1, 2
FAKE = torch.tensor([[0.0, 0.5], [3.0, 1.0]])   # D: -1, 1


def test_logit_pair_plays_the_losses_it_is_given():
    pair = losses.logit_pair(g_loss_fn=generator_loss_minimax,
                             d_loss_fn=losses.discriminator_loss, name="mine")
    assert (pair.name, pair.output) == ("mine", "logit")
    assert pair.g_loss is generator_loss_minimax
    # L_D = mean(softplus(-[1, 2])) + mean(softplus([-1, 1])), each softplus by hand
    softplus = lambda u: math.log1p(math.exp(u))  # noqa: E731
    by_hand = (softplus(-1) + softplus(-2)) / 2 + (softplus(-1) + softplus(1)) / 2
    assert pair.d_loss(_scores, REAL, FAKE).item() == pytest.approx(by_hand)
    # another d_loss_fn is called with D(real) and D(fake), in that order
    spy = losses.logit_pair(d_loss_fn=lambda r, f: r.sum() * 10 + f.sum())
    assert spy.d_loss(_scores, REAL, FAKE).item() == pytest.approx(3 * 10 + 0)


def test_named_pairs_compute_the_hand_written_losses():
    ns, ls = get_loss_pair("non-saturating"), get_loss_pair("least-squares")
    assert ns.d_loss(_scores, REAL, FAKE).item() == pytest.approx(
        losses.discriminator_loss(torch.tensor([1.0, 2.0]), torch.tensor([-1.0, 1.0])).item())
    # least squares: 1/2 mean((1-1)^2, (2-1)^2) + 1/2 mean(1, 1) = 0.25 + 0.5
    assert ls.d_loss(_scores, REAL, FAKE).item() == pytest.approx(0.75)
    assert ls.g_loss is generator_loss_least_squares and ls.output == "score"


def test_wgan_gp_pair_adds_the_weighted_penalty():
    calls = []

    def penalty(critic, real, fake):
        calls.append((real, fake))
        return torch.tensor(0.5)

    pair = losses.wgan_gp_pair(penalty_fn=penalty, gp_weight=4.0)
    # E[f(G(z))] - E[f(x)] + 4 * 0.5 = 0 - 1.5 + 2
    assert pair.d_loss(_scores, REAL, FAKE).item() == pytest.approx(0.5)
    assert calls[0][0] is REAL and calls[0][1] is FAKE
    assert pair.g_loss is generator_loss_wasserstein
    assert (pair.name, pair.output) == ("wgan-gp", "critic")
    # with the library's penalty: D is linear with |grad| = sqrt(5), so GP = (sqrt 5 - 1)^2
    default = get_loss_pair("wgan-gp").d_loss(_scores, REAL, FAKE).item()
    assert default == pytest.approx(-1.5 + losses.GP_WEIGHT * (math.sqrt(5) - 1) ** 2, rel=1e-5)


def test_r1_penalty_of_a_quadratic_is_closed_form():
    # D(x) = |x|^2 / 2 has gradient x, so R1 = mean |x|^2 = (1 + 4 + 9 + 16) / 2 = 15
    real = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    penalty = losses.r1_penalty(lambda x: 0.5 * x.pow(2).sum(dim=1), real)
    assert penalty.item() == pytest.approx(15.0)


def test_r1_penalty_back_propagates_into_the_discriminator():
    # D(x) = w . x: gradient w, R1 = |w|^2, whose gradient in w is 2 w
    w = torch.tensor([0.5, -2.0], requires_grad=True)
    penalty = losses.r1_penalty(lambda x: x @ w, torch.randn(4, 2))
    penalty.backward()
    assert penalty.item() == pytest.approx(4.25)
    assert torch.allclose(w.grad, 2 * w.detach())


def test_r1_pair_adds_half_gamma_times_the_penalty():
    # the linear D of _scores has gradient (1, -2): R1 = 5, so gamma = 4 adds 2 * 5 = 10
    pair = losses.r1_pair(gamma=4.0)
    plain = losses.discriminator_loss(_scores(REAL), _scores(FAKE)).item()
    assert pair.d_loss(_scores, REAL, FAKE).item() == pytest.approx(plain + 10.0, rel=1e-5)
    assert pair.g_loss is generator_loss_nonsaturating and pair.output == "logit"
    with pytest.raises(ValueError, match="gamma"):
        losses.r1_pair(gamma=0)
