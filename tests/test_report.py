import json
import math

import pytest

from gan_course.report import METRICS_ENV, report_metrics


def test_prints_without_a_file(capsys, monkeypatch):
    monkeypatch.delenv(METRICS_ENV, raising=False)
    returned = report_metrics("01", ring_modes=8, ring_hq_pct=97.5, ring_kl=0.0123456,
                              best="minibatch-std")
    # Names padded to the longest (11 characters), floats to 4 significant digits.
    assert capsys.readouterr().out == ("Lesson 01, measured:\n"
                                       "  ring_modes   8\n"
                                       "  ring_hq_pct  97.5\n"
                                       "  ring_kl      0.01235\n"
                                       "  best         minibatch-std\n")
    assert returned is None  # a cell ending with it shows the table, not a dict after it


def test_merges_into_the_file(tmp_path, monkeypatch):
    target = tmp_path / "m.json"
    monkeypatch.setenv(METRICS_ENV, str(target))
    report_metrics("01", a=1)
    report_metrics("01", b=2.5)
    report_metrics("02", c=3)
    assert json.loads(target.read_text()) == {"01": {"a": 1, "b": 2.5}, "02": {"c": 3}}


def test_refuses_nothing_and_non_finite():
    with pytest.raises(ValueError):
        report_metrics("01")
    with pytest.raises(ValueError, match="not a finite number"):
        report_metrics("01", kl=math.nan)
