"""python -m benchmarks [--only NN ...] [--json PATH]

Executes each ``solutions/NN_*.ipynb`` at its default settings in a fresh kernel (strict
mode on), and collects wall seconds, the kernel's peak RSS and the figures the notebook
itself reported through ``gan_course.report.report_metrics``. Writes

    {"lessons": {"01": {"wall_s": ..., "peak_rss_mb": ..., "metrics": {...},
                        "targets": [{"metric": ..., "target": ..., "value": ..., "met": ...}]}},
     "playground": {"playground_fps": ..., "targets": [...]}}

``--only playground`` measures just the 2-D playground widget's frame rate.

Lesson 05 runs one seed per method live; after its notebook, the runner also runs
``benchmarks.mode_collapse`` over three seeds (two runs side by side, one thread each) and
adds its headline figures (``best_*`` for the best cure, ``<method>_<dataset>_*_mean`` for
every method) to lesson 05's metrics, where its targets check them.

and exits with status 1 if a notebook failed or a target was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import mode_collapse
from benchmarks.playground import measure_all
from benchmarks.targets import check_targets

ROOT = Path(__file__).resolve().parent.parent


def run_lesson(notebook: Path, keep_dir: Path | None = None) -> dict:
    """Execute one solution notebook in a subprocess; return its measured figures.
    With ``keep_dir``, the executed notebook (with its outputs) is written there."""
    with tempfile.TemporaryDirectory() as tmp:
        metrics_file = Path(tmp) / "metrics.json"
        env = {**os.environ, "GAN_COURSE_STRICT": "1", "GAN_COURSE_METRICS_FILE": str(metrics_file)}
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.execute", str(notebook)]
            + ([str(keep_dir / notebook.name)] if keep_dir else []),
            cwd=ROOT, env=env, capture_output=True, text=True,
        )
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
        result = json.loads(done.stdout.strip().splitlines()[-1])
        reported = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    lesson = notebook.name[:2]
    result["metrics"] = reported.get(lesson, {})
    return result


def multi_seed_mode_collapse(seeds: tuple[int, ...] = (0, 1, 2)) -> dict:
    """Every cure on the ring and the grid over ``seeds``, each for ``RACE_ROUNDS`` times its
    rounds as in lesson 05's three-seed table; the flat headline figures."""
    print(f"running benchmarks.mode_collapse over seeds {list(seeds)} ...", flush=True)
    rows = mode_collapse.run_all(list(mode_collapse.METHODS), ["ring", "grid"], list(seeds),
                                 workers=2, rounds=mode_collapse.RACE_ROUNDS)
    return {"seeds": len(seeds), **mode_collapse.headline_figures(mode_collapse.summarise(rows))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="+", metavar="NN",
                        help="lesson numbers and/or 'playground', e.g. 01 03 playground")
    parser.add_argument("--json", type=Path, default=Path("benchmark.json"), help="output file")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="also write the executed notebooks, with outputs, into DIR")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep = args.keep.resolve()
        args.keep.mkdir(parents=True, exist_ok=True)

    notebooks = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    if args.only:
        unknown = set(args.only) - {nb.name[:2] for nb in notebooks} - {"playground"}
        if unknown:
            parser.error(f"no solution notebook for {sorted(unknown)}; have "
                         f"{[nb.name[:2] for nb in notebooks]}")
        notebooks = [nb for nb in notebooks if nb.name[:2] in args.only]

    results, ok = {}, True
    for notebook in notebooks:
        print(f"running {notebook.name} ...", flush=True)
        result = run_lesson(notebook, args.keep)
        if notebook.name[:2] == "05" and "error" not in result:
            result["metrics"].update(multi_seed_mode_collapse())
        result["targets"] = check_targets(notebook.name[:2], result)
        ok = ok and "error" not in result and all(t["met"] for t in result["targets"])
        results[notebook.name[:2]] = result
        print(json.dumps(result, indent=2), flush=True)
    report = {"lessons": results}
    if not args.only or "playground" in args.only:
        print("measuring the playground's frame rate ...", flush=True)
        playground = measure_all()
        playground["targets"] = check_targets("playground", playground)
        ok = ok and all(t["met"] for t in playground["targets"])
        report["playground"] = playground
        print(json.dumps(playground, indent=2), flush=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}; all targets met: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
