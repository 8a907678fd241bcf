"""The 2-D GAN playground as a notebook widget (lesson 01's last cell): controls on top of the
engine ``gan_course.playground`` and its picture ``gan_course.playground_view``.

    from gan_course.widgets.playground_widget import playground_widget
    playground_widget(dataset="ring")      # last line of a cell: shows it

Play runs as an asyncio task on the kernel's own event loop (Jupyter kernels run one): it
repeats *train a few steps -> draw -> yield to the loop*, so clicks are handled between
frames and no thread ever touches the widgets. Only widgets that ipywidgets 7.7 and 8 both
have are used, and the picture is a PNG in an ``Image`` widget (no ipympl needed).

Scripts and tests drive the same object synchronously: ``step_once()``, ``run_frames(n)``,
``reset()``; ``image.value`` holds the PNG bytes and ``status.value`` the status line.
"""

from __future__ import annotations

import asyncio
import time

import ipywidgets as widgets

from gan_course.data2d import DATASETS
from gan_course.losses import LOSS_PAIRS
from gan_course.playground import Playground, PlaygroundSettings
from gan_course.playground_view import PlaygroundView
from gan_course.widgets.status import ERROR_COLOUR, error_html, status_html


class PlaygroundWidget(widgets.VBox):
    """Controls, a status line and the live picture of a ``Playground`` (drawn by a
    ``PlaygroundView`` that the widget keeps, so the figure is built once).

    Settings typed into the controls are checked on every change; an invalid one (say a
    learning rate of 0) pauses play, shows the reason in the status line, and the run keeps
    its last valid settings until the value is fixed.
    """

    FRAME_GAP_S = 0.0  # extra pause between frames of play, on top of yielding to the loop

    def __init__(self, dataset: str = "ring", loss: str = "non-saturating",
                 lr_g: float = 1e-3, lr_d: float = 1e-3, d_steps: int = 1,
                 steps_per_frame: int = 10, seed: int = 0) -> None:
        self.engine = Playground(PlaygroundSettings(
            dataset=dataset, loss=loss, lr_g=lr_g, lr_d=lr_d, d_steps=d_steps,
            steps_per_frame=steps_per_frame, seed=seed))
        self.view = PlaygroundView()
        self.playing = False
        self.error: str | None = None
        self.fps = 0.0
        self._task: asyncio.Task | None = None
        self._make_controls(self.engine.settings)
        self.image = widgets.Image(value=self.render(), format="png")
        self.status = widgets.HTML(value="")
        rows = [
            widgets.HBox([self.dataset_menu, self.loss_menu, self.lr_g_box, self.lr_d_box]),
            widgets.HBox([self.d_steps_box, self.speed_slider, self.play_button,
                          self.pause_button, self.step_button, self.reset_button]),
            self.status,
            self.image,
        ]
        super().__init__(children=rows)
        self._show_state()

    def _make_controls(self, s: PlaygroundSettings) -> None:
        wide = {"description_width": "initial"}
        self.dataset_menu = widgets.Dropdown(options=list(DATASETS), value=s.dataset,
                                             description="data", style=wide)
        self.loss_menu = widgets.Dropdown(options=list(LOSS_PAIRS), value=s.loss,
                                          description="loss", style=wide)
        self.lr_g_box = widgets.FloatText(value=s.lr_g, description="lr G", style=wide,
                                          layout=widgets.Layout(width="150px"))
        self.lr_d_box = widgets.FloatText(value=s.lr_d, description="lr D", style=wide,
                                          layout=widgets.Layout(width="150px"))
        self.d_steps_box = widgets.IntText(value=s.d_steps, description="D steps per G step",
                                           style=wide, layout=widgets.Layout(width="190px"))
        self.speed_slider = widgets.IntSlider(value=s.steps_per_frame, min=1, max=100,
                                              description="steps/frame", style=wide)
        for control in (self.dataset_menu, self.loss_menu, self.lr_g_box, self.lr_d_box,
                        self.d_steps_box, self.speed_slider):
            control.observe(self._on_setting_change, names="value")
        self.play_button = widgets.Button(description="play")
        self.pause_button = widgets.Button(description="pause", disabled=True)
        self.step_button = widgets.Button(description="step")
        self.reset_button = widgets.Button(description="reset")
        self.play_button.on_click(lambda _: self.play())
        self.pause_button.on_click(lambda _: self.pause())
        self.step_button.on_click(lambda _: self.step_once())
        self.reset_button.on_click(lambda _: self.reset())

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
        """Apply the controls to the engine, or refuse them with a visible message."""
        try:
            self.engine.update(**self._read_controls())
        except ValueError as error:
            self._refuse(str(error))
            return
        self.error = None
        self._redraw()

    def _refuse(self, message: str) -> None:
        """Stop playing and put ``message`` in the status line (no exception escapes)."""
        self.error = message
        self.pause()
        self._show_state()

    # --- actions ------------------------------------------------------------------------------

    def step_once(self) -> bool:
        """One round of the game (d_steps D updates, one G update), then redraw.
        Returns False (and shows why) if the settings are invalid or training diverged."""
        return self.error is None and self._advance(1)

    def run_frames(self, frames: int) -> int:
        """Play ``frames`` frames synchronously (what play does, without an event loop).
        Returns how many frames were drawn."""
        done = 0
        while done < frames and self.error is None and self._advance(None):
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
        """Stop after the current frame."""
        self.playing = False
        self.play_button.disabled = False
        self.pause_button.disabled = True

    def reset(self) -> None:
        """Back to step 0 with fresh networks (same seed, current settings). Play goes on if
        it was on."""
        self.engine.reset()
        self._redraw()

    # --- the loop -----------------------------------------------------------------------------

    async def _play_loop(self) -> None:
        """train steps_per_frame rounds -> draw -> yield to the loop, until paused."""
        last = time.perf_counter()
        try:
            while self.playing and self._advance(None):
                now = time.perf_counter()
                rate = 1 / max(now - last, 1e-6)
                self.fps = 0.8 * self.fps + 0.2 * rate if self.fps else rate
                last = now
                await asyncio.sleep(self.FRAME_GAP_S)
        except Exception as error:  # a task's exception would otherwise be lost silently
            self._refuse(f"play stopped: {type(error).__name__}: {error}")
        finally:
            self.pause()
            self.fps = 0.0
            if self.error is None:
                self._show_state()

    def _advance(self, rounds: int | None) -> bool:
        """Train ``rounds`` rounds (None: one frame's worth) and redraw; False on divergence."""
        try:
            self.engine.step(rounds or self.engine.settings.steps_per_frame)
        except FloatingPointError as error:
            self._refuse(str(error))
            return False
        self._redraw()
        return True

    # --- drawing ------------------------------------------------------------------------------

    def render(self) -> bytes:
        """The engine's current state drawn as a PNG (bytes)."""
        return self.view.draw(self.engine.state())

    def _redraw(self) -> None:
        self.image.value = self.render()
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
        if self.playing and self.fps:
            parts.append(f"{self.fps:.1f} frames/s")
        self.status.value = status_html(" · ".join(parts))


def playground_widget(dataset: str = "ring", loss: str = "non-saturating", lr_g: float = 1e-3,
                      lr_d: float = 1e-3, d_steps: int = 1, steps_per_frame: int = 10,
                      seed: int = 0) -> PlaygroundWidget:
    """Build the playground; make it the last line of a cell to show it.

    Raises ValueError (with the reason) if the starting settings are invalid.
    """
    return PlaygroundWidget(dataset=dataset, loss=loss, lr_g=lr_g, lr_d=lr_d, d_steps=d_steps,
                            steps_per_frame=steps_per_frame, seed=seed)
