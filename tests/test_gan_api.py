import pytest
import torch

from gan_course.augment import ShiftAugment, random_shift
from gan_course.gan_api import check_images, pretrained_digits_generator, train_gan


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


@pytest.mark.parametrize("images,error,message", [
    ([[0.0]], TypeError, "torch.Tensor"),
    (torch.zeros(4, 1, 16, 16, dtype=torch.uint8), TypeError, "127.5"),
    (torch.zeros(4, 16, 16), ValueError, r"\(N, C, H, W\)"),
    (torch.zeros(4, 2, 16, 16), ValueError, "C = 1 or 3"),
    (torch.zeros(4, 1, 16, 12), ValueError, "square"),
    (torch.zeros(4, 1, 12, 12), ValueError, "8, 16, 32"),
    (torch.full((4, 1, 16, 16), 255.0), ValueError, r"\[-1, 1\]"),
])
def test_bad_images_are_refused_clearly(images, error, message):
    with pytest.raises(error, match=message):
        check_images(images)


def test_train_gan_runs_on_rgb_images_and_records_snapshots():
    images = torch.rand(32, 3, 8, 8) * 2 - 1
    G, history = train_gan(images, steps=4, batch_size=8, z_dim=4, width=8, snapshot_every=2,
                           device="cpu", progress=False)
    assert not G.training
    assert G.sample(5).shape == (5, 3, 8, 8)
    assert len(history.g_loss) == 4
    assert history.snapshot_steps == [0, 2, 4]
    assert history.snapshots[0].shape == (64, 3, 8, 8)


def test_train_gan_is_reproducible():
    images = torch.rand(16, 1, 8, 8) * 2 - 1
    runs = [train_gan(images, steps=3, batch_size=4, z_dim=4, width=8, seed=3, device="cpu",
                      progress=False)[1].d_loss for _ in range(2)]
    assert runs[0] == runs[1]


def test_shipped_generator_loads_and_draws_digits():
    G = pretrained_digits_generator("cpu")
    x = G.sample(3, torch.Generator().manual_seed(0))
    assert x.shape == (3, 1, 16, 16) and not G.training


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
