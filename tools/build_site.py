"""Build the course as a static website (``make site``): every solution notebook executed, with
its figures, animations and equations, a Binder and a Colab link on each lesson page, and an
index page with the course table. Serves issue 19 (item 9); no lesson imports it.

Three steps:

1. **Execute.** Each ``solutions/NN_*.ipynb`` is executed (nbclient, one fresh kernel, the
   environment as it is: ``OMP_NUM_THREADS``, ``GAN_COURSE_DEVICE``, ...) into the cache
   folder ``build/site-notebooks/``, only when the solution is newer than its cached copy.
   ``--executed DIR`` takes executed notebooks from DIR first (what
   ``python -m benchmarks --keep DIR`` leaves), so nobody pays for the same run twice.
2. **Stage.** Each executed notebook is copied to ``build/site-src/`` with a line of launch
   links under its title; every widget output becomes the picture(s) its ``Image`` widgets
   held when the notebook finished (or a plain note where it has none) and a line saying
   where to run it live; a tqdm progress bar becomes its final line of text. ``index.md`` is
   written there with the course table (titles: each notebook's first heading).
3. **Render.** Sphinx with myst-nb (settings in ``site/conf.py``) writes ``build/site/``;
   MathJax is served from the site itself (the copy in jupyter-server-mathjax), so nothing is
   fetched at build time or when a page is viewed. The build fails if a page still loads a
   script, style sheet or picture from another host.

Usage::

    python tools/build_site.py                        # all lessons
    python tools/build_site.py --only 01 --only 06    # a quick build of two lessons
    python tools/build_site.py --executed /tmp/k      # reuse executed notebooks from /tmp/k
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from make_badges import binder_url, colab_url, github_slug, lesson_title, repository  # noqa: E402

CACHE = ROOT / "build" / "site-notebooks"  # executed solutions, reused while still fresh
STAGE = ROOT / "build" / "site-src"  # the pages Sphinx reads (rewritten on every build)
OUT = ROOT / "build" / "site"  # the site: publish this folder
CONF = ROOT / "site"  # conf.py
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
EXECUTE_TIMEOUT_S = 1800  # per cell


def solution_pages(root: Path = ROOT, only: list[str] | None = None) -> list[Path]:
    """The solution notebooks ``solutions/NN_*.ipynb`` in lesson order; with ``only``
    (lesson numbers such as ``"01"``), just those. An unknown number is an error."""
    pages = sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb"))
    if not only:
        return pages
    chosen = [page for page in pages if page.name[:2] in only]
    missing = sorted(set(only) - {page.name[:2] for page in chosen})
    if missing:
        raise SystemExit(f"no solution notebook for lesson(s) {', '.join(missing)}")
    return chosen


def is_stale(solution: Path, executed: Path) -> bool:
    """True when ``executed`` must be (re)made: it is missing, or its solution was modified
    after it (modification times; a fresh clone gives every file the clone's time)."""
    return not executed.exists() or solution.stat().st_mtime > executed.stat().st_mtime


def lesson_links(url: str, name: str) -> dict[str, str]:
    """Binder and Colab addresses of the LESSON notebook ``lessons/<name>`` (the learner's
    copy with exercises, not the solution) in the repository at ``url``."""
    slug, path = github_slug(url), f"lessons/{name}"
    return {"Binder": binder_url(slug, path), "Colab": colab_url(slug, path)}


def links_line(links: dict[str, str]) -> str:
    """The Markdown line under each lesson's title."""
    live = " · ".join(f"[{where}]({address})" for where, address in links.items())
    return (f"**Run this lesson live:** {live} · or locally with `gan-course lab`. "
            "This page shows the lesson with its exercises solved, as executed when the site "
            "was built.")


def add_links(notebook: dict, links: dict[str, str]) -> dict:
    """A copy of ``notebook`` with ``links_line`` right under its first ``# `` heading (or
    in a new first cell when it has none)."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        heading = re.search(r"^# .+$", source, re.M)
        if cell["cell_type"] == "markdown" and heading:
            end = heading.end()
            cell["source"] = f"{source[:end]}\n\n{links_line(links)}\n{source[end:]}"
            return notebook
    notebook["cells"].insert(0, {"cell_type": "markdown", "metadata": {},
                                 "source": links_line(links)})
    return notebook


def widget_models(notebook: dict) -> dict[str, dict]:
    """The saved widget models by id (nbclient stores them in the notebook's metadata)."""
    state = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {})
    return state.get("state", {})


def widget_tree(models: dict[str, dict], model_id: str) -> list[dict]:
    """The models shown by the view of ``model_id``: itself, then its children depth-first,
    in display order (references ``IPY_MODEL_<id>``; layouts and styles are left out)."""
    found: list[dict] = []
    stack, seen = [model_id], set()
    while stack:
        current = stack.pop()
        model = models.get(current)
        if model is None or current in seen:
            continue
        seen.add(current)
        found.append(model)
        children = []
        for key, value in model.get("state", {}).items():
            if key in ("layout", "style"):
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and item.startswith("IPY_MODEL_"):
                    children.append(item.removeprefix("IPY_MODEL_"))
        stack.extend(reversed(children))
    return found


def widget_pictures(models: dict[str, dict], model_id: str) -> list[str]:
    """The base64 PNGs that the ``Image`` widgets under ``model_id`` held, in display order
    (an empty one, a picture not drawn yet, is left out)."""
    pictures = []
    for model in widget_tree(models, model_id):
        if model.get("model_name") != "ImageModel":
            continue
        if model.get("state", {}).get("format", "png") != "png":
            continue
        for buffer in model.get("buffers", []):
            if (buffer.get("path") == ["value"] and buffer.get("encoding") == "base64"
                    and buffer.get("data")):
                pictures.append(buffer["data"])
    return pictures


def progress_line(models: dict[str, dict], model_id: str, width: int = 10) -> str | None:
    """A tqdm bar's last state as text, 'training: 100%|##########| 300/300 [...]', or None
    when the widget holds no progress bar. The bar has ``width`` cells."""
    tree = widget_tree(models, model_id)
    bars = [m for m in tree if m.get("model_name") in ("FloatProgressModel", "IntProgressModel")]
    if not bars:
        return None
    state = bars[0]["state"]
    maximum = state.get("max") or 0
    done = round(width * min(state.get("value", 0) / maximum, 1.0)) if maximum else 0
    texts = [re.sub(r"<[^>]*>", "", html.unescape(m["state"].get("value", "")))
             for m in tree if m.get("model_name") == "HTMLModel"]
    before, after = (texts + ["", ""])[:2]
    return f"{before}|{'█' * done}{' ' * (width - done)}|{after}".strip()


def widget_note(links: dict[str, str], still: bool) -> str:
    """The HTML line shown where a widget stood."""
    live = " or ".join(f'<a href="{html.escape(address)}">{where}</a>'
                       for where, address in links.items())
    what = ("A still of an interactive widget, as the executed notebook left it."
            if still else "An interactive widget stands here in the notebook.")
    return (f'<p class="widget-note"><strong>{what}</strong> To use it, run this lesson live '
            f"on {live}, or locally with <code>gan-course lab</code>.</p>")


def static_output(output: dict, models: dict[str, dict], links: dict[str, str]) -> list[dict]:
    """The outputs that replace one output of a code cell: a widget view becomes its pictures
    and a note (or its progress line); any other output is kept as it is."""
    view = output.get("data", {}).get(WIDGET_VIEW)
    if view is None:
        return [output]
    model_id = view["model_id"]
    line = progress_line(models, model_id)
    if line is not None and not widget_pictures(models, model_id):
        return [{"output_type": "stream", "name": "stdout", "text": line + "\n"}]
    pictures = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": data}}
                for data in widget_pictures(models, model_id)]
    note = {"output_type": "display_data", "metadata": {},
            "data": {"text/html": widget_note(links, still=bool(pictures))}}
    return [*pictures, note]


