"""Lesson 05's tables and the multi-seed benchmark's summary."""

from __future__ import annotations

from benchmarks.mode_collapse import best_cure, headline_figures, summarise
from gan_course.collapse_table import (
    comparison_table,
    figure_name,
    load_benchmark_results,
    race_figures,
    seeds_table,
    split_summary_key,
    summary_key,
)
from gan_course.modes import ModeStats


def _row(method, dataset, seed, modes, hq):
    return {"method": method, "dataset": dataset, "seed": seed, "modes": modes,
            "hq_pct": hq, "kl": 0.1, "seconds": 1.0}


def test_comparison_table_puts_ours_next_to_published_and_lists_methods_not_run():
    stats = ModeStats(counts=[1] * 8, modes=8, hq_pct=93.25, kl=0.01)
    table = comparison_table({("pacgan2", "ring"): stats})
    lines = table.splitlines()
    assert lines[2].startswith("| pacgan2 | 8 / 93.2 % (KL 0.01) | 7.9 / 95.6 % | not run |")
    assert any(line.startswith("| unrolled (not run here) | not run | 7.6 / 35.6 %")
               for line in lines)


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
    assert best_cure(summarise(rows[:2])) is None


def test_shipped_multi_seed_results_load_and_tabulate():
    benchmark = load_benchmark_results()
    assert benchmark["seeds"] >= 3
    assert benchmark["command"].startswith("python -m benchmarks.mode_collapse")
    table = seeds_table(benchmark)
    assert table.count("\n") == 1 + len({key.split("/")[0] for key in benchmark["mean_std"]})
    assert "±" in table


def test_figure_names_and_keys_are_written_out_by_hand():
    assert figure_name("wgan-gp", "ring", "hq_pct") == "wgan_gp_ring_hq_pct"
    assert figure_name("minibatch-std", "grid", "kl") == "minibatch_std_grid_kl"
    assert summary_key("spectral-norm", "grid") == "spectral-norm/grid"
    assert split_summary_key("spectral-norm/grid") == ("spectral-norm", "grid")


def test_race_figures_round_and_name_what_the_benchmark_reports():
    results = {
        ("wgan-gp", "ring"): ModeStats(counts=[3, 0], modes=1, hq_pct=12.3456, kl=0.69314718),
        ("vanilla", "grid"): ModeStats(counts=[1, 1], modes=2, hq_pct=80.0, kl=0.0)}
    assert race_figures(results) == {
        "wgan_gp_ring_modes": 1, "wgan_gp_ring_hq_pct": 12.35, "wgan_gp_ring_kl": 0.6931,
        "vanilla_grid_modes": 2, "vanilla_grid_hq_pct": 80.0, "vanilla_grid_kl": 0.0}
    # the benchmark's mean figures carry the same names, plus "_mean"
    rows = [_row("wgan-gp", "ring", 0, 1, 12.0)]
    assert "wgan_gp_ring_hq_pct_mean" in headline_figures(summarise(rows))
