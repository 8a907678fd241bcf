"""Check cells: compare a learner's exercise with the course's reference (every lesson).

``check_cases(fn, cases, hint)`` runs known inputs with hand-computed answers;
``check_against_reference(fn, trial, hint)`` runs a ``trial`` (which builds its own fresh,
seeded, non-constant inputs) once with the learner's function and once with the reference.
Both print one line: ``[pass]``, ``[not yet]`` or ``[wrong] ... Hint: ...``, and in strict
mode a wrong answer raises ``ExerciseNotDone``. Both return a ``Verdict``: true after a pass,
and silent as a cell's last value (the printed line is the answer).

What they catch besides wrong numbers: a crash inside the learner's function (reported with
the error and, for the classic ones, what usually causes it), a forgotten ``return`` (None,
named as such also when the check's own code is what fails on it, e.g. ``None.sum()``),
the wrong type (a tensor where a float is wanted, an integer tensor where a float tensor is),
a result that lost its gradient (``requires_grad``), with ``gradients_or_zeros`` in a trial
a gradient that misses one of the inputs (a detached term), and, with ``training_trace``,
gradients that reach the wrong network or add up across steps. Results may be dicts: the first key
that differs is named, with the first differing index, and ``hints`` can give each key its
own hint.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gan_course.exercises import Exercise, ExerciseNotDone, Verdict, is_stub, strict_mode

# Classic errors, by a pattern of their message, and what usually causes them.
DIAGNOSES: list[tuple[str, str]] = [
    (r"backward through the graph a second time",
     "a second backward() reached a graph that was already used: in the D step give D "
     "fake.detach(), so D's loss does not reach back into G (retain_graph=True only hides "
     "the bug)."),
    (r"does not require grad and does not have a grad_fn",
     "the loss has no gradient: was it computed under torch.no_grad(), detached, or turned "
     "into a number with .item() before backward()?"),
    (r"modified by an inplace operation",
     "an in-place change (x += ..., x[...] = ..., optimizer.step()) overwrote a value that "
     "a later backward() still needs: finish each loss's backward() before changing what it "
     "used."),
    (r"same device", "move every tensor and model to the same device (.to(device))."),
    (r"shapes cannot be multiplied|size mismatch|must match the size|doesn't match the "
     r"broadcast shape|sizes of tensors must match",
     "the shapes do not fit: print the shapes of what you combine."),
    (r"Dimension out of range", "you reduce or index over an axis that does not exist: "
     "check dim=."),
    (r"NoneType", "something returned None: is a `return` missing?"),
    (r"only one element tensors|a Tensor with \d+ elements cannot be converted",
     ".item() and float() work on one number only: reduce to a scalar first."),
]


NONE_RETURNED = "your function returned None: did you forget `return`?"


@dataclass(frozen=True)
class Raises:
    """Expected outcome of a case that must raise ``error`` (e.g. a refused bad input)."""

    error: type[BaseException]


def check_cases(
    fn: Exercise,
    cases: Sequence[tuple[tuple, Any]],
    hint: str,
    atol: float = 1e-4,
    hints: Mapping[str, str] | None = None,
) -> Verdict:
    """Call the learner's function on each ``(args, expected)`` case and compare.

    ``expected`` is a hand-computed answer or ``Raises(SomeError)``. The reference must give
    the same answers (checked first: a disagreement is a bug in the course, not the learner's),
    and its results set the expected types. Prints one line; the Verdict is true when all match.
    """
    reference_results = [_outcome(fn.reference, args) for args, _ in cases]
    returned = [value for kind, value in reference_results if kind == "returned"]
    for index, ((_, expected), (kind, value)) in enumerate(zip(cases, reference_results)):
        if isinstance(expected, Raises):
            assert kind == "raised" and isinstance(value, expected.error), (
                f"course bug: the reference does not raise {expected.error.__name__} in case "
                f"{index + 1} of {fn.__name__}")
        else:
            assert kind == "returned" and _difference(value, expected, atol, False) is None, (
                f"course bug: case {index + 1} of {fn.__name__} disagrees with the reference")

    def run(function: Callable[..., Any]) -> list[Any]:
        results = []
        for args, expected in cases:
            if not isinstance(expected, Raises):
                results.append(function(*args))
                continue
            try:
                function(*args)
                results.append(_RaiseResult(False, expected.error.__name__))
            except expected.error:
                results.append(_RaiseResult(True, expected.error.__name__))
        return results

    wanted = [_RaiseResult(True, case[1].error.__name__) if isinstance(case[1], Raises) else value
              for case, (_, value) in zip(cases, reference_results)]
    labels = [f"case {index + 1}" for index in range(len(cases))]
    return _check(fn, run, (wanted, returned), hint, atol, hints or {}, labels)


def check_against_reference(
    fn: Exercise,
    trial: Callable[[Callable[..., Any]], Any],
    hint: str,
    atol: float = 1e-4,
    hints: Mapping[str, str] | None = None,
) -> Verdict:
    """Run ``trial(function)`` with the learner's function and with the reference; compare.

    ``trial`` must build its own fresh inputs each time (from a fixed seed), random rather
    than constant, so that both runs see the same thing and an answer that is right only on
    special inputs is caught. It may return a dict; ``hints`` maps a key (or a part of it)
    to the hint shown when that key is the first to differ.
    """
    reference = _Recorder(fn.reference)
    expected = trial(reference)
    return _check(fn, trial, (expected, reference.results), hint, atol, hints or {})


class _RaiseResult:
    """Whether a case that must raise did raise (compared like a value)."""

    def __init__(self, raised: bool, name: str):
        self.raised, self.name = raised, name


def _outcome(function: Callable[..., Any], args: tuple) -> tuple[str, Any]:
    """("returned", value) or ("raised", error): how the reference handles a case."""
    try:
        return "returned", function(*args)
    except Exception as error:  # noqa: BLE001 - the caller decides what an error means
        return "raised", error


class _Recorder:
    """Calls ``function`` and remembers what each call returned, and the error it raised.

    With it a check tells a crash inside the learner's function from one in the course's
    code that then used what the function returned (None, say): a different message.
    """

    KEEP = 100  # results kept for comparison; later ones only count

    def __init__(self, function: Callable[..., Any]):
        functools.update_wrapper(self, function)
        self.function = function
        self.results: list[Any] = []
        self.errors: list[BaseException] = []
        self.calls = 0
        self.none_returned = False
        self.last: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            result = self.function(*args, **kwargs)
        except BaseException as error:
            self.errors.append(error)
            raise
        self.calls += 1
        self.none_returned = self.none_returned or result is None
        self.last = result
        if len(self.results) < self.KEEP:  # a long trial (a training run) keeps only the first
            self.results.append(result)
        return result

    def raised(self, error: BaseException) -> bool:
        """True when ``error`` came out of the function (itself, or as its cause/context)."""
        seen: BaseException | None = error
        for _ in range(20):  # a cause chain is short; a cycle must not hang the check
            if seen is None:
                return False
            if any(seen is mine for mine in self.errors):
                return True
            seen = seen.__cause__ or seen.__context__
        return False


def _check(fn: Exercise, run: Callable, expected: tuple[Any, list[Any]], hint: str,
           atol: float, hints: Mapping[str, str], labels: list[str] | None = None) -> Verdict:
    """Run ``run`` with the learner's function and compare with ``expected``: the reference's
    final result and the list of what each of the reference's calls returned."""
    name = fn.__name__
    expected, reference_returns = expected
    learner = _Recorder(fn.learner)
    try:
        got = run(learner)
    except NotImplementedError as error:
        if is_stub(error, fn.learner):
            fn.status = "not yet"
            return _report(fn, "not yet", "write the body of the function above, then re-run.")
        return _crashed(fn, error, hint, learner, reference_returns)
    except ExerciseNotDone:
        raise
    except Exception as error:  # noqa: BLE001 - any crash in the learner's code is reported
        return _crashed(fn, error, hint, learner, reference_returns)
    problem = _difference(got, expected, atol, True, labels)
    if problem is None:
        fn.status = "pass"
        print(f"[pass] {name}: correct.")
        return Verdict(True)
    fn.status = "wrong"
    chosen = next((text for key, text in hints.items() if key in problem), hint)
    return _report(fn, "wrong", f"{_sentence(problem)} Hint: {chosen}")


def _crashed(fn: Exercise, error: Exception, hint: str, learner: _Recorder,
             reference_returns: list[Any]) -> Verdict:
    """Report a crash: in the learner's function, or in the check using what it returned."""
    fn.status = "wrong"
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    raised = f"{type(error).__name__}: {message[:200]}"
    if not learner.raised(error) and learner.calls:
        # The function returned; the course's code then failed on what it returned.
        for got, wanted in zip(learner.results, reference_returns):
            problem = _difference(got, wanted, 1e-4, True)
            if problem is not None and (got is None or _kind(got) != _kind(wanted)):
                return _report(fn, "wrong", f"{problem} (the check then stopped with {raised}). "
                               f"Hint: {hint}")
        if learner.none_returned:
            return _report(fn, "wrong", f"{NONE_RETURNED} (the check then stopped with {raised}). "
                           f"Hint: {hint}")
        return _report(fn, "wrong", f"the check could not use what your function returned "
                       f"({_describe(learner.last)}): {raised}. Hint: {hint}")
    diagnosis = next((text for pattern, text in DIAGNOSES if re.search(pattern, str(error))),
                     hint)
    return _report(fn, "wrong", f"your function raised {raised}. Hint: {diagnosis}")


def _sentence(text: str) -> str:
    """``text`` ending in a full stop (or the question mark it has)."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _kind(value: Any) -> str:
    """The broad type of a result: what the course's code can do with it."""
    if isinstance(value, torch.Tensor):
        return "tensor"
    if isinstance(value, (bool, str)) or value is None:
        return type(value).__name__
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, Mapping):
        return "dict"
    if isinstance(value, (tuple, list)):
        return f"sequence of {len(value)}"
    return type(value).__name__


