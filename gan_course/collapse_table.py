"""Tables and figure names for lesson 05: our mode counts next to the published ones, the
multi-seed run, and the names both the lesson and ``benchmarks/mode_collapse.py`` report
their figures under (lesson 05; the benchmark uses the names and keys too).

The published figures (modes captured / high-quality %, same protocol, other networks and
budgets) are quoted from:

* VEEGAN (Srivastava et al., 2017), Table 1: the plain GAN and the unrolled GAN;
* PacGAN (Lin et al., 2018), Table 1: PacGAN2;
* GDPP (Elfeki et al., 2019), Table 1: WGAN-GP.

The multi-seed results are the JSON file written by
``python -m benchmarks.mode_collapse --json gan_course/data/mode_collapse_seeds.json``.
"""

from __future__ import annotations

import json
from importlib import resources

from gan_course.modes import ModeStats

# method -> dataset -> (modes captured, high-quality %)
PUBLISHED: dict[str, dict[str, tuple[float, float]]] = {
    "vanilla": {"ring": (1.0, 99.3), "grid": (3.3, 0.5)},
    "unrolled (not run here)": {"ring": (7.6, 35.6), "grid": (23.6, 16.0)},
    "pacgan2": {"ring": (7.9, 95.6), "grid": (23.8, 91.3)},
    "wgan-gp": {"ring": (6.8, 59.6), "grid": (24.2, 28.7)},
}
BENCHMARK_FILE = "mode_collapse_seeds.json"


def summary_key(method: str, dataset: str) -> str:
    """The key of one (method, dataset) in the benchmark's ``mean_std``: ``"wgan-gp/ring"``."""
    return f"{method}/{dataset}"


def split_summary_key(key: str) -> tuple[str, str]:
    """``"wgan-gp/ring"`` -> ``("wgan-gp", "ring")``, the inverse of ``summary_key``."""
    method, dataset = key.split("/")
    return method, dataset


def figure_name(method: str, dataset: str, figure: str) -> str:
    """The name a figure is reported under: ``figure_name("wgan-gp", "ring", "hq_pct")`` is
    ``"wgan_gp_ring_hq_pct"`` (dashes become underscores, so it is a keyword argument)."""
    return f"{method.replace('-', '_')}_{dataset}_{figure}"


def race_figures(results: dict[tuple[str, str], ModeStats]) -> dict[str, float]:
    """One seed's race as flat figures for ``report.report_metrics``: for every
    (method, dataset), ``<method>_<dataset>_modes``, ``_hq_pct`` (2 decimals) and ``_kl``
    (4 decimals), named by ``figure_name``."""
    figures: dict[str, float] = {}
    for (method, dataset), stats in results.items():
        figures[figure_name(method, dataset, "modes")] = stats.modes
        figures[figure_name(method, dataset, "hq_pct")] = round(stats.hq_pct, 2)
        figures[figure_name(method, dataset, "kl")] = round(stats.kl, 4)
    return figures


def _published(method: str, dataset: str) -> str:
    figures = PUBLISHED.get(method, {}).get(dataset)
    return "not in these tables" if figures is None else f"{figures[0]:g} / {figures[1]:g} %"


def _ours(stats: ModeStats | None) -> str:
    if stats is None:
        return "not run"
    return f"{stats.modes} / {stats.hq_pct:.1f} % (KL {stats.kl:.2f})"


def comparison_table(results: dict[tuple[str, str], ModeStats]) -> str:
    """A Markdown table: for each method, ours (one seed) and published, on ring and grid.

    results maps (method, dataset) to the ``modes.mode_stats`` of that run.
    """
    methods = list(dict.fromkeys(method for method, _ in results))
    methods += [method for method in PUBLISHED if method not in methods]
    lines = ["| method | ring: ours | ring: published | grid: ours | grid: published |",
             "|---|---|---|---|---|"]
    for method in methods:
        cells = []
        for dataset in ("ring", "grid"):
            cells += [_ours(results.get((method, dataset))), _published(method, dataset)]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load_benchmark_results() -> dict:
    """The multi-seed results shipped in ``gan_course/data/`` (see the module docstring)."""
    text = resources.files("gan_course").joinpath("data", BENCHMARK_FILE).read_text("utf-8")
    return json.loads(text)


def seeds_table(benchmark: dict) -> str:
    """A Markdown table of mean ± standard deviation over seeds, per method and dataset."""
    lines = ["| method | ring modes | ring HQ % | grid modes | grid HQ % |",
             "|---|---|---|---|---|"]
    methods = list(dict.fromkeys(split_summary_key(key)[0] for key in benchmark["mean_std"]))
    for method in methods:
        cells = []
        for dataset in ("ring", "grid"):
            summary = benchmark["mean_std"].get(summary_key(method, dataset))
            if summary is None:
                cells += ["not run", "not run"]
                continue
            for name in ("modes", "hq_pct"):
                mean, spread = summary[name]
                cells.append(f"{mean:.1f} ± {spread:.1f}")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
