"""How lessons hold exercises that keep the notebook running and check themselves.

In a lesson, an exercise is a function whose body the learner writes::

    @exercise(reference=losses.discriminator_loss)
    def discriminator_loss(real_logits, fake_logits):
        raise NotImplementedError("write the discriminator loss here")

While the body still raises ``NotImplementedError``, calling the function runs the course's
``reference`` instead and says so once, so every later cell still works. As soon as the
learner's body returns something, *their* code is what the lesson uses.

Check cells call ``check_cases`` (known inputs and answers) or ``check_against_reference``
(the learner's function and the reference on the same fresh inputs). They print one line:
passed, not yet, or wrong with a hint.

Strict mode (``GAN_COURSE_STRICT=1``, set when the test suite runs the solutions) turns a
fallback or a failed check into an error, which proves every solution is complete.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import Any

import torch

STRICT_ENV = "GAN_COURSE_STRICT"


class ExerciseNotDone(AssertionError):
    """Raised in strict mode when an exercise is missing or gives a wrong answer."""


def strict_mode() -> bool:
    """True when ``$GAN_COURSE_STRICT`` is set to 1, true or yes."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes"}


class Exercise:
    """A learner's function that falls back to a reference while it is not written yet."""

    def __init__(self, learner: Callable[..., Any], reference: Callable[..., Any]):
        functools.update_wrapper(self, learner)
        self.learner = learner
        self.reference = reference
        self.warned = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.learner(*args, **kwargs)
        except NotImplementedError:
            if strict_mode():
                raise ExerciseNotDone(f"{self.__name__} is not implemented (strict mode)") from None
            if not self.warned:
                print(
                    f"[exercise] {self.__name__} is not written yet: using the course's "
                    f"reference for now, so the rest of the notebook still runs."
                )
                self.warned = True
            return self.reference(*args, **kwargs)


def exercise(reference: Callable[..., Any]) -> Callable[[Callable[..., Any]], Exercise]:
    """Decorator: mark a function as an exercise with the given reference implementation."""

    def wrap(learner: Callable[..., Any]) -> Exercise:
        return Exercise(learner, reference)

    return wrap


def check_cases(
    fn: Exercise, cases: Sequence[tuple[tuple, Any]], hint: str, atol: float = 1e-4
) -> bool:
    """Call the learner's function on each ``(args, expected)`` case and compare.

    Prints one line and returns True when every case matches (to ``atol``).
    """

    def run(function: Callable[..., Any]) -> list[Any]:
        return [function(*args) for args, _ in cases]

    return _check(fn, run, [expected for _, expected in cases], hint, atol)


def check_against_reference(
    fn: Exercise, trial: Callable[[Callable[..., Any]], Any], hint: str, atol: float = 1e-4
) -> bool:
    """Run ``trial(function)`` with the learner's function and with the reference; compare.

    ``trial`` must build its own fresh inputs each time (for example from a fixed seed), so
    that both runs see the same thing.
    """
    return _check(fn, trial, trial(fn.reference), hint, atol)


def _check(fn: Exercise, run: Callable, expected: Any, hint: str, atol: float) -> bool:
    name = fn.__name__
    try:
        got = run(fn.learner)
    except NotImplementedError:
        return _report(name, "not yet", "write the body of the function above, then re-run.")
    problem = _difference(got, expected, atol)
    if problem is None:
        print(f"[pass] {name}: correct.")
        return True
    return _report(name, "wrong", f"{problem}. Hint: {hint}")


def _report(name: str, status: str, message: str) -> bool:
    line = f"[{status}] {name}: {message}"
    if strict_mode():
        raise ExerciseNotDone(line)
    print(line)
    return False


def _difference(got: Any, expected: Any, atol: float) -> str | None:
    """A description of the first mismatch between two nested results, or None if equal."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"expected {len(expected)} results, got {got!r}"
        for index, (g, e) in enumerate(zip(got, expected)):
            problem = _difference(g, e, atol)
            if problem is not None:
                return f"result {index}: {problem}"
        return None
    if isinstance(expected, str):
        return None if got == expected else f"got {got!r}, expected {expected!r}"
    if isinstance(expected, torch.Tensor) or isinstance(got, torch.Tensor):
        got_t, exp_t = torch.as_tensor(got).detach().cpu(), torch.as_tensor(expected).detach().cpu()
        if got_t.shape != exp_t.shape:
            return f"shape {tuple(got_t.shape)}, expected {tuple(exp_t.shape)}"
        if not torch.allclose(got_t.double(), exp_t.double(), atol=atol, rtol=1e-4):
            return f"got {_short(got_t)}, expected {_short(exp_t)}"
        return None
    if abs(float(got) - float(expected)) > atol:
        return f"got {float(got):.4f}, expected {float(expected):.4f}"
    return None


def _short(t: torch.Tensor) -> str:
    if t.numel() == 1:
        return f"{t.item():.4f}"
    return f"a tensor starting {t.flatten()[:3].tolist()}"
