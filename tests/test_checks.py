"""The check cells catch the bugs learners write, and say what the bug is."""

import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_course.checks import (
    TRAINING_HINTS,
    Raises,
    check_against_reference,
    check_cases,
    gradients_or_zeros,
    training_trace,
)
from gan_course.exercises import (
    REGISTRY,
    STRICT_ENV,
    STUB_MESSAGE,
    ExerciseNotDone,
    compare_prediction,
    exercise,
    exercise_summary,
)


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)


def last_line(capsys) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_only_the_stub_falls_back_to_the_reference(capsys):
    @exercise(reference=lambda x: x + 1)
    def stub(x):
        raise NotImplementedError(STUB_MESSAGE)

    def torch_like_op(x):
        raise NotImplementedError("this operation has no CPU kernel")

    @exercise(reference=lambda x: x + 1)
    def calls_something_unimplemented(x):
        return torch_like_op(x)

    assert stub(1) == 2
    with pytest.raises(NotImplementedError, match="no CPU kernel"):
        calls_something_unimplemented(1)
    check_cases(calls_something_unimplemented, [((1,), 2)], hint="h")
    line = last_line(capsys)
    assert line.startswith("[wrong]") and "NotImplementedError: this operation" in line


def test_forgotten_return_is_named(capsys):
    @exercise(reference=lambda x: x * 2)
    def doubled(x):
        x * 2  # noqa: B018 - the bug under test

    verdict = check_cases(doubled, [((torch.ones(2),), torch.full((2,), 2.0))], hint="h")
    assert verdict.passed is False
    assert last_line(capsys) == ("[wrong] doubled: case 1: your function returned None: did you "
                                 "forget `return`? Hint: h")


def test_none_used_by_the_check_is_a_forgotten_return_not_a_traceback(capsys, monkeypatch):
    @exercise(reference=lambda x: x * 2)
    def doubled(x):
        x * 2  # noqa: B018 - the bug under test

    # the trial uses the result (.sum() on None fails in the check's own code)
    verdict = check_against_reference(doubled, lambda fn: fn(torch.ones(2)).sum(), hint="h")
    assert verdict.passed is False
    line = last_line(capsys)
    assert line.startswith("[wrong] doubled: your function returned None: did you forget "
                           "`return`? (the check then stopped with AttributeError")
    assert "your function raised" not in line
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(ExerciseNotDone, match="did you forget `return`"):
        check_against_reference(doubled, lambda fn: fn(torch.ones(2)).sum(), hint="h")


def test_none_unpacked_by_a_training_loop(capsys):
    def step(a, b):
        return a + b, a - b

    @exercise(reference=step)
    def step_without_return(a, b):
        a + b, a - b  # noqa: B018 - the bug under test

    def trial(fn):
        d, g = fn(1.0, 2.0)   # what training.train does with a step function
        return d + g

    assert check_against_reference(step_without_return, trial, hint="h").passed is False
    assert "your function returned None: did you forget `return`? (the check then stopped " \
           "with TypeError: cannot unpack" in last_line(capsys)


def test_wrong_type_used_by_the_check_names_the_type(capsys):
    @exercise(reference=lambda x: x * 2)
    def as_list(x):
        return (x * 2).tolist()

    assert check_against_reference(as_list, lambda fn: fn(torch.ones(2)).mean(),
                                   hint="h").passed is False
    line = last_line(capsys)
    assert line.startswith("[wrong] as_list: got list [2.0, 2.0], expected a tensor (the check "
                           "then stopped with AttributeError")


def test_a_crash_inside_the_function_is_still_its_own(capsys):
    @exercise(reference=lambda x: x * 2)
    def broken(x):
        return x.reshape(1, 2) @ torch.ones(3, 3)

    verdict = check_against_reference(broken, lambda fn: fn(torch.ones(2)).sum(), hint="h")
    assert verdict.passed is False
    line = last_line(capsys)
    assert "your function raised RuntimeError" in line and "shapes do not fit" in line


def test_a_crash_after_a_right_return_names_what_was_returned(capsys):
    @exercise(reference=lambda x: x * 2)
    def right(x):
        return x * 2

    calls = []

    def trial(fn):
        calls.append(fn)
        result = fn(torch.ones(2))
        if len(calls) == 2:   # the learner's run: fails in the trial's own code
            raise KeyError("trial")
        return result

    assert check_against_reference(right, trial, hint="h").passed is False
    assert last_line(capsys).startswith("[wrong] right: the check could not use what your "
                                        "function returned (a torch.float32 tensor of shape (2,))")


