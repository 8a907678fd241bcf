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
    dest = tmp_path / "new"
    assert cli.main(["lessons", str(dest)]) == 0
    assert sorted(path.name for path in dest.iterdir()) == [path.name for path in LESSONS]
    for lesson in LESSONS:
        assert (dest / lesson.name).read_bytes() == lesson.read_bytes()
    assert f"copied {len(LESSONS)} lesson(s)" in capsys.readouterr().out


def test_lessons_refuses_to_overwrite_and_names_the_commands(tmp_path, capsys):
    mine = tmp_path / LESSONS[0].name
    mine.write_text("my work")
    assert cli.main(["lessons", str(tmp_path)]) == 1
    [error] = capsys.readouterr().err.splitlines()
    assert error.startswith(f"gan-course: error: {tmp_path} already has {LESSONS[0].name}: "
                            "nothing copied")
    assert (f"To copy only the {len(LESSONS) - 1} missing lesson(s): gan-course lessons "
            f"{tmp_path} --missing" in error)
    assert f"gan-course lessons {tmp_path} --force replaces them" in error
    assert mine.read_text() == "my work"
    assert sorted(tmp_path.iterdir()) == [mine], "nothing is copied when one lesson is there"
    # the command it names does what it says
    assert cli.main(["lessons", str(tmp_path), "--missing"]) == 0
    assert mine.read_text() == "my work"
    for lesson in LESSONS[1:]:
        assert (tmp_path / lesson.name).read_bytes() == lesson.read_bytes()
    assert f"copied {len(LESSONS) - 1} lesson(s)" in capsys.readouterr().out


def test_a_folder_with_every_lesson_points_to_lab(tmp_path, capsys):
    assert cli.main(["lessons", str(tmp_path)]) == 0
    assert cli.main(["lessons", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert f"already has every lesson: nothing copied. Open them with: gan-course lab " \
           f"{tmp_path}" in error


def test_lessons_force_keeps_a_backup_of_what_it_replaces(tmp_path, capsys, monkeypatch):
    mine = tmp_path / LESSONS[0].name
    mine.write_text("my work")
    (tmp_path / LESSONS[1].name).write_bytes(LESSONS[1].read_bytes())  # unchanged: not replaced
    monkeypatch.setattr(cli.time, "strftime", lambda fmt: "20261130-120000")
    assert cli.main(["lessons", str(tmp_path), "--force"]) == 0
    assert mine.read_bytes() == LESSONS[0].read_bytes()
    backup = tmp_path / "backups" / "20261130-120000"
    assert sorted(path.name for path in backup.iterdir()) == [LESSONS[0].name]
    assert (backup / LESSONS[0].name).read_text() == "my work"
    out = capsys.readouterr().out
    assert f"copied {len(LESSONS) - 1} lesson(s)" in out
    assert f"your previous version of {LESSONS[0].name} is kept in {backup}" in out
    # a second --force in the same second keeps the first backup and makes another
    mine.write_text("more work")
    assert cli.main(["lessons", str(tmp_path), "--force"]) == 0
    assert (backup / LESSONS[0].name).read_text() == "my work"
    assert (tmp_path / "backups" / "20261130-120000-2" / LESSONS[0].name).read_text() == \
        "more work"


def test_lab_force_keeps_a_backup_too(tmp_path, monkeypatch, capsys):
    mine = tmp_path / LESSONS[0].name
    mine.write_text("my work")
    monkeypatch.setattr(cli.subprocess, "Popen", lambda command, cwd: type(
        "Server", (), {"wait": lambda self: 0})())
    assert cli.main(["lab", str(tmp_path), "--force"]) == 0
    [backup] = (tmp_path / "backups").iterdir()
    assert (backup / LESSONS[0].name).read_text() == "my work"
    out = capsys.readouterr().out
    assert "is kept in" in out and f"starting JupyterLab (stop it with Ctrl+C): {sys.executable}" \
        in out


def test_help_explains_force_and_missing(capsys):
    for command in ("lessons", "lab"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "--force replace the lessons already in DEST with fresh copies; each one " \
               "replaced is first copied into DEST/backups/<date>-<time>/" in text
    with pytest.raises(SystemExit):
        cli.main(["lessons", "--help"])
    assert "--missing copy only the lessons DEST lacks" in " ".join(capsys.readouterr().out.split())


def test_missing_and_force_exclude_each_other(tmp_path):
    with pytest.raises(SystemExit) as stop:
        cli.main(["lessons", str(tmp_path), "--missing", "--force"])
    assert stop.value.code == 2


def bad_destinations(tmp_path):
    (tmp_path / "file").write_text("")
    return {
        "a file": (tmp_path / "file", "exists and is not a folder"),
        "inside a file": (tmp_path / "file" / "sub", f"{tmp_path / 'file'} is a file, not a "
                                                     "folder"),
        "missing parent": (tmp_path / "typo" / "lessons", "does not exist, so"),
    }


@pytest.mark.parametrize("case", ["a file", "inside a file", "missing parent"])
@pytest.mark.parametrize("command", ["lessons", "lab"])
def test_bad_destination_is_one_line_and_status_2(tmp_path, capsys, case, command):
    dest, message = bad_destinations(tmp_path)[case]
    assert cli.main([command, str(dest)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("gan-course: error: ") and message in line
    assert not (tmp_path / "typo").exists()


def test_unwritable_destination(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli.os, "access", lambda path, mode: False)
    assert cli.main(["lessons", str(tmp_path / "new")]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == f"gan-course: error: no permission to write in {tmp_path}: choose a folder " \
                   "of yours, e.g. in your home folder"


def test_a_write_that_fails_midway_is_one_line(tmp_path, capsys, monkeypatch):
    def refuse(source, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli.shutil, "copyfile", refuse)
    assert cli.main(["lessons", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"gan-course: error: could not write the lessons into {tmp_path}: Permission denied"]


@pytest.mark.parametrize("command", ["lessons", "lab"])
@pytest.mark.parametrize("dest", ["", "  "])
def test_empty_destination_names_what_to_write(command, dest, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main([command, dest]) == 2
    assert capsys.readouterr().err.strip() == (
        "gan-course: error: DEST is empty: name a folder, e.g. gan-course lessons "
        "gan-course-lessons (or . for the current folder)")
    assert list(tmp_path.iterdir()) == []


def test_hint_quotes_a_folder_with_spaces(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lessons", "my lessons"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "open them with: gan-course lab 'my lessons'"


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
