"""Choosing where tensors live, and making runs repeatable (every lesson).

The course runs on whatever the learner has: an NVIDIA GPU (CUDA), an Apple GPU (MPS),
or the CPU. ``pick_device()`` takes the first of those that works, unless the environment
variable ``GAN_COURSE_DEVICE`` names one, for example::

    GAN_COURSE_DEVICE=cpu jupyter lab      # force the CPU even on a GPU machine

``seed_everything(seed)`` makes a run repeatable, and ``module_device(model)`` says where a
model's weights live (use it rather than ``next(model.parameters()).device``).

CPU threads: the course's networks are tiny, and PyTorch starts one thread per core of the
*host*, even in a container (Binder, a cloud notebook) that may use only one or two of them.
The first ``pick_device()`` therefore calls ``configure_threads()`` once: torch keeps its own
thread count unless the CPUs this process may use are fewer, namely the cores of its affinity
mask (``os.sched_getaffinity``) and the CPU quota of its cgroup (``cpu.max`` of cgroup v2,
``cpu.cfs_quota_us / cpu.cfs_period_us`` of v1), rounded up. It prints one line saying what
it chose. ``GAN_COURSE_THREADS=N`` sets the count yourself::

    GAN_COURSE_THREADS=1 jupyter lab       # one thread: the same numbers on every machine
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

ENV_VAR = "GAN_COURSE_DEVICE"
CHOICES = ("auto", "cpu", "cuda", "mps")
THREADS_ENV = "GAN_COURSE_THREADS"
# The thread count when GAN_COURSE_THREADS is not set: None = torch's own count, lowered to the
# CPUs this process may use (quota and affinity); a positive integer = that many (e.g. 1).
DEFAULT_THREADS: int | None = None
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _parse(name: str) -> str:
    """Normalise a device name and refuse anything that is not a known choice ('' is auto)."""
    cleaned = name.strip().lower() or "auto"
    base, _, index = cleaned.partition(":")
    if base not in CHOICES or (":" in cleaned and (base != "cuda" or not index.isdecimal())):
        raise ValueError(
            f"Unknown device {name!r}. Valid choices: {', '.join(CHOICES)} "
            f"(or 'cuda:N' for the N-th GPU). Set it with {ENV_VAR}=... or pick_device(...)."
        )
    return cleaned


def pick_device(preferred: str | torch.device | None = None) -> torch.device:
    """Return the device the course should use.

    Order of precedence: the ``preferred`` argument, then ``$GAN_COURSE_DEVICE``,
    then automatic choice (CUDA, then MPS, then CPU); an empty name means automatic. The
    first call also sets torch's CPU threads (``configure_threads``) and says how many.

    Raises:
        ValueError: the name is not one of ``auto, cpu, cuda, cuda:N, mps``, or
            ``$GAN_COURSE_THREADS`` is not a positive integer.
        RuntimeError: the named accelerator (or GPU number N) is not available here.
    """
    configure_threads()
    requested = preferred if preferred is not None else os.environ.get(ENV_VAR, "auto")
    name = _parse(str(requested))
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"Device {name!r} was requested but CUDA is not available here.")
    if name.startswith("cuda:") and int(name[5:]) >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise RuntimeError(f"Device {name!r} was requested but this machine has {count} GPU(s), "
                           f"numbered 0 to {count - 1}: use one of those, or 'cuda'.")
    if name == "mps" and not _mps_available():
        raise RuntimeError("Device 'mps' was requested but Apple's MPS is not available here.")
    return torch.device(name)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (CPU and all GPUs) and return a seeded CPU generator.

    Same seed, same code, same CPU: same numbers. GPUs may still differ in the last bits
    because some of their kernels are not deterministic.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def module_device(module: nn.Module) -> torch.device:
    """The device of the module's first parameter (or buffer); the CPU if it has neither."""
    for tensor in module.parameters():
        return tensor.device
    for tensor in module.buffers():
        return tensor.device
    return torch.device("cpu")


# --- CPU threads -----------------------------------------------------------------------------


def _read_text(path: Path) -> str | None:
    try:
        return Path(path).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def quota_from_cgroup_v2(cpu_max: Path) -> float | None:
    """CPUs granted by a cgroup v2 ``cpu.max`` file: "QUOTA PERIOD" (microseconds) gives
    QUOTA / PERIOD, e.g. "150000 100000" -> 1.5. None when there is no limit ("max ...") or
    the file is missing, unreadable or not in that format."""
    fields = (_read_text(cpu_max) or "").split()
    if len(fields) != 2 or fields[0] == "max":
        return None
    return _ratio(fields[0], fields[1])


def quota_from_cgroup_v1(quota_file: Path, period_file: Path) -> float | None:
    """CPUs granted by cgroup v1: cpu.cfs_quota_us / cpu.cfs_period_us, e.g. 200000 / 100000
    -> 2.0. None when the quota is -1 (no limit) or either file is missing or garbage."""
    quota, period = _read_text(quota_file), _read_text(period_file)
    if quota is None or period is None or quota.strip() == "-1":
        return None
    return _ratio(quota, period)


def _ratio(quota: str, period: str) -> float | None:
    try:
        value, length = int(quota), int(period)
    except ValueError:
        return None
    return value / length if value > 0 and length > 0 else None


