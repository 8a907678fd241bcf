"""The ``gan-course`` command: get your own copy of the lessons and open them in JupyterLab.
Part of the course's tooling: it copies every lesson (01 to 07); no lesson imports it.

    gan-course lessons DEST [--missing | --force]   copy the lesson notebooks into the folder DEST
    gan-course lab [DEST] [--force]      copy them there if needed, then open JupyterLab there
    gan-course --version

Your work in a lesson is never lost. ``lessons`` refuses a folder that already holds a lesson
(``--missing`` copies only the lessons it lacks); ``lab`` copies only the lessons DEST lacks.
``--force`` replaces the lessons there with fresh copies, after copying each one it replaces
into ``DEST/backups/<date>-<time>/``. Options ``lab`` does not know go on to ``jupyter lab``
(``gan-course lab --port 9999``). A problem with DEST (a file, a missing parent folder, no
permission to write) is one line ``gan-course: error: ...`` and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from gan_course import __version__

PACKAGE = Path(__file__).resolve().parent
DEFAULT_LAB_DIR = "gan-course-lessons"
BACKUPS = "backups"


class CommandError(Exception):
    """A problem the user can fix; main() prints it without a traceback and exits with
    ``status`` (2 for a bad argument, as argparse does; 1 for a refusal)."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


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


def check_destination(dest: Path) -> None:
    """Refuse, as a ``CommandError`` with status 2, a DEST that cannot hold the lessons: a file,
    a folder whose parent does not exist (a typo, usually), a place we may not write."""
    if dest.exists() and not dest.is_dir():
        raise CommandError(f"{dest} exists and is not a folder: choose a folder for the lessons",
                           status=2)
    if not dest.exists() and dest.parent.exists() and not dest.parent.is_dir():
        raise CommandError(f"{dest.parent} is a file, not a folder, so {dest} cannot be made in "
                           "it: choose a folder for the lessons", status=2)
    if not dest.exists() and not dest.parent.is_dir():
        raise CommandError(f"{dest.parent} does not exist, so {dest} cannot be made in it: check "
                           f"the path, or make the parent first (mkdir -p "
                           f"{shlex.quote(str(dest.parent))})", status=2)
    where = dest if dest.exists() else dest.parent
    if not os.access(where, os.W_OK | os.X_OK):
        raise CommandError(f"no permission to write in {where}: choose a folder of yours, "
                           "e.g. in your home folder", status=2)


