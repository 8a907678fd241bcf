import math

import pytest
import torch

from gan_course import theory


def test_optimal_discriminator_closed_form():
    p_data, p_g = torch.tensor([1.0, 3.0, 0.0, 0.0]), torch.tensor([1.0, 1.0, 2.0, 0.0])
    expected = torch.tensor([0.5, 0.75, 0.0, 0.5])
    assert torch.allclose(theory.optimal_discriminator(p_data, p_g), expected)


def test_js_divergence_limits():
    xs = torch.linspace(-10, 10, 4001)
    dx = (xs[1] - xs[0]).item()
    p = theory.gaussian_pdf(xs, 0.0, 1.0)
    assert theory.js_divergence(p, p, dx) == pytest.approx(0.0, abs=1e-9)
    far = theory.gaussian_pdf(xs, 8.0, 0.3)
    near_disjoint = theory.js_divergence(theory.gaussian_pdf(xs, -8.0, 0.3), far, dx)
    assert near_disjoint == pytest.approx(math.log(2), abs=1e-4)
    assert theory.optimal_value(p, p, dx) == pytest.approx(-math.log(4), abs=1e-4)


def test_gaussian_pdf_rejects_bad_std():
    with pytest.raises(ValueError):
        theory.gaussian_pdf(torch.zeros(1), 0.0, 0.0)
