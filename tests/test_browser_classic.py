"""In a real browser, the classic Notebook (6.5) with ipywidgets 7.7, what Colab runs, shows the
2-D GAN playground, and it responds to its buttons and to clicks on its picture.

The test needs a second environment, separate from .venv (whose ipywidgets 8 would hide what
it checks): `make classic-venv` builds one in .venv-classic (notebook < 7, ipywidgets 7.7,
ipyevents with its nbextension enabled); GAN_COURSE_CLASSIC_VENV names another. From it the
test starts `jupyter notebook` on 127.0.0.1 (free port, token, the user's Jupyter config kept
out) in a temporary folder with a one-cell notebook that shows ``playground_widget``, opens
the notebook in headless Chromium (the ``browser`` fixture of tests/test_browser.py), runs
the cell and checks that

1. the picture and every control are there with a nonzero size, inside a 1,024-px window;
2. a click on "D step" moves the run to step 1 and changes the picture's pixels;
3. where ipyevents' nbextension is enabled, clicks on the first panel add drawn points.

The kernel imports gan_course from this checkout (PYTHONPATH), whatever the environment
holds. The screenshot goes to $GAN_COURSE_SCREENSHOT_CLASSIC (default: the test's temporary
folder). Skipped, with the reason, where the environment, Chromium, ChromeDriver or Selenium
is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import (  # noqa: F401
    PIXELS_JS,
    STARTUP_S,
    STEP_S,
    browser,
    free_port,
    server_running,
    write_notebook,
)

from gan_course.playground import Playground
from gan_course.playground_view import PlaygroundView

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CELL = """\
from gan_course.widgets.playground_widget import playground_widget
playground_widget(dataset="ring", loss="non-saturating")"""
WINDOW = (1024, 1000)
POINTS = [(0.3, 0.3), (0.7, 0.6)]  # shares of the first panel's width and height
BUTTONS = ("play", "pause", "D step", "G step", "round", "reset", "clear drawing")
# The classic Notebook's page object says when the kernel is connected and idle.
KERNEL_IDLE_JS = """
const nb = window.Jupyter && Jupyter.notebook;
return Boolean(nb && nb.kernel && nb.kernel.is_connected() && nb.kernel_busy === false);
"""
# Every box the test checks, in CSS pixels, from the first output area.
BOXES_JS = """
const area = arguments[0];
const box = el => { const r = el.getBoundingClientRect();
                    return {left: r.left, right: r.right, width: r.width, height: r.height}; };
const out = {window: window.innerWidth, buttons: {}, tracks: []};
for (const b of area.querySelectorAll('button')) out.buttons[b.innerText.trim()] = box(b);
for (const t of area.querySelectorAll('.slider-container')) out.tracks.push(box(t));
const img = area.querySelector('img.widget-image');
out.image = img ? {...box(img), natural: img.naturalWidth} : null;
return out;
"""


def classic_environment() -> Path:
    """The environment's folder; skips unless it has `jupyter notebook` from notebook 6
    and ipywidgets 7 (fails if it has other versions: then it is not the one to test)."""
    venv = Path(os.environ.get("GAN_COURSE_CLASSIC_VENV") or ROOT / ".venv-classic")
    if not (venv / "bin" / "jupyter-notebook").exists():
        pytest.skip(f"no classic-Notebook environment at {venv}: build it with "
                    "`make classic-venv` (or point GAN_COURSE_CLASSIC_VENV at one)")
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import json, ipywidgets, notebook; print(json.dumps([ipywidgets.__version__, "
         "notebook.__version__]))"], capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, f"{venv} cannot import ipywidgets and notebook:\n{found.stderr}"
    widgets_version, notebook_version = json.loads(found.stdout)
    assert widgets_version.startswith("7.") and notebook_version.startswith("6."), (
        f"{venv} has ipywidgets {widgets_version} and notebook {notebook_version}; "
        "this test is for ipywidgets 7 in the classic Notebook 6 (make classic-venv)")
    return venv


def classic_env(venv: Path, tmp_path: Path) -> dict[str, str]:
    """The server's environment: ``venv`` first on PATH, this checkout importable, and the
    environment's own Jupyter config (its nbextensions) in force, the user's kept out."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GAN_COURSE_DEVICE": "cpu",
           "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(ROOT),  # the kernel imports this checkout's gan_course
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    env.pop("VIRTUAL_ENV", None)
    return env


def nbextension_enabled(venv: Path, env: dict[str, str], name: str) -> bool:
    """Whether the Notebook started with ``env`` loads the nbextension ``name``: its
    ``notebook`` config section as the server merges it (notebook.json and notebook.d/)."""
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import json; from notebook.services.config import ConfigManager; "
         "print(json.dumps(ConfigManager().get('notebook').get('load_extensions', {})))"],
        env=env, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, f"cannot read {venv}'s nbconfig:\n{found.stderr}"
    return bool(json.loads(found.stdout).get(name))


@contextlib.contextmanager
def classic_notebook_serving(venv: Path, env: dict[str, str], tmp_path: Path,
                             cells: list[str], name: str = "playground") -> Iterator[str]:
    """`jupyter notebook` from ``venv``, started with ``env``, serving NAME.ipynb holding
    ``cells``; yields its URL."""
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root, name, cells)
    port, token = free_port(), secrets.token_hex(16)
    command = [
        str(venv / "bin" / "jupyter-notebook"), "--no-browser", "--allow-root",
        "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
        f"--NotebookApp.token={token}", f"--notebook-dir={root}",
    ]
    base = f"http://127.0.0.1:{port}"
    with server_running(command, root, env, tmp_path / "notebook.log",
                        f"{base}/api/status?token={token}", "the classic Notebook"):
        yield f"{base}/notebooks/{name}.ipynb?token={token}"