def test_tensor_where_a_float_is_expected_is_wrong(capsys):
    @exercise(reference=lambda x: x.sum().item())
    def total(x):
        return x.sum()

    verdict = check_against_reference(total, lambda fn: fn(torch.arange(3.0)), hint="h")
    assert verdict.passed is False
    assert "use .item()" in last_line(capsys)


def test_integer_tensor_where_a_float_tensor_is_expected(capsys):
    @exercise(reference=lambda labels, n: F.one_hot(labels, n).float())
    def one_hot(labels, n):
        return F.one_hot(labels, n)

    cases = [((torch.tensor([1, 0]), 2), torch.tensor([[0.0, 1.0], [1.0, 0.0]]))]
    assert check_cases(one_hot, cases, hint="h").passed is False
    assert "dtype torch.int64, expected torch.float32" in last_line(capsys)


def test_lost_gradient_is_caught(capsys):
    def penalty(x, create_graph=True):
        x = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(x.pow(3).sum(), x, create_graph=create_graph)
        return grad.sum()

    @exercise(reference=penalty)
    def no_graph(x):
        return penalty(x, create_graph=False)

    assert check_against_reference(no_graph, lambda fn: fn(torch.tensor([1.0, 2.0])),
                                   hint="h").passed is False
    assert "create_graph=True" in last_line(capsys)


def test_answers_right_only_on_constant_inputs_fail_on_random_ones(capsys):
    def l1(a, b):
        return (a - b).abs().mean()

    @exercise(reference=l1)
    def abs_of_mean(a, b):
        return (a - b).mean().abs()

    constant = [((torch.zeros(4), torch.ones(4)), torch.tensor(1.0))]
    verdict = check_cases(abs_of_mean, constant, hint="h")
    assert verdict.passed is True  # why constants are not enough
    g = torch.Generator().manual_seed(0)
    verdict = check_against_reference(
        abs_of_mean, lambda fn: fn(torch.randn(8, generator=g.manual_seed(0)),
                                   torch.randn(8, generator=g.manual_seed(1))), hint="h")
    assert verdict.passed is False


def test_a_case_that_must_raise(capsys):
    def pack(x, m):
        if x.shape[0] % m:
            raise ValueError("not a multiple")
        return x.reshape(-1, m * x.shape[1])

    @exercise(reference=pack)
    def pack_unchecked(x, m):
        return x.reshape(-1, m * x.shape[1])

    cases = [((torch.zeros(4, 2), 2), torch.zeros(2, 4)),
             ((torch.zeros(6, 1), 4), Raises(ValueError))]
    assert check_cases(pack_unchecked, cases, hint="h").passed is False
    line = last_line(capsys)
    # a reshape of 6 numbers into rows of 4 fails inside torch: reported, not raised
    assert line.startswith("[wrong]") and "RuntimeError" in line
    cases[1] = ((torch.zeros(8, 1), 3), Raises(ValueError))
    assert check_cases(pack_unchecked, cases, hint="h").passed is False


def test_a_wrong_hand_computed_case_is_a_course_bug():
    @exercise(reference=lambda x: x * 2)
    def doubled(x):
        return x * 2

    with pytest.raises(AssertionError, match="course bug"):
        check_cases(doubled, [((1.0,), 3.0)], hint="h")


def test_dict_results_name_the_key_and_the_first_differing_index(capsys):
    def weights(fn):
        return {"G.bias": torch.zeros(3), "D.weight": fn(torch.arange(6.0).reshape(2, 3))}

    @exercise(reference=lambda x: x * 2)
    def off(x):
        y = x * 2
        y[1, 2] += 1
        return y

    check_against_reference(off, weights, hint="generic", hints={"D.": "look at D"})
    line = last_line(capsys)
    assert "D.weight: first difference at index [1, 2]: got 11.0000, expected 10.0000" in line
    assert "Hint: look at D" in line


def train_step(G, D, opt_g, opt_d, real, z, zero_grad=True, detach=True):
    fake = G(z)
    d_loss = (F.softplus(-D(real)).mean()
              + F.softplus(D(fake.detach() if detach else fake)).mean())
    if zero_grad:
        opt_d.zero_grad()
    d_loss.backward(retain_graph=not detach)
    opt_d.step()
    g_loss = F.softplus(-D(fake)).mean()
    if zero_grad:
        opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def trace_of(step_fn):
    torch.manual_seed(0)
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    opt_g, opt_d = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
    real, z = torch.randn(8, 2), torch.randn(8, 2)
    return training_trace(lambda i: step_fn(G, D, opt_g, opt_d, real, z), {"G": G, "D": D})


@pytest.mark.parametrize(
    ("bug", "hint"),
    [({"zero_grad": False}, "gradients add up across steps"), ({"detach": False}, "detach")],
)
def test_training_trace_catches_missing_zero_grad_and_detach(capsys, bug, hint):
    @exercise(reference=train_step)
    def buggy(*args):
        return train_step(*args, **bug)

    assert check_against_reference(buggy, trace_of, hint="h", hints=TRAINING_HINTS).passed is False
    assert hint in last_line(capsys)


