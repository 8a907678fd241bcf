import pytest
import torch

from gan_course.checks import check_against_reference, check_cases
from gan_course.exercises import STRICT_ENV, ExerciseNotDone, exercise


def reference_square(x):
    return x * x


@exercise(reference=reference_square)
def unwritten(x):
    raise NotImplementedError


@exercise(reference=reference_square)
def written(x):
    return x**2


@exercise(reference=reference_square)
def wrong(x):
    return x + x


def test_unwritten_exercise_falls_back_and_says_so_once(capsys, monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)
    unwritten.warned = False
    assert unwritten(3) == 9
    assert unwritten(4) == 16
    out = capsys.readouterr().out
    assert out.count("not written yet") == 1


def test_written_exercise_runs_the_learners_code():
    calls = []

    @exercise(reference=reference_square)
    def mine(x):
        calls.append(x)
        return -1

    assert mine(5) == -1 and calls == [5]
    assert mine.__name__ == "mine"


def test_strict_mode_refuses_the_fallback(monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(ExerciseNotDone, match="unwritten is not implemented"):
        unwritten(2)


def test_check_cases_reports_pass_not_yet_wrong(capsys, monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)
    cases = [((2.0,), 4.0), ((torch.tensor([1.0, 3.0]),), torch.tensor([1.0, 9.0]))]
    assert check_cases(written, cases, hint="square it").passed is True
    assert check_cases(unwritten, cases, hint="square it").passed is False
    assert check_cases(wrong, cases, hint="square it").passed is False
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("[pass] written")
    assert out[1].startswith("[not yet] unwritten")
    assert out[2].startswith("[wrong] wrong") and "Hint: square it" in out[2]
    assert "result 1" in out[2] or "got" in out[2]


def test_wrong_shape_is_described(capsys, monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)

    @exercise(reference=reference_square)
    def flat(x):
        return (x * x).sum()

    check_cases(flat, [((torch.ones(3),), torch.ones(3))], hint="elementwise")
    assert "shape ()" in capsys.readouterr().out


def test_check_against_reference_uses_fresh_inputs(monkeypatch, capsys):
    monkeypatch.delenv(STRICT_ENV, raising=False)

    def trial(fn):
        torch.manual_seed(0)
        return fn(torch.randn(4))

    assert check_against_reference(written, trial, hint="x*x").passed is True
    assert check_against_reference(wrong, trial, hint="x*x").passed is False


def test_strict_mode_turns_failed_checks_into_errors(monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "true")
    with pytest.raises(ExerciseNotDone, match=r"\[wrong\] wrong"):
        check_cases(wrong, [((3.0,), 9.0)], hint="h")
    with pytest.raises(ExerciseNotDone, match=r"\[not yet\] unwritten"):
        check_cases(unwritten, [((3.0,), 9.0)], hint="h")


def test_descriptions_are_compared_as_text(capsys, monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)

    @exercise(reference=lambda x: "Conv2d -> ReLU")
    def layers(x):
        return "Conv2d -> Tanh"

    assert check_cases(layers, [((1.0,), "Conv2d -> ReLU")], hint="h").passed is False
    assert "'Conv2d -> Tanh'" in capsys.readouterr().out
