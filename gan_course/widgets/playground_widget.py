"""The 2-D GAN playground as a notebook widget (lesson 01's "Play with it" section, lesson 05's
bridges between modes): controls on top of the engine ``gan_course.playground`` and its
picture ``gan_course.playground_view``.

    from gan_course.widgets.playground_widget import playground_widget
    playground_widget(dataset="ring")                      # last line of a cell: shows it
    playground_widget(dataset="ring", compare="minimax")   # two losses side by side

Play runs as an asyncio task on the kernel's own event loop (Jupyter kernels run one): it
repeats *train a few steps -> draw -> yield to the loop*, so clicks are handled between
frames and no thread ever touches the widgets. Only widgets that ipywidgets 7.7 and 8 both
have are used, and the picture is a PNG in an ``Image`` widget (no ipympl needed). Clicks on
the picture's first panel come through ``ipyevents`` (it supports ipywidgets 7 and 8,
JupyterLab and the classic Notebook); ``playground_view.pixel_to_plane`` turns each into a
point of the plane, and the run restarts on the points drawn so far. Without ipyevents the
playground works the same, minus drawing.

Scripts and tests drive the same object synchronously: ``step_once()``, ``step_d()``,
``step_g()``, ``run_frames(n)``, ``add_point(x, y)``, ``reset()``; ``image.value`` holds the
PNG bytes and ``status.value`` the status line.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import replace

import ipywidgets as widgets

from gan_course.losses import LOSS_PAIRS
from gan_course.playground import DATASET_CHOICES, DRAWN, Playground, PlaygroundSettings
from gan_course.playground_view import PlaygroundView, pixel_to_plane
from gan_course.widgets.status import ERROR_COLOUR, error_html, status_html

try:  # clicks on the picture; the playground works without it, minus drawing
    from ipyevents import Event
except ImportError:  # pragma: no cover - depends on the environment
    Event = None

NO_COMPARISON = "none"
# slow motion: seconds of pause after each frame (at 1 step per frame, GAN Lab's pace)
SLOW_MOTION = (("off", 0.0), ("0.25 s a frame", 0.25), ("0.5 s a frame", 0.5),
               ("1 s a frame", 1.0))
TICK_S = 0.01  # the play loop sleeps at least this long between frames: see _play_loop


class PlaygroundWidget(widgets.VBox):
    """Controls, a status line and the live picture of a ``Playground`` (drawn by a
    ``PlaygroundView`` that the widget keeps, so the figure is built once), and, when a
    loss to compare with is chosen, a second engine on the same seed and data drawn below.

    Settings typed into the controls are checked on every change; an invalid one (say a
    learning rate of 0) pauses play, shows the reason in the status line, and the run keeps
    its last valid settings until the value is fixed.
    """

    def __init__(self, settings: PlaygroundSettings | None = None, compare: str = NO_COMPARISON
                 ) -> None:
        self.engine = Playground(settings or PlaygroundSettings())
        self.view = PlaygroundView()
        self.compare_engine: Playground | None = None
        self.compare_view: PlaygroundView | None = None
        self.playing = False
        self.error: str | None = None
        self.fps = 0.0
        self.frames = 0  # frames drawn by play, and when each ended: for the benchmark
        self.frame_times: list[float] = []
        self.drawn: list[tuple[float, float]] = []
        self._draw_extent = self.engine.data.extent
        self._task: asyncio.Task | None = None
        self._quiet = False  # True while the widget sets its own controls
        self._make_controls(self.engine.settings, compare)
        self.image = widgets.Image(value=self.render(), format="png",
                                   layout=widgets.Layout(max_width="100%"))
        self.compare_image = widgets.Image(value=b"", format="png",
                                           layout=widgets.Layout(max_width="100%",
                                                                 display="none"))
        self.status = widgets.HTML(value="")
        self.events = None
        if Event is not None:
            self.events = Event(source=self.image, watched_events=["click"])
            self.events.on_dom_event(self._on_picture_event)
        wrap = widgets.Layout(flex_flow="row wrap", align_items="center")
        rows = [
            widgets.HBox([self.dataset_menu, self.loss_menu, self.compare_menu, self.lr_g_box,
                          self.lr_d_box, self.d_steps_box], layout=wrap),
            widgets.HBox([self.speed_slider, self.slow_menu, self.play_button,
                          self.pause_button, self.d_step_button, self.g_step_button,
                          self.round_button, self.reset_button, self.clear_button],
                         layout=wrap),
            self.status,
            self.image,
            self.compare_image,
        ]
        super().__init__(children=rows)
        if compare != NO_COMPARISON:
            self._on_compare_change()
        self._show_state()

    def _make_controls(self, s: PlaygroundSettings, compare: str) -> None:
        wide = {"description_width": "initial"}

        def sized(width: str) -> widgets.Layout:
            return widgets.Layout(width=width, min_width=width)

        self.dataset_menu = widgets.Dropdown(options=list(DATASET_CHOICES), value=s.dataset,
                                             description="data", style=wide,
                                             layout=sized("130px"))
        self.loss_menu = widgets.Dropdown(options=list(LOSS_PAIRS), value=s.loss,
                                          description="loss", style=wide, layout=sized("190px"))
        self.compare_menu = widgets.Dropdown(options=[NO_COMPARISON, *LOSS_PAIRS],
                                             value=compare, description="compare with",
                                             style=wide, layout=sized("240px"))
        self.lr_g_box = widgets.FloatText(value=s.lr_g, description="lr G", style=wide,
                                          layout=sized("130px"))
        self.lr_d_box = widgets.FloatText(value=s.lr_d, description="lr D", style=wide,
                                          layout=sized("130px"))
        self.d_steps_box = widgets.IntText(value=s.d_steps, description="D steps per G step",
                                           style=wide, layout=sized("180px"))
        self.speed_slider = widgets.IntSlider(value=s.steps_per_frame, min=1, max=100,
                                              description="steps/frame", style=wide,
                                              layout=sized("280px"))
        self.slow_menu = widgets.Dropdown(options=list(SLOW_MOTION), value=0.0,
                                          description="slow motion", style=wide,
                                          layout=sized("210px"))
        for control in (self.dataset_menu, self.loss_menu, self.lr_g_box, self.lr_d_box,
                        self.d_steps_box, self.speed_slider):
            control.observe(self._on_setting_change, names="value")
        self.compare_menu.observe(self._on_compare_change, names="value")
        buttons = {"play": self.play, "pause": self.pause, "D step": self.step_d,
                   "G step": self.step_g, "round": self.step_once, "reset": self.reset,
                   "clear drawing": self.clear_drawing}
        made = {}
        for label, action in buttons.items():
            made[label] = widgets.Button(description=label,
                                         layout=sized("110px" if " " in label else "70px"))
            made[label].on_click(lambda _, action=action: action())
        self.play_button, self.pause_button = made["play"], made["pause"]
        self.d_step_button, self.g_step_button = made["D step"], made["G step"]
        self.round_button, self.reset_button = made["round"], made["reset"]
        self.clear_button = made["clear drawing"]
        self.pause_button.disabled = True

    # --- settings -----------------------------------------------------------------------------

    def _read_controls(self) -> dict[str, object]:
        return {
            "dataset": self.dataset_menu.value,
            "loss": self.loss_menu.value,
            "lr_g": self.lr_g_box.value,
            "lr_d": self.lr_d_box.value,
            "d_steps": self.d_steps_box.value,
            "steps_per_frame": self.speed_slider.value,
        }

    def _on_setting_change(self, change: object = None) -> None:
        """Apply the controls to the engine(s), or refuse them with a visible message."""
        if self._quiet:
            return
        values = self._read_controls()
        try:
            self.engine.update(**values)
            if self.compare_engine is not None:
                self.compare_engine.update(**{**values, "loss": self.compare_menu.value})
        except ValueError as error:
            self._refuse(str(error))
            return
        self.error = None
        self._draw_extent = self.engine.data.extent
        self._redraw()

    def _on_compare_change(self, change: object = None) -> None:
        """Start a second run with the chosen loss, and restart this one, so both begin
        together from the same seed on the same data."""
        loss = self.compare_menu.value
        if loss == NO_COMPARISON:
            self.compare_engine = self.compare_view = None
            self.compare_image.layout.display = "none"
        else:
            engine, drawn = self.engine, self.engine.drawn
            on_drawn = engine.settings.dataset == DRAWN
            self.compare_engine = Playground(replace(engine.settings, loss=loss),
                                             hidden=engine.hidden, depth=engine.depth,
                                             threads=engine.threads,
                                             points=drawn.points if on_drawn else None)
            if drawn is not None:  # the same drawing (and square), shown now or later
                self.compare_engine.drawn = drawn
                if on_drawn:
                    self.compare_engine.reset()
            self.compare_view = self.compare_view or PlaygroundView()
            self.compare_image.layout.display = None
            self.engine.reset()
        self._redraw()

    def _refuse(self, message: str) -> None:
        """Stop playing and put ``message`` in the status line (no exception escapes)."""
        self.error = message
        self.pause()
        self._show_state()

    # --- drawing your own data ----------------------------------------------------------------

    def _on_picture_event(self, event: dict) -> None:
        """A click on the picture (ipyevents): on the first panel, it adds a point there.

        ``dataX``/``dataY`` are the click in the PNG's own pixels (ipyevents rescales them
        when the picture is shown smaller than it is)."""
        if event.get("type") != "click" or "dataX" not in event:
            return
        point = pixel_to_plane(event["dataX"], event["dataY"], self.view.map_box,
                               self._draw_extent)
        if point is not None:
            self.add_point(*point)

    def add_point(self, x: float, y: float) -> None:
        """Add (x, y) to the drawn points; from two points on, both runs restart on them."""
        self.drawn.append((float(x), float(y)))
        if len(self.drawn) < 2:
            self.status.value = status_html(f"1 point drawn at ({x:.2f}, {y:.2f}): click at "
                                            "least one more to train on your points")
            return
        try:
            for engine in (self.engine, self.compare_engine):
                if engine is not None:
                    engine.set_points(self.drawn, self._draw_extent)
        except ValueError as error:
            self._refuse(str(error))
            return
        self._quiet = True
        self.dataset_menu.value = DRAWN
        self._quiet = False
        self.error = None
        self._redraw()

    def clear_drawing(self) -> None:
        """Forget the drawn points: the next clicks start a new drawing (the run goes on
        with the last one until two new points are placed)."""
        self.drawn = []
        self._draw_extent = self.engine.data.extent
        self._show_state()

    # --- actions ------------------------------------------------------------------------------

    def step_once(self) -> bool:
        """One round of the game (d_steps D updates, one G update), then redraw.
        Returns False (and shows why) if the settings are invalid or training diverged."""
        return self.error is None and self._advance(1, "step")

    def step_d(self) -> bool:
        """One update of the discriminator alone, then redraw (False as ``step_once``)."""
        return self.error is None and self._advance(1, "step_d")

    def step_g(self) -> bool:
        """One update of the generator alone, then redraw (False as ``step_once``)."""
        return self.error is None and self._advance(1, "step_g")

    def run_frames(self, frames: int) -> int:
        """Play ``frames`` frames synchronously (what play does, without an event loop or
        slow motion). Returns how many frames were drawn."""
        done = 0
        while done < frames and self.error is None and self._advance(None, "step"):
            done += 1
        return done

    def play(self) -> asyncio.Task | None:
        """Start playing on the running event loop; returns the task (None if refused)."""
        if self.error is not None:
            self._show_state()
            return None
        if self._task is not None and not self._task.done():  # paused but not yet stopped
            self.playing = True
            self._show_state()
            return self._task
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.status.value = status_html(
                "play needs a running event loop (a Jupyter kernel has one); in plain Python "
                "call run_frames(n) instead", ERROR_COLOUR)
            return None
        self.playing = True
        self._show_state()
        self._task = loop.create_task(self._play_loop())
        return self._task

    def pause(self) -> None:
        """Stop before the next frame: the loop checks the flag after every frame."""
        self.playing = False
        self.play_button.disabled = False
        self.pause_button.disabled = True

    def reset(self) -> None:
        """Back to step 0 with fresh networks (same seed, current settings). Play goes on if
        it was on."""
        for engine in (self.engine, self.compare_engine):
            if engine is not None:
                engine.reset()
        self._redraw()

    # --- the loop -----------------------------------------------------------------------------

    async def _play_loop(self) -> None:
        """train steps_per_frame rounds -> draw -> sleep, until paused.

        The sleep is what lets the kernel read a click on pause: a zero-length sleep only
        yields to tasks that are already waiting, while the message itself still has to be
        read from the socket, which needs the loop to wait on it for a moment. So every frame
        sleeps at least TICK_S (plus the slow-motion pause), and the flag is checked right
        after it, before the next frame's training. (With a zero-length sleep a click on
        pause stopped play 4 frames late; with 5 ms, sometimes 2 frames late on a busy
        machine; with 10 ms the frame in progress is the last: ``benchmarks.playground``.)
        """
        last = time.perf_counter()
        try:
            while self.playing:
                if not self._advance(None, "step"):
                    break
                self.frames += 1
                self.frame_times.append(time.time())
                now = time.perf_counter()
                rate = 1 / max(now - last, 1e-6)
                self.fps = 0.8 * self.fps + 0.2 * rate if self.fps else rate
                last = now
                await asyncio.sleep(max(TICK_S, float(self.slow_menu.value)))
        except Exception as error:  # a task's exception would otherwise be lost silently
            self._refuse(f"play stopped: {type(error).__name__}: {error}")
        finally:
            self.pause()
            self.fps = 0.0
            if self.error is None:
                self._show_state()

    def _advance(self, rounds: int | None, method: str) -> bool:
        """Call ``method`` ("step", "step_d" or "step_g") of each engine with ``rounds``
        (None: one frame's worth) and redraw; False on divergence."""
        count = rounds or self.engine.settings.steps_per_frame
        try:
            for engine in (self.engine, self.compare_engine):
                if engine is not None:
                    getattr(engine, method)(count)
        except FloatingPointError as error:
            self._refuse(str(error))
            return False
        self._redraw()
        return True

    # --- drawing ------------------------------------------------------------------------------

    def render(self) -> bytes:
        """The engine's current state drawn as a PNG (bytes), with the comparison run's
        divergence dashed on its divergence panel."""
        other = None if self.compare_engine is None else self.compare_engine.state()
        return self.view.draw(self.engine.state(), other)

    def _redraw(self) -> None:
        self.image.value = self.render()
        if self.compare_engine is not None:
            state = self.compare_engine.state()
            self.compare_image.value = self.compare_view.draw(state, self.engine.state())
        self._show_state()

    def _show_state(self) -> None:
        self.play_button.disabled = self.playing
        self.pause_button.disabled = not self.playing
        if self.error is not None:
            self.status.value = error_html(self.error)
            return
        engine, history = self.engine, self.engine.history
        parts = [f"step {engine.step_count}"]
        if history.d_loss:
            parts.append(f"D loss {history.d_loss[-1]:.3f}")
            parts.append(f"G loss {history.g_loss[-1]:.3f}")
        parts.append(engine.mode_text())
        parts.append(f"JS {engine.divergences[-1]:.3f}")
        if self.compare_engine is not None:
            parts.append(f"{self.compare_engine.settings.loss}: JS "
                         f"{self.compare_engine.divergences[-1]:.3f}")
        if self.drawn:
            parts.append(f"{len(self.drawn)} point(s) drawn")
        elif self.events is not None:
            parts.append("click the first panel to draw your own data")
        if self.playing and self.fps:
            parts.append(f"{self.fps:.1f} frames/s")
        self.status.value = status_html(" · ".join(parts))


def playground_widget(dataset: str = "ring", loss: str = "non-saturating", lr_g: float = 1e-3,
                      lr_d: float = 1e-3, d_steps: int = 1, steps_per_frame: int = 10,
                      seed: int = 0, compare: str = NO_COMPARISON) -> PlaygroundWidget:
    """Build the playground; make it the last line of a cell to show it.

    ``compare``: a second loss (a name in ``losses.LOSS_PAIRS``) trained side by side on the
    same seed and data, or "none". Raises ValueError (with the reason) if the starting
    settings are invalid.
    """
    if compare != NO_COMPARISON and compare not in LOSS_PAIRS:
        raise ValueError(f"compare must be 'none' or one of {', '.join(LOSS_PAIRS)}, "
                         f"got {compare!r}")
    settings = PlaygroundSettings(dataset=dataset, loss=loss, lr_g=lr_g, lr_d=lr_d,
                                  d_steps=d_steps, steps_per_frame=steps_per_frame, seed=seed)
    allow_third_party_widgets()
    return PlaygroundWidget(settings, compare=compare)


def allow_third_party_widgets() -> None:
    """On Google Colab, let widgets from other packages show (ipyevents, for drawing):
    Colab renders only its own until asked. Elsewhere it does nothing."""
    if "google.colab" in sys.modules:
        from google.colab import output

        output.enable_custom_widget_manager()
