import pytest
import torch

from gan_course.domains import (
    check_domain_images,
    dilate,
    erode,
    make_paired_test,
    make_unpaired_domains,
    read_b,
    to_domain_b,
)


def test_dilate_and_erode_by_hand():
    x = -torch.ones(1, 1, 5, 5)
    x[0, 0, 2, 2] = 1.0                       # one ink pixel
    bold = dilate(x)
    assert bold[0, 0].eq(1.0).sum() == 9      # grows into its 3 x 3 neighbourhood
    assert bold[0, 0, 1:4, 1:4].eq(1.0).all()
    assert torch.equal(erode(bold), x)        # erosion takes it back
    assert torch.equal(erode(x), -torch.ones_like(x))  # a lone pixel does not survive erosion
    with pytest.raises(ValueError, match="odd"):
        dilate(x, 2)


def test_true_translation_is_bold_and_readable():
    test = make_paired_test()
    assert test.a.shape == test.b.shape == (len(test.labels), 1, 16, 16)
    assert torch.equal(test.b, dilate(test.a))
    assert (test.b >= test.a).all()                        # dilation only adds ink
    assert (test.b > 0).float().mean() > (test.a > 0).float().mean() + 0.1
    assert torch.equal(read_b(test.b), erode(dilate(test.a)))


def test_training_domains_are_unpaired_halves():
    domains = make_unpaired_domains(seed=0)
    assert abs(len(domains.a) - len(domains.b)) <= 1
    assert domains.a.shape[1:] == domains.b.shape[1:] == (1, 16, 16)
    # no B image is the translation of any A image: the halves come from different digits
    translated_a = to_domain_b(domains.a).flatten(1)
    distances = torch.cdist(domains.b.flatten(1), translated_a)
    assert distances.min() > 1e-3
    again = make_unpaired_domains(seed=0)
    assert torch.equal(again.a, domains.a) and torch.equal(again.b, domains.b)
    assert not torch.equal(make_unpaired_domains(seed=1).a, domains.a)


@pytest.mark.parametrize("bad, error, message", [
    (torch.zeros(2, 3, 16, 16), ValueError, "3 channels where 1"),
    (torch.zeros(2, 1, 32, 32), ValueError, r"shape \(N, 1, 16, 16\)"),
    (torch.zeros(1, 16, 16), ValueError, "add the batch dimension"),
    (torch.zeros(2, 1, 16, 16, dtype=torch.uint8), TypeError, "floating point"),
    (torch.full((2, 1, 16, 16), 255.0), ValueError, r"values in \[-1, 1\]"),
    ([[0.0]], TypeError, "torch.Tensor"),
])
def test_wrong_images_get_a_clear_error(bad, error, message):
    with pytest.raises(error, match=message):
        check_domain_images(bad)
    with pytest.raises(error, match=message):
        to_domain_b(bad)
