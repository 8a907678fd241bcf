"""How quickly a widget answers: the time from moving a slider to the new picture
(``response_ms`` of the explorers of lessons 02 and 03; lesson 02 prints it, and its benchmark
target ``widget_ms`` is this figure).

The course's widgets redraw synchronously inside the slider's observer, so timing the
assignment ``slider.value = v`` times the whole update (generator, PNG, image widget).
"""

from __future__ import annotations

import statistics
import time

import ipywidgets as widgets


def slider_response_ms(slider: widgets.FloatSlider, repeats: int = 50) -> float:
    """Median milliseconds of ``slider.value = v`` over ``repeats`` new values in [-2, 2];
    the slider is put back to its value before the measurement."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats!r}")
    before = slider.value
    timings = []
    for i in range(repeats):
        value = round(-2.0 + (i % 41) * 0.1, 1)  # -2.0, -1.9, ..., 2.0: always a change
        if value == slider.value:
            value = round(value + 0.05, 2)
        start = time.perf_counter()
        slider.value = value
        timings.append((time.perf_counter() - start) * 1000)
    slider.value = before
    return statistics.median(timings)


def close_tree(widget: widgets.Widget) -> None:
    """Close ``widget`` and every widget inside it (a box's children, and theirs), so a
    widget built only to be timed leaves nothing open behind it."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    widget.close()
