"""Mode collapse benchmark: every cure in ``gan_course.cures.METHODS`` on the ring and grid.

Each run trains one method on one mixture with the method's default settings (its
``cures.Run.config``), then counts modes on 2,500 generated samples (the VEEGAN / PacGAN
protocol, ``cures.evaluation_samples`` and ``modes.mode_stats``) and the well-covered modes
(``collapse_table.strict_modes``). Beside the race, the plain GAN in the VEEGAN paper's setting
(``cures.SETTINGS["veegan"]``) runs on the ring, where it collapses. Lesson 05 runs one seed of
the same race and reports its figures under the same names (``collapse_table.figure_name``).

    python -m benchmarks.mode_collapse [--seeds 0 1 2] [--workers 2] [--rounds 4] [--json PATH]

``--rounds R`` multiplies every run's rounds (its ``TrainConfig.steps``) by R, and nothing else:
the three-seed table lesson 05 shows is the same race run four times as long
(``RACE_ROUNDS``), since the high-quality share keeps rising with training (published tables
train far longer: PacGAN's configuration files run 400 epochs of 1,000 batches). R1's ring
share, mean of 3 seeds: 82.4 % at 1x, 90.9 % at 2x, 95.8 % at 4x.

Every run uses one CPU thread, so runs are reproducible and ``--workers`` processes can run
side by side. ``--json gan_course/data/mode_collapse_seeds.json`` refreshes the table that
lesson 05 shows. The *best cure* is the method other than "vanilla" with the highest score,
the mean over the two datasets of (modes captured / modes) x (high-quality % / 100).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

import torch

from gan_course.collapse_table import (
    figure_name,
    split_summary_key,
    strict_figure_name,
    strict_modes,
    summary_key,
)
from gan_course.cures import METHODS, SETTINGS, build, evaluation_samples, method_config
from gan_course.data2d import get_dataset
from gan_course.modes import mode_stats
from gan_course.training import TrainConfig, train

FIGURES = ("modes", "strict_modes", "hq_pct", "kl", "seconds")
# The plain GAN in the VEEGAN paper's setting, where it collapses: run on the ring beside the
# race, reported as "vanilla-veegan" and as the headline figure vanilla_collapse_ring_modes.
COLLAPSE_DEMO = ("vanilla", "ring", "veegan")
# The three-seed table's rounds, as a multiple of each method's own (lesson 05's live race: 1).
RACE_ROUNDS = 4.0


def run_label(method: str, setting: str) -> str:
    """The name a run is reported under: the method, plus the recipe if it is not the
    course's (``"vanilla-veegan"``)."""
    return method if setting == "course" else f"{method}-{setting}"


def scaled_config(config: TrainConfig, rounds: float) -> TrainConfig:
    """``config`` with ``rounds`` times its steps (at least 1), every other field unchanged;
    the learning-rate decay starts at the same fraction of the longer run."""
    if not isinstance(rounds, (int, float)) or isinstance(rounds, bool) or not rounds > 0:
        raise ValueError(f"rounds must be a positive number, got {rounds!r}")
    return replace(config, steps=max(1, round(config.steps * rounds)))


def run(method: str, dataset: str, seed: int, setting: str = "course", rounds: float = 1.0,
        **overrides: object) -> dict:
    """Train ``method`` on ``dataset`` with ``seed`` in ``cures.SETTINGS[setting]`` for
    ``rounds`` times its rounds (``scaled_config``); return its mode statistics and time.

    overrides replace fields of the method's ``TrainConfig`` (steps, lr, ...), for tuning.
    """
    torch.set_num_threads(1)
    built = build(method, dataset, seed, setting=setting)  # a cures.Run
    config = replace(scaled_config(built.config, rounds), **overrides)
    start = time.perf_counter()
    train(built.G, built.D, built.sample_real, config, loss=built.loss)
    seconds = time.perf_counter() - start
    data = get_dataset(dataset)
    samples = evaluation_samples(built.G, seed)
    stats = mode_stats(samples, data.centres, data.sigma)
    return {
        "method": run_label(method, setting),
        "dataset": dataset,
        "seed": seed,
        "modes": stats.modes,
        "strict_modes": strict_modes(stats, len(samples)),
        "hq_pct": round(stats.hq_pct, 2),
        "kl": round(stats.kl, 4) if math.isfinite(stats.kl) else None,  # None: no hq sample
        "seconds": round(seconds, 2),
    }


