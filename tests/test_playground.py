"""The 2-D GAN playground: the engine, its picture and the widget, all headless.

``Image.value`` is ``bytes`` in ipywidgets 7 and a ``memoryview`` in 8, hence ``bytes(...)``.
"""

from __future__ import annotations

import ast
import asyncio
import copy
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import gan_course
from gan_course.data2d import get_dataset
from gan_course.losses import LOSS_PAIRS
from gan_course.playground import (
    Playground,
    PlaygroundSettings,
    torch_threads,
    validate_settings,
)
from gan_course.playground_view import PlaygroundView, _block_means
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
    assert pg.step_count == 1 and pg.history.losses == {"d": [d_value], "g": [g_value]}


@pytest.mark.parametrize("loss, d_steps", [("non-saturating", 1), ("least-squares", 3)])
def test_one_round_is_the_round_written_out_by_hand(loss, d_steps):
    """Oracle: the same round played step by step on copies of the networks, with the
    batches drawn as the engine documents (one draw of d_steps * batch_size points, then
    as many codes; D step k on chunk k, the G step on the last chunk's fakes)."""
    pg = Playground(loss=loss, hidden=16, d_steps=d_steps, batch_size=8, lr_g=0.01, lr_d=0.02)
    G, D = copy.deepcopy(pg.G), copy.deepcopy(pg.D)
    opt_g = torch.optim.Adam(G.parameters(), lr=0.01, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=0.02, betas=(0.5, 0.999))
    rng = torch.Generator().manual_seed(0)
    real = get_dataset("ring").sample(8 * d_steps, rng)
    z = torch.randn(8 * d_steps, 2, generator=rng)
    pair = LOSS_PAIRS[loss]
    for k in range(d_steps):
        chunk = slice(8 * k, 8 * (k + 1))
        fake = G(z[chunk])
        d_loss = pair.d_loss(D, real[chunk], fake.detach())
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
    g_loss = pair.g_loss(D(fake))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()

    assert pg.step(1) == pytest.approx((d_loss.item(), g_loss.item()), rel=1e-6)
    assert torch.allclose(parameters(pg.D), parameters(D), atol=1e-7)
    assert torch.allclose(parameters(pg.G), parameters(G), atol=1e-7)


def test_the_d_step_moves_only_d_and_the_g_step_only_g():
    pg = Playground(hidden=32, d_steps=2, batch_size=64)
    g_before, d_before = parameters(pg.G), parameters(pg.D)
    pg.opt_g.param_groups[0]["lr"] = 0.0  # G's optimizer stands still: only D may move
    pg.step(1)
    assert torch.equal(parameters(pg.G), g_before)
    assert not torch.equal(parameters(pg.D), d_before)

    pg.reset()
    pg.opt_d.param_groups[0]["lr"] = 0.0  # D stands still: the G step must not move it
    pg.step(1)
    assert torch.equal(parameters(pg.D), d_before)
    assert not torch.equal(parameters(pg.G), g_before)


def test_engine_is_repeatable_and_switches_game_midway():
    first, second = Playground(hidden=32), Playground(hidden=32)
    first.step(3)
    second.step(3)
    assert torch.equal(parameters(first.G), parameters(second.G))
    first.update(loss="wgan-gp", lr_d=3e-4)
    assert first.step_count == 3 and first.opt_d.param_groups[0]["lr"] == 3e-4
    first.update(dataset="spiral")  # a new data set restarts the run
    assert first.step_count == 0 and first.mode_text() == "modes n/a"


def test_wgan_gp_is_repeatable_and_leaves_the_learners_random_numbers_alone():
    """WGAN-GP's mixing weights come from torch's global generator: the engine plays with
    its own saved state, whatever the learner draws between steps, and puts theirs back."""
    first, second = (Playground(loss="wgan-gp", hidden=16, batch_size=32) for _ in range(2))
    first.step(2)
    torch.manual_seed(123)
    torch.rand(7)  # the learner draws something between two bursts
    state = torch.get_rng_state()
    first.step(1)
    assert torch.equal(torch.get_rng_state(), state)  # the learner's stream is untouched
    second.step(3)
    assert torch.equal(parameters(first.D), parameters(second.D))
    assert first.history.losses == second.history.losses


def test_reset_starts_again_from_the_same_state():
    pg = Playground(hidden=16, loss="wgan-gp", batch_size=32)
    first_run = pg.step(2)
    pg.reset()
    assert pg.step_count == 0 and pg.history.losses == {} and pg.modes == [pg.modes[0]]
    assert pg.step(2) == first_run


def test_validate_settings_names_every_problem():
    with pytest.raises(ValueError) as info:
        validate_settings(PlaygroundSettings(lr_g=0.0, lr_d=-1.0, d_steps=0,
                                             steps_per_frame=-2))
    message = str(info.value)
    for part in ("generator learning rate", "discriminator learning rate", "D steps",
                 "steps per frame"):
        assert part in message
    validate_settings(PlaygroundSettings())  # the defaults are valid


def test_state_holds_what_the_engine_computes():
    pg = Playground(hidden=16, dataset="grid")
    pg.step(2)
    state = pg.state()
    with torch.no_grad():
        assert np.array_equal(state.fake, pg.G(pg.z_shown).numpy())
    assert state.real.shape == (500, 2) and state.push.shape == state.push_from.shape
    assert state.warp.shape == (18, 40, 2) and state.d_map.shape == (48, 48)
    assert state.n_modes == 25 and state.mode_steps == [0, 2] and state.step == 2
    assert state.losses == pg.history.losses and state.mode_text == pg.mode_text()


# --- the picture ---------------------------------------------------------------------------------


def test_view_draws_every_dataset_as_a_png():
    pg, view = Playground(hidden=32), PlaygroundView()
    for name in ("ring", "grid", "spiral", "moons"):
        pg.update(dataset=name)
        assert view.draw(pg.state()).startswith(PNG_SIGNATURE)


def test_view_draws_any_state_and_any_number_of_arrows():
    pg, view = Playground(hidden=16), PlaygroundView()
    state = pg.state()
    view.draw(state)
    fewer = replace(state, push_from=state.push_from[:3], push=state.push[:3])
    assert view.draw(fewer).startswith(PNG_SIGNATURE)
    assert view.arrows.N == 3
    pg.update(seed=1)  # the same data set, other real points: the picture follows
    view.draw(pg.state())
    assert np.array_equal(view.real[0].get_offsets(), pg.real_shown.numpy())
    assert not np.array_equal(pg.real_shown.numpy(), state.real)


def test_block_means_by_hand():
    # 10 values, at most 3 points: blocks of ceil(10/3) = 4, the last 2 values left out
    ends, means = _block_means([float(v) for v in range(1, 11)], max_points=3)
    assert ends.tolist() == [4, 8] and means.tolist() == [2.5, 6.5]


def test_engine_and_view_do_not_import_each_other():
    root = Path(gan_course.__file__).parent

    def imported(name: str) -> set[str]:
        tree = ast.parse((root / name).read_text())
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                   for alias in node.names}
        return modules | {node.module for node in ast.walk(tree)
                          if isinstance(node, ast.ImportFrom) and node.module}

    engine, view = imported("playground.py"), imported("playground_view.py")
    assert not any(m.startswith(("matplotlib", "gan_course.playground_view")) for m in engine)
    assert "gan_course.playground" not in view


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
