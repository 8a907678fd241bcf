"""How lessons hold exercises that keep the notebook running (every lesson, 01 onwards).

In a lesson, an exercise is a function whose body the learner writes::

    @exercise(reference=losses.discriminator_loss)
    def discriminator_loss(real_logits, fake_logits):
        # YOUR CODE HERE
        raise NotImplementedError("exercise not written yet")

While the body is still that stub, calling the function runs the course's ``reference``
instead and says so once, so every later cell still works. As soon as the learner's body
does something else, *their* code is what the lesson uses, including its mistakes: an error
raised inside the learner's own code is never swallowed.

Check cells (``gan_course.checks``) compare the learner's function with the reference and
mark the exercise as checked. From then on every call the lesson makes is counted, and
``exercise_summary()`` at the end of a lesson shows which of the learner's functions drove
the lesson's experiments. ``compare_prediction`` is the predict-then-verify prompt.

Strict mode (``GAN_COURSE_STRICT=1``, set when the test suite runs the solutions) turns a
fallback, a failed check or an exercise the lesson never used after its check into an error.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

STRICT_ENV = "GAN_COURSE_STRICT"
# The message of the stub that tools/make_lessons.py writes into every exercise.
STUB_MESSAGE = "exercise not written yet"


class ExerciseNotDone(AssertionError):
    """Raised in strict mode when an exercise is missing, wrong or unused."""


class Verdict:
    """What a check or a prediction found; ``passed`` is True, False, or None (no guess yet).

    It reads as a bool (``if check_cases(...):`` runs the next check only after a pass). The
    check has already printed its line, so as the last value of a notebook cell it shows
    nothing more: Jupyter calls ``_ipython_display_`` instead of echoing ``True`` or ``False``.
    """

    __slots__ = ("passed",)

    def __init__(self, passed: bool | None) -> None:
        self.passed = passed

    def __bool__(self) -> bool:
        return bool(self.passed)

    def __repr__(self) -> str:
        return f"Verdict(passed={self.passed})"

    def _ipython_display_(self) -> None:
        """Show nothing: the line the check printed says it all."""


def strict_mode() -> bool:
    """True when ``$GAN_COURSE_STRICT`` is set to 1, true or yes."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes"}


def is_stub(error: BaseException, learner: Callable[..., Any]) -> bool:
    """True when ``error`` is the "not written yet" marker raised by ``learner``'s own body.

    A ``NotImplementedError`` raised deeper (by a torch operation the learner called, say)
    is a real error in the learner's code, not a sign that the body is still empty.
    """
    if not isinstance(error, NotImplementedError) or error.args not in ((), (STUB_MESSAGE,)):
        return False
    frame = error.__traceback__
    if frame is None:
        return False
    while frame.tb_next is not None:
        frame = frame.tb_next
    return frame.tb_frame.f_code is getattr(learner, "__code__", None)


# Every exercise defined in this Python process, by name (a re-run cell replaces its entry).
REGISTRY: dict[str, Exercise] = {}


class Exercise:
    """A learner's function that falls back to a reference while its body is the stub.

    Attributes: ``status`` of its last check ("not checked", "pass", "not yet", "wrong") and
    ``calls_after_check``, how often the lesson called it after that check.
    """

    def __init__(self, learner: Callable[..., Any], reference: Callable[..., Any]):
        functools.update_wrapper(self, learner)
        self.learner = learner
        self.reference = reference
        self.warned = False
        self.status = "not checked"
        self.calls_after_check = 0
        REGISTRY[self.__name__] = self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.status != "not checked":
            self.calls_after_check += 1
        try:
            return self.learner(*args, **kwargs)
        except NotImplementedError as error:
            if not is_stub(error, self.learner):
                raise
            if strict_mode():
                raise ExerciseNotDone(f"{self.__name__} is not implemented (strict mode)") from None
            if not self.warned:
                print(
                    f"[exercise] {self.__name__} is not written yet: using the course's "
                    f"reference for now, so the rest of the notebook still runs."
                )
                self.warned = True
            return self.reference(*args, **kwargs)

    def written(self) -> bool:
        """False while the body is still the stub (tried by the last check)."""
        return self.status not in ("not checked", "not yet")


def exercise(reference: Callable[..., Any]) -> Callable[[Callable[..., Any]], Exercise]:
    """Decorator: mark a function as an exercise with the given reference implementation."""

    def wrap(learner: Callable[..., Any]) -> Exercise:
        return Exercise(learner, reference)

    return wrap


def exercise_summary(exercises: list[Exercise] | None = None) -> list[dict[str, Any]]:
    """Print, for each exercise, its check's verdict and how often the lesson then used it.

    Returns the rows. In strict mode an exercise that was never checked, or that the lesson
    never called after its check, is an error: every exercise must drive the lesson.
    """
    chosen = list(REGISTRY.values()) if exercises is None else exercises
    rows = []
    print(f"{'exercise':28s} {'check':12s} calls by the lesson after the check")
    for item in chosen:
        used = item.calls_after_check
        source = "your code" if item.written() else "the course's reference (not written yet)"
        print(f"{item.__name__:28s} {item.status:12s} {used:>6d}   ({source})")
        rows.append({"name": item.__name__, "status": item.status, "calls": used})
    unused = [row["name"] for row in rows if row["status"] == "not checked" or row["calls"] == 0]
    if unused and strict_mode():
        raise ExerciseNotDone(f"exercises never checked or never used after the check: {unused}")
    return rows


def compare_prediction(
    name: str, predicted: Any, measured: float, tolerance: float, explanation: str
) -> Verdict:
    """Predict-then-verify: set your guess before running the experiment, then compare.

    ``predicted`` is the learner's number (None while they have not guessed). Prints the
    measured value, whether the guess was within ``tolerance`` and the ``explanation``.
    Returns a ``Verdict``: passed None without a prediction, else whether it was close.
    Never an error: a wrong prediction is how one learns.
    """
    if predicted is None:
        print(f"[predict] {name}: no prediction yet. Set it above and re-run; "
              f"measured {measured:.4g}.")
        print(f"          Why: {explanation}")
        return Verdict(None)
    try:
        guess = float(predicted)
    except (TypeError, ValueError):
        print(f"[predict] {name}: your prediction {predicted!r} is not a number; "
              f"measured {measured:.4g}.")
        return Verdict(None)
    close = abs(guess - float(measured)) <= tolerance
    verdict = "close" if close else "not quite"
    print(f"[predict] {name}: you said {guess:.4g}, the run measured {measured:.4g} ({verdict}, "
          f"tolerance {tolerance:g}).")
    print(f"          Why: {explanation}")
    return Verdict(close)
