"""GAN losses as pure functions of discriminator logits.

Notation: D(x) = sigmoid(l(x)) where l is the discriminator's logit. The original game
(Goodfellow et al., 2014) is

    min_G max_D  V(D, G) = E_{x~p_data}[log D(x)] + E_{z~p_z}[log(1 - D(G(z)))].

Every log of a sigmoid is written with softplus(u) = log(1 + e^u), which never overflows:

    log D(x)       = log sigmoid(l)      = -softplus(-l)
    log(1 - D(x))  = log sigmoid(-l)     = -softplus(l)

All functions take logits of shape (N,) and return a scalar tensor.
"""

from __future__ import annotations

from collections.abc import Callable

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


GENERATOR_LOSSES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "minimax": generator_loss_minimax,
    "non-saturating": generator_loss_nonsaturating,
}


def get_generator_loss(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """Look up a generator loss by name: ``minimax`` or ``non-saturating``."""
    if name not in GENERATOR_LOSSES:
        raise ValueError(
            f"Unknown generator loss {name!r}. Valid choices: {', '.join(GENERATOR_LOSSES)}"
        )
    return GENERATOR_LOSSES[name]
