"""GAN losses as pure functions of discriminator logits, and the games built from them
(lessons 01-05: lesson 01's exercises, the DCGAN, conditional and CycleGAN trainers, lesson
05's WGAN-GP; the playground plays every game).

Notation: D(x) = sigmoid(l(x)) where l is the discriminator's logit. The original game
(Goodfellow et al., 2014) is

    min_G max_D  V(D, G) = E_{x~p_data}[log D(x)] + E_{z~p_z}[log(1 - D(G(z)))].

Every log of a sigmoid is written with softplus(u) = log(1 + e^u), which never overflows:

    log D(x)       = log sigmoid(l)      = -softplus(-l)
    log(1 - D(x))  = log sigmoid(-l)     = -softplus(l)

All functions take logits of shape (N,) and return a scalar tensor.

Further down are two other games, whose discriminators output a plain score rather than a
logit: least squares (LSGAN, lesson 04's CycleGAN plays it) and Wasserstein with a gradient
penalty (WGAN-GP, lesson 05), and the R1 penalty on the plain game (``r1_pair``, lesson 05's
race). A ``LossPair`` holds both players' losses of one game;
``get_loss_pair`` looks one up by name. Lessons 01, 03, 04, 05 and the playground use them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss: minus the value function, so that minimising it maximises V.

    L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]
        = mean(softplus(-l_real)) + mean(softplus(l_fake))

    Shapes: (N,), (M,) -> scalar. Equals 2 log 2 ~ 1.386 when D says 1/2 everywhere.
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator's side of the original minimax game (the *saturating* loss).

    L_G = E_z[log(1 - D(G(z)))] = -mean(softplus(l_fake))

    Its gradient with respect to the logit is -sigmoid(l) = -D(G(z)): when the discriminator
    confidently rejects the fakes (D(G(z)) -> 0) the gradient vanishes, exactly when the
    generator most needs to learn. Shape: (N,) -> scalar.
    """
    return -F.softplus(fake_logits).mean()


