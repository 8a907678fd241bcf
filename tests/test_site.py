"""The course website (tools/build_site.py, ``make site``): its pure parts, and a real build
opened in headless Chromium.

The fast tests check the page list, the launch links, the staleness rule, the static widgets
and the guard against assets from other hosts on hand-made inputs. The slow test builds a site
from two small executed notebooks written here (one with an equation and a matplotlib figure,
one with a widget), serves it on 127.0.0.1 and checks in Chromium that MathJax typeset the
equation, the pictures loaded and the Binder/Colab links are there. Skipped, with the reason,
where Chromium, ChromeDriver, Selenium or the site extra (Sphinx, myst-nb) is missing.
"""

from __future__ import annotations

import base64
import functools
import http.server
import io
import json
import os
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_site  # noqa: E402
from test_browser import find_browser  # noqa: E402  (the same skip when Chromium is missing)

URL = "https://github.com/someone/course"
LINKS = {"Binder": "https://mybinder.org/x", "Colab": "https://colab.research.google.com/y"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PYTHON = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
          "language_info": {"name": "python"}}
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-dev-shm-usage",
                  "--window-size=1200,900"]


def touch(path: Path, mtime: float) -> Path:
    path.write_text("{}")
    os.utime(path, (mtime, mtime))
    return path


def model(name: str, state: dict, buffers: list | None = None) -> dict:
    entry = {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}
    if buffers is not None:
        entry["buffers"] = buffers
    return entry


def png_buffer(data: str) -> list[dict]:
    return [{"data": data, "encoding": "base64", "path": ["value"]}]


def widget_output(model_id: str, text: str = "VBox()") -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {WIDGET_VIEW: {"model_id": model_id, "version_major": 2,
                                   "version_minor": 0}, "text/plain": text}}


def notebook_with(outputs: list[dict], models: dict[str, dict]) -> dict:
    return {"cells": [{"cell_type": "markdown", "id": "a", "metadata": {},
                       "source": "# Lesson 99: a test\nIntro."},
                      {"cell_type": "code", "id": "b", "metadata": {}, "source": "x",
                       "outputs": outputs, "execution_count": 1}],
            "metadata": {**PYTHON, "widgets": {WIDGET_STATE: {
                "state": models, "version_major": 2, "version_minor": 0}}},
            "nbformat": 4, "nbformat_minor": 5}


# -- fast: the pure parts ------------------------------------------------------------------


def test_solution_pages_lists_lessons_in_order_and_filters(tmp_path):
    (tmp_path / "solutions").mkdir()
    for name in ["02_b.ipynb", "01_a.ipynb", "notes.ipynb", "10_c.ipynb"]:
        (tmp_path / "solutions" / name).write_text("{}")
    names = [p.name for p in build_site.solution_pages(tmp_path)]
    assert names == ["01_a.ipynb", "02_b.ipynb", "10_c.ipynb"]
    assert [p.name for p in build_site.solution_pages(tmp_path, ["10", "01"])] == [
        "01_a.ipynb", "10_c.ipynb"]
    with pytest.raises(SystemExit, match="lesson.s. 07"):
        build_site.solution_pages(tmp_path, ["01", "07"])


def test_staleness_follows_modification_times(tmp_path):
    solution = touch(tmp_path / "s.ipynb", 1000.0)
    executed = tmp_path / "e.ipynb"
    assert build_site.is_stale(solution, executed)  # missing
    touch(executed, 999.0)
    assert build_site.is_stale(solution, executed)  # solution edited after the run
    touch(executed, 1000.0)
    assert not build_site.is_stale(solution, executed)  # same second: kept
    touch(executed, 1001.0)
    assert not build_site.is_stale(solution, executed)


def test_executed_copy_prefers_a_fresh_given_run_and_never_an_old_one(tmp_path, monkeypatch):
    cache, given_dir = tmp_path / "cache", tmp_path / "given"
    given_dir.mkdir()
    solution = touch(tmp_path / "01_a.ipynb", 1000.0)
    given = touch(given_dir / "01_a.ipynb", 2000.0)
    cached = build_site.executed_copy(solution, given_dir, cache)
    assert cached == cache / "01_a.ipynb" and cached.stat().st_mtime == 2000.0
    # the cache now holds it: a second build takes it from the cache without executing
    assert build_site.executed_copy(solution, None, cache) == cached
    os.utime(given, (500.0, 500.0))  # an old run of an older solution is refused ...
    os.utime(cached, (500.0, 500.0))
    calls = []
    monkeypatch.setattr(build_site, "execute", lambda s, t: calls.append((s, t)) or 1.0)
    build_site.executed_copy(solution, given_dir, cache)  # ... and the solution is executed
    assert calls == [(solution, cached)]


