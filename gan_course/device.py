"""Choosing where tensors live, and making runs repeatable (every lesson, 01 to 07).

The course runs on whatever the learner has: an NVIDIA GPU (CUDA), an Apple GPU (MPS),
or the CPU. ``pick_device()`` takes the first of those that works, unless the environment
variable ``GAN_COURSE_DEVICE`` names one, for example::

    GAN_COURSE_DEVICE=cpu jupyter lab      # force the CPU even on a GPU machine

``seed_everything(seed)`` makes a run repeatable, and ``module_device(model)`` says where a
model's weights live (use it rather than ``next(model.parameters()).device``).
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch
from torch import nn

ENV_VAR = "GAN_COURSE_DEVICE"
CHOICES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def _parse(name: str) -> str:
    """Normalise a device name and refuse anything that is not a known choice."""
    cleaned = name.strip().lower()
    base = cleaned.split(":", 1)[0]
    if base not in CHOICES or (":" in cleaned and base != "cuda"):
        raise ValueError(
            f"Unknown device {name!r}. Valid choices: {', '.join(CHOICES)} "
            f"(or 'cuda:N' for the N-th GPU). Set it with {ENV_VAR}=... or pick_device(...)."
        )
    return cleaned


def pick_device(preferred: str | None = None) -> torch.device:
    """Return the device the course should use.

    Order of precedence: the ``preferred`` argument, then ``$GAN_COURSE_DEVICE``,
    then automatic choice (CUDA, then MPS, then CPU).

    Raises:
        ValueError: the name is not one of ``auto, cpu, cuda, cuda:N, mps``.
        RuntimeError: the named accelerator is not available on this machine.
    """
    requested = preferred if preferred is not None else os.environ.get(ENV_VAR, "auto")
    name = _parse(requested)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"Device {name!r} was requested but CUDA is not available here.")
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
