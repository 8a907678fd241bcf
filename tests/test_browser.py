"""In a real browser, JupyterLab shows the 2-D GAN playground and its "round" button redraws it.

Starts JupyterLab on 127.0.0.1 (free port, token) in a temporary folder holding a one-cell
notebook that shows the widget, opens it in headless Chromium through Selenium and
ChromeDriver, runs the cell, clicks "round" (one D and one G step), and checks that the
picture's pixels changed and the status line moved to step 1. The screenshot goes to
$GAN_COURSE_SCREENSHOT (default: the test's temporary folder). Skipped, with the reason,
where Chromium, ChromeDriver or Selenium is missing (`.ci/run` installs Debian's chromium
and chromium-driver).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

try:
    from selenium.common.exceptions import TimeoutException
except ImportError:  # the browser fixture skips the test
    TimeoutException = Exception

pytestmark = pytest.mark.slow

CELL = """\
from gan_course.widgets.playground_widget import playground_widget
playground_widget(dataset="ring", loss="non-saturating")"""
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--no-first-run", "--window-size=1280,1000",
]
# The <img>'s pixels as a data URL (its src is a blob: URL that changes on every update).
PIXELS_JS = """
const img = arguments[0];
if (!img.complete || !img.naturalWidth) return null;
const canvas = document.createElement('canvas');
canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
canvas.getContext('2d').drawImage(img, 0, 0);
return canvas.toDataURL('image/png');
"""
STARTUP_S = 90
STEP_S = 60


def find_browser() -> tuple[str, str]:
    chromium = os.environ.get("GAN_COURSE_CHROMIUM") or next(
        filter(None, map(shutil.which, ["chromium", "chromium-browser", "google-chrome"])), None)
    driver = os.environ.get("GAN_COURSE_CHROMEDRIVER") or shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("needs Chromium and ChromeDriver (Debian: apt-get install chromium "
                    "chromium-driver), or GAN_COURSE_CHROMIUM and GAN_COURSE_CHROMEDRIVER")
    return chromium, driver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_notebook(root: Path, name: str, cells: list[str]) -> None:
    """NAME.ipynb in ``root``: a Python 3 notebook holding ``cells`` as code cells."""
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    notebook.cells = [nbformat.v4.new_code_cell(cell) for cell in cells]
    nbformat.write(notebook, root / f"{name}.ipynb")


@contextlib.contextmanager
def server_running(command: list[str], root: Path, env: dict[str, str], log_path: Path,
                   status: urllib.request.Request | str, what: str) -> Iterator[None]:
    """Run the Jupyter server ``command`` in ``root`` (its output in ``log_path``) until the
    ``status`` URL answers (``what`` names it in failures); stop it on leaving."""
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"{what} exited early:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(status, timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{what} did not answer:\n{log_path.read_text()}")
                time.sleep(0.5)
        yield
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def jupyterlab_serving(tmp_path: Path, cells: list[str], name: str = "playground") -> Iterator[str]:
    """JupyterLab serving a folder with NAME.ipynb holding ``cells``; yields its URL."""
    pytest.importorskip("jupyterlab", reason="needs JupyterLab")
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root, name, cells)
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
    ]
    # No news or update prompts (they would ask the network and cover the page).
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"checkForUpdates": False, "fetchNews": "false"}))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GAN_COURSE_DEVICE": "cpu",
           # keep the user's Jupyter settings, workspaces and config out of the test
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    base = f"http://127.0.0.1:{port}"
    status = urllib.request.Request(f"{base}/api/status",
                                    headers={"Authorization": f"token {token}"})
    with server_running(command, root, env, tmp_path / "jupyterlab.log", status, "JupyterLab"):
        yield f"{base}/lab/tree/{name}.ipynb?token={token}"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    """JupyterLab serving a folder with playground.ipynb; yields the notebook's URL."""
    with jupyterlab_serving(tmp_path, [CELL]) as url:
        yield url


def open_and_run_first_cell(browser, url: str, progress=print) -> None:
    """Open the notebook at ``url``, wait for its kernel, and run its first cell."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    wait = WebDriverWait(browser, STARTUP_S)
    # The status bar says "Python 3 (ipykernel) | Idle" once the kernel has started.
    wait.until(lambda d: "| Idle" in d.find_element(By.ID, "jp-main-statusbar").text)
    progress("notebook open, kernel idle")
    run = wait.until(lambda d: d.find_element(
        By.CSS_SELECTOR, "[data-command='notebook:run-cell-and-select-next']"))
    prompt = browser.find_element(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputPrompt")
    for attempt in range(3):  # a click that lands while the page is still settling is lost
        progress(f"click run (attempt {attempt + 1})")
        run.click()
        try:
            WebDriverWait(browser, 10).until(lambda d: "[ ]" not in prompt.text)
            break
        except TimeoutException:
            continue
    assert "[ ]" not in prompt.text, "the cell never started running"


@pytest.fixture
def browser(tmp_path: Path):
    chromium, driver_path = find_browser()
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (dev extra)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_playground_step_button_redraws_in_jupyterlab(browser, lab, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    started = time.monotonic()

    def progress(what: str) -> None:  # shown by pytest when the test fails
        print(f"{time.monotonic() - started:6.1f} s  {what}")

    open_and_run_first_cell(browser, lab, progress)
    wait = WebDriverWait(browser, STARTUP_S)

    output = ".jp-OutputArea-output"
    image = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"{output} img.widget-image"))
    before = wait.until(lambda d: d.execute_script(PIXELS_JS, image))
    progress("widget shown")
    src_before = image.get_attribute("src")
    status = browser.find_element(By.CSS_SELECTOR, f"{output} .widget-html")
    assert "step 0" in status.text, status.text

    step = browser.find_element(By.XPATH, "//button[normalize-space()='round']")
    step.click()
    progress("clicked round")
    WebDriverWait(browser, STEP_S).until(lambda d: "step 1" in status.text)
    after = WebDriverWait(browser, STEP_S).until(
        lambda d: (pixels := d.execute_script(PIXELS_JS, image)) != before and pixels)
    assert image.get_attribute("src") != src_before
    assert after != before
    progress("picture redrawn")

    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", image)
    shot = Path(os.environ.get("GAN_COURSE_SCREENSHOT") or tmp_path / "playground.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(shot)), f"no screenshot written to {shot}"
    print(f"screenshot: {shot}")