def test_training_trace_passes_the_right_step(capsys):
    @exercise(reference=train_step)
    def right(*args):
        return train_step(*args)

    assert check_against_reference(right, trace_of, hint="h", hints=TRAINING_HINTS).passed is True


def test_a_crash_becomes_wrong_with_a_diagnosis(capsys):
    def step_without_retain(*args):
        G, D, opt_g, opt_d, real, z = args
        fake = G(z)
        d_loss = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
        opt_d.zero_grad()
        d_loss.backward()
        g_loss = F.softplus(-D(fake)).mean()
        g_loss.backward()
        return d_loss.item(), g_loss.item()

    @exercise(reference=train_step)
    def no_detach(*args):
        return step_without_retain(*args)

    assert check_against_reference(no_detach, trace_of, hint="h").passed is False
    line = last_line(capsys)
    assert "RuntimeError" in line and "fake.detach()" in line


def test_strict_mode_raises_on_a_crash(monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")

    @exercise(reference=lambda x: x)
    def broken(x):
        return x.no_such_method()

    with pytest.raises(ExerciseNotDone, match="AttributeError"):
        check_cases(broken, [((torch.ones(1),), torch.ones(1))], hint="h")


def test_summary_counts_the_lessons_calls_after_the_check(monkeypatch, capsys):
    @exercise(reference=lambda x: x)
    def used(x):
        return x

    @exercise(reference=lambda x: x)
    def unused(x):
        return x

    used(1)  # before its check: not counted
    check_cases(used, [((1,), 1)], hint="h")
    check_cases(unused, [((1,), 1)], hint="h")
    used(2), used(3)
    rows = exercise_summary([used, unused])
    assert [(r["name"], r["calls"]) for r in rows] == [("used", 2), ("unused", 0)]
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(ExerciseNotDone, match=r"\['unused'\]"):
        exercise_summary([used, unused])
    exercise_summary([used])
    assert REGISTRY["used"] is used


def test_compare_prediction(capsys):
    assert compare_prediction("modes", None, 8, 0.5, "why").passed is None
    assert "no prediction yet" in capsys.readouterr().out
    assert compare_prediction("modes", 7, 8, 0.5, "why").passed is False
    assert compare_prediction("modes", 8, 8.2, 0.5, "why").passed is True
    assert compare_prediction("modes", "eight", 8, 0.5, "why").passed is None


def test_make_lessons_writes_the_stub_the_mechanism_recognises():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import make_lessons

    assert f'raise NotImplementedError("{STUB_MESSAGE}")' in make_lessons.STUB
    namespace: dict = {}
    exec(make_lessons.stub_source("def f(x):\n    ### BEGIN SOLUTION\n    return x\n"
                                  "    ### END SOLUTION\n"), namespace)
    stubbed = exercise(reference=lambda x: -x)(namespace["f"])
    assert stubbed(3) == -3


def test_a_verdict_reads_as_a_bool_and_shows_nothing_as_a_cells_last_value():
    """The check prints its line; IPython must not echo True/False under it."""
    from IPython.core.interactiveshell import InteractiveShell

    from gan_course.exercises import Verdict

    assert bool(Verdict(True)) and not Verdict(False) and not Verdict(None)
    assert repr(Verdict(False)) == "Verdict(passed=False)"
    # Jupyter's kernel sends a cell's last value only when the formatter produced some data.
    formatter = InteractiveShell.instance().display_formatter
    assert formatter.format(Verdict(False)) == ({}, {})
    assert formatter.format(Verdict(True)) == ({}, {})
    assert formatter.format(False)[0] == {"text/plain": "False"}  # what a bool would show


def test_gradients_or_zeros_by_hand():
    a = torch.tensor([1.0, -2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0], requires_grad=True)
    ga, gb = gradients_or_zeros((a * a + 5 * b).sum(), [a, b])
    assert torch.equal(ga, torch.tensor([2.0, -4.0]))
    assert torch.equal(gb, torch.tensor([5.0, 5.0]))
    # a detached term sends no gradient: zeros, not None
    ga, gb = gradients_or_zeros(3 * a + b.detach(), [a, b])
    assert torch.equal(ga, torch.tensor([3.0, 3.0])) and torch.equal(gb, torch.zeros(2))
    # a number, or a tensor out of the graph: zeros for every input
    for output in (7.0, (a * b).detach()):
        grads = gradients_or_zeros(output, [a, b])
        assert all(torch.equal(g, torch.zeros(2)) for g in grads)