def summarise(rows: list[dict]) -> dict:
    """Mean and standard deviation of each figure per (method, dataset)."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(summary_key(row["method"], row["dataset"]), []).append(row)
    summary = {}
    for key, group in groups.items():
        summary[key] = {}
        for name in FIGURES:
            summary[key][name] = _mean_std([row[name] for row in group])
    return summary


def _mean_std(values: list[float | None]) -> list[float | None]:
    """[mean, sample standard deviation]; [None, None] if any value is undefined (None)."""
    if any(value is None for value in values):
        return [None, None]
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return [round(statistics.mean(values), 3), round(spread, 3)]


def _run_job(job: tuple[str, str, int, str, float, dict]) -> dict:
    method, dataset, seed, setting, rounds, overrides = job
    return run(method, dataset, seed, setting, rounds, **overrides)


def run_all(methods: list[str], datasets: list[str], seeds: list[int], workers: int = 1,
            overrides: dict | None = None, collapse_demo: bool = True,
            rounds: float = 1.0) -> list[dict]:
    """Every (method, dataset, seed), ``workers`` runs at a time, each for ``rounds`` times
    its rounds; rows in job order. With ``collapse_demo``, also ``COLLAPSE_DEMO`` (the plain
    GAN in VEEGAN's setting) per seed."""
    jobs = [(m, d, s, "course", rounds, overrides or {})
            for m in methods for d in datasets for s in seeds]
    if collapse_demo:
        method, dataset, setting = COLLAPSE_DEMO
        jobs += [(method, dataset, s, setting, rounds, overrides or {}) for s in seeds]
    if workers <= 1:
        return [_print(_run_job(job)) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [_print(row) for row in pool.map(_run_job, jobs)]


def _print(row: dict) -> dict:
    print(json.dumps(row), flush=True)
    return row


def best_cure(summary: dict) -> str | None:
    """The cure (not "vanilla" in any setting) with the highest mean over datasets of
    (modes/K) * (hq/100); None if no cure was run."""
    scores: dict[str, list[float]] = {}
    for key, figures in summary.items():
        method, dataset = split_summary_key(key)
        if method.startswith("vanilla"):
            continue
        n_modes = len(get_dataset(dataset).centres)
        scores.setdefault(method, []).append(figures["modes"][0] / n_modes
                                             * figures["hq_pct"][0] / 100)
    cures = {m: statistics.mean(v) for m, v in scores.items()}
    return max(cures, key=cures.get) if cures else None


def headline_figures(summary: dict) -> dict:
    """Flat figures for the benchmark JSON: best_* for the best cure, then every method's."""
    best = best_cure(summary)
    figures: dict[str, float | str] = {"best_cure": best}
    for key, values in summary.items():
        method, dataset = split_summary_key(key)
        for name in ("modes", "hq_pct", "kl"):
            figures[figure_name(method, dataset, name) + "_mean"] = values[name][0]
            if method == best:
                figures[f"best_{dataset}_{name}"] = values[name][0]
        figures[strict_figure_name(method, dataset) + "_mean"] = values["strict_modes"][0]
        if method == best:
            figures[f"best_strict_{dataset}_modes"] = values["strict_modes"][0]
    demo = summary.get(summary_key(run_label(COLLAPSE_DEMO[0], COLLAPSE_DEMO[2]),
                                   COLLAPSE_DEMO[1]))
    if demo is not None:
        figures[f"vanilla_collapse_{COLLAPSE_DEMO[1]}_modes"] = demo["modes"][0]
        figures[f"vanilla_collapse_{COLLAPSE_DEMO[1]}_hq_pct"] = demo["hq_pct"][0]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--datasets", nargs="+", default=["ring", "grid"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=None, help="override every run's steps")
    parser.add_argument("--rounds", type=float, default=RACE_ROUNDS,
                        help="multiply every run's rounds (default RACE_ROUNDS, lesson 05's "
                        "table; 1: the lesson's live race)")
    parser.add_argument("--workers", type=int, default=1, help="runs side by side (1 thread each)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    overrides = {} if args.steps is None else {"steps": args.steps}
    rows = run_all(args.methods, args.datasets, args.seeds, args.workers, overrides,
                   rounds=args.rounds)
    summary = summarise(rows)
    report = {
        "command": "python -m benchmarks.mode_collapse " + " ".join(sys.argv[1:]),
        "seeds": len(args.seeds),
        "rounds": args.rounds,
        "settings": {
            "networks": {name: asdict(setting.networks) for name, setting in SETTINGS.items()},
            "train": {f"{method}/{dataset}": asdict(scaled_config(method_config(method, dataset),
                                                                  args.rounds))
                      for method in args.methods for dataset in args.datasets},
            "collapse_demo": asdict(scaled_config(method_config(
                COLLAPSE_DEMO[0], COLLAPSE_DEMO[1], 0, COLLAPSE_DEMO[2]), args.rounds)),
        },
        "runs": rows,
        "mean_std": summary,
        "headline": headline_figures(summary),
    }
    text = json.dumps(report, indent=1)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
