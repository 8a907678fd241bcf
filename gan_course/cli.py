"""The ``gan-course`` command: get your own copy of the lessons and open them in JupyterLab.
Part of the course's tooling: it copies every lesson (01 to 07); no lesson imports it.

    gan-course lessons DEST [--force]    copy the lesson notebooks into the folder DEST
    gan-course lab [DEST] [--force]      copy them there if needed, then open JupyterLab there
    gan-course --version

``lab`` copies only the lessons that DEST lacks, so your work in a lesson is never replaced
unless you ask with ``--force``. Options it does not know go on to ``jupyter lab``
(``gan-course lab --port 9999``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from gan_course import __version__

PACKAGE = Path(__file__).resolve().parent
DEFAULT_LAB_DIR = "gan-course-lessons"


class CommandError(Exception):
    """A problem the user can fix; main() prints it without a traceback."""


def lessons_source() -> Path:
    """The folder holding the lesson notebooks.

    A wheel ships them inside the package as ``gan_course/_lessons``; an editable install or
    a clone of the repository has them in ``lessons/`` beside the package.
    """
    candidates = [PACKAGE / "_lessons"]
    if (PACKAGE.parent / "pyproject.toml").exists():
        candidates.append(PACKAGE.parent / "lessons")
    for folder in candidates:
        if any(folder.glob("*.ipynb")):
            return folder
    raise CommandError(
        "the lesson notebooks are not in this installation of gan-course (looked in "
        + ", ".join(str(folder) for folder in candidates) + "); reinstall it")


def lesson_notebooks() -> list[Path]:
    return sorted(lessons_source().glob("[0-9][0-9]_*.ipynb"))


def copy_lessons(dest: Path, force: bool = False, keep_existing: bool = False) -> list[Path]:
    """Copy every lesson into ``dest`` (created if needed); return the files written.

    A lesson already in ``dest`` is an error, unless ``force`` (overwrite it) or
    ``keep_existing`` (leave it as it is).
    """
    if dest.exists() and not dest.is_dir():
        raise CommandError(f"{dest} exists and is not a folder")
    notebooks = lesson_notebooks()
    existing = [nb.name for nb in notebooks if (dest / nb.name).exists()]
    if existing and not force and not keep_existing:
        raise CommandError(
            f"{dest} already has {', '.join(existing)}: nothing copied. Pass --force to "
            "overwrite (your changes to those notebooks are lost), or choose another folder")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for notebook in notebooks:
        target = dest / notebook.name
        if target.exists() and not force:
            continue
        shutil.copyfile(notebook, target)
        written.append(target)
    return written


def _report(written: list[Path], dest: Path) -> None:
    if written:
        names = ", ".join(path.name for path in written)
        print(f"copied {len(written)} lesson(s) into {dest}: {names}")
    else:
        print(f"{dest} already has every lesson; nothing copied")


def jupyter_lab_command(folder: Path, extra: list[str]) -> list[str]:
    """The command that opens JupyterLab on ``folder`` with this Python's JupyterLab."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        command.append("--allow-root")  # containers and cloud machines often run as root
    return command + extra


def run_lessons(args: argparse.Namespace) -> int:
    dest = Path(args.dest).expanduser().resolve()
    written = copy_lessons(dest, force=args.force)
    _report(written, dest)
    print(f"open them with: gan-course lab {args.dest}")
    return 0


def run_lab(args: argparse.Namespace, extra: list[str]) -> int:
    try:
        import jupyterlab  # noqa: F401
    except ImportError as error:
        raise CommandError("JupyterLab is not installed here: pip install jupyterlab") from error
    dest = Path(args.dest).expanduser().resolve()
    _report(copy_lessons(dest, force=args.force, keep_existing=True), dest)
    command = jupyter_lab_command(dest, extra)
    print("starting JupyterLab (stop it with Ctrl+C):", " ".join(command[1:]))
    server = subprocess.Popen(command, cwd=dest)
    while True:
        try:
            return server.wait()
        except KeyboardInterrupt:
            continue  # JupyterLab got the Ctrl+C too: it asks, or stops on a second one


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gan-course", description="The GAN course: copy the lessons, open JupyterLab.")
    parser.add_argument("--version", action="version", version=f"gan-course {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lessons = commands.add_parser("lessons", help="copy the lesson notebooks into DEST")
    lessons.add_argument("dest", metavar="DEST", help="folder to copy into (created if needed)")
    lessons.add_argument("--force", action="store_true", help="overwrite lessons already there")
    lab = commands.add_parser(
        "lab", help="copy the lessons into DEST if needed, then open JupyterLab there",
        description="Other options are passed on to `jupyter lab`.")
    lab.add_argument("dest", metavar="DEST", nargs="?", default=DEFAULT_LAB_DIR,
                     help=f"folder for your copy of the lessons (default: ./{DEFAULT_LAB_DIR})")
    lab.add_argument("--force", action="store_true",
                     help="overwrite the lessons already there with fresh copies")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "lessons":
            return run_lessons(args)
        return run_lab(args, extra)
    except CommandError as error:
        print(f"gan-course: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
