"""Strip outputs, execution counts and saved widget state from notebooks, in place.

Notebooks are committed without outputs (tests/test_lessons.py checks it); the pre-commit
hook in .pre-commit-config.yaml runs this on every staged notebook. A clean notebook is left
byte for byte as it is, and the file is written the way nbformat writes it.

Usage::

    python tools/strip_outputs.py NOTEBOOK...   # exit 1 if any file had to be changed
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def strip(notebook: dict) -> bool:
    """Remove outputs, counts and widget state from ``notebook``; True if anything changed."""
    changed = notebook.get("metadata", {}).pop("widgets", None) is not None
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            changed = True
        cell["outputs"] = []
        cell["execution_count"] = None
    return changed


def dumps(notebook: dict) -> str:
    """The notebook as text, formatted as nbformat (and tools/make_lessons.py) writes it."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def strip_file(path: Path) -> bool:
    """Strip one notebook file in place; True if it was rewritten."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    if not strip(notebook):
        return False
    path.write_text(dumps(notebook), encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    paths = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    changed = [path for path in paths if strip_file(path)]
    for path in changed:
        print(f"stripped outputs: {path}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
