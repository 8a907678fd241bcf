import pytest
import torch

from gan_course.augment import ShiftAugment, random_shift


def test_shift_moves_pixels_and_fills_background():
    image = -torch.ones(1, 1, 5, 5)
    image[0, 0, 2, 2] = 1.0
    seen = set()
    for seed in range(40):
        out = random_shift(image, 1, torch.Generator().manual_seed(seed))
        position = tuple(torch.nonzero(out[0, 0] == 1.0)[0].tolist())
        seen.add(position)
        assert (out == 1.0).sum() == 1 and (out == -1.0).sum() == 24
    assert seen == {(r, c) for r in (1, 2, 3) for c in (1, 2, 3)}


def test_shift_passes_gradients_and_is_off_in_eval_mode():
    x = torch.randn(4, 3, 8, 8, requires_grad=True)
    random_shift(x, 2).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    wrapped = ShiftAugment(torch.nn.Identity(), max_shift=2).eval()
    assert torch.equal(wrapped(x), x)
    with pytest.raises(ValueError):
        ShiftAugment(torch.nn.Identity(), max_shift=-1)


def test_shift_wrapper_passes_labels_through():
    class LabelRecorder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.seen = []

        def forward(self, images, labels):
            self.seen.append(labels)
            return images.flatten(1).sum(1)

    recorder = LabelRecorder()
    ShiftAugment(recorder, max_shift=1)(torch.zeros(2, 1, 4, 4), torch.tensor([3, 4]))
    assert torch.equal(recorder.seen[0], torch.tensor([3, 4]))
