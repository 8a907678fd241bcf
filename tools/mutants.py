"""Mutation test of the exercise checks: can every check fail on the bugs learners write?

For every ``### BEGIN SOLUTION`` region of a solution notebook this makes mutants, each one a
classic bug applied to the solution's own source (patterns over its syntax tree, not a list of
known bugs), runs the exercise cell with the mutant, then the check cells that follow it, in
strict mode. A mutant is *killed* when a check reports ``[wrong]`` (``ExerciseNotDone``).
Anything else survives: a silent pass, a raw crash the check did not catch, or a time-out.

The notebook runs once, top to bottom up to its last check cell, in this process (an IPython
shell); the mutants of an exercise run right after its check cells, and the original cell is
run again after each one.

Mutants that are truly equivalent (the same function written another way) are listed with a
one-line reason in ``tests/equivalent_mutants/NN.txt`` as ``function | mutant | reason``.
One kind is recognised while it runs: an ``add .detach()`` mutant that never detached a
tensor needing a gradient (a target, a metric's input) changed nothing, and counts as
equivalent. One that did, and still passed, shows a check blind to gradients.

Usage::

    python tools/mutants.py 01 05            # run lessons 01 and 05, print a summary
    python tools/mutants.py --json out.json  # every lesson; every mutant's outcome as JSON
    python tools/mutants.py 04 --survivors   # list the mutants that survived
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import io
import json
import os
import signal
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
EQUIVALENTS = ROOT / "tests" / "equivalent_mutants"
CHECK_CALLS = ("check_cases(", "check_against_reference(")
TIMEOUT_S = 30

# --------------------------------------------------------------------------- the catalogue
# Each operator looks at one syntax-tree node and returns (label, replacement) pairs.

REDUCERS = {"mean", "sum", "std", "var", "norm", "max", "min", "amax", "amin", "argmax",
            "argmin", "softmax", "log_softmax", "logsumexp", "prod", "kthvalue", "median",
            "cumsum", "all", "any"}
SWAPS = {"mean": "sum", "sum": "mean", "ones": "zeros", "zeros": "ones", "ones_like":
         "zeros_like", "zeros_like": "ones_like", "amax": "amin", "amin": "amax", "max": "min",
         "min": "max", "argmax": "argmin", "argmin": "argmax"}
DROPPABLE_METHODS = {"detach", "abs", "clamp", "clamp_min", "clamp_max", "item", "float",
                     "double", "sqrt", "relu", "exp", "log", "sigmoid", "t", "squeeze",
                     "unsqueeze", "flatten", "clone", "contiguous", "mean", "sum"}
COMPARE_SWAPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
                 ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


def _method(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _number(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool))


def op_drop_method(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """x.detach() -> x, x.clamp_min(0) -> x, x.abs() -> x, loss.item() -> loss, ..."""
    name = _method(node)
    if name in DROPPABLE_METHODS and isinstance(node.func.value, ast.expr):
        if name in ("mean", "sum") and (node.args or node.keywords):
            return []  # a reduction over one axis is the axis operator's business
        return [(f"drop .{name}()", node.func.value)]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("float", "abs") and len(node.args) == 1):
        return [(f"drop {node.func.id}()", node.args[0])]
    return []


def op_swap_name(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """mean <-> sum, ones <-> zeros, max <-> min (methods and torch functions)."""
    if isinstance(node, ast.Attribute) and node.attr in SWAPS:
        new = copy.copy(node)
        new.attr = SWAPS[node.attr]
        return [(f".{node.attr} -> .{new.attr}", new)]
    return []


def op_axis(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """The wrong reduction axis: dim=0 <-> dim=1 (keyword or first positional argument)."""
    out = []
    name = _method(node)
    if not isinstance(node, ast.Call):
        return out
    for index, keyword in enumerate(node.keywords):
        if keyword.arg == "dim" and _number(keyword.value):
            new = copy.deepcopy(node)
            new.keywords[index].value = ast.Constant(_other_axis(keyword.value.value))
            out.append((f"dim={keyword.value.value} -> dim={_other_axis(keyword.value.value)}",
                        new))
    if name in REDUCERS and node.args and _number(node.args[0]) and name != "kthvalue":
        new = copy.deepcopy(node)
        new.args[0] = ast.Constant(_other_axis(node.args[0].value))
        out.append((f".{name}({node.args[0].value}) -> .{name}({new.args[0].value})", new))
    return out


def _other_axis(axis: int) -> int:
    return {0: 1, 1: 0, -1: 0}.get(axis, 0)


def op_abs_square(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """abs <-> square, and the abs or square moved outside the mean (x.abs().mean() ->
    x.mean().abs()), which is right only when every difference has the same sign."""
    out = []
    name = _method(node)
    if name == "abs" and not node.args:
        out.append(("abs -> square", _call(node.func.value, "pow", [ast.Constant(2)])))
    if name == "pow" and node.args and _number(node.args[0]) and node.args[0].value == 2:
        out.append(("square -> abs", _call(node.func.value, "abs", [])))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and _number(node.right) \
            and node.right.value == 2:
        out.append(("square -> abs", _call(node.left, "abs", [])))
    if name in ("mean", "sum") and not node.args and not node.keywords:
        inner = node.func.value
        inner_name = _method(inner)
        if inner_name in ("abs", "pow") and inner_name is not None:
            moved = _call(_call(inner.func.value, name, []), inner_name, list(inner.args))
            out.append((f".{inner_name}() moved outside the .{name}()", moved))
    return out


def _call(value: ast.expr, method: str, args: list[ast.expr]) -> ast.Call:
    return ast.Call(func=ast.Attribute(value=value, attr=method, ctx=ast.Load()), args=args,
                    keywords=[])


def op_drop_keyword(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """A forgotten keyword: create_graph=True, keepdim=True, bias=False, dim=..."""
    out = []
    if isinstance(node, ast.Call):
        for index, keyword in enumerate(node.keywords):
            if keyword.arg is None:
                continue
            new = copy.deepcopy(node)
            del new.keywords[index]
            out.append((f"drop {keyword.arg}=", new))
    return out


def op_drop_operand(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """x + 1e-8 -> x, n - 1 -> n, 2 * t -> t: a forgotten epsilon, correction or factor."""
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
        if _number(node.right):
            return [(f"drop the constant {ast.unparse(node.right)}", node.left)]
        if _number(node.left):
            return [(f"drop the constant {ast.unparse(node.left)}", node.right)]
    return []


def op_constant(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """A changed constant: an integer plus one, a float doubled (or 1.0 for 0.0)."""
    if not _number(node):
        return []
    value = node.value
    new_value = value + 1 if isinstance(value, int) else (value * 2 if value else 1.0)
    return [(f"constant {value!r} -> {new_value!r}", ast.Constant(new_value))]


def op_sign(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """A flipped sign: -x -> x, a - b -> a + b, a + b -> a - b."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return [("drop the minus sign", node.operand)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        new = copy.copy(node)
        new.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
        return [("+ -> -" if isinstance(node.op, ast.Add) else "- -> +", new)]
    return []