def static_widgets(notebook: dict, links: dict[str, str]) -> dict:
    """A copy of ``notebook`` in which no output needs a live kernel or the widget scripts."""
    notebook = copy.deepcopy(notebook)
    models = widget_models(notebook)
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            outputs.extend(static_output(output, models, links))
        cell["outputs"] = outputs
    notebook.get("metadata", {}).pop("widgets", None)
    return notebook


def index_page(entries: list[tuple[str, str, dict[str, str]]]) -> str:
    """``index.md``: the course table (title linking to its page, Binder, Colab) and the
    hidden table of contents. ``entries`` holds (page name, title, links) per lesson."""
    rows = ["| lesson | run it live | |", "|---|---|---|"]
    for name, title, links in entries:
        cells = " | ".join(f"[{where}]({address})" for where, address in links.items())
        rows.append(f"| [{title}]({name}.ipynb) | {cells} |")
    toc = "\n".join(name for name, _, _ in entries)
    return (
        "# GAN course\n\n"
        "A notebook course on Generative Adversarial Networks that runs on a laptop CPU. "
        "Each page is a lesson with its exercises solved, executed when this site was built. "
        "To do the exercises yourself, open the lesson on Binder or Colab, or install the "
        "course (the README says how) and run `gan-course lab`.\n\n"
        + "\n".join(rows)
        + f"\n\n```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{toc}\n```\n")


