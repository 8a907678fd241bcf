import pytest
import torch

from gan_course import device
from gan_course.device import (
    ENV_VAR,
    THREADS_ENV,
    cgroup_quota_files,
    choose_threads,
    configure_threads,
    cpu_quota,
    module_device,
    parse_threads,
    pick_device,
    quota_from_cgroup_v1,
    quota_from_cgroup_v2,
    seed_everything,
    usable_cpus,
)


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


@pytest.mark.parametrize("name", ["gpu", "tpu", "cpu:0", "mps:1", "cuda:", "cuda:x", "cuda:-1",
                                  "cuda:\u00b2"])
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


@pytest.mark.parametrize("value", ["", "  "])
def test_empty_device_variable_means_auto(monkeypatch, value):
    monkeypatch.setenv(ENV_VAR, value)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("gan_course.device._mps_available", lambda: False)
    assert pick_device() == torch.device("cpu")


def test_gpu_number_is_checked_against_the_gpus_there(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert pick_device("cuda:1") == torch.device("cuda:1")
    with pytest.raises(RuntimeError, match=r"has 2 GPU\(s\), numbered 0 to 1"):
        pick_device("cuda:2")


# --- CPU threads: fake cgroup files written by the tests ----------------------------------


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("text,expected", [
    ("150000 100000\n", 1.5),     # one and a half cores' time
    ("50000 100000", 0.5),
    ("max 100000\n", None),       # no limit
    ("", None), ("garbage", None), ("1 2 3", None), ("0 100000", None), ("100000 0", None),
])
def test_cgroup_v2_quota(tmp_path, text, expected):
    assert quota_from_cgroup_v2(write(tmp_path / "cpu.max", text)) == expected


def test_missing_cgroup_files_mean_no_quota(tmp_path):
    assert quota_from_cgroup_v2(tmp_path / "cpu.max") is None
    assert quota_from_cgroup_v1(tmp_path / "q", tmp_path / "p") is None
    assert cpu_quota([(tmp_path / "cpu.max",), (tmp_path / "q", tmp_path / "p")]) is None


@pytest.mark.parametrize("quota,period,expected", [
    ("200000", "100000", 2.0), ("-1", "100000", None), ("x", "100000", None),
    ("300000", "", None),
])
def test_cgroup_v1_quota(tmp_path, quota, period, expected):
    files = write(tmp_path / "cpu.cfs_quota_us", quota), write(tmp_path / "cpu.cfs_period_us",
                                                               period)
    assert quota_from_cgroup_v1(*files) == expected


def test_the_smallest_of_nested_quotas_counts(tmp_path):
    outer = write(tmp_path / "cpu.max", "400000 100000")
    inner = write(tmp_path / "a" / "cpu.max", "max 100000")
    v1 = (write(tmp_path / "q", "250000"), write(tmp_path / "p", "100000"))
    assert cpu_quota([(outer,), (inner,), v1]) == 2.5


def test_quota_files_follow_the_process_cgroup(tmp_path):
    own = write(tmp_path / "self", "0::/user.slice/job\n3:cpu,cpuacct:/docker/abc\n"
                "2:memory:/x\nnot a line\n")
    files = cgroup_quota_files(tmp_path, own)
    assert (tmp_path / "cpu.max",) in files
    assert (tmp_path / "user.slice" / "cpu.max",) in files
    assert (tmp_path / "user.slice" / "job" / "cpu.max",) in files
    v1 = tmp_path / "cpu,cpuacct" / "docker" / "abc"
    assert (v1 / "cpu.cfs_quota_us", v1 / "cpu.cfs_period_us") in files
    assert not any("memory" in str(path) for entry in files for path in entry)
    write(tmp_path / "user.slice" / "job" / "cpu.max", "100000 100000")
    assert cpu_quota(files) == 1.0


@pytest.mark.parametrize("quota,affinity,expected", [
    (1.5, 16, 2), (0.5, 16, 1), (4.0, 2, 2), (None, 3, 3), (2.0, None, 2), (None, None, None),
    (0.01, None, 1),
])
def test_usable_cpus_rounds_the_quota_up(quota, affinity, expected):
    assert usable_cpus(quota, affinity) == expected


def test_threads_never_exceed_the_cpu_share():
    choice = choose_threads(torch_threads=64, quota=1.5, affinity=64, default=None)
    assert choice.threads == 2 and "lowered from torch's 64" in choice.reason
    assert choose_threads(64, None, 4, default=None).threads == 4
    # torch's own count is never raised (OMP_NUM_THREADS=1 stays 1)
    assert choose_threads(1, 8.0, 8, default=None).threads == 1


def test_the_variable_and_the_default_override_the_share():
    assert choose_threads(64, 1.5, 64, requested="8", default=None).threads == 8
    assert choose_threads(64, 1.5, 64, requested=" 3 ", default=1).threads == 3
    assert choose_threads(64, 1.5, 64, requested="", default=1).threads == 1
    assert "default" in choose_threads(64, 1.5, 64, default=1).reason


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", "", "True", "\u00b2"])
def test_bad_thread_variable_is_a_clear_error(value):
    with pytest.raises(ValueError, match=f"{THREADS_ENV} must be a positive integer"):
        parse_threads(value)


def test_configure_threads_applies_once_and_says_so(monkeypatch, capsys):
    before = torch.get_num_threads()
    monkeypatch.setattr(device, "_configured", None)
    monkeypatch.setenv(THREADS_ENV, "1")
    try:
        assert configure_threads().threads == 1
        assert torch.get_num_threads() == 1
        assert capsys.readouterr().out.startswith("CPU threads for torch: 1, set by")
        monkeypatch.setenv(THREADS_ENV, "3")
        assert configure_threads().threads == 1, "later calls keep the first choice"
        assert capsys.readouterr().out == ""
        monkeypatch.setenv(THREADS_ENV, "zero")
        with pytest.raises(ValueError, match="positive integer"):
            configure_threads(force=True)
    finally:
        torch.set_num_threads(before)
