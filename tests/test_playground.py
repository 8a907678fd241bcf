"""The 2-D GAN playground: the engine, its picture and the widget, all headless.

``Image.value`` is ``bytes`` in ipywidgets 7 and a ``memoryview`` in 8, hence ``bytes(...)``.
"""

from __future__ import annotations

import ast
import asyncio
import copy
import io
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import gan_course
from gan_course.data2d import get_dataset
from gan_course.losses import LOSS_PAIRS
from gan_course.playground import (
    DrawnData,
    Playground,
    PlaygroundSettings,
    adam,
    drawn_extent,
    grid_density,
    js_divergence,
    torch_threads,
    validate_points,
    validate_settings,
)
from gan_course.playground_view import (
    PlaygroundView,
    _block_means,
    nice_range,
    pixel_to_plane,
    png_bytes,
    steps_range,
)
from gan_course.widgets.playground_widget import PlaygroundWidget, playground_widget

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


def test_d_only_step_moves_only_d_and_is_the_update_written_out_by_hand():
    """Oracle: one D update on copies, with the batch drawn as ``_batch`` documents."""
    pg = Playground(hidden=16, batch_size=8, lr_d=0.02)
    G, D = copy.deepcopy(pg.G), copy.deepcopy(pg.D)
    g_before = parameters(pg.G)
    opt_d = torch.optim.Adam(D.parameters(), lr=0.02, betas=(0.5, 0.999))
    rng = torch.Generator().manual_seed(0)
    real = get_dataset("ring").sample(8, rng)
    fake = G(torch.randn(8, 2, generator=rng)).detach()
    pair = LOSS_PAIRS["non-saturating"]
    d_loss = pair.d_loss(D, real, fake)
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_after = pair.g_loss(D(fake))  # G's loss on the same fakes, after D's update

    assert pg.step_d(1) == pytest.approx((d_loss.item(), g_after.item()), rel=1e-6)
    assert torch.equal(parameters(pg.G), g_before) and pg.opt_g.state == {}
    assert torch.allclose(parameters(pg.D), parameters(D), atol=1e-7)
    assert pg.step_count == 1 and pg.divergence_steps == [0, 1]


@pytest.mark.parametrize("loss", ["non-saturating", "wgan-gp"])
def test_g_only_step_moves_only_g(loss):
    pg = Playground(hidden=16, batch_size=32, loss=loss)
    d_before, g_before = parameters(pg.D), parameters(pg.G)
    d_value, g_value = pg.step_g(2)
    assert torch.equal(parameters(pg.D), d_before) and pg.opt_d.state == {}
    assert not torch.equal(parameters(pg.G), g_before)
    assert math.isfinite(d_value) and math.isfinite(g_value)
    assert len(pg.history.d_loss) == len(pg.history.g_loss) == 2 and pg.step_count == 2


def test_js_divergence_by_hand():
    assert js_divergence(np.ones((3, 3)), np.ones((3, 3))) == pytest.approx(0.0, abs=1e-12)
    disjoint_p, disjoint_q = np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [3, 1]])
    assert js_divergence(disjoint_p, disjoint_q) == pytest.approx(math.log(2), rel=1e-12)
    # p = (1, 0), q = (1/2, 1/2): m = (3/4, 1/4); KL(p|m) = log 4/3,
    # KL(q|m) = 1/2 log(2/3) + 1/2 log 2 = 1/2 log 4/3; JS = 3/4 log 4/3
    assert js_divergence(np.array([1.0, 0.0]), np.array([5.0, 5.0])) == pytest.approx(
        0.75 * math.log(4 / 3), rel=1e-12)


def test_js_divergence_is_the_entropy_of_the_mixture_minus_the_mean_entropy():
    """A second computation: JS(p, q) = H(m) - (H(p) + H(q)) / 2."""
    rng = np.random.default_rng(0)
    p, q = rng.random(50), rng.random(50) * (rng.random(50) > 0.3)
    p, q = p / p.sum(), q / q.sum()

    def entropy(r):
        r = r[r > 0]
        return -float(np.sum(r * np.log(r)))

    expected = entropy((p + q) / 2) - (entropy(p) + entropy(q)) / 2
    assert js_divergence(p, q) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("p, q, words", [
    (np.ones(3), np.ones(4), "same shape"),
    (np.array([1.0, -1.0]), np.ones(2), "non-negative"),
    (np.zeros(2), np.ones(2), "not all zero"),
])
def test_js_divergence_refuses_what_is_not_a_density(p, q, words):
    with pytest.raises(ValueError, match=words):
        js_divergence(p, q)