EXTERNAL = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*?\b(?:src|href)\s*=\s*"
    r"[\"']((?:https?:)?//[^\"']*)"
    r"|url\(\s*[\"']?((?:https?:)?//[^)\"']*)", re.I)


def external_assets(text: str) -> list[str]:
    """The addresses on another host that a page (or style sheet) ``text`` would load:
    scripts, style sheets, pictures, frames, CSS ``url(...)``. Links (``<a href>``) are
    not loaded, so they are not listed."""
    return [first or second for first, second in EXTERNAL.findall(text)]


def execute(solution: Path, target: Path) -> float:
    """Execute ``solution`` in a fresh kernel (working folder: ``solutions/``) and write it
    with its outputs and widget state to ``target``; returns the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(solution, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(notebook, timeout=EXECUTE_TIMEOUT_S, kernel_name="python3",
                            store_widget_state=True,
                            resources={"metadata": {"path": str(solution.parent)}})
    client.execute()
    partial = target.with_suffix(".partial")
    nbformat.write(notebook, partial)
    partial.replace(target)  # a failed run leaves no fresh-looking copy behind
    return time.perf_counter() - start


def executed_copy(solution: Path, executed_dir: Path | None, cache: Path = CACHE) -> Path:
    """The cached executed copy of ``solution``: taken from ``executed_dir`` when it holds
    one newer than the solution, kept when the cache's is still fresh, else executed now."""
    cache.mkdir(parents=True, exist_ok=True)
    cached = cache / solution.name
    given = executed_dir / solution.name if executed_dir else None
    if given and given.exists():
        if is_stale(solution, given):
            print(f"  {given} is older than its solution: not used")
        elif is_stale(given, cached):
            shutil.copy2(given, cached)  # keeps its time, so the staleness rule still holds
            print(f"  taken from {given}")
            return cached
    if not is_stale(solution, cached):
        print(f"  cached: {cached.relative_to(ROOT) if cached.is_relative_to(ROOT) else cached}")
        return cached
    print("  executing ...", flush=True)
    seconds = execute(solution, cached)
    print(f"  executed in {seconds:.1f} s")
    return cached


def stage(executed: list[Path], url: str, stage_dir: Path = STAGE) -> None:
    """Write the pages Sphinx reads: each executed notebook made static, and ``index.md``."""
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    stage_dir.mkdir(parents=True)
    entries = []
    for path in executed:
        links = lesson_links(url, path.name)
        notebook = json.loads(path.read_text(encoding="utf-8"))
        page = add_links(static_widgets(notebook, links), links)
        (stage_dir / path.name).write_text(json.dumps(page, indent=1, ensure_ascii=False),
                                           encoding="utf-8")
        entries.append((path.stem, lesson_title(path), links))
    (stage_dir / "index.md").write_text(index_page(entries), encoding="utf-8")


def render(stage_dir: Path = STAGE, out: Path = OUT, conf: Path = CONF) -> None:
    """Run Sphinx (``conf``'s settings) on ``stage_dir`` into ``out``; then refuse a site
    whose pages or style sheets load anything from another host."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", "-c", str(conf),
               "-d", str(out.parent / "site-doctrees"), str(stage_dir), str(out)]
    subprocess.run(command, check=True)
    found = []
    for path in sorted([*out.rglob("*.html"), *out.rglob("*.css")]):
        found += [f"{path.relative_to(out)}: {address}"
                  for address in external_assets(path.read_text(encoding="utf-8"))]
    if found:
        raise SystemExit("the site would fetch from other hosts:\n" + "\n".join(found))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="NN",
                        help="build only this lesson (repeat for more), e.g. --only 01")
    parser.add_argument("--executed", type=Path, metavar="DIR",
                        help="take executed notebooks from DIR (e.g. benchmarks --keep DIR)")
    args = parser.parse_args(argv)
    pages = solution_pages(ROOT, args.only)
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}")
    executed = []
    for number, solution in enumerate(pages, start=1):
        print(f"[{number}/{len(pages)}] {solution.name}", flush=True)
        executed.append(executed_copy(solution, args.executed))
    start = time.perf_counter()
    stage(executed, repository())
    print("rendering the site with Sphinx ...", flush=True)
    render()
    print(f"site written in {time.perf_counter() - start:.1f} s: {OUT / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
