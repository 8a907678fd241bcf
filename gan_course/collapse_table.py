"""Tables and figure names for lesson 05: our mode counts next to the published ones, the
multi-seed run, and the names both the lesson and ``benchmarks/mode_collapse.py`` report
their figures under (lesson 05; the benchmark uses the names and keys too).

The published figures (modes captured / high-quality % / reverse KL, the same protocol with
other networks and budgets) are quoted from:

* VEEGAN (Srivastava et al., 2017), Table 1: its plain GAN and the unrolled GAN;
* PacGAN (Lin et al., 2018), Table 1: its own plain GAN (a much stronger baseline than
  VEEGAN's) and PacGAN2/3/4, each the mean of 10 trials (the paper gives standard errors);
* GDPP (Elfeki et al., 2019), Table 1: WGAN-GP.

The multi-seed results are the JSON file written by
``python -m benchmarks.mode_collapse --json gan_course/data/mode_collapse_seeds.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from gan_course.cures import N_EVAL
from gan_course.modes import ModeStats, well_covered_modes

VEEGAN = "VEEGAN (Srivastava et al., 2017), Table 1"
PACGAN = "PacGAN (Lin et al., 2018), Table 1"
GDPP = "GDPP (Elfeki et al., 2019), Table 1"


@dataclass(frozen=True)
class Published:
    """One published row: (modes captured, high-quality %, reverse KL or None) per dataset."""

    method: str
    source: str
    ring: tuple[float, float, float | None]
    grid: tuple[float, float, float | None]


PUBLISHED: list[Published] = [
    Published("GAN", VEEGAN, (1.0, 99.3, None), (3.3, 0.5, None)),
    Published("GAN", PACGAN, (6.3, 98.2, 0.45), (17.3, 94.8, 0.70)),
    Published("PacGAN2", PACGAN, (7.9, 95.6, 0.07), (23.8, 91.3, 0.13)),
    Published("PacGAN3", PACGAN, (7.8, 97.7, 0.10), (24.6, 94.2, 0.06)),
    Published("PacGAN4", PACGAN, (7.8, 95.9, 0.07), (24.8, 93.6, 0.04)),
    Published("unrolled GAN", VEEGAN, (7.6, 35.6, None), (23.6, 16.0, None)),
    Published("WGAN-GP", GDPP, (6.8, 59.6, None), (24.2, 28.7, None)),
]
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


def strict_figure_name(method: str, dataset: str) -> str:
    """The name of the well-covered mode count: ``"vanilla_strict_grid_modes"``."""
    return f"{method.replace('-', '_')}_strict_{dataset}_modes"


def strict_modes(stats: ModeStats, n_samples: int = N_EVAL) -> int:
    """Modes holding at least a fifth of a fair share of ``n_samples`` high-quality samples
    (``modes.well_covered_modes`` at its default share: 20 of the protocol's 2,500 samples
    on the 25-mode grid, 63 on the 8-mode ring)."""
    return well_covered_modes(stats.counts, n_samples)


def race_figures(results: dict[tuple[str, str], ModeStats],
                 n_samples: int = N_EVAL) -> dict[str, float]:
    """One seed's race as flat figures for ``report.report_metrics``: for every
    (method, dataset), ``<method>_<dataset>_modes``, ``_hq_pct`` (2 decimals) and ``_kl``
    (4 decimals), named by ``figure_name``, and ``<method>_strict_<dataset>_modes``."""
    figures: dict[str, float] = {}
    for (method, dataset), stats in results.items():
        figures[figure_name(method, dataset, "modes")] = stats.modes
        figures[figure_name(method, dataset, "hq_pct")] = round(stats.hq_pct, 2)
        figures[figure_name(method, dataset, "kl")] = round(stats.kl, 4)
        figures[strict_figure_name(method, dataset)] = strict_modes(stats, n_samples)
    return figures


def _figures(modes: float, strict: float | None, hq_pct: float, kl: float | None) -> str:
    """'modes (strict) / hq % / KL' for one table cell."""
    strict_text = "" if strict is None else f" ({strict:g})"
    kl_text = "n/a" if kl is None else f"{kl:.2f}"
    return f"{modes:g}{strict_text} / {hq_pct:.1f} % / {kl_text}"


def race_table(results: dict[tuple[str, str], ModeStats], n_samples: int = N_EVAL) -> str:
    """A Markdown table of one seed's race: modes captured (well covered) / high-quality % /
    reverse KL, per method and dataset. results maps (method, dataset) to ``mode_stats``."""
    header = "modes (well covered) / HQ / KL"
    lines = [f"| method | ring: {header} | grid: {header} |", "|---|---|---|"]
    for method in dict.fromkeys(method for method, _ in results):
        cells = []
        for dataset in ("ring", "grid"):
            stats = results.get((method, dataset))
            cells.append("not run" if stats is None else _figures(
                stats.modes, strict_modes(stats, n_samples), stats.hq_pct, stats.kl))
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def published_table() -> str:
    """A Markdown table of ``PUBLISHED``: modes captured / high-quality % / reverse KL (n/a
    where the paper gives none), with each row's source."""
    lines = ["| published method | source | ring: modes / HQ / KL | grid: modes / HQ / KL |",
             "|---|---|---|---|"]
    for row in PUBLISHED:
        ring, grid = _figures(row.ring[0], None, *row.ring[1:]), _figures(
            row.grid[0], None, *row.grid[1:])
        lines.append(f"| {row.method} | {row.source} | {ring} | {grid} |")
    return "\n".join(lines)


def load_benchmark_results() -> dict:
    """The multi-seed results shipped in ``gan_course/data/`` (see the module docstring)."""
    text = resources.files("gan_course").joinpath("data", BENCHMARK_FILE).read_text("utf-8")
    return json.loads(text)


def seeds_table(benchmark: dict) -> str:
    """A Markdown table of mean ± standard deviation over the seeds (not the standard error
    PacGAN reports) of modes captured, well-covered modes, high-quality % and reverse KL."""
    lines = ["| method | dataset | modes | well covered | HQ % | reverse KL |",
             "|---|---|---|---|---|---|"]
    for key, summary in benchmark["mean_std"].items():
        method, dataset = split_summary_key(key)
        cells = []
        for name in ("modes", "strict_modes", "hq_pct", "kl"):
            mean, spread = summary.get(name, [None, None])
            if mean is None:
                cells.append("n/a")
            elif name == "kl":
                cells.append(f"{mean:.2f} ± {spread:.2f}")
            else:
                cells.append(f"{mean:.1f} ± {spread:.1f}")
        lines.append(f"| {method} | {dataset} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
