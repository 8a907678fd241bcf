import pytest
import torch

from gan_course.classifier import DigitClassifier
from gan_course.digits import load_digits
from gan_course.synthetic_data import (
    ExperimentResult,
    augmentation_experiment,
    few_per_class,
    synthetic_digits,
    train_classifier,
)

TRAIN = load_digits(16, "train")
TEST = load_digits(16, "heldout")


def test_few_per_class_is_balanced_and_seeded():
    a, b = few_per_class(TRAIN, 3, seed=1), few_per_class(TRAIN, 3, seed=1)
    assert torch.bincount(a.labels).tolist() == [3] * 10
    assert torch.equal(a.images, b.images)
    assert not torch.equal(a.images, few_per_class(TRAIN, 3, seed=2).images)
    with pytest.raises(ValueError):
        few_per_class(TRAIN, 0, seed=0)


def test_synthetic_digits_asks_for_each_class():
    asked = []

    def sample(labels, generator):
        asked.append(labels.clone())
        return torch.zeros(len(labels), 1, 16, 16)

    data = synthetic_digits(sample, 4, seed=0)
    assert torch.equal(asked[0], torch.arange(10).repeat_interleave(4))
    assert data.images.shape == (40, 1, 16, 16)


def test_train_classifier_equals_the_loop_written_out():
    # The same seed, batches drawn with torch.randint and Adam at 2e-3: the same weights.
    data = few_per_class(TRAIN, 2, seed=0)
    model = train_classifier(data, steps=3, batch_size=5, seed=7)
    torch.manual_seed(7)
    expected = DigitClassifier()
    optimizer = torch.optim.Adam(expected.parameters(), lr=2e-3)
    rng = torch.Generator().manual_seed(7)
    for _ in range(3):
        idx = torch.randint(20, (5,), generator=rng)
        log_p = torch.log_softmax(expected(data.images[idx]), dim=1)
        loss = -log_p[torch.arange(5), data.labels[idx]].mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert not model.training
    for a, b in zip(model.parameters(), expected.parameters()):
        torch.testing.assert_close(a, b)


def test_perfect_synthetic_data_helps_a_classifier_with_one_example_per_class():
    """Oracle: 'synthetic' images that are real training digits of the asked class."""
    pool = {d: TRAIN.images[TRAIN.labels == d] for d in range(10)}

    def sample(labels, generator):
        picks = [pool[int(d)][torch.randint(len(pool[int(d)]), (1,), generator=generator)]
                 for d in labels]
        return torch.cat(picks)

    result = augmentation_experiment(sample, TRAIN, TEST, per_class=1, synthetic_per_class=30,
                                     seeds=(0,), steps=150)
    assert result.acc_mixed[0] > result.acc_real[0] + 0.1


def test_summary_statistics():
    result = ExperimentResult([0, 1], [0.5, 0.7], [0.8, 0.8])
    summary = result.summary()
    assert summary["aug_acc_real"] == pytest.approx(0.6)
    # the sample standard deviation (n - 1): sqrt((0.1^2 + 0.1^2) / 1)
    assert summary["aug_acc_real_std"] == pytest.approx(0.1 * 2 ** 0.5)
    assert summary["aug_acc_mixed_std"] == 0.0
    assert result.gains() == pytest.approx([0.3, 0.1])
    assert summary["aug_gain"] == pytest.approx(0.2)
    assert summary["aug_gain_std"] == pytest.approx(0.1 * 2 ** 0.5)
    with pytest.raises(ValueError, match="two seeds"):
        ExperimentResult([0], [0.5], [0.8]).summary()