def _report(fn: Exercise, status: str, message: str) -> Verdict:
    line = f"[{status}] {fn.__name__}: {message}"
    if strict_mode():
        raise ExerciseNotDone(line)
    print(line)
    return Verdict(False)


def _difference(got: Any, expected: Any, atol: float, strict_types: bool,
                labels: list[str] | None = None) -> str | None:
    """A description of the first mismatch between two nested results, or None if equal.

    With ``strict_types`` the learner's types must match the reference's (a tensor where a
    Python float is expected, a different dtype, a lost gradient, None).
    """
    if got is None and expected is not None:
        return NONE_RETURNED
    if isinstance(expected, _RaiseResult):
        if not isinstance(got, _RaiseResult) or not got.raised:
            return f"it must raise {expected.name} for this input, and it did not"
        return None
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping) or list(got) != list(expected):
            return f"expected a dict with keys {list(expected)}, got {_describe(got)}"
        for key in expected:
            problem = _difference(got[key], expected[key], atol, strict_types)
            if problem is not None:
                return f"{key}: {problem}"
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"expected {len(expected)} results, got {_describe(got)}"
        for index, (g, e) in enumerate(zip(got, expected)):
            problem = _difference(g, e, atol, strict_types)
            if problem is not None:
                label = labels[index] if labels else f"result {index}"
                return f"{label}: {problem}"
        return None
    if isinstance(expected, (str, bool)) or expected is None:
        return None if got == expected else f"got {got!r}, expected {expected!r}"
    if isinstance(expected, torch.Tensor):
        return _tensor_difference(got, expected, atol, strict_types)
    if isinstance(got, torch.Tensor):
        if strict_types:
            return (f"it returned a tensor ({_describe(got)}) where a Python number is "
                    f"expected: use .item() or float(...)")
        got = got.detach().cpu()
        if got.numel() != 1:
            return f"got {_describe(got)}, expected one number"
        got = got.item()
    if not isinstance(got, (int, float)):
        return f"got {_describe(got)}, expected a number"
    if not math.isclose(float(got), float(expected), abs_tol=atol, rel_tol=1e-4):
        return f"got {float(got):.4f}, expected {float(expected):.4f}"
    return None


