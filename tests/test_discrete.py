"""The discrete demo (lesson 11): Gumbel-softmax, the sequence rule, the sequence GAN."""

from __future__ import annotations

import pytest
import torch

from gan_course import discrete
from gan_course.training import TrainConfig


def test_rule_by_hand():
    sequences = torch.tensor([[0, 0, 1, 2, 3, 0], [0, 2, 2, 2, 2, 2], [3, 3, 0, 0, 1, 1]])
    assert discrete.follows_rule(sequences, 4).tolist() == [True, False, True]


def test_chance_matches_enumeration():
    grid = torch.cartesian_prod(*[torch.arange(3)] * 4)          # all 81 sequences, K=3, L=4
    share = discrete.follows_rule(grid, 3).float().mean().item()
    assert share == pytest.approx(discrete.chance(4, 3))        # 3 * 2^3 / 81


def test_rule_sequences_follow_the_rule_and_vary():
    config = discrete.SequenceConfig()
    drawn = discrete.rule_sequences(500, config, torch.Generator().manual_seed(0))
    assert discrete.follows_rule(drawn, 4).all()
    assert discrete.distinct_valid(drawn, 4) > 100


def test_distinct_valid_counts_only_valid_rows():
    rows = torch.tensor([[0, 1], [0, 1], [1, 1], [0, 2]])
    assert discrete.distinct_valid(rows, 4) == 2


def test_gumbel_softmax_draws_with_the_softmax_frequencies():
    logits = torch.log(torch.tensor([0.5, 0.3, 0.2])).expand(20000, 3)
    y = discrete.gumbel_softmax(logits, 1.0, hard=True, generator=torch.Generator().manual_seed(0))
    freq = y.mean(dim=0)
    assert torch.allclose(freq, torch.tensor([0.5, 0.3, 0.2]), atol=0.015)
    assert torch.allclose(y, y.round(), atol=1e-6)             # one-hot forward
    assert torch.allclose(y.sum(dim=1), torch.ones(20000))


def test_straight_through_passes_the_soft_gradient():
    logits = torch.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    hard = discrete.gumbel_softmax(logits, 0.5, hard=True, generator=g1)
    soft = discrete.gumbel_softmax(logits, 0.5, hard=False, generator=g2)
    weights = torch.tensor([[1.0, 2.0, 3.0]])
    (grad_hard,) = torch.autograd.grad((hard * weights).sum(), logits)
    (grad_soft,) = torch.autograd.grad((soft * weights).sum(), logits)
    assert torch.allclose(grad_hard, grad_soft) and grad_hard.abs().sum() > 0


def test_train_sequence_gan_runs():
    config = discrete.SequenceConfig(hidden=8, training=TrainConfig(steps=3, batch_size=8,
                                                                    progress=False))
    G, history = discrete.train_sequence_gan(config)
    assert len(history.d_loss) == 3
    drawn = discrete.generate(G, 5)
    assert drawn.shape == (5, 8) and drawn.min() >= 0 and drawn.max() < 4
