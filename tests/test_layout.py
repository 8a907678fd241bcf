"""The shape of ``gan_course/``, checked from its source text with ``ast`` (nothing is imported).

Three rules a learner reading the library relies on:

(a) No import circle among the modules of ``gan_course``. Every import counts, wherever it
    sits: ``import gan_course.x``, ``from gan_course import x``, ``from gan_course.x import y``,
    relative imports (``from . import x``, ``from .x import y``), imports inside functions and
    imports under ``if TYPE_CHECKING:`` (a type-only import back is still a circle for a
    reader). ``from package import name`` points at the submodule ``package.name`` when that
    file exists, else at the package's ``__init__``.

(b) Every module's docstring names the lesson(s) it serves, in its first paragraph (up to the
    first blank line): it must match ``lessons? NN`` (case-insensitive, e.g. "lesson 05",
    "lessons 01-07", "Lessons 03 and 07"). The only exception is the explicit list
    ``TOOLING`` below: modules that serve the course's tooling or every lesson alike. Such a
    module may instead say so in its first paragraph, with "every lesson" or "the course's
    tooling". A module outside the list that only says "every lesson" fails: name them.
    Widgets and ``__init__`` files are modules like any other.

(c) No function or method has more than 8 parameters. Positional-only, ordinary and
    keyword-only parameters, ``*args`` and ``**kwargs`` all count; a leading ``self`` or
    ``cls`` does not. A settings dataclass is the way to pass more (its generated
    ``__init__`` is not in the source, so it is not counted).

Each rule is a small function of ``{path: source}`` so that the tests at the bottom can feed
it synthetic modules and watch it fail.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "gan_course"
PACKAGE = "gan_course"
MAX_PARAMETERS = 8

# Modules that serve the course's tooling (or every lesson alike) rather than one lesson.
TOOLING = {
    "gan_course/__init__.py",
    "gan_course/cli.py",
    "gan_course/checks.py",
    "gan_course/device.py",
    "gan_course/exercises.py",
    "gan_course/report.py",
}
NAMES_A_LESSON = re.compile(r"\blessons?\s+\d\d", re.IGNORECASE)
SAYS_TOOLING = re.compile(r"every lesson|the course's tooling", re.IGNORECASE)


@functools.cache
def package_sources() -> dict[str, str]:
    """{"gan_course/x.py": source} for every Python file of the package, widgets included
    (read once per test session; the tests only read it)."""
    root = PACKAGE_DIR.parent
    return {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def module_name(path: str) -> str:
    """"gan_course/widgets/x.py" -> "gan_course.widgets.x"; an __init__.py names its package."""
    parts = path[:-len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """{module: the package modules it imports}, from every import statement in each source."""
    modules = {module_name(path): path for path in sources}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.endswith("__init__.py")
        package = name if is_package else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(sources[path], filename=path)):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                for alias in node.names:
                    submodule = f"{origin}.{alias.name}"
                    targets.append(submodule if submodule in modules else origin)
            for target in targets:
                # "import gan_course.x.y" may name a function's module path: keep the longest
                # prefix that is one of our modules.
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import circles found by a depth-first search, each as [a, b, ..., a]; one per set of
    modules (the same circle met from another start is not repeated)."""
    cycles: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        for target in sorted(graph.get(node, ())):
            if target in path:
                cycle = path[path.index(target):] + [target]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    cycles.append(cycle)
            elif target not in done:
                visit(target, path + [target])
        done.add(node)

    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    return cycles


def modules_without_lesson(sources: dict[str, str],
                           tooling: set[str] = frozenset(TOOLING)) -> list[str]:
    """The paths whose docstring's first paragraph breaks rule (b), each with the reason."""
    problems = []
    for path, source in sources.items():
        docstring = ast.get_docstring(ast.parse(source, filename=path))
        if not docstring:
            problems.append(f"{path}: no module docstring")
            continue
        first = docstring.strip().split("\n\n")[0]
        if NAMES_A_LESSON.search(first):
            continue
        if path in tooling and SAYS_TOOLING.search(first):
            continue
        wanted = ("'lesson NN' or 'every lesson' / \"the course's tooling\"" if path in tooling
                  else "'lesson NN' (or 'lessons NN-MM')")
        problems.append(f"{path}: first paragraph names no lesson, wants {wanted}: "
                        f"{first.splitlines()[0]!r}")
    return problems


def count_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """All parameters of ``function``, *args and **kwargs included, a leading self/cls not."""
    args = function.args
    positional = args.posonlyargs + args.args
    count = len(positional) + len(args.kwonlyargs)
    count += (args.vararg is not None) + (args.kwarg is not None)
    if positional and positional[0].arg in ("self", "cls"):
        count -= 1
    return count


