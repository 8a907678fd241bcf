"""Generate lessons/ from solutions/: the solution notebooks are the only source.

For every ``solutions/NN_topic.ipynb`` this writes ``lessons/NN_topic.ipynb`` where

* each code region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes a stub
  that raises ``NotImplementedError`` (same indentation, so it stays valid Python);
* cells tagged ``solution`` are dropped;
* outputs and execution counts are cleared.

Usage::

    python tools/make_lessons.py           # regenerate lessons/
    python tools/make_lessons.py --check   # exit 1 if lessons/ is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ["# YOUR CODE HERE", 'raise NotImplementedError("exercise not written yet")']
SOLUTION_TAG = "solution"


def stub_source(source: str, where: str = "cell") -> str:
    """Replace each BEGIN/END SOLUTION region of ``source`` with an indented stub."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"{where}, line {number}: nested {BEGIN}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in STUB)
        elif marker == END:
            if not inside:
                raise ValueError(f"{where}, line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {BEGIN} is never closed by {END}")
    return "\n".join(out)


def make_lesson(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """Return the lesson notebook for a solution notebook (the input is not changed)."""
    lesson = nbformat.from_dict(solution)
    cells = []
    for index, cell in enumerate(lesson.cells):
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            cell.source = stub_source(cell.source, where=f"{name} cell {index}")
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    lesson.cells = cells
    return lesson


def render(path: Path) -> str:
    """The exact text lessons/<name> should contain for solutions/<name>."""
    solution = nbformat.read(path, as_version=4)
    return nbformat.writes(make_lesson(solution, path.name)) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale lessons")
    args = parser.parse_args(argv)
    stale = []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        target = ROOT / "lessons" / path.name
        text = render(path)
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target.relative_to(ROOT))
        if not args.check:
            target.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "written"
    for target in stale:
        print(f"{verb}: {target}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
