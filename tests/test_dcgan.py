import numpy as np
import pytest
import torch

from gan_course import training
from gan_course.augment import ShiftAugment
from gan_course.dcgan import (
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    conv_output_size,
    dcgan_init,
    down_block,
    train_gan,
    training_images,
    up_block,
)
from gan_course.device import seed_everything
from gan_course.training import TrainConfig


@pytest.mark.parametrize("size,channels", [(8, 1), (16, 1), (32, 3)])
def test_shapes(size, channels):
    G = DCGANGenerator(z_dim=8, image_size=size, channels=channels, width=8)
    D = DCGANDiscriminator(image_size=size, channels=channels, width=8)
    x = G(torch.randn(3, 8))
    assert x.shape == (3, channels, size, size)
    assert x.abs().max() <= 1
    assert D(x).shape == (3,)


def test_blocks_double_and_halve():
    assert up_block(8, 4)(torch.randn(2, 8, 5, 5)).shape == (2, 4, 10, 10)
    assert down_block(4, 8)(torch.randn(2, 4, 10, 10)).shape == (2, 8, 5, 5)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in down_block(1, 4, False))


def test_init_statistics():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(64, 64, 4)
    bn = torch.nn.BatchNorm2d(500)
    conv.apply(dcgan_init)
    bn.apply(dcgan_init)
    assert conv.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert conv.bias.abs().max() == 0
    assert bn.weight.mean().item() == pytest.approx(1.0, abs=0.01)