def _tensor_difference(got: Any, expected: torch.Tensor, atol: float,
                       strict_types: bool) -> str | None:
    if not isinstance(got, torch.Tensor):
        if strict_types or not isinstance(got, (int, float)):
            return f"got {_describe(got)}, expected a tensor"
        got = torch.tensor(float(got))
    if strict_types:
        if got.dtype != expected.dtype:
            return f"dtype {got.dtype}, expected {expected.dtype}"
        if expected.requires_grad and not got.requires_grad:
            return ("the result has no gradient (requires_grad is False), so training could "
                    "not learn from it: was something detached, converted with .item(), or "
                    "a gradient taken without create_graph=True?")
    got_t, exp_t = got.detach().cpu(), expected.detach().cpu()
    if got_t.shape != exp_t.shape:
        return f"shape {tuple(got_t.shape)}, expected {tuple(exp_t.shape)}"
    if got_t.dtype == torch.bool or exp_t.dtype == torch.bool:
        got_t, exp_t = got_t.double(), exp_t.double()
    close = torch.isclose(got_t.double(), exp_t.double(), atol=atol, rtol=1e-4, equal_nan=True)
    if bool(close.all()):
        return None
    if exp_t.numel() == 1:
        return f"got {got_t.item():.4f}, expected {exp_t.item():.4f}"
    where = tuple(int(i) for i in (~close).nonzero()[0])
    return (f"first difference at index {list(where)}: got {got_t[where].item():.4f}, expected "
            f"{exp_t[where].item():.4f} ({int((~close).sum())} of {exp_t.numel()} values differ)")


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return f"{type(value).__name__} {value!r}"[:80]