def test_lesson_links_open_the_lesson_not_the_solution():
    links = build_site.lesson_links(URL, "03_x.ipynb")
    assert links == {
        "Binder": "https://mybinder.org/v2/gh/someone/course/HEAD?urlpath=lab/tree/"
                  "lessons/03_x.ipynb",
        "Colab": "https://colab.research.google.com/github/someone/course/blob/main/"
                 "lessons/03_x.ipynb"}


def test_links_go_right_under_the_first_heading():
    notebook = notebook_with([], {})
    page = build_site.add_links(notebook, LINKS)
    source = page["cells"][0]["source"]
    assert source.startswith("# Lesson 99: a test\n\n**Run this lesson live:** [Binder]("
                             "https://mybinder.org/x) · [Colab](https://colab.research."
                             "google.com/y)")
    assert source.endswith("\nIntro.")
    assert notebook["cells"][0]["source"] == "# Lesson 99: a test\nIntro."  # not changed
    no_heading = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "text"}]}
    assert build_site.add_links(no_heading, LINKS)["cells"][0]["source"].startswith("**Run")


def test_widget_becomes_its_pictures_in_display_order_and_a_note():
    models = {
        "box": model("VBoxModel", {"children": ["IPY_MODEL_text", "IPY_MODEL_row"],
                                   "layout": "IPY_MODEL_lay"}),
        "row": model("HBoxModel", {"children": ["IPY_MODEL_img2", "IPY_MODEL_empty",
                                                 "IPY_MODEL_img3"]}),
        "text": model("HTMLModel", {"value": "<b>hi</b>"}),
        "img2": model("ImageModel", {"format": "png"}, png_buffer("AAA=")),
        "img3": model("ImageModel", {"format": "png"}, png_buffer("BBB=")),
        "empty": model("ImageModel", {"format": "png"}, png_buffer("")),  # not drawn yet
        "lay": model("LayoutModel", {}),
        "other": model("ImageModel", {"format": "png"}, png_buffer("CCC=")),  # not shown
    }
    notebook = notebook_with([widget_output("box")], models)
    page = build_site.static_widgets(notebook, LINKS)
    outputs = page["cells"][1]["outputs"]
    assert [o["data"].get("image/png") for o in outputs] == ["AAA=", "BBB=", None]
    note = outputs[2]["data"]["text/html"]
    assert "A still of an interactive widget" in note
    assert '<a href="https://mybinder.org/x">Binder</a>' in note
    assert '<a href="https://colab.research.google.com/y">Colab</a>' in note
    assert "widgets" not in page["metadata"]  # no widget scripts asked for
    assert WIDGET_STATE in notebook["metadata"]["widgets"]  # the input is left alone


def test_widget_without_saved_state_is_a_note_and_other_outputs_stay():
    text = {"output_type": "stream", "name": "stdout", "text": "3\n"}
    notebook = notebook_with([text, widget_output("gone")], {})
    notebook["metadata"] = PYTHON
    outputs = build_site.static_widgets(notebook, LINKS)["cells"][1]["outputs"]
    assert outputs[0] == text
    assert len(outputs) == 2 and "stands here" in outputs[1]["data"]["text/html"]


def test_progress_bar_becomes_its_last_line():
    models = {
        "bar": model("HBoxModel", {"children": ["IPY_MODEL_pre", "IPY_MODEL_p", "IPY_MODEL_post"]}),
        "pre": model("HTMLModel", {"value": "training: 30%"}),
        "p": model("FloatProgressModel", {"value": 3.0, "max": 10.0}),
        "post": model("HTMLModel", {"value": " 3/10 [00:01&lt;00:02]"}),
    }
    assert build_site.progress_line(models, "bar") == "training: 30%|███       | 3/10 [00:01<00:02]"
    outputs = build_site.static_widgets(notebook_with([widget_output("bar")], models),
                                        LINKS)["cells"][1]["outputs"]
    assert outputs == [{"output_type": "stream", "name": "stdout",
                        "text": "training: 30%|███       | 3/10 [00:01<00:02]\n"}]
    assert build_site.progress_line(models, "pre") is None


def test_index_page_has_the_course_table_and_contents():
    text = build_site.index_page([("01_a", "Lesson 01: A", LINKS), ("02_b", "Lesson 02: B", LINKS)])
    assert ("| [Lesson 01: A](01_a.ipynb) | [Binder](https://mybinder.org/x) | "
            "[Colab](https://colab.research.google.com/y) |") in text
    assert "| [Lesson 02: B](02_b.ipynb) |" in text
    assert text.endswith(":hidden:\n:maxdepth: 1\n\n01_a\n02_b\n```\n")