def cgroup_quota_files(root: Path = CGROUP_ROOT,
                       self_cgroup: Path = PROC_SELF_CGROUP) -> list[tuple[Path, ...]]:
    """Where this process's CPU quota may be written: ``(cpu.max,)`` for cgroup v2 and
    ``(cpu.cfs_quota_us, cpu.cfs_period_us)`` for v1, at the root of the mount (what a
    container sees) and along the process's own cgroup path and its parents (from
    ``self_cgroup``, lines "ID:CONTROLLERS:PATH"). Limits nest: the smallest one counts."""
    folders: list[tuple[str, Path]] = [("v2", root)]
    for controller in ("cpu", "cpu,cpuacct"):
        folders.append(("v1", root / controller))
    for line in (_read_text(self_cgroup) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, own = parts
        if controllers == "":
            base, version = root, "v2"
        elif "cpu" in controllers.split(","):
            base, version = root / controllers, "v1"
        else:
            continue
        relative = Path(own.lstrip("/"))
        for depth in range(1, len(relative.parts) + 1):
            folders.append((version, base.joinpath(*relative.parts[:depth])))
    files: list[tuple[Path, ...]] = []
    for version, folder in folders:
        pair = ((folder / "cpu.max",) if version == "v2"
                else (folder / "cpu.cfs_quota_us", folder / "cpu.cfs_period_us"))
        if pair not in files:
            files.append(pair)
    return files


def cpu_quota(files: Sequence[tuple[Path, ...]]) -> float | None:
    """The smallest CPU quota among ``files`` (as ``cgroup_quota_files`` lists them), in
    CPUs (1.5 = one and a half cores' time); None when none of them sets a limit."""
    quotas = []
    for entry in files:
        quota = quota_from_cgroup_v2(entry[0]) if len(entry) == 1 else quota_from_cgroup_v1(*entry)
        if quota is not None:
            quotas.append(quota)
    return min(quotas, default=None)


def usable_cpus(quota: float | None, affinity: int | None) -> int | None:
    """CPUs this process can really use: min(ceil(quota), affinity), at least 1; None when
    neither is known. A quota of 1.5 CPUs lets 2 threads run (each part of the time)."""
    limits = [n for n in (None if quota is None else math.ceil(quota), affinity) if n is not None]
    return max(1, min(limits)) if limits else None


def parse_threads(value: str) -> int:
    """``$GAN_COURSE_THREADS`` as a positive integer, or a ValueError saying what to write."""
    text = value.strip()
    if not text.isdecimal() or int(text) < 1:
        raise ValueError(f"{THREADS_ENV} must be a positive integer such as 1 or 4, got "
                         f"{value!r}: set it to the number of CPU threads torch should use, "
                         f"or unset it to let the course choose.")
    return int(text)


@dataclass(frozen=True)
class ThreadChoice:
    """What ``choose_threads`` decided: the thread count and why, in words."""

    threads: int
    reason: str


def choose_threads(torch_threads: int, quota: float | None, affinity: int | None,
                   requested: str | None = None,
                   default: int | None = DEFAULT_THREADS) -> ThreadChoice:
    """The thread count for torch.

    requested ($GAN_COURSE_THREADS) wins when set and not empty; then ``default`` when it is
    an integer; else torch's own count ``torch_threads``, lowered to ``usable_cpus(quota,
    affinity)`` (never more threads than the CPUs the quota and the affinity mask grant).
    """
    if requested is not None and requested.strip():
        return ThreadChoice(parse_threads(requested), f"set by {THREADS_ENV}")
    if default is not None:
        return ThreadChoice(default, f"the course's default ({THREADS_ENV}=N to change it)")
    share = usable_cpus(quota, affinity)
    found = ("no CPU quota" if quota is None else f"a CPU quota of {quota:g}") + (
        "" if affinity is None else f", {affinity} CPU(s) in the affinity mask")
    if share is not None and share < torch_threads:
        return ThreadChoice(share, f"lowered from torch's {torch_threads} to the CPUs this "
                                   f"process may use: {found} ({THREADS_ENV}=N to change it)")
    return ThreadChoice(torch_threads, f"torch's own count; {found} ({THREADS_ENV}=N to "
                                       f"change it)")


def _affinity() -> int | None:
    getter = getattr(os, "sched_getaffinity", None)  # absent on macOS and Windows
    return len(getter(0)) if getter is not None else None


_configured: ThreadChoice | None = None


def configure_threads(force: bool = False, announce: bool = True) -> ThreadChoice:
    """Set torch's CPU thread count once per process (``choose_threads`` on this machine).

    Called by ``pick_device()``, so every lesson does it in its first cell; later calls
    return the first choice and change nothing (a lesson may lower the count for a while
    and put it back). ``force`` chooses and applies again. Prints one line when it applies.
    """
    global _configured
    if _configured is not None and not force:
        return _configured
    files = cgroup_quota_files(CGROUP_ROOT, PROC_SELF_CGROUP)
    choice = choose_threads(torch.get_num_threads(), cpu_quota(files),
                            _affinity(), os.environ.get(THREADS_ENV), DEFAULT_THREADS)
    torch.set_num_threads(choice.threads)
    _configured = choice
    if announce:
        print(f"CPU threads for torch: {choice.threads}, {choice.reason}")
    return choice
