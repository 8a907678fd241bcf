"""The `gan-course` command, and the wheel that carries the lessons for it."""

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gan_course import __version__, cli

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest brings tomli
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"gan-course {__version__}"


def test_lessons_come_from_the_source_tree_in_a_clone():
    assert cli.lessons_source() == ROOT / "lessons"
    assert [path.name for path in cli.lesson_notebooks()] == [path.name for path in LESSONS]


def test_lessons_copies_every_lesson(tmp_path, capsys):
    dest = tmp_path / "new" / "folder"
    assert cli.main(["lessons", str(dest)]) == 0
    assert sorted(path.name for path in dest.iterdir()) == [path.name for path in LESSONS]
    for lesson in LESSONS:
        assert (dest / lesson.name).read_bytes() == lesson.read_bytes()
    assert f"copied {len(LESSONS)} lesson(s)" in capsys.readouterr().out


def test_lessons_refuses_to_overwrite(tmp_path, capsys):
    mine = tmp_path / LESSONS[0].name
    mine.write_text("my work")
    assert cli.main(["lessons", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert LESSONS[0].name in error and "--force" in error
    assert mine.read_text() == "my work"
    assert sorted(tmp_path.iterdir()) == [mine], "nothing is copied when one lesson is there"


def test_lessons_force_overwrites(tmp_path):
    mine = tmp_path / LESSONS[0].name
    mine.write_text("my work")
    assert cli.main(["lessons", str(tmp_path), "--force"]) == 0
    assert mine.read_bytes() == LESSONS[0].read_bytes()


def test_lessons_into_a_file_is_an_error(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert cli.main(["lessons", str(tmp_path / "file")]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_unknown_option_is_an_error(tmp_path):
    with pytest.raises(SystemExit) as stop:
        cli.main(["lessons", str(tmp_path), "--port=1"])
    assert stop.value.code == 2


@pytest.mark.parametrize("uid,root_flag", [(0, True), (1000, False)])
def test_lab_keeps_my_work_and_starts_jupyterlab(tmp_path, monkeypatch, uid, root_flag):
    mine = tmp_path / LESSONS[0].name
    mine.write_text("my work")
    calls = []

    class FakeServer:
        def __init__(self, command, cwd):
            calls.append((command, cwd))

        def wait(self):
            return 0

    monkeypatch.setattr(cli.subprocess, "Popen", FakeServer)
    monkeypatch.setattr(cli.os, "geteuid", lambda: uid, raising=False)
    assert cli.main(["lab", str(tmp_path), "--port=9999"]) == 0
    assert mine.read_text() == "my work"
    assert all((tmp_path / lesson.name).exists() for lesson in LESSONS)
    [(command, cwd)] = calls
    assert command[:3] == [sys.executable, "-m", "jupyterlab"] and cwd == tmp_path
    assert f"--ServerApp.root_dir={tmp_path}" in command and "--port=9999" in command
    assert ("--allow-root" in command) == root_flag


def test_module_runs_as_a_command():
    result = subprocess.run([sys.executable, "-m", "gan_course.cli", "--version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"gan-course {__version__}"


def test_console_script_is_declared():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["project"]["scripts"]["gan-course"] == "gan_course.cli:main"


def test_wheel_ships_every_module_and_lesson(tmp_path):
    """Build the wheel from a copy of the tree (an in-tree build leaves build/ behind)."""
    pytest.importorskip("setuptools")
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
        ".ipynb_checkpoints", "solutions", "benchmarks", "tests"))
    build = ("import sys; from setuptools import build_meta as b; "
             "print(b.build_wheel(sys.argv[1]))")
    result = subprocess.run([sys.executable, "-c", build, str(tmp_path)], cwd=source,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    wheel = tmp_path / result.stdout.strip().splitlines()[-1]
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "gan_course").rglob("*.py")}
    assert modules <= names, f"modules left out of the wheel: {sorted(modules - names)}"
    lessons = {f"gan_course/_lessons/{path.name}" for path in LESSONS}
    assert lessons <= names, f"lessons left out of the wheel: {sorted(lessons - names)}"
    assert "gan_course/weights/MANIFEST.json" in names
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert re.search(r"^gan-course = gan_course\.cli:main$", text, re.M)