def long_signatures(sources: dict[str, str], limit: int = MAX_PARAMETERS) -> list[str]:
    """"path:line name (n parameters)" for every function or method with more than ``limit``."""
    found = []
    for path, source in sorted(sources.items()):
        for node in ast.walk(ast.parse(source, filename=path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = count_parameters(node)
                if n > limit:
                    found.append((path, node.lineno, f"{node.name} ({n} parameters)"))
    return [f"{path}:{line} {what}" for path, line, what in sorted(found)]


# --- the package itself -------------------------------------------------------------------

def test_the_package_is_found():
    sources = package_sources()
    assert "gan_course/__init__.py" in sources and "gan_course/training.py" in sources
    assert any(path.startswith("gan_course/widgets/") for path in sources)
    assert TOOLING <= set(sources), sorted(TOOLING - set(sources))


def test_no_import_circle_in_the_package():
    cycles = find_cycles(import_graph(package_sources()))
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_every_module_names_its_lessons():
    problems = modules_without_lesson(package_sources())
    assert not problems, "\n".join(problems)


def test_no_function_has_more_than_eight_parameters():
    found = long_signatures(package_sources())
    assert not found, ("more than 8 parameters (use a settings dataclass):\n"
                       + "\n".join(found))


# --- the checkers fail when they should ----------------------------------------------------

def test_import_graph_follows_every_kind_of_import():
    sources = {
        "gan_course/__init__.py": '"""Package."""\n__version__ = "0"\n',
        "gan_course/a.py": "import gan_course.b\n",
        "gan_course/b.py": "from gan_course import c\n",
        "gan_course/c.py": "from .d import thing\n",
        "gan_course/d.py": ("from typing import TYPE_CHECKING\n"
                            "if TYPE_CHECKING:\n    from gan_course.e import Thing\n"),
        "gan_course/e.py": "def f():\n    from . import __version__\n",
        "gan_course/widgets/__init__.py": "from .w import widget\n",
        "gan_course/widgets/w.py": "from .. import a\nfrom ..b import x\nimport torch\n",
        "gan_course/f.py": "import gan_course.a.something as s\nfrom gan_course.widgets import w\n",
    }
    assert import_graph(sources) == {
        "gan_course": set(),
        "gan_course.a": {"gan_course.b"},
        "gan_course.b": {"gan_course.c"},
        "gan_course.c": {"gan_course.d"},
        "gan_course.d": {"gan_course.e"},
        "gan_course.e": {"gan_course"},
        "gan_course.widgets": {"gan_course.widgets.w"},
        "gan_course.widgets.w": {"gan_course.a", "gan_course.b"},
        "gan_course.f": {"gan_course.a", "gan_course.widgets.w"},
    }


def test_a_type_only_import_back_is_a_circle_and_the_message_shows_it():
    sources = {
        "gan_course/engine.py": "from gan_course.view import View\n",
        "gan_course/view.py": ("from __future__ import annotations\n"
                               "from typing import TYPE_CHECKING\n"
                               "if TYPE_CHECKING:\n    from gan_course.engine import Engine\n"),
        "gan_course/other.py": "from gan_course import engine\n",
    }
    cycles = find_cycles(import_graph(sources))
    assert cycles == [["gan_course.engine", "gan_course.view", "gan_course.engine"]]


def test_a_longer_circle_through_a_relative_import_is_found_once():
    sources = {
        "gan_course/a.py": "from . import b\n",
        "gan_course/b.py": "from .c import f\n",
        "gan_course/c.py": "import gan_course.a\n",
    }
    assert find_cycles(import_graph(sources)) == [
        ["gan_course.a", "gan_course.b", "gan_course.c", "gan_course.a"]]
    sources["gan_course/c.py"] = "import torch\n"
    assert find_cycles(import_graph(sources)) == []


def test_a_module_that_names_no_lesson_is_reported():
    sources = {
        "gan_course/good.py": '"""Losses (lesson 01; lessons 02-07 reuse them).\n\nMore."""\n',
        "gan_course/range.py": '"""Helpers for Lessons 03 and 07."""\n',
        "gan_course/later.py": '"""Helpers.\n\nUsed in lesson 05."""\n',
        "gan_course/none.py": "x = 1\n",
        "gan_course/vague.py": '"""Shared by every lesson."""\n',
        "gan_course/tool.py": '"""Part of the course\'s tooling: used by every lesson."""\n',
        "gan_course/tool_silent.py": '"""A helper."""\n',
    }
    tooling = {"gan_course/tool.py", "gan_course/tool_silent.py"}
    problems = modules_without_lesson(sources, tooling)
    failing = sorted(problem.split(":")[0] for problem in problems)
    assert failing == ["gan_course/later.py", "gan_course/none.py", "gan_course/tool_silent.py",
                       "gan_course/vague.py"]
    assert any("no module docstring" in problem for problem in problems)


def test_a_nine_parameter_function_is_named_with_file_and_line():
    source = (
        "def eight(a, b, c, d, e, f, g, h):\n    pass\n"
        "def nine(a, b, /, c, *args, d, e, f, g, **kwargs):\n    pass\n"
        "class Model:\n"
        "    def method(self, a, b, c, d, e, f, g, h):\n        pass\n"
        "    @classmethod\n"
        "    def build(cls, a, b, c, d, e, f, g, h, i):\n        pass\n"
        "    async def later(self, *, a, b, c, d, e, f, g, h, i=0):\n        pass\n"
    )
    assert long_signatures({"gan_course/m.py": source}) == [
        "gan_course/m.py:3 nine (9 parameters)",
        "gan_course/m.py:9 build (9 parameters)",
        "gan_course/m.py:11 later (9 parameters)",
    ]
