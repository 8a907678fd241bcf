"""Showing a lesson's measured figures, and handing them to the benchmark (every lesson).
Every lesson reports its figures here; ``python -m benchmarks`` collects them.

``report_metrics("01", ring_modes=8, ...)`` prints the figures for the learner. When the
environment variable ``GAN_COURSE_METRICS_FILE`` names a JSON file (the benchmark sets it),
the same figures are merged into that file under ``{"01": {...}}``. The benchmark therefore
records exactly what the notebook computed and showed.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

METRICS_ENV = "GAN_COURSE_METRICS_FILE"


def report_metrics(lesson: str, **metrics: float | int | str) -> None:
    """Print ``metrics`` as a small table and save them if the environment asks.

    Returns nothing, so a cell that ends with it shows the table once, not a dict after it."""
    if not metrics:
        raise ValueError("report_metrics needs at least one name=value figure")
    for name, value in metrics.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"metric {name!r} is not a finite number: {value!r}")
    width = max(len(name) for name in metrics)
    print(f"Lesson {lesson}, measured:")
    for name, value in metrics.items():
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"  {name:<{width}}  {shown}")
    target = os.environ.get(METRICS_ENV)
    if target:
        _merge(Path(target), lesson, metrics)


def _merge(path: Path, lesson: str, metrics: dict) -> None:
    existing = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
    existing.setdefault(lesson, {}).update(metrics)
    path.write_text(json.dumps(existing, indent=2, sort_keys=True))
