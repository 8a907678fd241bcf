"""Lesson 05's tables and the multi-seed benchmark's summary."""

from __future__ import annotations

import pytest

from benchmarks.mode_collapse import best_cure, headline_figures, scaled_config, summarise
from gan_course.collapse_table import (
    PUBLISHED,
    figure_name,
    load_benchmark_results,
    published_table,
    race_figures,
    race_table,
    seeds_table,
    split_summary_key,
    strict_modes,
    summary_key,
)
from gan_course.modes import ModeStats
from gan_course.training import TrainConfig


def _row(method, dataset, seed, modes, hq):
    return {"method": method, "dataset": dataset, "seed": seed, "modes": modes,
            "strict_modes": modes, "hq_pct": hq, "kl": 0.1, "seconds": 1.0}


def test_race_table_shows_captured_well_covered_quality_and_kl():
    # 8 ring modes; a fair share of 2,500 is 312.5, a fifth of it 62.5: only 2 modes reach it
    stats = ModeStats(counts=[100, 63, 62, 1, 1, 1, 1, 1], modes=8, hq_pct=9.24, kl=0.5)
    table = race_table({("pacgan2", "ring"): stats})
    assert table.splitlines()[2] == "| pacgan2 | 8 (2) / 9.2 % / 0.50 | not run |"
    assert strict_modes(stats) == 2


def test_published_table_quotes_both_plain_gan_baselines_with_sources():
    table = published_table()
    assert ("| GAN | VEEGAN (Srivastava et al., 2017), Table 1 | 1 / 99.3 % / n/a "
            "| 3.3 / 0.5 % / n/a |") in table
    assert ("| GAN | PacGAN (Lin et al., 2018), Table 1 | 6.3 / 98.2 % / 0.45 "
            "| 17.3 / 94.8 % / 0.70 |") in table
    assert [row.method for row in PUBLISHED].count("GAN") == 2
    assert table.count("\n") == 1 + len(PUBLISHED)


def test_best_cure_ignores_vanilla_and_scores_modes_times_quality():
    rows = [_row("vanilla", "ring", 0, 8, 99.0), _row("vanilla", "grid", 0, 25, 99.0),
            # many modes, poor quality: score (1 * 0.2 + 1 * 0.1) / 2 = 0.15
            _row("wide", "ring", 0, 8, 20.0), _row("wide", "grid", 0, 25, 10.0),
            # fewer modes, good quality: (0.5 * 0.9 + 0.8 * 0.8) / 2 = 0.545
            _row("sharp", "ring", 0, 4, 90.0), _row("sharp", "grid", 0, 20, 80.0)]
    summary = summarise(rows)
    assert best_cure(summary) == "sharp"
    figures = headline_figures(summary)
    assert figures["best_cure"] == "sharp"
    assert figures["best_grid_modes"] == 20 and figures["best_ring_hq_pct"] == 90.0
    assert figures["vanilla_ring_modes_mean"] == 8
    assert figures["vanilla_strict_ring_modes_mean"] == 8
    assert figures["best_strict_grid_modes"] == 20
    assert best_cure(summarise(rows[:2])) is None
    # the plain GAN in another setting is no cure either; its ring modes are the collapse figure
    demo = summarise(rows + [_row("vanilla-veegan", "ring", 0, 1, 99.0)])
    assert best_cure(demo) == "sharp"
    assert headline_figures(demo)["vanilla_collapse_ring_modes"] == 1


def test_shipped_multi_seed_results_load_and_tabulate():
    benchmark = load_benchmark_results()
    assert benchmark["seeds"] >= 3
    assert benchmark["command"].startswith("python -m benchmarks.mode_collapse")
    table = seeds_table(benchmark)
    assert table.count("\n") == 1 + len(benchmark["mean_std"])  # one row per method and dataset
    assert "±" in table and "well covered" in table


def test_figure_names_and_keys_are_written_out_by_hand():
    assert figure_name("wgan-gp", "ring", "hq_pct") == "wgan_gp_ring_hq_pct"
    assert figure_name("minibatch-std", "grid", "kl") == "minibatch_std_grid_kl"
    assert summary_key("spectral-norm", "grid") == "spectral-norm/grid"
    assert split_summary_key("spectral-norm/grid") == ("spectral-norm", "grid")


def test_race_figures_round_and_name_what_the_benchmark_reports():
    results = {
        ("wgan-gp", "ring"): ModeStats(counts=[3, 0], modes=1, hq_pct=12.3456, kl=0.69314718),
        ("vanilla", "grid"): ModeStats(counts=[1, 1], modes=2, hq_pct=80.0, kl=0.0)}
    # 2 samples in all: a fair share of 2 modes is 1, a fifth of it 0.2, so any sample counts
    assert race_figures(results, n_samples=2) == {
        "wgan_gp_ring_modes": 1, "wgan_gp_ring_hq_pct": 12.35, "wgan_gp_ring_kl": 0.6931,
        "wgan_gp_strict_ring_modes": 1,
        "vanilla_grid_modes": 2, "vanilla_grid_hq_pct": 80.0, "vanilla_grid_kl": 0.0,
        "vanilla_strict_grid_modes": 2}
    # the benchmark's mean figures carry the same names, plus "_mean"
    rows = [_row("wgan-gp", "ring", 0, 1, 12.0)]
    assert "wgan_gp_ring_hq_pct_mean" in headline_figures(summarise(rows))


def test_scaled_config_multiplies_the_rounds_only():
    config = TrainConfig(steps=2500, batch_size=128, lr=1e-3, decay_from=0.5, d_steps=5, seed=2)
    doubled = scaled_config(config, 2)
    assert doubled.steps == 5000
    assert (doubled.lr, doubled.decay_from, doubled.d_steps, doubled.seed) == (1e-3, 0.5, 5, 2)
    assert scaled_config(config, 0.0001).steps == 1  # never fewer than one round
    for bad in (0, -1, True, "2"):
        with pytest.raises(ValueError, match="rounds must be a positive number"):
            scaled_config(config, bad)