def test_grid_density_puts_a_point_in_its_cell_and_clamps_points_outside():
    # grid over [-2, 2] with 5 ticks: -2, -1, 0, 1, 2; a narrow kernel at (x=-2, y=1)
    density = grid_density(torch.tensor([[-2.0, 1.0]]), extent=2.0, resolution=5,
                           bandwidth=0.01)
    assert density.sum() == pytest.approx(1.0) and density[3, 0] == pytest.approx(1.0)
    # two points: half the mass each, rows are y, columns are x
    two = grid_density(torch.tensor([[1.0, 0.0], [0.0, -2.0]]), 2.0, 5, 0.01)
    assert two[2, 3] == pytest.approx(0.5) and two[0, 2] == pytest.approx(0.5)
    far = grid_density(torch.tensor([[100.0, 0.0]]), 2.0, 5, 0.3)
    edge = grid_density(torch.tensor([[2.0, 0.0]]), 2.0, 5, 0.3)
    assert np.array_equal(far, edge)
    # the kernel's values by hand: h = 1, a point at (0, 0), the cell (x=1, y=0) gets e^-1/2
    wide = grid_density(torch.zeros(1, 2), 2.0, 5, 1.0)
    assert wide[2, 3] / wide[2, 2] == pytest.approx(math.exp(-0.5))


def test_divergence_history_starts_near_log_2_and_follows_every_step_call():
    pg = Playground(hidden=16, batch_size=32)
    assert pg.divergence_steps == [0] and pg.divergences[0] > 0.6  # G's points sit at the centre
    pg.step(2)
    pg.step_d(1)
    assert pg.divergence_steps == [0, 2, 3] and len(pg.divergences) == 3
    assert all(0 <= value <= math.log(2) + 1e-9 for value in pg.divergences)
    assert pg.divergences[-1] == pytest.approx(pg.divergence())
    # D moved, G did not: the divergence (of the data and G) is unchanged by the D step
    assert pg.divergences[-1] == pg.divergences[-2]
    state = pg.state()
    assert state.divergences == pg.divergences and state.divergence_steps == [0, 2, 3]