def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The *non-saturating* generator loss proposed in the same paper.

    L_G = -E_z[log D(G(z))] = mean(softplus(-l_fake))

    Same fixed point as the minimax loss, but its gradient with respect to the logit is
    -(1 - D(G(z))), which is largest when the discriminator rejects the fakes.
    Shape: (N,) -> scalar.
    """
    return F.softplus(-fake_logits).mean()


def generator_logit_gradients(fake_logits: torch.Tensor) -> dict[str, torch.Tensor]:
    """Each generator loss's derivative with respect to one fake sample's own logit, by autograd.

    For a batch of N logits the losses are means, so N times the gradient of the mean is each
    sample's own derivative. Worked out by hand (lesson 01 asks the learner to), with
    D = sigmoid(l):

        minimax:         d/dl  log(1 - D)  = -D
        non-saturating:  d/dl  -log D      = -(1 - D)

    Returns ``{"minimax": (N,), "non-saturating": (N,)}``, detached, for logits of shape (N,).
    """
    logits = fake_logits.detach().clone().requires_grad_(True)
    out = {}
    for name, loss_fn in (("minimax", generator_loss_minimax),
                          ("non-saturating", generator_loss_nonsaturating)):
        (grad,) = torch.autograd.grad(loss_fn(logits) * len(logits), logits)
        out[name] = grad.detach()
    return out


# --- Least-squares GAN (Mao et al., 2017) ----------------------------------------------------
# The discriminator's output is a plain score s(x) (the same network, no sigmoid), pushed
# towards the target 1 on real data and 0 on fakes; the generator wants its fakes scored 1.


def discriminator_loss_least_squares(
    real_scores: torch.Tensor, fake_scores: torch.Tensor
) -> torch.Tensor:
    """Least-squares discriminator loss with targets 1 (real) and 0 (fake).

    L_D = 1/2 E_x[(s(x) - 1)^2] + 1/2 E_z[s(G(z))^2]

    Shapes: (N,), (M,) -> scalar.
    """
    return 0.5 * (real_scores - 1).pow(2).mean() + 0.5 * fake_scores.pow(2).mean()


def generator_loss_least_squares(fake_scores: torch.Tensor) -> torch.Tensor:
    """Least-squares generator loss: the fakes should be scored as real (target 1).

    L_G = 1/2 E_z[(s(G(z)) - 1)^2]

    Its gradient with respect to the score is s - 1: it does not vanish while the
    discriminator still scores the fakes below 1. Shape: (N,) -> scalar.
    """
    return 0.5 * (fake_scores - 1).pow(2).mean()


# --- Wasserstein GAN with gradient penalty (Gulrajani et al., 2017) ---------------------------
# The discriminator is a *critic* f(x): any real number, higher means "more real". Its loss
# estimates minus the Wasserstein-1 distance, which is valid only for 1-Lipschitz critics;
# the gradient penalty pushes |grad f| towards 1 between real and fake points.


def critic_loss_wasserstein(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """The critic's Wasserstein loss (without the penalty).

    L_f = E_z[f(G(z))] - E_x[f(x)]

    Minimising it maximises E_x[f(x)] - E_z[f(G(z))], the estimate of W_1(p_data, p_g).
    Shapes: (N,), (M,) -> scalar.
    """
    return fake_scores.mean() - real_scores.mean()


def generator_loss_wasserstein(fake_scores: torch.Tensor) -> torch.Tensor:
    """The generator's Wasserstein loss: raise the critic's score of the fakes.

    L_G = -E_z[f(G(z))]

    Shape: (N,) -> scalar.
    """
    return -fake_scores.mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    eps: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP's penalty on the critic's gradient norm at points between real and fake.

    x_hat = eps * x + (1 - eps) * G(z),   eps ~ U[0, 1] (one per pair)
    GP    = E[(|grad_x f(x_hat)|_2 - 1)^2]

    real, fake: (N, ...) with the same shape.  eps: (N,) to fix the mixing weights (tests),
    otherwise drawn with ``generator``. Returns a scalar that can be back-propagated into the
    critic's parameters (``create_graph=True``). Multiply by lambda (10 in the paper).
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got "
                         f"{tuple(real.shape)} and {tuple(fake.shape)}")
    if eps is None:
        eps = torch.rand(real.shape[0], generator=generator).to(real.device)
    weights = eps.reshape(-1, *([1] * (real.dim() - 1)))
    x_hat = (weights * real.detach() + (1 - weights) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = grad.flatten(start_dim=1).norm(dim=1)
    return (norms - 1).pow(2).mean()



def r1_penalty(D: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor) -> torch.Tensor:
    """The R1 penalty (Mescheder et al., 2018): the squared gradient of D's logit at real data.

    R1 = E_x[ |grad_x D(x)|_2^2 ],   x ~ p_data      (the loss adds gamma / 2 * R1)

    real: (N, ...). Returns a scalar that back-propagates into D's parameters
    (``create_graph=True``). Where the data are, a discriminator with zero gradient gives the
    generator nothing to chase, so the game can settle there instead of circling.
    """
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    return grad.flatten(start_dim=1).pow(2).sum(dim=1).mean()

# --- Games: both players' losses together ---------------------------------------------------
# ``training.game_round`` plays any game given as a ``LossPair``; ``LOSS_PAIRS`` names the
# course's four, and ``logit_pair`` / ``wgan_gp_pair`` build one from other functions (a
# learner's own, say).

GP_WEIGHT = 10.0


@dataclass(frozen=True)
class LossPair:
    """Both players' losses of one GAN variant.

    d_loss(D, real, fake) -> scalar: the discriminator's (critic's) loss; ``fake`` is detached.
    g_loss(fake_scores) -> scalar: the generator's loss from D's raw outputs on G(z), (N,).
    output: what D's raw output means, for drawing it: ``"logit"`` (D(x) = sigmoid),
    ``"score"`` (least squares, target 1 real / 0 fake) or ``"critic"`` (unbounded).
    """

    name: str
    d_loss: Callable[[Callable[[torch.Tensor], torch.Tensor], torch.Tensor, torch.Tensor],
                     torch.Tensor]
    g_loss: Callable[[torch.Tensor], torch.Tensor]
    output: str


def logit_pair(
    g_loss_fn: Callable[[torch.Tensor], torch.Tensor] = generator_loss_nonsaturating,
    d_loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = discriminator_loss,
    name: str = "non-saturating",
) -> LossPair:
    """The logit game with these losses:

        L_D = d_loss_fn(D(x), D(G(z)))        L_G = g_loss_fn(D(G(z)))
    """

    def d_loss(D: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
               fake: torch.Tensor) -> torch.Tensor:
        return d_loss_fn(D(real), D(fake))

    return LossPair(name, d_loss, g_loss_fn, "logit")


def _d_loss_least_squares(D: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                          fake: torch.Tensor) -> torch.Tensor:
    """L_D = 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]."""
    return discriminator_loss_least_squares(D(real), D(fake))


def wgan_gp_pair(
    penalty_fn: Callable[..., torch.Tensor] = gradient_penalty,
    gp_weight: float = GP_WEIGHT,
) -> LossPair:
    """WGAN-GP:  L_f = E[f(G(z))] - E[f(x)] + gp_weight * penalty_fn(f, x, G(z)),
    L_G = -E[f(G(z))].  lambda = ``gp_weight`` = 10 in the paper."""

    def d_loss(D: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
               fake: torch.Tensor) -> torch.Tensor:
        return critic_loss_wasserstein(D(real), D(fake)) + gp_weight * penalty_fn(D, real, fake)

    return LossPair("wgan-gp", d_loss, generator_loss_wasserstein, "critic")



def r1_pair(gamma: float = 1.0) -> LossPair:
    """The non-saturating game with the R1 penalty on the discriminator:
    L_D = discriminator_loss(D(x), D(G(z))) + gamma / 2 * r1_penalty(D, x),
    L_G = generator_loss_nonsaturating(D(G(z)))."""
    if not isinstance(gamma, (int, float)) or isinstance(gamma, bool) or not gamma > 0:
        raise ValueError(f"gamma must be a positive number, got {gamma!r}")

    def d_loss(D: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
               fake: torch.Tensor) -> torch.Tensor:
        return discriminator_loss(D(real), D(fake)) + gamma / 2 * r1_penalty(D, real)

    return LossPair("r1", d_loss, generator_loss_nonsaturating, "logit")

LOSS_PAIRS: dict[str, LossPair] = {
    "minimax": logit_pair(generator_loss_minimax, name="minimax"),
    "non-saturating": logit_pair(generator_loss_nonsaturating, name="non-saturating"),
    "least-squares": LossPair(
        "least-squares", _d_loss_least_squares, generator_loss_least_squares, "score"
    ),
    "wgan-gp": wgan_gp_pair(),
}


def get_loss_pair(name: str) -> LossPair:
    """Look up both players' losses: ``minimax``, ``non-saturating``, ``least-squares``,
    ``wgan-gp``."""
    if name not in LOSS_PAIRS:
        raise ValueError(f"Unknown loss {name!r}. Valid choices: {', '.join(LOSS_PAIRS)}")
    return LOSS_PAIRS[name]
