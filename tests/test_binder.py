"""binder/requirements.txt installs the course into a fresh environment, and a lesson runs there.

Binder (repo2docker) runs `pip install -r binder/requirements.txt` in the repository root.
This test does the same in a new virtual environment, with two changes for an offline
machine: the PyTorch index line is left out (that index may be unreachable here), and the new
environment borrows this interpreter's PyTorch instead of installing its own. PyTorch and the
packages it needs are linked into a folder beside the venv that a `.pth` file puts on the new
environment's path, so `torch>=2.0` is already met: no second PyTorch per run (0.75 GB for
the CPU build, about 6 GB for a CUDA one), and pip never changes or removes those files (they
lie outside its environment).
Everything else binder/requirements.txt asks for is installed for real. What stays in pytest's
temporary folder (it keeps the last three runs) is that venv without PyTorch.
"""

import os
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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
    assert ".[lab]" in lines, ("the course itself with JupyterLab: `.` is the repository root "
                               "for repo2docker")
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert runtime.startswith("python-3.") and int(runtime.split(".")[1]) >= 10


def copy_of_repository(dest: Path) -> Path:
    """The working tree without environments, caches or build outputs (an in-tree build
    would leave build/ behind, whose stale files end up in later wheels)."""
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
        ".ipynb_checkpoints"))
    return dest


def dependency_closure(name: str) -> list:
    """The installed distribution ``name`` and every one it requires (markers evaluated for
    this interpreter, extras left out), each once."""
    found: dict = {}
    todo = [name]
    while todo:
        key = canonicalize_name(todo.pop())
        if key in found:
            continue
        try:
            found[key] = distribution(key)
        except PackageNotFoundError:
            continue  # a requirement this interpreter does not need (pip may add it)
        for line in found[key].requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return list(found.values())


def link_distributions(name: str, folder: Path) -> list[str]:
    """Symlink ``name`` and its dependencies (their packages, modules and .dist-info) into
    ``folder``; return the top-level names linked."""
    folder.mkdir(parents=True)
    for dist in dependency_closure(name):
        for top in sorted({file.parts[0] for file in dist.files or [] if file.parts[0] != ".."}):
            link = folder / top
            source = Path(dist.locate_file(top))
            if source.exists() and not link.exists():
                link.symlink_to(source, target_is_directory=source.is_dir())
    return sorted(path.name for path in folder.iterdir())


def test_link_distributions_takes_torch_and_what_it_needs(tmp_path):
    linked = link_distributions("torch", tmp_path / "shared")
    torch_info = next(  # e.g. torch-2.13.0+cpu.dist-info
        f.parts[0] for f in distribution("torch").files if f.parts[0].endswith(".dist-info"))
    assert {"torch", torch_info, "sympy", "networkx", "filelock"} <= set(linked)
    assert not {"gan_course", "jupyterlab", "nbclient", "ipykernel"} & set(linked)
    assert (tmp_path / "shared" / "torch").resolve() == Path(
        distribution("torch").locate_file("torch")).resolve()


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
    shared = tmp_path / "shared-torch"
    link_distributions("torch", shared)
    site_packages = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    (Path(site_packages.stdout.strip()) / "borrowed_torch.pth").write_text(f"{shared}\n")
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
    listed = run([python, "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"])
    assert "jupyterlab==" in listed.stdout and "torch==" in listed.stdout
    torch_at = run([python, "-c", "import torch; print(torch.__file__)"], cwd=tmp_path)
    assert Path(torch_at.stdout.strip()).is_relative_to(shared), "pip installed a second torch"