@pytest.mark.parametrize("points, words", [
    ([1.0, 2.0, 3.0], "shape (N, 2)"),
    ([[1.0, 2.0, 3.0]], "shape (N, 2)"),
    ([[0.0, 0.0]], "at least 2 points"),
    ([[0.0, 0.0], [1.0, float("nan")], [float("inf"), 0.0]],
     "2 row(s) are not, the first is row 1"),
    ([["a", "b"], ["c", "d"]], "pairs of numbers"),
])
def test_validate_points_explains_what_is_wrong(points, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        validate_points(points)


def test_drawn_points_are_a_data_set_the_engine_trains_on():
    points = [[0.0, 0.0], [1.0, 1.0], [-1.0, 0.5]]
    assert validate_points(points).dtype == torch.float32
    assert drawn_extent(torch.tensor(points)) == 1.5  # 1.25 * 1 -> up to a multiple of 0.5
    assert drawn_extent(torch.tensor([[0.1, 0.0]])) == 1.0
    assert drawn_extent(torch.tensor([[0.0, -3.0]])) == 4.0  # 3.75 -> 4
    exact = DrawnData(torch.tensor(points), extent=1.5, jitter=0.0)
    rows = exact.sample(50, torch.Generator().manual_seed(0))
    assert all(row.tolist() in points for row in rows)
    pg = Playground(hidden=16, batch_size=32)
    pg.step(1)
    pg.set_points(points)
    assert pg.settings.dataset == "drawn" and pg.step_count == 0 and pg.data.extent == 1.5
    assert pg.state().n_modes is None and pg.mode_text() == "modes n/a"
    d_value, g_value = pg.step(2)
    assert math.isfinite(d_value) and math.isfinite(g_value)
    with pytest.raises(ValueError, match="at least 2"):
        pg.set_points([[0.0, 0.0]])
    assert len(pg.drawn.points) == 3  # a refused drawing changes nothing
    assert Playground(hidden=16, points=points).settings.dataset == "drawn"


def test_drawn_needs_points():
    with pytest.raises(ValueError, match="needs points"):
        Playground(hidden=16, dataset="drawn")
    with pytest.raises(ValueError, match="no points drawn"):
        Playground(hidden=16).update(dataset="drawn")


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
    widget = PlaygroundWidget(PlaygroundSettings(steps_per_frame=2))
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


# --- drawing on the picture, the divergence chart, two losses, the layout -------------------------


def test_pixel_to_plane_by_hand():
    box = (10.0, 20.0, 100.0, 80.0)  # left, top, width, height in image pixels
    assert pixel_to_plane(10, 20, box, 2.0) == (-2.0, 2.0)  # top left corner
    assert pixel_to_plane(110, 100, box, 2.0) == (2.0, -2.0)  # bottom right corner
    assert pixel_to_plane(35, 80, box, 2.0) == pytest.approx((-1.0, -1.0))
    assert pixel_to_plane(9, 50, box, 2.0) is None and pixel_to_plane(50, 101, box, 2.0) is None
    with pytest.raises(ValueError, match="positive"):
        pixel_to_plane(0, 0, (0, 0, 0, 10), 1.0)


def test_map_box_is_where_matplotlib_draws_the_plane():
    """Second computation: matplotlib's own data -> pixel transform of the first panel."""
    view = PlaygroundView()
    view.draw(Playground(hidden=16).state())
    height = view.canvas.get_width_height()[1]
    for x, y in [(0.0, 0.0), (1.2, -0.7), (-1.4, 1.1)]:
        px, py = view.ax_map.transData.transform((x, y))
        assert pixel_to_plane(px, height - py, view.map_box, 1.5) == pytest.approx((x, y),
                                                                                   abs=1e-6)


def test_nice_range_and_steps_range_by_hand():
    assert nice_range(0.13, 1.87) == pytest.approx((0.0, 2.0))  # step 1 (>= 1.74 / 3)
    assert nice_range(0.13, 1.87, ticks=4) == pytest.approx((0.0, 2.0))  # step 0.5
    assert nice_range(-0.72, -0.41) == pytest.approx((-0.8, -0.4))  # step 0.2 (>= 0.31 / 3)
    assert nice_range(-0.72, -0.41, ticks=4) == pytest.approx((-0.8, -0.4))  # step 0.1
    assert nice_range(1.07, 1.31) == pytest.approx((1.0, 1.4))  # step 0.1 (>= 0.24 / 3)
    assert [steps_range(s) for s in (0, 200, 201, 401, 1601)] == [200, 200, 400, 800, 3200]


def test_a_frame_drawn_over_the_background_is_the_full_picture():
    """Oracle for the partial redraw: a view that drew another state first and then only
    redrew the moving parts gives the same pixels as a fresh view that drew everything."""
    pg = Playground(hidden=16)
    pg.step(2)
    first = pg.state()
    second = replace(first, fake=first.fake * 0.5, d_map=first.d_map[::-1].copy(),
                     push_from=first.push_from * 0.5, push=-first.push)
    reused, fresh = PlaygroundView(), PlaygroundView()
    reused.draw(first)
    picture = reused.draw(second)
    assert reused.full_redraws == 1  # the second frame was drawn over the background
    assert _pixels(picture) == _pixels(fresh.draw(second))
    assert _pixels(picture) != _pixels(reused.draw(first))


def _pixels(png: bytes) -> bytes:
    return Image.open(io.BytesIO(png)).convert("RGBA").tobytes()


def test_widget_d_step_and_g_step_buttons_move_one_player():
    widget = PlaygroundWidget(PlaygroundSettings(batch_size=64))
    g_before, d_before = parameters(widget.engine.G), parameters(widget.engine.D)
    widget.d_step_button.click()
    assert torch.equal(parameters(widget.engine.G), g_before)
    assert not torch.equal(parameters(widget.engine.D), d_before)
    d_after = parameters(widget.engine.D)
    widget.g_step_button.click()
    assert torch.equal(parameters(widget.engine.D), d_after)
    assert not torch.equal(parameters(widget.engine.G), g_before)
    widget.round_button.click()
    assert widget.engine.step_count == 3 and "step 3" in widget.status.value
    assert f"JS {widget.engine.divergences[-1]:.3f}" in widget.status.value


def test_clicks_on_the_first_panel_draw_a_data_set():
    widget = PlaygroundWidget()
    left, top, width, height = widget.view.map_box

    def click(u: float, v: float) -> None:  # u, v: share of the panel's width and height
        widget._on_picture_event({"type": "click", "dataX": left + u * width,
                                  "dataY": top + v * height})

    click(0.5, 0.5)  # the centre of the plane
    assert widget.drawn == [pytest.approx((0.0, 0.0))] and "one more" in widget.status.value
    assert widget.engine.settings.dataset == "ring"  # one point is not a data set yet
    click(1.2, 0.5)  # outside the panel: ignored
    widget._on_picture_event({"type": "mousemove", "dataX": left, "dataY": top})
    before = bytes(widget.image.value)
    click(0.75, 0.25)  # x = 1.5 * 0.5, y = -1.5 * -0.5 on the ring's square
    assert widget.drawn[1] == pytest.approx((0.75, 0.75))
    assert widget.engine.settings.dataset == "drawn" and widget.dataset_menu.value == "drawn"
    assert widget.engine.data.extent == 1.5 and widget.engine.step_count == 0
    assert bytes(widget.image.value) != before and "2 point(s) drawn" in widget.status.value
    assert widget.step_once() and widget.engine.step_count == 1
    widget.clear_drawing()
    assert widget.drawn == [] and widget.engine.settings.dataset == "drawn"


def test_two_losses_side_by_side_start_from_the_same_networks():
    widget = playground_widget(compare="minimax", steps_per_frame=1)
    main, other = widget.engine, widget.compare_engine
    assert other.settings.loss == "minimax" and main.settings.loss == "non-saturating"
    assert torch.equal(parameters(main.G), parameters(other.G))
    assert bytes(widget.compare_image.value).startswith(PNG_SIGNATURE)
    widget.run_frames(1)
    assert main.step_count == other.step_count == main.settings.steps_per_frame
    assert not torch.equal(parameters(main.G), parameters(other.G))  # the losses differ
    widget.compare_menu.value = "none"
    assert widget.compare_engine is None and widget.compare_image.layout.display == "none"


def test_drawing_and_settings_apply_to_both_runs():
    widget = playground_widget(compare="least-squares", steps_per_frame=1)
    widget.add_point(0.0, 0.0)
    widget.add_point(1.0, 0.0)
    main, other = widget.engine, widget.compare_engine
    assert other.settings.dataset == "drawn" and torch.equal(other.drawn.points,
                                                             main.drawn.points)
    widget.lr_d_box.value = 2e-3  # a setting applies to both, each keeps its loss
    assert other.settings.lr_d == 2e-3 and other.settings.loss == "least-squares"
    widget.dataset_menu.value = "ring"
    widget.compare_menu.value = "minimax"  # a comparison started away from the drawing ...
    widget.dataset_menu.value = "drawn"  # ... can go back to it with the other run
    third = widget.compare_engine
    assert widget.error is None and third.settings.dataset == "drawn"
    assert torch.equal(third.drawn.points, main.drawn.points) and third.data.extent == 1.5
    with pytest.raises(ValueError, match="compare must be"):
        playground_widget(compare="hinge?")


def test_controls_wrap_and_none_can_shrink_to_nothing():
    widget = PlaygroundWidget()
    for row in widget.children[:2]:
        assert row.layout.flex_flow == "row wrap"
        for control in row.children:
            assert control.layout.min_width and control.layout.min_width == control.layout.width
    labels = [b.description for b in widget.children[1].children
              if isinstance(b, type(widget.play_button))]
    assert labels == ["play", "pause", "D step", "G step", "round", "reset", "clear drawing"]


def test_pause_during_a_frame_stops_play_after_that_frame(monkeypatch):
    """A click on pause that arrives while a frame trains: that frame is the last."""
    widget = PlaygroundWidget(PlaygroundSettings(steps_per_frame=1))
    advance = widget._advance

    def advance_and_click_pause(rounds, method):
        if widget.frames == 2:
            widget.pause_button.click()
        return advance(rounds, method)

    monkeypatch.setattr(widget, "_advance", advance_and_click_pause)

    async def play() -> None:
        await widget.play()

    asyncio.run(play())
    assert widget.frames == 3 and widget.engine.step_count == 3 and not widget.playing


def test_png_bytes_decodes_to_the_same_pixels_and_says_its_size():
    """Oracle: Pillow's own PNG decoder reads back every pixel; the header by hand."""
    rgba = np.random.default_rng(0).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    rgb = rgba[:, :, :3]  # a strided view, as the view passes the canvas
    data = png_bytes(rgb)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert int.from_bytes(data[16:20], "big") == 5 and int.from_bytes(data[20:24], "big") == 7
    decoded = Image.open(io.BytesIO(data))
    assert decoded.mode == "RGB" and np.array_equal(np.asarray(decoded), rgb)
    with pytest.raises(ValueError, match="uint8"):
        png_bytes(rgb.astype(np.float32))
    with pytest.raises(ValueError, match="H, W, 3"):
        png_bytes(rgba)


def test_adam_makes_the_update_written_out_by_hand():
    """Betas (0.5, 0.999), eps 1e-8, one weight w = 1 and lr 0.1. Step 1, g = 2:
    m = 1, v = 0.004, m_hat = 1 / 0.5 = 2, v_hat = 0.004 / 0.001 = 4, w = 1 - 0.1 * 2 / 2
    = 0.9. Step 2, g = -1: m = 0.5 * 1 + 0.5 * (-1) = 0, so w stays 0.9 (beta1 0.9 would
    have moved it)."""
    layer = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        layer.weight.fill_(1.0)
    optimizer = adam(layer, 0.1)
    for gradient, expected in ((2.0, 0.9), (-1.0, 0.9)):
        optimizer.zero_grad()
        (gradient * layer.weight.sum()).backward()
        optimizer.step()
        assert layer.weight.item() == pytest.approx(expected, abs=1e-6)
    assert optimizer.defaults["betas"] == (0.5, 0.999)
