import pytest
import torch

from gan_course.digits import ImageData
from gan_course.imbalance import class_shares, keep_fraction_of_class


def toy_data():
    labels = torch.tensor([0] * 10 + [1] * 20 + [2] * 10)
    images = torch.arange(len(labels)).float().reshape(-1, 1, 1, 1)
    return ImageData(images, labels)


def test_keep_fraction_of_class_counts_and_order():
    data = keep_fraction_of_class(toy_data(), minority=1, fraction=0.25, seed=3)
    assert torch.bincount(data.labels).tolist() == [10, 5, 10]
    order = data.images.flatten()
    assert torch.all(order[1:] > order[:-1])          # original order kept
    assert torch.all(data.labels == toy_data().labels[order.long()])
    again = keep_fraction_of_class(toy_data(), minority=1, fraction=0.25, seed=3)
    assert torch.equal(again.images, data.images)


def test_keep_fraction_keeps_at_least_one_and_checks_input():
    assert (keep_fraction_of_class(toy_data(), 0, 0.01).labels == 0).sum() == 1
    with pytest.raises(ValueError, match="fraction"):
        keep_fraction_of_class(toy_data(), 0, 0.0)
    with pytest.raises(ValueError, match="does not occur"):
        keep_fraction_of_class(toy_data(), 7, 0.5)


def test_class_shares_from_labels_and_counts():
    shares = class_shares(torch.tensor([0, 0, 0, 2]), n_classes=4)
    assert shares.tolist() == [75.0, 0.0, 25.0, 0.0]
    from_counts = class_shares(torch.tensor([1, 1, 2]), n_classes=3, counts=True)
    assert from_counts.tolist() == [25.0, 25.0, 50.0]
    with pytest.raises(ValueError, match="integer"):
        class_shares(torch.tensor([0.5, 1.0]))
    with pytest.raises(ValueError, match="shape"):
        class_shares(torch.tensor([1, 2]), n_classes=3, counts=True)
