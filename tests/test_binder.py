"""binder/requirements.txt installs the course into a fresh environment, and a lesson runs there.

Binder (repo2docker) runs `pip install -r binder/requirements.txt` in the repository root.
This test does the same in a new virtual environment, with two changes for an offline
machine: PyTorch is installed first, at the version this interpreter has (so `torch>=2.0` is
already met), and the PyTorch index line is left out (that index may be unreachable here).
"""

import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "binder" / "requirements.txt"
LESSON = ROOT / "lessons" / "01_minimax_game.ipynb"
FIRST_CODE_CELLS = 6  # setup, imports, the ring, the two players, an exercise and its check
INDEX_OPTIONS = ("--extra-index-url", "--index-url", "-i ", "--find-links", "-f ")


def requirement_lines() -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in REQUIREMENTS.read_text().splitlines())
    return [line for line in lines if line]


def test_binder_requirements_ask_for_cpu_torch_and_the_course():
    lines = requirement_lines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert any(line.startswith("torch") for line in lines)
    assert "." in lines, "the course itself: `.` is the repository root for repo2docker"
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert runtime.startswith("python-3.") and int(runtime.split(".")[1]) >= 10


def copy_of_repository(dest: Path) -> Path:
    """The working tree without environments, caches or build outputs (an in-tree build
    would leave build/ behind, whose stale files end up in later wheels)."""
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
        ".ipynb_checkpoints"))
    return dest


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_binder_requirements_install_and_lesson_runs(tmp_path):
    offline_copy = tmp_path / "requirements.txt"
    offline_copy.write_text("\n".join(
        line for line in requirement_lines() if not line.startswith(INDEX_OPTIONS)) + "\n")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = str(venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, f"torch=={version('torch')}"])
    repository = copy_of_repository(tmp_path / "repository")
    run([*pip, "-r", str(offline_copy)], cwd=repository)  # as repo2docker: from the root

    # Run the lesson's first code cells in a kernel of the new environment, from a folder
    # outside the repository so that only the installed course can be imported.
    lesson = nbformat.read(LESSON, as_version=4)
    code = [cell for cell in lesson.cells if cell.cell_type == "code"][:FIRST_CODE_CELLS]
    code.append(nbformat.v4.new_code_cell(
        "import sys, gan_course; print(sys.prefix, gan_course.__file__, sep='\\n')"))
    lesson.cells = code
    notebook = tmp_path / "first_cells.ipynb"
    nbformat.write(lesson, notebook)
    script = (
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "NotebookClient(nb, timeout=300, kernel_name='python3').execute()\n"
        "print(nb.cells[-1].outputs[0].text)\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GAN_COURSE_DEVICE": "cpu"}
    result = run([python, "-c", script, str(notebook)], cwd=tmp_path, env=env)
    prefix, module = result.stdout.strip().splitlines()[-2:]
    assert Path(prefix).resolve() == venv.resolve(), "the kernel ran outside the new venv"
    assert Path(module).resolve().is_relative_to(venv.resolve()), module
