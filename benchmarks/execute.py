"""Execute one notebook in a fresh kernel and print its wall time and the kernel's peak RSS.

Run by ``benchmarks.__main__`` in its own process, so that ``RUSAGE_CHILDREN`` afterwards
covers exactly this notebook's kernel:  python -m benchmarks.execute NOTEBOOK [EXECUTED_COPY]
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main(path: str, keep: str | None = None) -> None:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()
    wall = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux (bytes on macOS); the kernel is this process's child.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    if keep:
        nbformat.write(notebook, keep)
    print(json.dumps({"wall_s": round(wall, 2), "peak_rss_mb": round(peak / divisor, 1)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