def test_bad_sizes_and_inputs():
    with pytest.raises(ValueError, match="power of two"):
        DCGANGenerator(image_size=24)
    with pytest.raises(ValueError, match=r"\(N, 1, 16, 16\)"):
        DCGANDiscriminator(16)(torch.randn(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"\(N, 32\)"):
        DCGANGenerator(32)(torch.randn(2, 16))


@pytest.mark.parametrize("size,kernel,stride,padding,transposed", [
    (16, 4, 2, 1, False), (5, 4, 2, 1, False), (4, 4, 1, 0, False), (7, 3, 1, 1, False),
    (1, 4, 1, 0, True), (4, 4, 2, 1, True), (5, 3, 2, 1, True), (3, 1, 1, 0, True),
])
def test_conv_output_size_matches_torch(size, kernel, stride, padding, transposed):
    kind = torch.nn.ConvTranspose2d if transposed else torch.nn.Conv2d
    layer = kind(1, 1, kernel, stride=stride, padding=padding)
    expected = layer(torch.zeros(1, 1, size, size)).shape[-1]
    assert conv_output_size(size, kernel, stride, padding, transposed) == expected


@pytest.mark.parametrize("args", [(2, 5, 1, 0, False), (3, 5, 2, 0, False), (5, 3, 0, 1, False),
                                  (5, 3, 1, -1, False), (0, 3, 1, 0, True), (1, 4, 2, 3, True)])
def test_conv_output_size_refuses_what_cannot_be_built(args):
    with pytest.raises(ValueError):
        conv_output_size(*args)


def small_config(**settings):
    """A tiny DCGAN run on the CPU without a progress bar."""
    return DCGANConfig(z_dim=4, width=8, training=TrainConfig(progress=False, **settings))


def test_train_gan_runs_on_rgb_images_and_records_snapshots():
    images = torch.rand(32, 3, 8, 8) * 2 - 1
    trained = train_gan(images, config=small_config(steps=4, batch_size=8, snapshot_every=2),
                        device="cpu")
    assert not trained.G.training and not trained.D.training
    assert isinstance(trained.D, ShiftAugment) and trained.D.max_shift == 1
    assert trained.G.sample(5).shape == (5, 3, 8, 8)
    assert trained.D(trained.G.sample(5)).shape == (5,)
    assert len(trained.history.g_loss) == 4
    assert trained.history.snapshot_steps == [0, 2, 4]
    assert trained.history.snapshots[0].shape == (64, 3, 8, 8)


@pytest.mark.parametrize("settings,message", [
    ({"z_dim": 0}, "z_dim must be an integer >= 1, got 0"),
    ({"width": 0}, "width must be an integer >= 1, got 0"),
    ({"width": 2.5}, "width must be an integer >= 1"),
    ({"z_dim": True}, "z_dim must be an integer >= 1, got True"),
    ({"max_shift": -1}, "max_shift must be an integer >= 0"),
    ({"training": {"steps": 10}}, "training must be a training.TrainConfig, got dict")])
def test_dcgan_config_refuses_bad_settings(settings, message):
    with pytest.raises((ValueError, TypeError), match=message):
        DCGANConfig(**settings)


def test_dcgan_config_takes_numpy_integers_as_python_ones():
    config = DCGANConfig(z_dim=np.int64(8), width=np.int32(16), max_shift=np.int64(0))
    assert (config.z_dim, config.width, config.max_shift) == (8, 16, 0)
    assert all(type(value) is int for value in (config.z_dim, config.width, config.max_shift))


def test_training_images_refuse_nan_and_name_the_fix():
    images = torch.zeros(5, 1, 8, 8)
    images[3, 0, 2, 2] = float("nan")
    images[4, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"NaN values in 2 of 5 images \(the first is image 3\)"
                                         r".*Drop those images"):
        training_images(images)
    with pytest.raises(ValueError, match="NaN"):
        train_gan(images, config=small_config(steps=1, batch_size=2), device="cpu")


@pytest.mark.parametrize("images,error,message", [
    (torch.full((4, 1, 8, 8), float("inf")), ValueError, r"values in \[-1, 1\], got \[inf"),
    (torch.zeros(0, 1, 8, 8), ValueError, "empty data set"),
    (torch.zeros(4, 1, 8, 8, dtype=torch.uint8), TypeError, "must be floating point"),
    (np.zeros((4, 1, 8, 8), np.float32), TypeError, "torch.from_numpy"),
])
def test_train_gan_refuses_what_it_cannot_train_on(images, error, message):
    with pytest.raises(error, match=message):
        train_gan(images, config=small_config(steps=1, batch_size=2), device="cpu")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
def test_other_float_types_train_as_float32(dtype):
    # float16 and bfloat16 values are exactly float32 values; float64 rounds to the nearest.
    images = (torch.rand(8, 1, 8, 8) * 2 - 1).to(dtype)
    converted = training_images(images)
    assert converted.dtype == torch.float32
    assert torch.equal(converted.double(), images.double().float().double())
    config = small_config(steps=2, batch_size=4, seed=1)
    as_given = train_gan(images, config=config, device="cpu").history.losses
    assert as_given == train_gan(converted, config=config, device="cpu").history.losses


def test_train_gan_is_reproducible():
    images = torch.rand(16, 1, 8, 8) * 2 - 1
    runs = [train_gan(images, config=small_config(steps=3, batch_size=4, seed=3),
                      device="cpu").history.d_loss for _ in range(2)]
    assert runs[0] == runs[1]


def test_train_gan_equals_the_run_written_out():
    # Lesson 07 used to write this run out by hand: seed, G then D, lesson 01's train_step
    # on batches drawn with torch.randint. train_gan must give the same losses and weights,
    # batch-norm statistics included (they decide what G draws in eval mode).
    images = torch.rand(24, 1, 8, 8) * 2 - 1
    settings = TrainConfig(steps=5, batch_size=6, lr=2e-4, decay_from=0.6, seed=2,
                           progress=False)
    trained = train_gan(images, config=DCGANConfig(z_dim=4, width=8, training=settings),
                        device="cpu")

    seed_everything(2)
    G = DCGANGenerator(z_dim=4, image_size=8, width=8)
    D = ShiftAugment(DCGANDiscriminator(image_size=8, width=8), max_shift=1)

    def sample_real(n, generator):
        return images[torch.randint(len(images), (n,), generator=generator)]

    history = training.train(G, D, sample_real, settings, step_fn=training.train_step)
    assert trained.history.losses == history.losses
    for mine, theirs in ((trained.G, G), (trained.D, D)):
        for (name, a), b in zip(mine.state_dict().items(), theirs.state_dict().values()):
            assert torch.equal(a, b), name


def test_shipped_generator_loads_and_draws_digits():
    G = DCGANGenerator.from_pretrained("cpu")
    x = G.sample(3, torch.Generator().manual_seed(0))
    assert x.shape == (3, 1, 16, 16) and not G.training
