"""How smoothly the 2-D GAN playground (lesson 01's last cell) plays on this machine:
python -m benchmarks.playground

Builds the widget on the ring with its default settings and does what play does, frame after
frame (train ``steps_per_frame`` rounds, draw the PNG, put it in the image widget), for a
fixed time. Prints {"playground_fps": ...}: view updates per second (target: at least 5).
"""

from __future__ import annotations

import json
import time

from gan_course.widgets.playground_widget import PlaygroundWidget


def measure_fps(seconds: float = 5.0) -> float:
    """View updates per second of the playground's play loop on the ring, at its defaults.

    fps = frames drawn / wall seconds, timed after the widget (and its figure) exist.
    """
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    widget = PlaygroundWidget(dataset="ring")
    frames = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        if widget.run_frames(1) != 1:
            raise RuntimeError(f"the playground stopped: {widget.status.value}")
        frames += 1
    return frames / (time.perf_counter() - start)


if __name__ == "__main__":
    print(json.dumps({"playground_fps": round(measure_fps(), 2)}))