def run_first_cell_classic(driver, url: str, progress=print) -> None:
    """Open the notebook at ``url`` in the classic Notebook, wait for an idle kernel, select
    the first cell and press the toolbar's run button (again if the click was lost)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, STARTUP_S).until(lambda d: d.execute_script(KERNEL_IDLE_JS))
    progress("notebook open, kernel idle")
    driver.execute_script("Jupyter.notebook.select(0)")
    run = driver.find_element(
        By.CSS_SELECTOR, "button[data-jupyter-action='jupyter-notebook:run-cell-and-select-next']")
    prompt = driver.find_element(By.CSS_SELECTOR, ".code_cell .input_prompt")
    for attempt in range(3):  # a click that lands while the page is still settling is lost
        progress(f"click run (attempt {attempt + 1})")
        run.click()
        try:
            WebDriverWait(driver, 10).until(lambda d: "[ ]" not in prompt.text)
            break
        except TimeoutException:
            driver.execute_script("Jupyter.notebook.select(0)")
    assert "[ ]" not in prompt.text, "the cell never started running"


@pytest.fixture
def classic(tmp_path: Path) -> Iterator[tuple[str, bool]]:
    """The classic Notebook serving playground.ipynb: (the notebook's URL, whether it loads
    ipyevents' nbextension, which drawing needs)."""
    venv = classic_environment()
    env = classic_env(venv, tmp_path)
    drawing = nbextension_enabled(venv, env, "ipyevents/extension")
    with classic_notebook_serving(venv, env, tmp_path, [CELL]) as url:
        yield url, drawing


def test_playground_renders_and_responds_in_the_classic_notebook(browser, classic,  # noqa: F811
                                                                 tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, drawing = classic
    started = time.monotonic()

    def progress(what: str) -> None:  # shown by pytest when the test fails
        print(f"{time.monotonic() - started:6.1f} s  {what}")

    browser.set_window_size(*WINDOW)
    run_first_cell_classic(browser, url, progress)
    wait = WebDriverWait(browser, STARTUP_S)
    output = ".output_area"
    image = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"{output} img.widget-image"))
    before = wait.until(lambda d: d.execute_script(PIXELS_JS, image))
    status = browser.find_element(By.CSS_SELECTOR, f"{output} .widget-html")
    WebDriverWait(browser, STEP_S).until(lambda d: "step 0" in status.text)
    progress("widget shown")

    # 1. rendered: the picture and every control, with a size, inside the window
    boxes = browser.execute_script(BOXES_JS, browser.find_element(By.CSS_SELECTOR, output))
    assert boxes["image"] and boxes["image"]["natural"] > 0, boxes["image"]
    assert boxes["image"]["width"] > 0 and boxes["image"]["height"] > 0, boxes["image"]
    for label in BUTTONS:
        assert label in boxes["buttons"], (label, sorted(boxes["buttons"]))
    assert len(boxes["tracks"]) == 1, boxes["tracks"]
    for box in [*boxes["buttons"].values(), *boxes["tracks"], boxes["image"]]:
        assert box["width"] > 0 and box["height"] > 0, box
        assert box["right"] <= boxes["window"], (box, boxes["window"])
    progress(f"picture and {len(boxes['buttons'])} buttons inside {boxes['window']} px")

    # 2. responds: one D step moves the run and redraws the picture
    button = browser.find_element(
        By.XPATH, "//div[contains(@class, 'output_area')]//button[normalize-space()='D step']")
    button.click()
    WebDriverWait(browser, STEP_S).until(lambda d: "step 1 " in status.text)
    after = WebDriverWait(browser, STEP_S).until(
        lambda d: (pixels := d.execute_script(PIXELS_JS, image)) != before and pixels)
    assert after != before
    progress("D step redrew the picture")

    # 3. draws: clicks on the first panel, through ipyevents' nbextension
    if drawing:
        view = PlaygroundView()
        view.draw(Playground(hidden=8).state())
        left, top, width, height = view.map_box
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", image)
        shown = image.rect
        scale = shown["width"] / boxes["image"]["natural"]
        for u, v in POINTS:  # offsets from the element's centre, in CSS pixels
            x = (left + u * width) * scale - shown["width"] / 2
            y = (top + v * height) * scale - shown["height"] / 2
            ActionChains(browser).move_to_element_with_offset(image, round(x), round(y)
                                                              ).click().perform()
            time.sleep(0.3)
        WebDriverWait(browser, STEP_S).until(
            lambda d: f"{len(POINTS)} point(s) drawn" in status.text)
        assert "step 0" in status.text, status.text  # the run restarted on the drawing
        progress(f"{len(POINTS)} points drawn")
    else:
        progress("ipyevents' nbextension is not enabled here: drawing not checked")

    browser.execute_script("arguments[0].scrollIntoView({block: 'end'})", image)
    shot = Path(os.environ.get("GAN_COURSE_SCREENSHOT_CLASSIC") or tmp_path / "classic.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(shot)), f"no screenshot written to {shot}"
    print(f"screenshot: {shot}")
