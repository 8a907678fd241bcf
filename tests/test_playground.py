"""The 2-D GAN playground: the engine and the widget, all headless.

``Image.value`` is ``bytes`` in ipywidgets 7 and a ``memoryview`` in 8, hence ``bytes(...)``.
"""

from __future__ import annotations

import asyncio
import math

import pytest
import torch
from torch import nn

from gan_course.losses import LOSS_PAIRS
from gan_course.playground import Playground, Settings, torch_threads, validate_settings
from gan_course.widgets.playground_widget import PlaygroundWidget

torch.set_num_threads(1)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def parameters(module: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


# --- engine -------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", list(LOSS_PAIRS))
def test_each_loss_trains_one_step_with_finite_losses(loss):
    pg = Playground(loss=loss, hidden=32, d_steps=2, batch_size=64)
    d_value, g_value = pg.step(1)
    assert math.isfinite(d_value) and math.isfinite(g_value)
    assert pg.step_count == 1 and len(pg.history.g_loss) == 1


def test_engine_is_repeatable_and_switches_game_midway():
    first, second = Playground(hidden=32), Playground(hidden=32)
    first.step(3)
    second.step(3)
    assert torch.equal(parameters(first.G), parameters(second.G))
    first.update(loss="wgan-gp", lr_d=3e-4)
    assert first.step_count == 3 and first.opt_d.param_groups[0]["lr"] == 3e-4
    first.update(dataset="spiral")  # a new data set restarts the run
    assert first.step_count == 0 and first.mode_text() == "modes n/a"


def test_validate_settings_names_every_problem():
    with pytest.raises(ValueError) as info:
        validate_settings(Settings(lr_g=0.0, lr_d=-1.0, d_steps=0, steps_per_frame=-2))
    message = str(info.value)
    for part in ("generator learning rate", "discriminator learning rate", "D steps",
                 "steps per frame"):
        assert part in message
    validate_settings(Settings())  # the defaults are valid


def test_render_is_a_png_for_every_dataset():
    pg = Playground(hidden=32)
    for name in ("ring", "grid", "spiral", "moons"):
        pg.update(dataset=name)
        assert pg.render().startswith(PNG_SIGNATURE)


# --- widget -------------------------------------------------------------------------------------


def test_one_step_changes_generator_and_picture():
    widget = PlaygroundWidget()
    before_g, before_png = parameters(widget.engine.G), bytes(widget.image.value)
    assert before_png.startswith(PNG_SIGNATURE)
    assert widget.step_once()
    assert widget.engine.step_count == 1
    assert not torch.equal(parameters(widget.engine.G), before_g)
    assert bytes(widget.image.value) != before_png
    assert "step 1" in widget.status.value


def test_reset_restores_step_zero():
    widget = PlaygroundWidget()
    initial = parameters(widget.engine.G)
    widget.run_frames(2)
    assert widget.engine.step_count == 2 * widget.engine.settings.steps_per_frame
    widget.reset()
    assert widget.engine.step_count == 0 and widget.engine.history.g_loss == []
    assert torch.equal(parameters(widget.engine.G), initial)
    assert "step 0" in widget.status.value


@pytest.mark.parametrize("control, value, words", [
    ("lr_g_box", -0.01, "generator learning rate"),
    ("lr_d_box", 0.0, "discriminator learning rate"),
    ("d_steps_box", 0, "D steps per G step"),
    ("d_steps_box", -3, "D steps per G step"),
])
def test_invalid_settings_show_a_message_and_do_not_raise(control, value, words):
    widget = PlaygroundWidget()
    good = getattr(widget, control).value
    getattr(widget, control).value = value  # must not raise
    assert words in widget.status.value and "⚠" in widget.status.value
    assert widget.step_once() is False and widget.play() is None
    assert widget.engine.step_count == 0
    getattr(widget, control).value = good  # fixing it clears the message
    assert "⚠" not in widget.status.value and widget.step_once()


def test_divergence_is_shown_not_raised(monkeypatch):
    widget = PlaygroundWidget()

    def diverge(n=1):
        raise FloatingPointError("training diverged at step 1")

    monkeypatch.setattr(widget.engine, "step", diverge)
    assert widget.step_once() is False
    assert "diverged" in widget.status.value


def test_play_and_pause_on_an_event_loop():
    widget = PlaygroundWidget(steps_per_frame=2)
    before = bytes(widget.image.value)

    async def play_a_little() -> None:
        task = widget.play()
        assert task is not None and widget.playing and widget.play_button.disabled
        for _ in range(200):
            await asyncio.sleep(0.01)
            if widget.engine.step_count >= 6:
                break
        widget.pause()
        await task

    asyncio.run(play_a_little())
    assert widget.engine.step_count >= 6 and not widget.playing
    assert bytes(widget.image.value) != before and widget.pause_button.disabled


def test_play_without_an_event_loop_explains_itself():
    widget = PlaygroundWidget()
    assert widget.play() is None
    assert "run_frames" in widget.status.value and not widget.playing


def test_torch_threads_are_restored():
    before = torch.get_num_threads()
    with torch_threads(before + 1):
        assert torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before