def gradients_or_zeros(output: Any, inputs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """d sum(output) / d input for each input (each must require grad), for a trial to return
    beside the value: a term that a learner detached sends no gradient, and a value that is
    right with a gradient that is not is still wrong. Where no gradient reaches an input (it
    was detached, or ``output`` is not a tensor in the graph at all), that gradient is zeros
    like the input, so the check names the key and shows the difference."""
    zeros = [torch.zeros_like(x) for x in inputs]
    if not isinstance(output, torch.Tensor) or not output.requires_grad:
        return zeros
    found = torch.autograd.grad(output.sum(), list(inputs), allow_unused=True,
                                retain_graph=True)
    return [zero if grad is None else grad for zero, grad in zip(zeros, found, strict=True)]


def parameters_of(network: nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    """``{prefix.name: a copy of the parameter}`` for every parameter of ``network``."""
    return {f"{prefix}.{name}": p.detach().clone() for name, p in network.named_parameters()}


def training_trace(
    step: Callable[[int], Any], networks: Mapping[str, nn.Module], steps: int = 3
) -> dict[str, Any]:
    """Call ``step(i)`` for i = 1..steps and record what a training step should do.

    For each step: the value ``step`` returned, how many backward passes reached each
    network's parameters, and every weight afterwards. Running several steps catches a
    missing ``zero_grad()`` (gradients add up from the second step on); counting backward
    passes catches a missing ``detach()`` (D's loss then also reaches G).
    Use with the hints ``TRAINING_HINTS``.
    """
    trace: dict[str, Any] = {}
    for index in range(1, steps + 1):
        counts = {name: _BackwardCounter(net) for name, net in networks.items()}
        result = step(index)
        for counter in counts.values():
            counter.remove()
        trace[f"step {index}: returned"] = result
        for name, counter in counts.items():
            trace[f"step {index}: backward passes into {name}"] = counter.passes()
        for name, net in networks.items():
            for key, value in parameters_of(net, name).items():
                trace[f"step {index}: weights {key}"] = value
    return trace


# Checked in this order against the first difference a training trace shows.
TRAINING_HINTS = {
    "backward passes into G": "gradients reach G more (or less) often than they should: in "
    "the D step give D fake.detach(), so D's loss does not flow back into G.",
    "backward passes into": "a network gets a different number of backward passes than in "
    "the reference: one backward() per loss, and detach what the other player made.",
    "step 1: returned": "the losses of the first step differ: compute each loss as the lesson "
    "defines it and return it as a Python float (.item()).",
    "step 1:": "the weights differ after the first step: check the order (D step, then G "
    "step), which optimizer steps after which backward(), and the losses.",
    "step ": "the first step matched but a later one did not: gradients add up across steps "
    "unless you call zero_grad() before each backward().",
}


class _BackwardCounter:
    """Counts the backward passes that compute a gradient for a network's parameters."""

    def __init__(self, network: nn.Module):
        self.counts: list[int] = []
        self.handles = []
        for parameter in network.parameters():
            if parameter.requires_grad:
                slot = len(self.counts)
                self.counts.append(0)
                self.handles.append(parameter.register_hook(self._hook(slot)))

    def _hook(self, slot: int) -> Callable[[torch.Tensor], None]:
        def count(grad: torch.Tensor) -> None:
            self.counts[slot] += 1

        return count

    def passes(self) -> int:
        return max(self.counts, default=0)

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