def test_external_assets_are_found_but_links_are_not():
    page = """<a href="https://mybinder.org/v2">Binder</a>
    <script src="https://cdn.example/x.js"></script><script src="_static/y.js"></script>
    <link rel="stylesheet" href="//fonts.example/css"><img alt="" src='http://a.example/p.png'>
    <style>.x { background: url("https://b.example/bg.png") }</style>"""
    assert build_site.external_assets(page) == [
        "https://cdn.example/x.js", "//fonts.example/css", "http://a.example/p.png",
        "https://b.example/bg.png"]
    assert build_site.external_assets('<img src="_images/a.png"><a href="http://x">x</a>') == []


# -- slow: a real build in a real browser ---------------------------------------------------


def figure_png() -> str:
    """A small matplotlib figure as base64 PNG, as an executed notebook stores it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=50)
    ax.plot([0, 1, 2], [0, 1, 4])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def write_site_notebooks(folder: Path) -> list[Path]:
    """Two executed notebooks: an equation and a figure; a widget holding a picture."""
    figure = figure_png()
    maths = {
        "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {},
             "source": "# Lesson 01: maths\n\nThe value $V(D, G)$ of the game:\n\n"
                       "$$\\min_G \\max_D \\; \\mathbb{E}_x[\\log D(x)]$$"},
            {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": 1,
             "source": "plt.plot([0, 1, 2], [0, 1, 4])",
             "outputs": [{"output_type": "display_data", "metadata": {},
                          "data": {"image/png": figure, "text/plain": "<Figure>"}}]}],
        "metadata": PYTHON, "nbformat": 4, "nbformat_minor": 5}
    models = {"box": model("VBoxModel", {"children": ["IPY_MODEL_img"]}),
              "img": model("ImageModel", {"format": "png"}, png_buffer(figure))}
    widget = notebook_with([widget_output("box")], models)
    widget["cells"][0]["source"] = "# Lesson 02: a widget\n\nBelow."
    paths = [folder / "01_maths.ipynb", folder / "02_widget.ipynb"]
    for path, notebook in zip(paths, [maths, widget]):
        path.write_text(json.dumps(notebook), encoding="utf-8")
    return paths


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


PAGE_JS = """
const maths = [...document.querySelectorAll('.MathJax, mjx-container')]
  .map(e => e.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
const images = [...document.querySelectorAll('article img')];
return {typeset: maths.length,
        untypeset: [...document.querySelectorAll('span.math, div.math')]
          .filter(e => /\\\\[(\\[]/.test(e.textContent)).length,
        images: images.length,
        loaded: images.filter(i => i.complete && i.naturalWidth > 0).length,
        binder: document.querySelectorAll('a[href^="https://mybinder.org/"]').length,
        colab: document.querySelectorAll('a[href^="https://colab.research.google.com/"]').length,
        note: !!document.querySelector('.widget-note')};
"""


@pytest.mark.slow
def test_built_pages_show_typeset_equations_figures_and_launch_links(tmp_path):
    chromium, driver_path = find_browser()
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (dev extra)")
    for package in ["sphinx", "myst_nb", "furo", "jupyter_server_mathjax"]:
        pytest.importorskip(package, reason="needs the site extra: pip install -e '.[site]'")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    started = time.monotonic()
    executed = tmp_path / "executed"
    executed.mkdir()
    source, site = tmp_path / "src", tmp_path / "site"
    build_site.stage(write_site_notebooks(executed), URL, source)
    build_site.render(source, site)  # raises if a page loads anything from another host
    print(f"{time.monotonic() - started:.1f} s: site built")
    assert (site / "_static" / "mathjax" / "MathJax.js").exists()

    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        driver.get(f"{base}/01_maths.html")
        page = WebDriverWait(driver, 30).until(
            lambda d: (seen := d.execute_script(PAGE_JS))["typeset"] >= 2 and seen)
        assert page["untypeset"] == 0, page
        assert page["images"] == 1 and page["loaded"] == 1, page
        assert page["binder"] >= 1 and page["colab"] >= 1, page
        driver.get(f"{base}/02_widget.html")
        page = WebDriverWait(driver, 30).until(
            lambda d: (seen := d.execute_script(PAGE_JS))["loaded"] >= 1 and seen)
        assert page["note"] and page["images"] == 1, page
        assert page["binder"] >= 2 and page["colab"] >= 2, page  # title line and the note
        driver.get(f"{base}/index.html")
        assert "Lesson 02: a widget" in driver.page_source
        driver.save_screenshot(str(tmp_path / "index.png"))
    finally:
        driver.quit()
        server.shutdown()
    print(f"{time.monotonic() - started:.1f} s: both pages checked")
