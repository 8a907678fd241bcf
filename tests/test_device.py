import pytest
import torch

from gan_course.device import ENV_VAR, module_device, pick_device, seed_everything


def test_cpu_by_name_and_by_environment(monkeypatch):
    assert pick_device("cpu") == torch.device("cpu")
    monkeypatch.setenv(ENV_VAR, "CPU")
    assert pick_device() == torch.device("cpu")


def test_argument_wins_over_environment(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "nonsense")
    assert pick_device("cpu") == torch.device("cpu")


def test_auto_picks_cuda_first(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda")


def test_auto_falls_back_to_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("gan_course.device._mps_available", lambda: False)
    assert pick_device("auto") == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu", "tpu", "cpu:0", "mps:1", ""])
def test_unknown_device_names_the_choices(monkeypatch, name):
    monkeypatch.setenv(ENV_VAR, name)
    with pytest.raises(ValueError, match="Valid choices: auto, cpu, cuda, mps"):
        pick_device()


def test_unavailable_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        pick_device("cuda:1")


def test_seeding_repeats_numbers():
    seed_everything(7)
    first = torch.randn(3)
    generator = seed_everything(7)
    assert torch.equal(first, torch.randn(3))
    expected = torch.randn(3, generator=torch.Generator().manual_seed(7))
    assert torch.equal(torch.randn(3, generator=generator), expected)


def test_seed_must_be_a_non_negative_int():
    with pytest.raises(ValueError):
        seed_everything(-1)


def test_module_device_is_where_the_weights_are():
    assert module_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    # "meta" tensors have a device but no data: a device other than the CPU, on any machine.
    assert module_device(torch.nn.Linear(2, 2, device="meta")) == torch.device("meta")
    only_a_buffer = torch.nn.BatchNorm1d(3, affine=False, device="meta")
    assert list(only_a_buffer.parameters()) == []
    assert module_device(only_a_buffer) == torch.device("meta")
    assert module_device(torch.nn.ReLU()) == torch.device("cpu")    # no weights: the CPU
