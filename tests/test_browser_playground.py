"""In a real browser, a learner draws a data set on the 2-D GAN playground and trains on it.

JupyterLab and headless Chromium come from the fixtures of tests/test_browser.py (a one-cell
notebook that shows ``playground_widget(dataset="ring")``). In a window 1,024 px wide the
test checks that every control has a nonzero width and lies inside the window, clicks three
points onto the first panel (through ipyevents), checks that the run restarted on them,
plays three rounds with the "round" button and checks that the picture and its divergence
panel changed; the screenshot goes to $GAN_COURSE_SCREENSHOT_DRAWN (default: the test's
temporary folder). Skipped, like test_browser.py, where Chromium, ChromeDriver, Selenium,
JupyterLab or ipyevents is missing.
"""

from __future__ import annotations

import base64
import io
import os
import time
from pathlib import Path

import pytest
from PIL import Image
from test_browser import (  # noqa: F401 (browser and lab are fixtures)
    PIXELS_JS,
    STARTUP_S,
    STEP_S,
    browser,
    lab,
    open_and_run_first_cell,
)

from gan_course.playground import Playground
from gan_course.playground_view import PlaygroundView

pytestmark = pytest.mark.slow

WINDOW = (1024, 1000)
POINTS = [(0.3, 0.3), (0.7, 0.3), (0.5, 0.75)]  # shares of the first panel's width, height
# Every control's box: the buttons, dropdowns, text boxes and the slider's track.
CONTROLS_JS = """
const out = [];
const area = arguments[0];
for (const el of area.querySelectorAll(
        '.widget-hbox > .widget-inline-hbox, .widget-hbox > button, .slider-container')) {
  const r = el.getBoundingClientRect();
  out.push({text: el.innerText.trim().split('\\n')[0], left: r.left, right: r.right,
            width: r.width, height: r.height,
            kind: el.classList.contains('slider-container') ? 'track' : 'control'});
}
return {controls: out, window: window.innerWidth};
"""


def panel_boxes() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The first panel and the divergence panel in the PNG's pixels (left, top, w, h),
    from the same figure drawn here."""
    view = PlaygroundView()
    view.draw(Playground(hidden=8).state())
    height = view.canvas.get_width_height()[1]
    js = view.ax_js.get_window_extent(view.canvas.get_renderer())
    return view.map_box, (js.x0, height - js.y1, js.width, js.height)


def crop(data_url: str, box: tuple[float, ...]) -> bytes:
    image = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))
    left, top, width, height = box
    return image.crop((int(left), int(top), int(left + width), int(top + height))).tobytes()


def test_draw_your_own_data_and_train_on_it_in_jupyterlab(browser, lab, tmp_path):  # noqa: F811
    pytest.importorskip("ipyevents", reason="drawing needs ipyevents")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    started = time.monotonic()

    def progress(what: str) -> None:  # shown by pytest when the test fails
        print(f"{time.monotonic() - started:6.1f} s  {what}")

    map_box, js_box = panel_boxes()
    browser.set_window_size(*WINDOW)
    open_and_run_first_cell(browser, lab, progress)
    wait = WebDriverWait(browser, STARTUP_S)
    output = ".jp-OutputArea-output"
    image = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"{output} img.widget-image"))
    wait.until(lambda d: d.execute_script(PIXELS_JS, image))
    status = browser.find_element(By.CSS_SELECTOR, f"{output} .widget-html")
    progress("widget shown")

    area = browser.find_element(By.CSS_SELECTOR, output)
    layout = browser.execute_script(CONTROLS_JS, area)
    texts = [c["text"] for c in layout["controls"]]
    for name in ("pause", "reset", "D step", "G step", "round", "clear drawing"):
        assert name in texts, (name, texts)
    tracks = [c for c in layout["controls"] if c["kind"] == "track"]
    assert len(tracks) == 1 and tracks[0]["width"] >= 100, tracks
    for control in layout["controls"]:
        assert control["width"] > 0, control
        assert control["right"] <= layout["window"], (control, layout["window"])
    progress(f"{len(layout['controls'])} controls inside {layout['window']} px")

    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", image)
    shown = image.rect
    scale = shown["width"] / browser.execute_script("return arguments[0].naturalWidth", image)
    left, top, width, height = map_box
    for u, v in POINTS:  # offsets from the element's centre, in CSS pixels
        x = (left + u * width) * scale - shown["width"] / 2
        y = (top + v * height) * scale - shown["height"] / 2
        ActionChains(browser).move_to_element_with_offset(image, round(x), round(y)).click(
        ).perform()
        time.sleep(0.3)
    WebDriverWait(browser, STEP_S).until(lambda d: "3 point(s) drawn" in status.text)
    assert "step 0" in status.text, status.text
    progress("three points drawn")
    before = WebDriverWait(browser, STEP_S).until(lambda d: d.execute_script(PIXELS_JS, image))

    round_button = browser.find_element(
        By.XPATH, "//*[contains(@class, 'jp-OutputArea-output')]"
                  "//button[normalize-space()='round']")
    for k in range(1, 4):
        round_button.click()
        WebDriverWait(browser, STEP_S).until(lambda d, k=k: f"step {k} " in status.text)
    progress("three rounds played")
    after = WebDriverWait(browser, STEP_S).until(
        lambda d: (pixels := d.execute_script(PIXELS_JS, image)) != before and pixels)
    assert crop(after, js_box) != crop(before, js_box), "the divergence chart did not change"
    assert crop(after, map_box) != crop(before, map_box), "the picture did not change"

    browser.execute_script("arguments[0].scrollIntoView({block: 'end'})", image)
    shot = Path(os.environ.get("GAN_COURSE_SCREENSHOT_DRAWN") or tmp_path / "drawn.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(shot)), f"no screenshot written to {shot}"
    print(f"screenshot: {shot}")
