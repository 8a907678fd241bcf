"""Mode collapse benchmark: every cure in ``gan_course.cures.METHODS`` on the ring and grid.

Each run trains one method on one mixture with the method's default settings, then counts
modes on 2,500 generated samples (the VEEGAN / PacGAN protocol, ``metrics.mode_stats``).

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python -m benchmarks.mode_collapse [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time

import torch

from gan_course.cures import METHODS, build
from gan_course.data2d import get_dataset
from gan_course.metrics import mode_stats
from gan_course.training import train

N_EVAL = 2500
FIGURES = ("modes", "hq_pct", "kl", "seconds")


def run(method: str, dataset: str, seed: int, **overrides: object) -> dict:
    """Train ``method`` on ``dataset`` with ``seed``; return its mode statistics and time.

    overrides replace the method's training settings (steps, lr, ...), for tuning.
    """
    setup = build(method, dataset, seed)
    kwargs = {**setup.train_kwargs, **overrides}
    start = time.perf_counter()
    train(setup.G, setup.D, setup.sample_real, step_fn=setup.step_fn, progress=False, **kwargs)
    seconds = time.perf_counter() - start
    data = get_dataset(dataset)
    with torch.no_grad():
        samples = setup.G.sample(N_EVAL, torch.Generator().manual_seed(10_000 + seed))
    stats = mode_stats(samples, data.centres, data.sigma)
    return {
        "method": method,
        "dataset": dataset,
        "seed": seed,
        "modes": stats.modes,
        "hq_pct": round(stats.hq_pct, 2),
        "kl": round(stats.kl, 4) if math.isfinite(stats.kl) else None,  # None: no hq sample
        "seconds": round(seconds, 2),
    }


def summarise(rows: list[dict]) -> dict:
    """Mean and standard deviation of each figure per (method, dataset)."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(f"{row['method']}/{row['dataset']}", []).append(row)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--datasets", nargs="+", default=["ring", "grid"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=None, help="override every run's steps")
    args = parser.parse_args()
    torch.set_num_threads(1)
    overrides = {} if args.steps is None else {"steps": args.steps}
    rows = []
    for method in args.methods:
        for dataset in args.datasets:
            for seed in args.seeds:
                rows.append(run(method, dataset, seed, **overrides))
                print(json.dumps(rows[-1]), flush=True)
    print(json.dumps({"runs": rows, "mean_std": summarise(rows)}, indent=1))


if __name__ == "__main__":
    main()