def backup_folder(dest: Path) -> Path:
    """A new, empty ``DEST/backups/<date>-<time>`` (with -2, -3... when that one exists)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 1000):
        folder = dest / BACKUPS / (stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
    raise CommandError(f"could not make a backup folder in {dest / BACKUPS}")


def copy_lessons(dest: Path, force: bool = False,
                 keep_existing: bool = False) -> tuple[list[Path], Path | None]:
    """Copy every lesson into ``dest`` (created if needed); return the files written and the
    backup folder (None when nothing was backed up).

    A lesson already in ``dest`` is an error, unless ``keep_existing`` (leave it as it is) or
    ``force`` (replace it with a fresh copy, after copying it into ``backup_folder(dest)``;
    a lesson identical to the fresh copy is left alone).
    """
    check_destination(dest)
    notebooks = lesson_notebooks()
    existing = [nb for nb in notebooks if (dest / nb.name).exists()]
    if existing and not force and not keep_existing:
        raise CommandError(_refusal(dest, existing, len(notebooks)))
    written: list[Path] = []
    backups: Path | None = None
    try:
        dest.mkdir(exist_ok=True)
        for notebook in notebooks:
            target = dest / notebook.name
            if target.exists():
                if not force or target.read_bytes() == notebook.read_bytes():
                    continue
                backups = backups or backup_folder(dest)
                shutil.copy2(target, backups / notebook.name)
            shutil.copyfile(notebook, target)
            written.append(target)
    except OSError as error:
        raise CommandError(f"could not write the lessons into {dest}: {error.strerror or error}",
                           status=2) from error
    return written, backups


def _refusal(dest: Path, existing: list[Path], total: int) -> str:
    """Why nothing was copied, and the commands that copy what the learner wants."""
    shown = shlex.quote(str(dest))
    names = ", ".join(nb.name for nb in existing)
    force = (f"gan-course lessons {shown} --force replaces them with fresh copies (yours are "
             f"first copied into {dest / BACKUPS}/)")
    if len(existing) == total:
        return (f"{dest} already has every lesson: nothing copied. Open them with: gan-course "
                f"lab {shown}; or {force}")
    return (f"{dest} already has {names}: nothing copied. To copy only the {total - len(existing)}"
            f" missing lesson(s): gan-course lessons {shown} --missing; or {force}")


def _report(written: list[Path], dest: Path, backups: Path | None = None) -> None:
    if written:
        names = ", ".join(path.name for path in written)
        print(f"copied {len(written)} lesson(s) into {dest}: {names}")
    else:
        print(f"{dest} already has every lesson; nothing copied")
    if backups is not None:
        kept = ", ".join(sorted(path.name for path in backups.iterdir()))
        print(f"your previous version of {kept} is kept in {backups}")


def _destination(text: str) -> Path:
    """DEST as given on the command line, as an absolute path; an empty one is refused."""
    if not text.strip():
        raise CommandError("DEST is empty: name a folder, e.g. gan-course lessons "
                           f"{DEFAULT_LAB_DIR} (or . for the current folder)", status=2)
    return Path(text).expanduser().resolve()


def jupyter_lab_command(folder: Path, extra: list[str]) -> list[str]:
    """The command that opens JupyterLab on ``folder`` with this Python's JupyterLab."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        command.append("--allow-root")  # containers and cloud machines often run as root
    return command + extra


def run_lessons(args: argparse.Namespace) -> int:
    dest = _destination(args.dest)
    written, backups = copy_lessons(dest, force=args.force, keep_existing=args.missing)
    _report(written, dest, backups)
    print(f"open them with: gan-course lab {shlex.quote(args.dest)}")
    return 0


def run_lab(args: argparse.Namespace, extra: list[str]) -> int:
    try:
        import jupyterlab  # noqa: F401
    except ImportError as error:
        raise CommandError("JupyterLab is not installed here: pip install jupyterlab "
                           "(or install the course with its lab extra: gan-course[lab])") from error
    dest = _destination(args.dest)
    written, backups = copy_lessons(dest, force=args.force, keep_existing=True)
    _report(written, dest, backups)
    command = jupyter_lab_command(dest, extra)
    print("starting JupyterLab (stop it with Ctrl+C):", shlex.join(command))
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
    force_help = (f"replace the lessons already in DEST with fresh copies; each one replaced is "
                  f"first copied into DEST/{BACKUPS}/<date>-<time>/, so your work is kept")
    lessons = commands.add_parser(
        "lessons", help="copy the lesson notebooks into DEST",
        description="Copy the lesson notebooks into DEST. A folder that already holds a lesson "
                    "is refused unless you pass --missing or --force.")
    lessons.add_argument("dest", metavar="DEST",
                         help="folder to copy into (made if needed; its parent must exist)")
    choice = lessons.add_mutually_exclusive_group()
    choice.add_argument("--missing", action="store_true",
                        help="copy only the lessons DEST lacks; leave the ones there as they are")
    choice.add_argument("--force", action="store_true", help=force_help)
    lab = commands.add_parser(
        "lab", help="copy the lessons into DEST if needed, then open JupyterLab there",
        description="Other options are passed on to `jupyter lab`.")
    lab.add_argument("dest", metavar="DEST", nargs="?", default=DEFAULT_LAB_DIR,
                     help=f"folder for your copy of the lessons (default: ./{DEFAULT_LAB_DIR})")
    lab.add_argument("--force", action="store_true", help=force_help)
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
        return error.status


if __name__ == "__main__":
    sys.exit(main())
