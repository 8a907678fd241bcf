import numpy as np
import pytest
import torch

from gan_course.digits import load_digits


def test_sizes_and_range():
    for size in (8, 16, 32):
        data = load_digits(size, "all")
        assert data.images.shape == (1797, 1, size, size)
        assert data.images.min() >= -1 and data.images.max() <= 1
    originals = load_digits(8, "all").images
    assert originals.min() == -1 and originals.max() == 1  # 0 -> -1 and 16 -> +1


def test_split_is_fixed_stratified_and_disjoint():
    train, held, every = load_digits(8, "train"), load_digits(8, "heldout"), load_digits(8, "all")
    assert len(train) + len(held) == len(every) == 1797
    held_counts = torch.bincount(held.labels, minlength=10)
    assert held_counts.min() >= 35 and held_counts.max() <= 37
    # 20 % of each class, rounded half to even: 35.6 -> 36, 36.4 -> 36, 36.6 -> 37, ...
    every_counts = torch.bincount(every.labels, minlength=10).tolist()
    assert held_counts.tolist() == [round(0.2 * n) for n in every_counts]
    assert (len(train), len(held)) == (1438, 359)   # the counts load_digits' docstring gives
    every_index = {tuple(x.flatten().tolist()) for x in every.images}
    assert len(every_index) > 1700  # nearly all images are distinct, so the split is real
    again = load_digits(8, "heldout")
    assert torch.equal(held.images, again.images) and torch.equal(held.labels, again.labels)


def test_labels_match_the_data():
    data = load_digits(8, "all")
    assert torch.bincount(data.labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179,
                                                    174, 180]


@pytest.mark.parametrize("kwargs,message", [
    ({"size": 12}, "Valid choices: 8, 16, 32"),
    ({"split": "test"}, "Valid choices: train, heldout, all"),
    ({"size": 16.0}, "Unsupported size 16.0: the size is a whole number of pixels, write size=16"),
    ({"size": True}, "Unsupported size True. Valid choices"),
    ({"size": "16"}, "Unsupported size '16'. Valid choices"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_digits(**kwargs)


def test_numpy_integer_size():
    assert torch.equal(load_digits(np.int64(8), "heldout").images,
                       load_digits(8, "heldout").images)