def op_compare(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """< <-> <=, > <-> >=, == <-> != (ties and boundaries)."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in \
            COMPARE_SWAPS:
        new = copy.copy(node)
        new.ops = [COMPARE_SWAPS[type(node.ops[0])]()]
        return [(f"{type(node.ops[0]).__name__} -> {type(new.ops[0]).__name__}", new)]
    return []


def op_swap_arguments(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """The first two positional arguments swapped (real and fake, mean and std, ...)."""
    if isinstance(node, ast.Call) and len(node.args) >= 2 and \
            ast.dump(node.args[0]) != ast.dump(node.args[1]) and \
            not any(isinstance(a, ast.Starred) for a in node.args[:2]):
        new = copy.copy(node)
        new.args = [node.args[1], node.args[0], *node.args[2:]]
        return [("first two arguments swapped", new)]
    return []


# names that are modules, builtins or the object itself, never a tensor a learner detaches
NOT_TENSORS = {"F", "torch", "nn", "math", "np", "self", "len", "range", "float", "int",
               "abs", "min", "max", "sum", "zip", "enumerate", "isinstance", "list", "tuple",
               "dict", "set", "print", "sorted", "round", "bool", "str", "type"}


DETACH_PROBE = "_mutant_detach"


def op_add_detach(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """x -> x.detach(): a tensor cut from the graph where it must stay in it (the generator's
    loss on detached fakes, a detached term of a loss). Written as ``_mutant_detach(x)``,
    which detaches x and records whether x needed a gradient: a mutant that only ever
    detached tensors that needed none changed nothing, and counts as equivalent."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
            node.id not in NOT_TENSORS:
        probe = ast.Call(func=ast.Name(DETACH_PROBE, ast.Load()),
                         args=[ast.Name(node.id, ast.Load())], keywords=[])
        return [("add .detach()", probe)]
    return []


EXPRESSION_OPERATORS: list[Callable[[ast.AST], list[tuple[str, ast.AST]]]] = [
    op_drop_method, op_swap_name, op_axis, op_abs_square, op_drop_keyword, op_drop_operand,
    op_constant, op_sign, op_compare, op_swap_arguments, op_add_detach,
]


@dataclass
class Mutant:
    lesson: str
    function: str
    operator: str
    description: str
    source: str  # the mutated region
    outcome: str = ""  # killed, survived, crashed, timeout, equivalent
    message: str = ""

    @property
    def key(self) -> str:
        return f"{self.function} | {self.description}"


def _fields(tree: ast.AST) -> Iterator[tuple[ast.AST, str, int | None, ast.AST]]:
    """Every (parent, field, index, child) in a deterministic order."""
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        yield parent, field, index, item
            elif isinstance(value, ast.AST):
                yield parent, field, None, value


def mutate_region(region: str) -> list[tuple[str, str, str]]:
    """Every mutant of a solution region: (operator, description, mutated source)."""
    tree = ast.parse(textwrap.dedent(region))
    original = ast.unparse(tree)
    sites = list(_fields(tree))
    # what is already cut from the graph: everything inside x.detach() or x.item()
    already_cut = {id(inner) for call in ast.walk(tree) if _method(call) in ("detach", "item")
                   for inner in ast.walk(call.func.value)}
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()

    def add(operator: str, description: str, mutated: ast.AST) -> None:
        ast.fix_missing_locations(mutated)
        try:
            text = ast.unparse(mutated)
            compile(text, "mutant", "exec", flags=ast.PyCF_ONLY_AST)
        except (SyntaxError, ValueError):
            return
        if text == original or text in seen:
            return
        seen.add(text)
        out.append((operator, description, text))

    for position, (_, _, index, node) in enumerate(sites):
        # statement deletion: a forgotten line (zero_grad, step, a check, the return, ...)
        if isinstance(node, ast.stmt) and index is not None:
            copy_tree = copy.deepcopy(tree)
            c_parent, c_field, c_index, _ = list(_fields(copy_tree))[position]
            body = getattr(c_parent, c_field)
            removed = ast.unparse(body[c_index]).splitlines()[0]
            del body[c_index]
            if not body:
                body.append(ast.Pass())
            add("drop-statement", f"delete `{removed}`", copy_tree)
        if not isinstance(node, ast.expr):
            continue
        for operator in EXPRESSION_OPERATORS:
            if operator is op_add_detach and id(node) in already_cut:
                continue
            for label, replacement in operator(node):
                copy_tree = copy.deepcopy(tree)
                c_parent, c_field, c_index, _ = list(_fields(copy_tree))[position]
                replacement = copy.deepcopy(replacement)
                if c_index is None:
                    setattr(c_parent, c_field, replacement)
                else:
                    getattr(c_parent, c_field)[c_index] = replacement
                snippet = ast.unparse(node)
                add(operator.__name__[3:].replace("_", "-"),
                    f"{label}: `{snippet[:60]}`", copy_tree)
    # the fix PyTorch's own error message suggests for a missing detach
    if ".detach()" in region and ".backward()" in region:
        text = textwrap.dedent(region).replace(".detach()", "").replace(
            ".backward()", ".backward(retain_graph=True)")
        add("detach-to-retain-graph", "no .detach(), backward(retain_graph=True) instead",
            ast.parse(text))
    return _number_duplicates(out)


def _number_duplicates(mutants: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    counts: dict[str, int] = {}
    out = []
    for operator, description, text in mutants:
        counts[description] = counts.get(description, 0) + 1
        if counts[description] > 1:
            description = f"{description} #{counts[description]}"
        out.append((operator, description, text))
    return out


# --------------------------------------------------------------------------- the notebook


@dataclass
class Region:
    cell: int  # index among all cells
    start: int  # line index of BEGIN within the cell
    end: int  # line index of END
    function: str
    checks: list[int]  # indices of the check cells that follow


def find_regions(cells: list[dict]) -> list[Region]:
    """Every solution region with the name of its function and the check cells after it."""
    regions: list[Region] = []
    exercise_cells = [i for i, c in enumerate(cells) if c["cell_type"] == "code"
                      and BEGIN in c["source"]]
    for position, index in enumerate(exercise_cells):
        following = exercise_cells[position + 1] if position + 1 < len(exercise_cells) else \
            len(cells)
        checks = [j for j in range(index + 1, following) if cells[j]["cell_type"] == "code"
                  and any(call in cells[j]["source"] for call in CHECK_CALLS)]
        lines = cells[index]["source"].splitlines()
        function = "?"
        for number, line in enumerate(lines):
            stripped = line.strip()
            if stripped.startswith("def "):
                function = stripped[4:].split("(")[0]
            if stripped == BEGIN:
                start = number
            if stripped == END:
                regions.append(Region(index, start, number, function, checks))
    return regions


def mutated_cell(source: str, region: Region, text: str) -> str:
    lines = source.splitlines()
    indent = lines[region.start][: len(lines[region.start]) - len(lines[region.start].lstrip())]
    body = textwrap.indent(text, indent).splitlines()
    return "\n".join(lines[: region.start + 1] + body + lines[region.end:])


def equivalents(lesson: str) -> dict[str, str]:
    """The reviewed equivalent mutants of a lesson: key -> reason."""
    path = EQUIVALENTS / f"{lesson}.txt"
    out: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                function, description, reason = (part.strip() for part in line.split(" | ", 2))
                out[f"{function} | {description}"] = reason
    return out


class _Timeout(Exception):
    pass


def run_lesson(lesson: str, verbose: bool = False) -> list[Mutant]:
    """Mutate every exercise of ``solutions/<lesson>_*.ipynb`` and run its checks."""
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    os.environ["GAN_COURSE_STRICT"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    (path,) = sorted((ROOT / "solutions").glob(f"{lesson}_*.ipynb"))
    cells = [dict(cell_type=c.cell_type, source=c.source)
             for c in nbformat.read(path, as_version=4).cells]
    regions = find_regions(cells)
    known = equivalents(lesson)
    shell = InteractiveShell.instance()
    shell.user_ns[DETACH_PROBE] = _detach_probe
    os.chdir(path.parent)
    last = max([r.cell for r in regions] + [c for r in regions for c in r.checks])

    def run(source: str, timeout: int = TIMEOUT_S) -> BaseException | None:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(timeout)
        try:
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                result = shell.run_cell(source, store_history=False, silent=True)
            return result.error_in_exec or result.error_before_exec
        except _Timeout as error:
            return error
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    mutants: list[Mutant] = []
    by_last_check = {}
    for region in regions:
        by_last_check.setdefault(max(region.checks, default=region.cell), []).append(region)
    for index in range(last + 1):
        if cells[index]["cell_type"] != "code":
            continue
        error = run(cells[index]["source"], timeout=0)  # the lesson itself: no time limit
        if error is not None:
            raise RuntimeError(f"{path.name} cell {index} failed unmutated: {error!r}")
        for region in by_last_check.get(index, []):
            source = cells[region.cell]["source"]
            lines = source.splitlines()
            text = "\n".join(lines[region.start + 1: region.end])
            for operator, description, mutated in mutate_region(text):
                mutant = Mutant(lesson, region.function, operator, description, mutated)
                _detach_probe.cut = False
                if not region.checks:
                    mutant.outcome, mutant.message = "survived", "no check cell follows"
                else:
                    mutant.outcome, mutant.message = _judge(run, mutated_cell(source, region,
                                                                              mutated),
                                                            [cells[c]["source"] for c in
                                                             region.checks])
                if mutant.outcome == "survived" and operator == "add-detach" and \
                        not _detach_probe.cut:
                    mutant.outcome = "equivalent"
                    mutant.message = ("every tensor it detached needed no gradient, so "
                                      ".detach() changed nothing")
                if mutant.outcome != "killed" and mutant.key in known:
                    mutant.outcome, mutant.message = "equivalent", known[mutant.key]
                mutants.append(mutant)
                if verbose:
                    print(f"{mutant.outcome:10s} {mutant.key}", flush=True)
                restored = run(source)
                assert restored is None, f"restoring {region.function} failed: {restored!r}"
            # once all mutants are judged, leave the namespace as the original checks left it
            # (each mutant's own check run rebinds every name it uses, top to bottom)
            for check in region.checks:
                run(cells[check]["source"])
    return mutants


def _detach_probe(x: object) -> object:
    """The ``add .detach()`` mutants' x.detach(); notes when x needed a gradient."""
    import torch

    if isinstance(x, torch.Tensor) and x.requires_grad:
        _detach_probe.cut = True
    return x.detach()  # a non-tensor fails here as the learner's code would


_detach_probe.cut = False


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout(f"no answer within {TIMEOUT_S} s")


def _judge(run: Callable[[str], BaseException | None], cell: str,
           checks: list[str]) -> tuple[str, str]:
    from gan_course.exercises import ExerciseNotDone

    error = run(cell)
    if error is not None:
        return "crashed", f"the exercise cell itself failed: {error!r}"[:300]
    for check in checks:
        error = run(check)
        if isinstance(error, ExerciseNotDone):
            return "killed", str(error)[:300]
        if isinstance(error, _Timeout):
            return "timeout", str(error)
        if error is not None:
            return "crashed", f"{type(error).__name__}: {error}"[:300]
    return "survived", "every check passed"


def summarise(mutants: list[Mutant]) -> dict[str, dict[str, int | float]]:
    """Per lesson: mutants, killed, equivalent, survived (anything else), and the kill rate
    over the non-equivalent mutants."""
    table: dict[str, dict[str, int | float]] = {}
    for lesson in sorted({m.lesson for m in mutants} | {"total"}):
        chosen = [m for m in mutants if lesson in ("total", m.lesson)]
        killed = sum(m.outcome == "killed" for m in chosen)
        equivalent = sum(m.outcome == "equivalent" for m in chosen)
        counted = len(chosen) - equivalent
        table[lesson] = {"mutants": len(chosen), "killed": killed, "equivalent": equivalent,
                         "survived": counted - killed,
                         "kill_pct": round(100.0 * killed / counted, 1) if counted else 100.0}
    return table


def lessons_available() -> list[str]:
    return sorted(p.name[:2] for p in (ROOT / "solutions").glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers (default: all)")
    parser.add_argument("--json", type=Path, help="write every mutant's outcome here")
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    parser.add_argument("--verbose", action="store_true", help="print each mutant as it runs")
    args = parser.parse_args(argv)
    chosen = args.lessons or lessons_available()
    unknown = sorted(set(chosen) - set(lessons_available()))
    if unknown:
        parser.error(f"no solution notebook for {unknown}; choose from {lessons_available()}")
    sys.path.insert(0, str(ROOT))
    import torch

    torch.set_num_threads(1)
    mutants: list[Mutant] = []
    started = time.perf_counter()
    for lesson in chosen:
        mutants += run_lesson(lesson, args.verbose)
    if args.json:
        args.json.write_text(json.dumps([asdict(m) for m in mutants], indent=1))
    for lesson, row in summarise(mutants).items():
        print(f"{lesson:>6s}: {row['killed']}/{row['mutants'] - row['equivalent']} killed "
              f"({row['kill_pct']} %), {row['equivalent']} equivalent, {row['survived']} "
              f"survived")
    if args.survivors:
        for m in mutants:
            if m.outcome not in ("killed", "equivalent"):
                print(f"[{m.outcome}] {m.lesson} {m.key}\n    {m.message}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
