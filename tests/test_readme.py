"""The README's Python example runs (with fewer steps, to stay fast)."""

import re
from pathlib import Path

import matplotlib.pyplot as plt

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_training_example_runs():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Train a GAN on your own images", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "steps=500" in code
    namespace: dict = {}
    exec(code.replace("steps=500", "steps=3"), namespace)  # noqa: S102
    run = namespace["run"]
    assert run.G.sample(2).shape == (2, 3, 16, 16) and len(run.history.g_loss) == 3
    plt.close("all")


def test_quickstart_is_two_commands():
    quickstart = README.read_text(encoding="utf-8").split("## Quickstart", 1)[1]
    block = re.search(r"```bash\n(.*?)```", quickstart, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make lab", "make test"]
