"""How smoothly the 2-D GAN playground (lesson 01's "Play with it" section) plays on this
machine: python -m benchmarks.playground

Three figures, each for the widget on the ring at its default settings:

* ``playground_fps``: what play does, frame after frame (train ``steps_per_frame`` rounds,
  record the modes and the Jensen-Shannon divergence, draw the five panels, the divergence
  chart included, put the PNG in the image widget), for a fixed time; frames per second.
* ``playground_pause_latency_frames``: in a real Jupyter kernel, play runs as it does in a
  notebook and a click on "pause" arrives as the browser sends it (a comm message on the
  kernel's shell channel); the figure is the number of frames that *finish* after the click
  was sent, the largest over several clicks. The frame in progress may finish (1); a
  second one means the click waited.
* ``playground_draw_ms``: a click on the picture's first panel, as ipyevents reports it, to
  a new picture: the median time to add the point, restart the run on the drawn points and
  draw it.

And where a frame's time goes (``measure_frame_parts``), median milliseconds per frame:
``playground_frame_train_ms`` (``steps_per_frame`` rounds, then the modes and the
divergence recorded), ``playground_frame_state_ms`` (D's map, the samples, the arrows and
the warp computed) and ``playground_frame_view_ms`` (the five panels drawn and packed into
a PNG).
"""

from __future__ import annotations

import json
import statistics
import time

from gan_course.widgets.playground_widget import TICK_S, PlaygroundWidget

KERNEL_SETUP = """\
import json
from gan_course.widgets.playground_widget import TICK_S, PlaygroundWidget
from gan_course.playground import PlaygroundSettings
widget = PlaygroundWidget(PlaygroundSettings(steps_per_frame={steps}))
print(json.dumps({{"pause": widget.pause_button.model_id}}))
"""
KERNEL_PLAY = "widget.frame_times.clear(); widget.play()"
KERNEL_REPORT = ('print(json.dumps({"times": widget.frame_times, "playing": widget.playing, '
                 '"error": widget.error}))')


def measure_fps(seconds: float = 5.0) -> float:
    """View updates per second of the playground's play loop on the ring, at its defaults.

    fps = frames drawn / wall seconds, timed after the widget (and its figure) exist, each
    frame followed by the play loop's short sleep (TICK_S).
    """
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    widget = PlaygroundWidget()
    frames = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        if widget.run_frames(1) != 1:
            raise RuntimeError(f"the playground stopped: {widget.status.value}")
        frames += 1
        time.sleep(TICK_S)  # play's pause between frames, where the kernel reads clicks
    return frames / (time.perf_counter() - start)


def measure_frame_parts(frames: int = 20) -> dict[str, float]:
    """Median milliseconds of a frame's three parts over ``frames`` frames of play on the
    ring at its defaults (after one frame not counted, which builds the figure)."""
    if frames <= 0:
        raise ValueError(f"frames must be positive, got {frames!r}")
    widget = PlaygroundWidget()
    engine, view = widget.engine, widget.view
    widget.run_frames(1)
    parts: dict[str, list[float]] = {"train": [], "state": [], "view": []}
    for _ in range(frames):
        start = time.perf_counter()
        engine.step(engine.settings.steps_per_frame)
        trained = time.perf_counter()
        state = engine.state()
        stated = time.perf_counter()
        view.draw(state)
        drawn = time.perf_counter()
        parts["train"].append(trained - start)
        parts["state"].append(stated - trained)
        parts["view"].append(drawn - stated)
    return {f"playground_frame_{name}_ms": round(1000 * statistics.median(times), 1)
            for name, times in parts.items()}


def measure_draw_ms(clicks: int = 9) -> float:
    """Median milliseconds from a click on the first panel (the event ipyevents sends) to
    the new picture in the image widget, over ``clicks`` clicks after two first points."""
    widget = PlaygroundWidget()
    left, top, width, height = widget.view.map_box
    times = []
    for k in range(clicks + 2):
        event = {"type": "click", "dataX": left + width * (0.2 + 0.06 * k),
                 "dataY": top + height * (0.3 + 0.04 * k)}
        start = time.perf_counter()
        widget._on_picture_event(event)
        if k >= 2:  # from the second point on, each click restarts the run and redraws
            times.append(time.perf_counter() - start)
    if len(widget.drawn) != clicks + 2 or widget.engine.settings.dataset != "drawn":
        raise RuntimeError(f"the clicks did not draw points: {widget.status.value}")
    return 1000 * statistics.median(times)


def measure_pause_latency(clicks: int = 5, play_s: float = 1.5, steps: int = 10) -> int:
    """Frames that finish after a click on pause was sent, the most over ``clicks`` clicks,
    in a real kernel with the widget playing at ``steps`` steps per frame."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        pause_id = json.loads(_run(client, KERNEL_SETUP.format(steps=steps)))["pause"]
        worst = 0
        for _ in range(clicks):
            _run(client, KERNEL_PLAY)
            time.sleep(play_s)
            click = client.session.msg("comm_msg", {
                "comm_id": pause_id, "data": {"method": "custom", "content": {"event": "click"}}})
            sent = time.time()
            client.shell_channel.send(click)
            time.sleep(max(2.0, play_s))
            report = json.loads(_run(client, KERNEL_REPORT))
            if report["playing"] or report["error"] or not report["times"]:
                raise RuntimeError(f"the playground did not play and pause: {report}")
            worst = max(worst, sum(t > sent for t in report["times"]))
        return worst
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _run(client: object, code: str, timeout: float = 120) -> str:
    """Execute ``code`` in the kernel; return what it printed (raise if it failed)."""
    printed: list[str] = []

    def keep(message: dict) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            raise RuntimeError("\n".join(message["content"]["traceback"]))

    reply = client.execute_interactive(code, timeout=timeout, output_hook=keep)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"the kernel could not run {code!r}: {reply['content']}")
    return "".join(printed)


def measure_all() -> dict[str, float]:
    """The three figures and the frame's parts, as ``python -m benchmarks --only playground``
    reports them."""
    return {
        "playground_fps": round(measure_fps(), 2),
        "playground_pause_latency_frames": measure_pause_latency(),
        "playground_draw_ms": round(measure_draw_ms(), 1),
        **measure_frame_parts(),
    }


if __name__ == "__main__":
    print(json.dumps(measure_all()))
